"""Configurable Dagster resources: the dossier store, the OCR engine (and its replaying twin), the unified database, Parquet I/O, the linkage model, the review desk."""

from resources.database import UnifiedDatabase
from resources.linkage import LinkageModel
from resources.ocr import OcrEngine, ReplayOcrEngine
from resources.review import ReviewDesk
from resources.settings import ProjectSettings
from resources.storage import DossierStore
from resources.warehouse import ParquetIOManager

__all__ = [
    "DossierStore",
    "LinkageModel",
    "OcrEngine",
    "ParquetIOManager",
    "ProjectSettings",
    "ReplayOcrEngine",
    "ReviewDesk",
    "UnifiedDatabase",
]
