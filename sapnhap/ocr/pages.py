"""Per-page text: the PDF's own text layer when it is real text, otherwise Tesseract OCR.

Each page is a pure task, `PageTask -> PageResult` (`process_page`), run one Tesseract process per
core (`run_pages`) and merged as results arrive. A page whose processing fails is returned as a
`failed` PageResult with the error, never dropped and never fatal for the other pages.

OCR steps for a page image: small skew corrected (projection profiles), recognised; when the
result is weak (low mean confidence or few words) the page may be turned: Tesseract OSD decides,
and when OSD cannot (little text) the three other right angles are tried on a thumbnail and the
most confident wins. Results are cached by the page image's hash, engine version and settings.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import math
import multiprocessing
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from PIL import Image

from sapnhap.ocr.colour import to_ocr_gray
from sapnhap.ocr.engine import Recognition, detect_orientation, recognise, tesseract_version
from sapnhap.ocr.geometry import estimate_skew, rotate_page
from sapnhap.ocr.page import PageResult
from sapnhap.ocr.sheets import SHEET_KINDS, read_sheet_page

# Bumped whenever the OCR steps change in a way that changes results (invalidates the cache).
OCR_PIPELINE_VERSION = "5"


@dataclass(frozen=True)
class OcrSettings:
    """OCR settings; part of the cache key.

    languages: Tesseract language string ("vie", "vie+eng").
    dpi: resolution (dots per inch) at which PDF pages are rendered for OCR.
    psm: Tesseract page segmentation mode.
    deskew: correct small skew (up to `max_skew_degrees`) before OCR.
    orient: check the orientation of pages that read weakly or sideways, and set them upright.
    orientation_check_below: mean word confidence (0..100) under which the page orientation is
        checked with OSD (upright, clean pages score 85-96; a page turned 90° or 180° about 40).
    min_image_dpi: image files whose effective resolution is lower are enlarged to about 300 dpi
        before OCR (Tesseract's models are trained near 300 dpi; 70-100 dpi pages lose diacritics).
    drop_red_ink: read colour pages with red seal ink in their red channel, where the seal
        disappears, and clear a seal scanned in grey (`sapnhap.ocr.colour`).
    """

    languages: str = "vie"
    dpi: int = 300
    psm: int = 3
    deskew: bool = True
    orient: bool = True
    max_skew_degrees: float = 5.0
    orientation_check_below: float = 75.0
    min_image_dpi: int = 200
    drop_red_ink: bool = True

    def cache_token(self) -> str:
        """A stable string of every setting that changes OCR output."""
        return json.dumps(asdict(self), sort_keys=True)


@dataclass(frozen=True)
class PageTask:
    """One page to read: `path` is the archived file, `page_index` 0-based, `kind` "pdf"/"tiff"/"jpeg"/"png",
    or a born-digital register's kind (`sapnhap.ocr.sheets.SHEET_KINDS`: its sheet or table `page_index`)."""

    file_sha256: str
    path: str
    kind: str
    page_index: int


def process_page(task: PageTask, settings: OcrSettings, cache_dir: Path | None = None) -> PageResult:
    """Read one page: text layer if real, else OCR. Never raises; failures give method "failed"."""
    started = time.perf_counter()
    try:
        result = _process_page(task, settings, cache_dir)
    except Exception as exc:  # one bad page must not stop the others
        result = _failed(task, "page_error", exc)
    result.seconds = round(time.perf_counter() - started, 3)
    return result


def run_pages(
    tasks: Iterable[PageTask],
    settings: OcrSettings,
    cache_dir: Path | None = None,
    workers: int | None = None,
    on_result: Callable[[PageResult], None] | None = None,
) -> Iterator[PageResult]:
    """Process pages in parallel, one worker process (one Tesseract) per core, yielding as they finish.

    Workers run with OMP_THREAD_LIMIT=1. At most `2 * workers` pages are in flight, so a 200-page
    PDF is never held in memory as images: each worker renders only the page it works on.
    Results come in completion order; sort by (file_sha256, page_number) if order matters.
    """
    workers = workers or os.cpu_count() or 1
    task_iter = iter(tasks)
    if workers == 1:
        os.environ["OMP_THREAD_LIMIT"] = "1"
        for task in task_iter:
            result = process_page(task, settings, cache_dir)
            if on_result:
                on_result(result)
            yield result
        return
    pending: dict[Future[PageResult], PageTask] = {}

    def refill() -> None:
        while len(pending) < 2 * workers:
            task = next(task_iter, None)
            if task is None:
                return
            try:
                future = _worker_pool(workers).submit(process_page, task, settings, cache_dir)
            except BrokenProcessPool:  # a worker died earlier: start a fresh pool and go on
                _discard_pool(workers)
                future = _worker_pool(workers).submit(process_page, task, settings, cache_dir)
            pending[future] = task

    refill()
    while pending:
        done, _ = wait(pending, return_when=FIRST_COMPLETED)
        for future in done:
            task = pending.pop(future)
            try:
                result = future.result()
            except Exception as exc:  # a worker died (e.g. killed for memory)
                if isinstance(exc, BrokenProcessPool):
                    _discard_pool(workers)
                result = _failed(task, "worker_error", exc)
            if on_result:
                on_result(result)
            yield result
        refill()


# Worker pools live as long as the process: starting Python workers costs about a second each, which
# a run over several former units (or a benchmark) should pay once, not per call.
_POOLS: dict[int, ProcessPoolExecutor] = {}


def _worker_pool(workers: int) -> ProcessPoolExecutor:
    pool = _POOLS.get(workers)
    if pool is None:
        context = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init_worker)
        _POOLS[workers] = pool
    return pool


