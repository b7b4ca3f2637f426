"""OCR of page images with Tesseract, and the per-page choice between text layer and OCR."""

from sapnhap.ocr.engine import OcrEngineError, check_languages, tesseract_version
from sapnhap.ocr.pages import OcrSettings, PageTask, process_page, run_pages

__all__ = [
    "OcrEngineError",
    "OcrSettings",
    "PageTask",
    "check_languages",
    "process_page",
    "run_pages",
    "tesseract_version",
]
