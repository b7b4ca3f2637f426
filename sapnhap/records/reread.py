"""Re-reading one field from the page image: the crop of its box, enlarged 3×, as a single text line.

Tesseract's `vie` model loses tone marks on small text (marks under about 12 px: `Đặng` read `Đăng`).
Read again from the same page image, enlarged about 3× and with the page segmentation of one line
(`--psm 7`), the marks come back. The page image must be the one the boxes refer to: OCR boxes are
in pixels of the image Tesseract read, after red-ink removal, enlargement of low-resolution images,
turning upright and deskewing; `sapnhap.ocr.pages.page_image` rebuilds it from the file and the
page's `PageResult` with the same functions OCR used.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from sapnhap.ocr.engine import recognise
from sapnhap.ocr.page import PageResult
from sapnhap.ocr.pages import OcrSettings, PageTask, page_image
from sapnhap.records.values import BBox

# Crops are enlarged so that their text is about TARGET_PX high, at most ENLARGE times (small text,
# about 20 px high, is read 3× larger; text already 50-60 px high is not enlarged, as enlarging it
# further loses marks again).
ENLARGE = 3.0
TARGET_PX = 60.0


def read_crop(
    image: Image.Image, bbox: BBox, languages: str = "vie", enlarge: float | None = None, psm: int = 7
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


class PageImageCropReader:
    """A `crop_reader` for `extract_document`: rebuilds each page image once (`page_image`) and
    reads crops of it (`read_crop`).

    tasks: page number → the `PageTask` the page was read from; results: page number → its
    `PageResult` (rotation, skew and size of the image its boxes are in).
    """

    def __init__(
        self,
        tasks: dict[int, PageTask],
        results: dict[int, PageResult],
        settings: OcrSettings | None = None,
        reader: Callable[[Image.Image, BBox], tuple[str, float | None]] | None = None,
    ) -> None:
        self.tasks = tasks
        self.results = results
        self.settings = settings or OcrSettings()
        self.reader = reader or (lambda image, bbox: read_crop(image, bbox, self.settings.languages))
        self._images: dict[int, Image.Image] = {}
        self.calls = 0

    def __call__(self, page_number: int, bbox: BBox) -> tuple[str, float | None]:
        """Read the box `bbox` of page `page_number` again (text, confidence)."""
        image = self._images.get(page_number)
        if image is None:
            image = page_image(self.tasks[page_number], self.results[page_number], self.settings)
            self._images[page_number] = image
        self.calls += 1
        return self.reader(image, bbox)
