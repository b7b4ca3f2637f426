"""Page images and field crops for archivists, rendered into the archive (Dagster-free).

An archivist deciding an uncertain OCR reading wants to see the page and the field as the OCR saw
them. `render_field_images` rebuilds the OCR'd page image from the archived original exactly as it
was read (`sapnhap.extraction_crops.ocr_page_image`: grey, red ink out, enlarged, turned upright,
deskewed, so the stored boxes fall on the words) and writes, under `<archive>/review/`:

- `pages/<file SHA-256>/<page>.png`: the page, at most `PAGE_WIDTH` px wide (made once per page);
- `crops/<file SHA-256>/<page>-<left>-<top>-<width>-<height>.png`: the field's box with a margin.

Both are derived views; the original in the archive is never touched.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from sapnhap.extraction_crops import ocr_page_image
from sapnhap.ocr.pages import OcrSettings, PageTask
from sapnhap.page import PageResult

logger = logging.getLogger(__name__)

PAGE_WIDTH = 1600
"""Page images are scaled down to at most this many pixels wide (PNG, grey)."""
MARGIN = 24
"""Pixels of page kept around a field's box in its crop."""


@dataclass(frozen=True)
class FieldBox:
    """Where a field was read: the archived file (path, kind "pdf"/"tiff"/"jpeg"/"png", SHA-256), its
    page (1-based) as OCR'd (`page`: the page's stored OCR result, for its rotation, skew and size)
    and the box in the page image's pixels."""

    file_sha256: str
    archive_path: str
    kind: str
    page: PageResult
    left: float
    top: float
    width: float
    height: float


@dataclass(frozen=True)
class FieldImages:
    """The page image and the field crop written for one field (absolute paths)."""

    page_image: Path
    crop: Path


def render_field_images(
    boxes: dict[str, FieldBox], out_dir: str | Path, settings: OcrSettings | None = None
) -> dict[str, FieldImages]:
    """Write the page image and the crop of each field of `boxes` (key → `FieldBox`) under
    `out_dir` (see the module docstring); returns key → `FieldImages` for those written. A page that
    cannot be rebuilt (its original gone from the archive, an unreadable file), or a box that falls
    outside its page, is skipped and logged with its file hash and page only; images already written
    are reused."""
    out_dir = Path(out_dir)
    settings = settings or OcrSettings()
    images: dict[tuple[str, int], Image.Image | None] = {}
    written: dict[str, FieldImages] = {}
    for key, box in sorted(boxes.items()):
        number = box.page.page_number
        page_path = out_dir / "pages" / box.file_sha256 / f"{number}.png"
        crop_path = (
            out_dir
            / "crops"
            / box.file_sha256
            / f"{number}-{box.left:.0f}-{box.top:.0f}-{box.width:.0f}-{box.height:.0f}.png"
        )
        if page_path.exists() and crop_path.exists():
            written[key] = FieldImages(page_path, crop_path)
            continue
        if (box.file_sha256, number) not in images:
            images[(box.file_sha256, number)] = _page_image(box, settings)
        image = images[(box.file_sha256, number)]
        if image is None:
            continue
        page_path.parent.mkdir(parents=True, exist_ok=True)
        if not page_path.exists():
            scale = min(1.0, PAGE_WIDTH / image.width)
            shown = (
                image if scale == 1.0 else image.resize((int(image.width * scale), int(image.height * scale)))
            )
            shown.save(page_path, optimize=True)
        left, top = max(0, int(box.left) - MARGIN), max(0, int(box.top) - MARGIN)
        right = min(image.width, int(box.left + box.width) + MARGIN)
        bottom = min(image.height, int(box.top + box.height) + MARGIN)
        if right <= left or bottom <= top:
            # A box outside the rebuilt page (the page's stored size and the image disagree): the page
            # image is still there for the archivist; no crop rather than a wrong one.
            logger.warning("field box outside page %s p.%d: no crop", box.file_sha256[:16], number)
            continue
        crop_path.parent.mkdir(parents=True, exist_ok=True)
        image.crop((left, top, right, bottom)).save(crop_path, optimize=True)
        written[key] = FieldImages(page_path, crop_path)
    return written


def _page_image(box: FieldBox, settings: OcrSettings) -> Image.Image | None:
    task = PageTask(box.file_sha256, box.archive_path, box.kind, box.page.page_number - 1)
    try:
        return ocr_page_image(task, box.page, settings)
    except Exception as exc:  # the original missing or unreadable: no picture, the item still stands
        logger.warning(
            "page image of %s p.%d not rebuilt: %s",
            box.file_sha256[:16],
            box.page.page_number,
            type(exc).__name__,
        )
        return None


__all__ = ["MARGIN", "PAGE_WIDTH", "FieldBox", "FieldImages", "render_field_images"]
