"""Shapes shared by the sample generator's parts: what a page says, and how it was scanned.

A generated document is a list of `PageSpec` (the text as the template lays it out, with each
segment's role so that labels and typed values can be set in different fonts) plus, per page, the
`ScanEffects` a hurried scanning office gave it. Renderers turn these into files; the ground truth
records both, so every effect on every page is known.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

SegmentRole = Literal["motto", "title", "header", "label", "value", "plain"]
Align = Literal["left", "center", "right"]
Rotation = Literal[0, 90, 180, 270]
FileFormat = Literal["jpeg", "png", "tiff", "pdf_scan", "pdf_digital", "pdf_tcvn3"]
BrokenKind = Literal["empty", "truncated_pdf", "password_pdf", "unsupported", "tiny_image"]


@dataclass(frozen=True)
class Segment:
    """A run of text on a line. `role` picks the font: labels are printed on the form (serif),
    values are typed in by the clerk (sans or monospace), the motto and title are bold capitals."""

    text: str
    role: SegmentRole = "plain"


@dataclass(frozen=True)
class Line:
    """One printed line, top to bottom; segments are laid out left to right with one space between."""

    segments: tuple[Segment, ...]
    align: Align = "left"

    @property
    def text(self) -> str:
        """The line's text as a reader (or a perfect OCR) would give it: segments joined by one space."""
        return " ".join(s.text for s in self.segments if s.text)


@dataclass(frozen=True)
class PageSpec:
    """What one page says, in reading order. `seal_line` is the index of the line the red round seal
    is stamped over (None: no seal on this page)."""

    lines: tuple[Line, ...]
    seal_line: int | None = None
    seal_text: str = ""

    @property
    def text(self) -> str:
        """The page's true text: one line per printed line, NFC, as OCR should read it."""
        return "\n".join(line.text for line in self.lines)


@dataclass(frozen=True)
class ScanEffects:
    """How one page was scanned. Units: dpi in dots per inch; skew in degrees, counter-clockwise
    positive; rotation in degrees clockwise as the sheet lay on the scanner (0, 90, 180, 270);
    speckle as the share of pixels turned to noise (0–0.05); blur as a Gaussian radius in pixels at
    the scan's dpi; jpeg_quality 1–95 or None for lossless; grayscale False keeps colour (needed for
    a red seal to stay red)."""

    dpi: int = 300
    skew_degrees: float = 0.0
    rotation: Rotation = 0
    speckle: float = 0.0
    blur_radius: float = 0.0
    jpeg_quality: int | None = None
    grayscale: bool = False

    def as_dict(self) -> dict:
        """Plain dict for the ground truth (JSON)."""
        return asdict(self)


@dataclass
class RenderedFile:
    """A file as written to the inbox: its bytes, extension (without dot) and, per page, the true text
    and effects. `text_layer` says what a PDF's text layer holds: "none", "unicode" or "tcvn3"."""

    data: bytes
    extension: str
    page_texts: list[str] = field(default_factory=list)
    page_effects: list[ScanEffects] = field(default_factory=list)
    text_layer: str = "none"


@dataclass(frozen=True)
class Address:
    """Where a person lives, in both forms of the two-level reform of 1 July 2025.

    `village` is the thôn / xóm / tổ dân phố; the former commune, district and province are the units
    before 2025-07-01 (codes with vintage `pre2025`), the new commune and province those after it
    (vintage `post2025`). A document dated before 2025-07-01 writes the former form
    (`Thôn Đông, Xã Gia Tân, Huyện Gia Viễn, Tỉnh Ninh Bình`), one dated on or after it the new form
    (`Thôn Đông, Xã Gia Vân, Tỉnh Ninh Bình`).
    """

    village: str
    former_commune_code: str
    former_commune_name: str
    former_district_code: str
    former_district_name: str
    former_province_name: str
    new_commune_code: str
    new_commune_name: str
    new_province_name: str

    def former_form(self) -> str:
        """The address as written before 2025-07-01: village, commune, district, province."""
        return ", ".join(
            (self.village, self.former_commune_name, self.former_district_name, self.former_province_name)
        )

    def new_form(self) -> str:
        """The address as written from 2025-07-01: village, commune, province (no district)."""
        return ", ".join((self.village, self.new_commune_name, self.new_province_name))
