"""Configurable Dagster resources: the dossier store, the OCR engine, the unified database, Parquet I/O."""

from resources.database import UnifiedDatabase
from resources.ocr import OcrEngine
from resources.settings import ProjectSettings
from resources.storage import DossierStore
from resources.warehouse import ParquetIOManager

__all__ = ["DossierStore", "OcrEngine", "ParquetIOManager", "ProjectSettings", "UnifiedDatabase"]