def _discard_pool(workers: int) -> None:
    pool = _POOLS.pop(workers, None)
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)


@atexit.register
def _shutdown_pools() -> None:
    for workers in list(_POOLS):
        _discard_pool(workers)


def _failed(task: PageTask, reason: str, exc: BaseException) -> PageResult:
    return PageResult(
        file_sha256=task.file_sha256,
        page_number=task.page_index + 1,
        method="failed",
        reason=reason,
        error=f"{type(exc).__name__}: {exc}",
    )


def _init_worker() -> None:
    os.environ["OMP_THREAD_LIMIT"] = "1"


def _process_page(task: PageTask, settings: OcrSettings, cache_dir: Path | None) -> PageResult:
    page_number = task.page_index + 1
    if task.kind in SHEET_KINDS:  # a born-digital register: its cells, never OCR'd
        return read_sheet_page(Path(task.path), task.kind, task.page_index, task.file_sha256)
    if task.kind == "pdf":
        from sapnhap.ocr.pdf import read_text_layer

        layer = read_text_layer(Path(task.path), task.page_index)
        if layer.usable:
            import pdfplumber

            return PageResult(
                file_sha256=task.file_sha256,
                page_number=page_number,
                method="text_layer",
                reason=layer.reason,
                text=layer.text,
                engine="pdfplumber",
                engine_version=str(pdfplumber.__version__),
                width=layer.width,
                height=layer.height,
                box_unit="pt",
                words=list(layer.words),
            )
        reason = layer.reason
    else:
        reason = "image_file"
    image, dpi = load_page_image(task, settings)
    image_sha = _image_hash(image)
    key = page_cache_key(image_sha, settings)
    cached = _cache_get(cache_dir, key)
    if cached is not None:
        return replace(
            cached, file_sha256=task.file_sha256, page_number=page_number, reason=reason, cached=True
        )
    result = _ocr_image(image, dpi, settings)
    result = replace(
        result, file_sha256=task.file_sha256, page_number=page_number, reason=reason, image_sha256=image_sha
    )
    _cache_put(cache_dir, key, result)
    return result


def load_page_image(task: PageTask, settings: OcrSettings) -> tuple[Image.Image, int]:
    """A page as OCR starts from, and its resolution: (grey image with red ink taken out, dpi).

    A PDF page is rendered at the resolution `_render_dpi` picks for it (its scan's own, at least
    `settings.dpi`); an image frame keeps its pixels and its recorded (or implied) dpi. The one
    loading step of OCR (`process_page`) and of every rebuilding of its page image (`page_image`:
    crop re-reading, review pictures), so boxes and images cannot drift apart.
    """
    if task.kind == "pdf":
        from sapnhap.ocr.pdf import render_page

        dpi = _render_dpi(Path(task.path), task.page_index, settings.dpi)
        image = render_page(Path(task.path), task.page_index, dpi)
    else:
        from sapnhap.ocr.images import frame_dpi, load_frame

        image = load_frame(Path(task.path), task.page_index)
        dpi = frame_dpi(image) or _implied_dpi(image)
    image, _ = to_ocr_gray(image, settings.drop_red_ink)
    return image, dpi


