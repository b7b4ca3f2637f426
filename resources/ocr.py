"""The OCR engine resource: Tesseract settings, worker count and the page cache."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from dagster import ConfigurableResource

from sapnhap.ocr import OcrEngineError, OcrSettings, PageTask, check_languages, run_pages, tesseract_version
from sapnhap.ocr.page import PageResult
from sapnhap.ocr.replay import replay_pages


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


class ReplayOcrEngine(OcrEngine):
    """The OCR engine's twin: pages replayed from a recording (`sapnhap.ocr.replay`) instead of read.

    recordings_dir: the recording folder (`<file SHA-256>/<page>.json`, made by
    `python -m sapnhap.ocr.replay FILE... --out DIR`). Needs no Tesseract: tests of the later stages
    run on recorded pages, and extraction can be re-run where Tesseract is not installed. A page
    not recorded fails the step with `MissingRecording`, naming it.
    """

    recordings_dir: str

    def version(self) -> str:
        """ "replay": the pages were read earlier, by the engine named in each page's result."""
        return "replay"

    def check(self) -> None:
        """Fail early when the recording folder is missing.

        Raises:
            OcrEngineError: `recordings_dir` is not a folder.
        """
        if not Path(self.recordings_dir).is_dir():
            raise OcrEngineError(f"no OCR recording at {self.recordings_dir}")

    def read_pages(
        self, tasks: Iterable[PageTask], on_result: Callable[[PageResult], None] | None = None
    ) -> Iterator[PageResult]:
        """The recorded result of each page, in task order.

        Raises:
            MissingRecording: a page is not in the recording.
        """
        for result in replay_pages(tasks, Path(self.recordings_dir)):
            if on_result is not None:
                on_result(result)
            yield result
