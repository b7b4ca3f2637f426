"""Data shapes shared by the page-level stages (text layer, OCR, loading).

A page is identified by the SHA-256 of the file it comes from and its 1-based page number in that
file. Every text field is Unicode NFC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

PageMethod = Literal["text_layer", "ocr", "failed"]


@dataclass(frozen=True)
class Word:
    """One word with its box on the page.

    Boxes are in the page's own unit (`PageResult.box_unit`): pixels of the image that was OCR'd
    (after orientation and deskew) for OCR pages, PDF points (1/72 inch) of the displayed page for
    text-layer pages. `confidence` is Tesseract's word confidence in 0..100, or None for a text layer.
    """

    text: str
    left: float
    top: float
    width: float
    height: float
    confidence: float | None = None
    block: int = 0
    line: int = 0


@dataclass
class PageResult:
    """What the page stage produced for one page.

    `method` is "text_layer" when the PDF's own text was used, "ocr" when the page image was
    OCR'd, "failed" when neither worked (then `error` says why; the page is still recorded).
    `reason` says why the method was chosen (e.g. "text_layer_ok", "no_text_layer", "cid_tokens",
    "legacy_encoding_tcvn3", "image_file"). `mean_confidence` is the mean word confidence 0..100
    for OCR pages, None otherwise. `rotation` is the clockwise angle in degrees (0/90/180/270) that
    was applied to set the page upright; `skew_degrees` the small-angle correction applied.
    """

    file_sha256: str
    page_number: int
    method: PageMethod
    reason: str
    text: str = ""
    mean_confidence: float | None = None
    engine: str = ""
    engine_version: str = ""
    languages: str = ""
    dpi: int | None = None
    width: float | None = None
    height: float | None = None
    box_unit: Literal["px", "pt", "cell", "char"] = "px"
    image_sha256: str | None = None
    rotation: int = 0
    rotation_method: str = ""
    skew_degrees: float = 0.0
    words: list[Word] = field(default_factory=list)
    error: str | None = None
    cached: bool = False
    seconds: float = 0.0

    def to_row(self) -> dict:
        """Return a flat dict (words as a list of dicts) for a DataFrame or a database row."""
        row = asdict(self)
        row["words"] = [asdict(w) for w in self.words]
        return row

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> PageResult:
        """The page result a `to_row` dict stands for (words as dicts), e.g. read back from JSON.

        Raises:
            TypeError, KeyError: the dict is not a page result's.
        """
        data = dict(row)
        data["words"] = [Word(**w) for w in data["words"]]
        return cls(**data)