def enlarge_low_resolution(image: Image.Image, dpi: int, settings: OcrSettings) -> tuple[Image.Image, int]:
    """An image under `settings.min_image_dpi` enlarged (Lanczos, at most 4×) to about 300 dpi, with
    its new dpi; any other image as it is."""
    if dpi >= settings.min_image_dpi:
        return image, dpi
    factor = min(4.0, 300 / max(dpi, 1))
    image = image.resize((int(image.width * factor), int(image.height * factor)), Image.Resampling.LANCZOS)
    return image, int(dpi * factor)


def page_image(task: PageTask, result: PageResult, settings: OcrSettings | None = None) -> Image.Image:
    """The grey page image an OCR `PageResult`'s boxes are in, rebuilt from its file.

    The steps of `process_page`, in its own functions: `load_page_image`, `enlarge_low_resolution`,
    then turned by the result's `rotation` and deskewed by its `skew_degrees`. When the rebuilt
    size differs from the result's `width`×`height` (a rounding of the rotated canvas) the image is
    resized to it, so boxes stay in place.
    """
    settings = settings or OcrSettings()
    image, dpi = load_page_image(task, settings)
    image, _ = enlarge_low_resolution(image, dpi, settings)
    if result.rotation:
        image = rotate_page(image, -result.rotation)
    if result.skew_degrees:
        image = rotate_page(image, result.skew_degrees)
    if result.width and result.height and image.size != (int(result.width), int(result.height)):
        image = image.resize((int(result.width), int(result.height)), Image.Resampling.BILINEAR)
    return image


def _ocr_image(image: Image.Image, dpi: int, settings: OcrSettings) -> PageResult:
    """Enlarge if low resolution, deskew, recognise, and set upright when the result is weak."""
    image, dpi = enlarge_low_resolution(image, dpi, settings)
    with tempfile.TemporaryDirectory(prefix="sapnhap-ocr-") as tmp:
        workdir = Path(tmp)
        upright, skew, recognition = _deskew_and_recognise(image, dpi, settings, workdir)
        rotation, rotation_method = 0, "none"
        sideways = vertical_share(recognition) > 0.5
        if settings.orient and (sideways or _weak(recognition, settings)):
            rotation, rotation_method = _find_rotation(upright, dpi, settings, workdir)
            if rotation:
                turned = rotate_page(image, -rotation)
                t_upright, t_skew, t_recognition = _deskew_and_recognise(turned, dpi, settings, workdir)
                # Tesseract reads some sideways pages well (it turns vertical lines itself) but its
                # boxes are then in the sideways frame: an upright reading about as good is preferred.
                margin = 0.9 if sideways else 1.0
                if _score(t_recognition) > margin * _score(recognition):
                    upright, skew, recognition = t_upright, t_skew, t_recognition
                else:
                    rotation, rotation_method = 0, rotation_method + "_rejected"
    return PageResult(
        file_sha256="",
        page_number=0,
        method="ocr",
        reason="",
        text=recognition.text,
        mean_confidence=None
        if recognition.mean_confidence is None
        else round(recognition.mean_confidence, 2),
        engine="tesseract",
        engine_version=tesseract_version(),
        languages=settings.languages,
        dpi=dpi,
        width=float(upright.width),
        height=float(upright.height),
        box_unit="px",
        rotation=rotation,
        rotation_method=rotation_method,
        skew_degrees=skew,
        words=recognition.words,
    )


def _deskew_and_recognise(
    image: Image.Image, dpi: int, settings: OcrSettings, workdir: Path
) -> tuple[Image.Image, float, Recognition]:
    skew = estimate_skew(image, settings.max_skew_degrees) if settings.deskew else 0.0
    if abs(skew) < 0.3:
        skew = 0.0
    upright = rotate_page(image, skew) if skew else image
    path = workdir / "page.pgm"
    upright.save(path)
    return upright, skew, recognise(path, settings.languages, settings.psm, dpi)


