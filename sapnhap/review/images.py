"""Page images and field crops for archivists, rendered into the archive (Dagster-free).

An archivist deciding a review item wants to see the page (and, for an uncertain reading, the field)
as the pipeline read it. Pages are rebuilt from the archived original by the page's method:

- a page read by OCR (method "ocr"): the OCR'd page image, exactly as it was read
  (`sapnhap.ocr.pages.page_image`: grey, red ink out, enlarged, turned upright, deskewed,
  so the stored pixel boxes fall on the words);
- a born-digital page read from its PDF text layer (method "text_layer"): the PDF page rendered grey
  at `TEXT_LAYER_DPI` (its boxes, in PDF points, scaled by `TEXT_LAYER_DPI` / 72);
- a page whose reading failed (method "failed") has no image: it is skipped and logged.

Written under `<archive>/review/`:

- `pages/<file SHA-256>/<page>.png`: the page, at most `PAGE_WIDTH` px wide (made once per page and
  shared by every item on it: an uncertain field, a quarantined record, either side of a pair);
- `crops/<file SHA-256>/<page>-<left>-<top>-<width>-<height>.png`: the field's box with a margin
  (`render_field_images`; the box in the page's own unit).

Both are derived views; the original in the archive is never touched. Logs name a page by its file
hash (first 16 characters) and page number only, never by what is written on it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from sapnhap.ocr.page import PageResult
from sapnhap.ocr.pages import OcrSettings, PageTask, page_image
from sapnhap.ocr.sheets import CELL_UNIT, CHAR_UNIT

logger = logging.getLogger(__name__)

PAGE_WIDTH = 1600
"""Page images are scaled down to at most this many pixels wide (PNG, grey)."""
MARGIN = 24
"""Pixels of page kept around a field's box in its crop."""
TEXT_LAYER_DPI = 150
"""Resolution a born-digital (text-layer) PDF page is rendered at for archivists (A4: 1240 px wide)."""


@dataclass(frozen=True)
class FieldBox:
    """Where a field was read: the archived file (path, kind "pdf"/"tiff"/"jpeg"/"png", SHA-256), its
    page (1-based) as read (`page`: the page's stored result, for its method, rotation, skew and
    size) and the box in the page's own unit: pixels of the OCR'd image for an OCR page, PDF points
    (1/72 inch) of the displayed page for a text-layer page."""

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

    def paths(self) -> dict[str, Path]:
        """The two as evidence keys → path (`sapnhap.review.queue.attach_images`)."""
        return {"crop": self.crop, "page_image": self.page_image}


@dataclass(frozen=True)
class PageRef:
    """A page to show an archivist: the file's SHA-256, its path in the archive (None when it is not
    archived), its kind ("pdf"/"tiff"/"jpeg"/"png") and the page's stored result (`page`: 1-based
    `page_number`, `method` "ocr"/"text_layer"/"failed", rotation, skew and size)."""

    file_sha256: str
    archive_path: str | None
    kind: str
    page: PageResult


def page_image_path(out_dir: str | Path, file_sha256: str, page_number: int) -> Path:
    """Where the image of page `page_number` (1-based) of file `file_sha256` goes under `out_dir`:
    `pages/<file SHA-256>/<page>.png`."""
    return Path(out_dir) / "pages" / file_sha256 / f"{page_number}.png"


def render_field_images(
    boxes: dict[str, FieldBox], out_dir: str | Path, settings: OcrSettings | None = None
) -> dict[str, FieldImages]:
    """Write the page image and the crop of each field of `boxes` (key → `FieldBox`) under
    `out_dir` (see the module docstring); returns key → `FieldImages` for those written. A page that
    cannot be rebuilt (its original gone from the archive, an unreadable file, a failed page), or a
    box that falls outside its page, is skipped and logged with its file hash and page only; images
    already written are reused."""
    out_dir = Path(out_dir)
    settings = settings or OcrSettings()
    images: dict[tuple[str, int], tuple[Image.Image, float] | None] = {}
    written: dict[str, FieldImages] = {}
    for key, box in sorted(boxes.items()):
        number = box.page.page_number
        page_path = page_image_path(out_dir, box.file_sha256, number)
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
            ref = PageRef(box.file_sha256, box.archive_path, box.kind, box.page)
            images[(box.file_sha256, number)] = _page_image(ref, settings)
        rebuilt = images[(box.file_sha256, number)]
        if rebuilt is None:
            continue
        image, scale = rebuilt
        if not page_path.exists():
            _save_page(image, page_path)
        left, top = max(0, int(box.left * scale) - MARGIN), max(0, int(box.top * scale) - MARGIN)
        right = min(image.width, int((box.left + box.width) * scale) + MARGIN)
        bottom = min(image.height, int((box.top + box.height) * scale) + MARGIN)
        if right <= left or bottom <= top:
            # A box outside the rebuilt page (the page's stored size and the image disagree): the page
            # image is still there for the archivist; no crop rather than a wrong one.
            logger.warning("field box outside page %s p.%d: no crop", box.file_sha256[:16], number)
            continue
        crop_path.parent.mkdir(parents=True, exist_ok=True)
        image.crop((left, top, right, bottom)).save(crop_path, optimize=True)
        written[key] = FieldImages(page_path, crop_path)
    return written


