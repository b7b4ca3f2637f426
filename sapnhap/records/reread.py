"""Re-reading one field from the page image: the crop of its box, enlarged 3×, as a single text line.

Tesseract's `vie` model loses tone marks on small text (marks under about 12 px: `Đặng` read `Đăng`).
Read again from the same page image, enlarged about 3× and with the page segmentation of one line
(`--psm 7`), the marks come back. The page image must be the one the boxes refer to: OCR boxes are
in pixels of the image Tesseract read, after red-ink removal, enlargement of low-resolution images,
turning upright and deskewing; `sapnhap.ocr.pages.page_image` rebuilds it from the file and the
page's `PageResult` with the same functions OCR used.

Readings are cached beside the page cache (`CropCache`: `<OCR cache>/crops/<2 hex>/<key>.json`), keyed
by the page's own cache key (`sapnhap.ocr.pages.page_cache_key`: page image hash, Tesseract version,
OCR settings), the box, the crop's Tesseract settings and `CROP_CACHE_VERSION`: a re-run over cached
pages neither rebuilds a page image nor runs Tesseract on a crop.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from sapnhap.ocr.engine import OcrEngineError, recognise
from sapnhap.ocr.page import PageResult
from sapnhap.ocr.pages import OcrSettings, PageTask, page_cache_key, page_image
from sapnhap.records.values import BBox

# Crops are enlarged so that their text is about TARGET_PX high, at most ENLARGE times (small text,
# about 20 px high, is read 3× larger; text already 50-60 px high is not enlarged, as enlarging it
# further loses marks again).
ENLARGE = 3.0
TARGET_PX = 60.0
# The page segmentation mode of a crop: one text line.
CROP_PSM = 7
# Bumped whenever `read_crop` changes in a way that changes its readings (invalidates the crop cache).
CROP_CACHE_VERSION = "1"


def read_crop(
    image: Image.Image,
    bbox: BBox,
    languages: str = "vie",
    enlarge: float | None = None,
    psm: int = CROP_PSM,
) -> tuple[str, float | None]:
    """Read one box of a page image as a single line: (text, mean word confidence 0..100 or None).

    The box (left, top, width, height in the image's pixels) is padded by a third of its height on
    each side (marks above capitals reach over the word boxes), enlarged (Lanczos) `enlarge`× or, when
    None, so that the box is about `TARGET_PX` high (between 1× and `ENLARGE`×), and recognised with
    `--psm` `psm` (7: one text line).
    """
    left, top, width, height = bbox
    if enlarge is None:
        enlarge = min(ENLARGE, max(1.0, TARGET_PX / max(height, 1.0)))
    pad = max(4.0, height / 3)
    box = (
        max(0, int(left - pad)),
        max(0, int(top - pad)),
        min(image.width, int(left + width + pad)),
        min(image.height, int(top + height + pad)),
    )
    if box[2] <= box[0] or box[3] <= box[1]:
        return "", None
    crop = image.crop(box)
    crop = crop.resize(
        (max(1, int(crop.width * enlarge)), max(1, int(crop.height * enlarge))), Image.Resampling.LANCZOS
    )
    with tempfile.TemporaryDirectory(prefix="sapnhap-crop-") as tmp:
        path = Path(tmp) / "crop.png"
        crop.save(path)
        recognition = recognise(path, languages, psm=psm, dpi=300)
    return recognition.text.replace("\n", " "), recognition.mean_confidence


def crop_cache_key(page_key: str, bbox: BBox, languages: str, psm: int = CROP_PSM) -> str:
    """The key a crop's reading is cached by: the page's cache key (`page_cache_key`), the box
    (rounded to 1/100 px), the crop's Tesseract settings (languages, psm, dpi hint, enlargement) and
    `CROP_CACHE_VERSION`."""
    box = ",".join(f"{float(v):.2f}" for v in bbox)
    tesseract = f"lang={languages};psm={psm};dpi=300;enlarge<={ENLARGE};target={TARGET_PX}"
    material = "|".join(["crop", CROP_CACHE_VERSION, page_key, box, tesseract])
    return hashlib.sha256(material.encode()).hexdigest()


class CropCache:
    """Crop readings on disk: `<folder>/<first 2 hex of the key>/<key>.json`, each `{"text", "confidence"}`,
    or `{"text": "", "confidence": null, "refused": message}` for a crop Tesseract refused (e.g. "Image too
    small to scale": the same pixels are refused again, so the refusal is cached and replayed).

    `folder` is `<OCR cache>/crops`. Writes are atomic (a temporary file renamed into place), so two
    runs reading the same crop never leave half a file; an unreadable or damaged entry is a miss.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def path(self, key: str) -> Path:
        """Where the reading of `key` is stored."""
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> tuple[str, float | None] | None:
        """The cached (text, confidence) of `key`, or None (not cached, or the entry is damaged).

        Raises:
            OcrEngineError: Tesseract refused this crop when it was read (`put_refusal`), replayed.
        """
        path = self.path(key)
        try:
            row = json.loads(path.read_text(encoding="utf-8"))
            text, confidence, refused = row["text"], row["confidence"], row.get("refused")
            if not isinstance(text, str) or not (confidence is None or isinstance(confidence, int | float)):
                return None
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return None  # missing or damaged: read the crop again
        if isinstance(refused, str) and refused:
            raise OcrEngineError(refused)
        return text, None if confidence is None else float(confidence)

    def put(self, key: str, text: str, confidence: float | None) -> None:
        """Store the reading of `key` (atomic: written to a temporary file, then renamed)."""
        self._write(key, {"text": text, "confidence": confidence})

    def put_refusal(self, key: str, message: str) -> None:
        """Store that Tesseract refused the crop of `key` with `message` (`get` raises it again)."""
        self._write(key, {"text": "", "confidence": None, "refused": message})

    def _write(self, key: str, row: dict) -> None:
        folder = self.path(key).parent
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(row, handle, ensure_ascii=False)
            os.replace(tmp, self.path(key))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


class PageImageCropReader:
    """A `crop_reader` for `extract_document`: rebuilds each page image once (`page_image`) and
    reads crops of it (`read_crop`), through the crop cache when `cache_dir` is given.

    tasks: page number → the `PageTask` the page was read from; results: page number → its
    `PageResult` (rotation, skew and size of the image its boxes are in); cache_dir: the OCR cache
    folder (crops go to its `crops` folder; None: no cache). The cache is used with the default
    reader only (a custom `reader`'s readings are not what the key describes), and for pages whose
    result names its image hash (`image_sha256`); a page image is only rebuilt on a cache miss.
    `calls` counts the crops read, `from_cache` those of them served by the cache. A crop Tesseract
    refuses (`OcrEngineError` with Tesseract's message, e.g. "Image too small to scale") is cached as
    refused and raises the same error when served from the cache, as it did when read: callers keep
    the page's reading either way.
    """

    def __init__(
        self,
        tasks: dict[int, PageTask],
        results: dict[int, PageResult],
        settings: OcrSettings | None = None,
        reader: Callable[[Image.Image, BBox], tuple[str, float | None]] | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        self.tasks = tasks
        self.results = results
        self.settings = settings or OcrSettings()
        self.cache = (
            CropCache(Path(cache_dir) / "crops") if cache_dir is not None and reader is None else None
        )
        self.reader = reader or (lambda image, bbox: read_crop(image, bbox, self.settings.languages))
        self._images: dict[int, Image.Image] = {}
        self.calls = 0
        self.from_cache = 0

    def __call__(self, page_number: int, bbox: BBox) -> tuple[str, float | None]:
        """Read the box `bbox` of page `page_number` again (text, confidence)."""
        self.calls += 1
        key = self._key(page_number, bbox)
        if key is not None and self.cache is not None:
            try:
                cached = self.cache.get(key)
            except OcrEngineError:  # refused before: refused again, without running Tesseract
                self.from_cache += 1
                raise
            if cached is not None:
                self.from_cache += 1
                return cached
        image = self._images.get(page_number)
        if image is None:
            image = page_image(self.tasks[page_number], self.results[page_number], self.settings)
            self._images[page_number] = image
        try:
            text, confidence = self.reader(image, bbox)
        except OcrEngineError as exc:
            # Tesseract's own verdict on these pixels (not a missing or killed engine: no message).
            verdict = str(exc).split(": ", 1)[-1].strip()
            if key is not None and self.cache is not None and ": " in str(exc) and verdict:
                self.cache.put_refusal(key, str(exc))
            raise
        if key is not None and self.cache is not None:
            self.cache.put(key, text, confidence)
        return text, confidence

    def _key(self, page_number: int, bbox: BBox) -> str | None:
        if self.cache is None:
            return None
        result = self.results.get(page_number)
        if result is None or not result.image_sha256:
            return None
        return crop_cache_key(
            page_cache_key(result.image_sha256, self.settings), bbox, self.settings.languages
        )
