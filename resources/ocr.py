"""The OCR engine resource: Tesseract settings, worker count and the page cache."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from dagster import ConfigurableResource

from sapnhap.ocr import OcrSettings, PageTask, check_languages, run_pages, tesseract_version
from sapnhap.ocr.page import PageResult


class OcrEngine(ConfigurableResource):
    """Tesseract OCR run one process per core, with a cache keyed by page image, engine and settings.

    languages: Tesseract language string ("vie", "vie+eng"); dpi: PDF render resolution;
    workers: parallel Tesseract processes; cache_dir: folder of cached page results.
    """

    languages: str = "vie"
    dpi: int = 300
    workers: int = 1
    cache_dir: str | None = None

    def settings(self) -> OcrSettings:
        """The OCR settings these options stand for."""
        return OcrSettings(languages=self.languages, dpi=self.dpi)

    def version(self) -> str:
        """Tesseract's version; raises OcrEngineError with the install command when it is missing."""
        return tesseract_version()

    def check(self) -> None:
        """Fail early, with the install command, if Tesseract or a language pack is missing."""
        check_languages(self.languages)

    def read_pages(
        self, tasks: Iterable[PageTask], on_result: Callable[[PageResult], None] | None = None
    ) -> Iterator[PageResult]:
        """Read pages (text layer or OCR) in parallel, yielding results as they complete."""
        cache = Path(self.cache_dir) if self.cache_dir else None
        return run_pages(tasks, self.settings(), cache, workers=self.workers, on_result=on_result)