def _find_rotation(image: Image.Image, dpi: int, settings: OcrSettings, workdir: Path) -> tuple[int, str]:
    """Clockwise degrees (0/90/180/270) that set the page upright, and how that was decided.

    `image` is the page as last recognised, already written to `workdir/page.pgm` by
    `_deskew_and_recognise`; OSD reads that file rather than a second copy.
    """
    verdict = detect_orientation(workdir / "page.pgm")
    if verdict is not None and verdict.confidence >= 2.0:
        return verdict.rotate, "osd"
    # OSD could not decide (little text): compare recognition confidence at each right angle on a
    # half-size thumbnail, and keep a turn only when it is clearly more confident.
    thumb = image.resize((max(1, image.width // 2), max(1, image.height // 2)))
    scores: dict[int, float] = {}
    for rotate in (0, 90, 180, 270):
        trial = workdir / f"trial{rotate}.pgm"
        rotate_page(thumb, -rotate).save(trial)
        scores[rotate] = _score(recognise(trial, settings.languages, settings.psm, dpi // 2))
    best = max(scores, key=lambda r: scores[r])
    if best != 0 and scores[best] > scores[0] * 1.2:
        return best, "confidence_trials"
    return 0, "confidence_trials"


def _weak(recognition: Recognition, settings: OcrSettings) -> bool:
    return recognition.mean_confidence is None or (
        recognition.mean_confidence < settings.orientation_check_below or len(recognition.words) < 3
    )


def vertical_share(recognition: Recognition) -> float:
    """Share of words (3+ letters) whose box is much taller than wide: the text runs up or down the page."""
    long_words = [w for w in recognition.words if len(w.text) >= 3]
    if len(long_words) < 5:
        return 0.0
    return sum(w.height > 1.5 * w.width for w in long_words) / len(long_words)


def _score(recognition: Recognition) -> float:
    """Confidence weighted by how much was read: mean confidence × log(1 + words)."""
    if not recognition.words:
        return 0.0
    return (recognition.mean_confidence or 0.0) * math.log1p(len(recognition.words))


# A page rendered larger than this (e.g. a 30 × 30 inch poster at 300 dpi: 81 million pixels) is
# rendered at a lower resolution instead, so one odd page cannot exhaust a worker's memory.
MAX_RENDER_PIXELS = 60_000_000


def _render_dpi(path: Path, page_index: int, dpi: int) -> int:
    from sapnhap.ocr.pdf import page_size_points

    width_pt, height_pt = page_size_points(path, page_index)
    pixels = (width_pt / 72 * dpi) * (height_pt / 72 * dpi)
    if pixels <= MAX_RENDER_PIXELS:
        return dpi
    return max(72, int(dpi * math.sqrt(MAX_RENDER_PIXELS / pixels)))


def _implied_dpi(image: Image.Image) -> int:
    """Resolution of an untagged page image, assuming an A4 page (8.27 × 11.69 in)."""
    short_side_px = min(image.size)
    return max(1, int(round(short_side_px / 8.27)))


def _image_hash(image: Image.Image) -> str:
    digest = hashlib.sha256(f"{image.mode}:{image.width}x{image.height}:".encode())
    digest.update(image.tobytes())
    return digest.hexdigest()


def page_cache_key(image_sha: str, settings: OcrSettings) -> str:
    """The key a page's OCR result is cached by: the page image's hash (`PageResult.image_sha256`),
    Tesseract's version, `OCR_PIPELINE_VERSION` and every OCR setting (`OcrSettings.cache_token`).

    Also the base of the crop re-reading cache's keys (`sapnhap.records.reread.crop_cache_key`): a
    crop is cached exactly as long as the page it was cut from.
    """
    material = "|".join([image_sha, tesseract_version(), OCR_PIPELINE_VERSION, settings.cache_token()])
    return hashlib.sha256(material.encode()).hexdigest()


def _cache_get(cache_dir: Path | None, key: str) -> PageResult | None:
    if cache_dir is None:
        return None
    path = cache_dir / key[:2] / f"{key}.json"
    if not path.exists():
        return None
    try:
        return PageResult.from_row(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError, KeyError):
        return None  # a damaged cache entry is recomputed


def _cache_put(cache_dir: Path | None, key: str, result: PageResult) -> None:
    if cache_dir is None:
        return
    folder = cache_dir / key[:2]
    folder.mkdir(parents=True, exist_ok=True)
    row = result.to_row()
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(row, handle, ensure_ascii=False)
    os.replace(tmp, folder / f"{key}.json")