def render_page_images(
    pages: Mapping[str, Mapping[str, PageRef]],
    out_dir: str | Path,
    settings: OcrSettings | None = None,
) -> dict[str, dict[str, Path]]:
    """Write the image of each page of `pages` (item id → name → `PageRef`, e.g. `{"merge:a|b":
    {"page_image_left": ..., "page_image_right": ...}}`) under `out_dir` as
    `pages/<file SHA-256>/<page>.png` (see the module docstring): an OCR page rebuilt as the OCR saw
    it, a text-layer page rendered from its PDF at `TEXT_LAYER_DPI`, grey, at most `PAGE_WIDTH` px
    wide. Each page is made once, however many items show it, and an image already on disk (made
    for an uncertain field, or by an earlier run) is reused, not rewritten.

    Returns item id → name → absolute path of the page image, for the pages that have one; an item
    none of whose pages could be shown is left out. A failed page, a file not in the archive (or gone
    from it) or one that cannot be read is skipped and logged (file hash and page only); nothing is
    raised for them.

    `settings`: the OCR settings the pages were read with (their render resolution and red-ink
    removal, for OCR pages); default `OcrSettings()`.
    """
    out_dir = Path(out_dir)
    settings = settings or OcrSettings()
    done: dict[tuple[str, int], Path | None] = {}
    out: dict[str, dict[str, Path]] = {}
    for item, refs in sorted(pages.items()):
        for name, ref in sorted(refs.items()):
            key = (ref.file_sha256, ref.page.page_number)
            if key not in done:
                path = page_image_path(out_dir, *key)
                if not path.exists():
                    rebuilt = _page_image(ref, settings)
                    if rebuilt is not None:
                        _save_page(rebuilt[0], path)
                done[key] = path if path.exists() else None
            if done[key] is not None:
                out.setdefault(item, {})[name] = done[key]
    return out


def _save_page(image: Image.Image, path: Path) -> None:
    """Save `image` at `path` as PNG, scaled down to at most `PAGE_WIDTH` px wide."""
    scale = min(1.0, PAGE_WIDTH / image.width)
    shown = image if scale == 1.0 else image.resize((int(image.width * scale), int(image.height * scale)))
    path.parent.mkdir(parents=True, exist_ok=True)
    shown.save(path, optimize=True)


def _page_image(ref: PageRef, settings: OcrSettings) -> tuple[Image.Image, float] | None:
    """The page rebuilt from its original as it was read, with the pixels per unit of its boxes
    (1 for an OCR page, `TEXT_LAYER_DPI` / 72 for a text-layer page); None (logged) when it cannot
    be, and for a page of a spreadsheet or word-processor file (box unit `cell` or `char`), which
    has no picture."""
    sha, number, method = ref.file_sha256, ref.page.page_number, ref.page.method
    if method not in ("ocr", "text_layer"):
        logger.warning(
            "page image of %s p.%d not rebuilt: the page was not read (%s)", sha[:16], number, method
        )
        return None
    if not ref.archive_path:
        logger.warning("page image of %s p.%d not rebuilt: the file is not in the archive", sha[:16], number)
        return None
    if ref.page.box_unit in (CELL_UNIT, CHAR_UNIT):
        # A spreadsheet or word-processor page has no picture: its cell (sheet, row, column) is shown.
        logger.info("page %s p.%d is a born-digital register page: no page image", sha[:16], number)
        return None
    try:
        if method == "text_layer":
            from sapnhap.ocr.pdf import render_page

            image = render_page(Path(ref.archive_path), number - 1, TEXT_LAYER_DPI, grayscale=True)
            return image, TEXT_LAYER_DPI / 72
        task = PageTask(sha, ref.archive_path, ref.kind, number - 1)
        return page_image(task, ref.page, settings), 1.0
    except Exception as exc:  # the original missing or unreadable: no picture, the item still stands
        logger.warning("page image of %s p.%d not rebuilt: %s", sha[:16], number, type(exc).__name__)
        return None


__all__ = [
    "MARGIN",
    "PAGE_WIDTH",
    "TEXT_LAYER_DPI",
    "FieldBox",
    "FieldImages",
    "PageRef",
    "page_image_path",
    "render_field_images",
    "render_page_images",
]
