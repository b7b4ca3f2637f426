"""Configurable Dagster resources: the dossier store, the OCR engine (and its replaying twin), the unified database, Parquet I/O, the linkage model, the review desk, the commune office's reports."""

from resources.database import UnifiedDatabase
from resources.linkage import LinkageModel
from resources.ocr import OcrEngine, ReplayOcrEngine
from resources.office import CommuneOffice
from resources.review import ReviewDesk
from resources.settings import ProjectSettings
from resources.storage import DossierStore
from resources.warehouse import ParquetIOManager

__all__ = [
    "CommuneOffice",
    "DossierStore",
    "LinkageModel",
    "OcrEngine",
    "ParquetIOManager",
    "ProjectSettings",
    "ReplayOcrEngine",
    "ReviewDesk",
    "UnifiedDatabase",
]
