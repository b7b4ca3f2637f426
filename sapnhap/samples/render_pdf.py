"""PDF and other non-image writers of the sample renderer (reportlab; a dev dependency).

Every PDF is made with `canvas.Canvas(..., invariant=1)`: reportlab then writes fixed dates and a
fixed document ID, so the same input gives the same bytes. Page coordinates follow reportlab
(points, origin bottom-left); the layout from `render.layout_page` is measured from the top.
"""

from __future__ import annotations

import hashlib
import io
import random
from pathlib import Path

from PIL import Image
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from sapnhap.samples.model import Line, PageSpec, Segment
from sapnhap.samples.render import (
    PAGE_HEIGHT_PT,
    PAGE_WIDTH_PT,
    SEAL_RGB,
    FontSet,
    encode_jpeg,
    layout_page,
    render_clean,
    seal_centre_pt,
    seal_mask,
)
from sapnhap.samples.render_tcvn3 import to_tcvn3

TCVN3_JPEG_QUALITY = 90
# Resolution (dots per inch) of the seal image drawn on born-digital pages.
DIGITAL_SEAL_DPI = 300
TEXT_RENDER_INVISIBLE = 3


def _font_name(path: Path) -> str:
    """Register the TrueType file with reportlab once (embedded as a subset) and return its name."""
    path = Path(path)
    name = f"Sapnhap-{path.stem}-{hashlib.sha1(str(path).encode()).hexdigest()[:6]}"
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(name, str(path)))
    return name


def _new_canvas(buffer: io.BytesIO, encrypt: StandardEncryption | None = None) -> canvas.Canvas:
    pdf = canvas.Canvas(
        buffer, pagesize=(PAGE_WIDTH_PT, PAGE_HEIGHT_PT), invariant=1, pageCompression=1, encrypt=encrypt
    )
    pdf.setCreator("sapnhap sample generator")
    return pdf


def scanned_pdf(scans: list[tuple[bytes, int, int, int]]) -> bytes:
    """A scanned PDF: per page (JPEG bytes, width px, height px, dpi), the JPEG embedded as is
    (DCTDecode) and filling a page of width px / dpi × 72 points by height px / dpi × 72 points."""
    buffer = io.BytesIO()
    pdf = _new_canvas(buffer)
    for jpeg, width, height, dpi in scans:
        size = (width / dpi * 72, height / dpi * 72)
        pdf.setPageSize(size)
        pdf.drawImage(ImageReader(io.BytesIO(jpeg)), 0, 0, width=size[0], height=size[1])
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _draw_text_page(pdf: canvas.Canvas, spec: PageSpec, fonts: FontSet) -> None:
    """Draw `spec` as real text (one text object per line, segments joined by a space in the
    preceding segment's font), positioned as `layout_page`, and its seal as an image multiplied over."""
    lines = layout_page(spec, fonts)
    for line in lines:
        if not line.segments:
            continue
        text = pdf.beginText(line.x_pt, PAGE_HEIGHT_PT - line.baseline_pt)
        for position, seg in enumerate(line.segments):
            if position:
                prev = line.segments[position - 1]
                text.setFont(_font_name(prev.font_path), prev.size_pt)
                text.textOut(" ")
            for run in seg.runs:
                text.setFont(_font_name(run.font_path), seg.size_pt)
                text.textOut(run.text)
        pdf.drawText(text)
    if spec.seal_line is not None:
        cx, cy = seal_centre_pt(spec, lines)
        mask = seal_mask(spec.seal_text, DIGITAL_SEAL_DPI, fonts)
        ink = Image.new("RGB", mask.size, SEAL_RGB)
        ink.putalpha(mask)
        side = mask.width / DIGITAL_SEAL_DPI * 72
        pdf.saveState()
        pdf.setBlendMode("Multiply")
        pdf.drawImage(
            ImageReader(ink), cx - side / 2, PAGE_HEIGHT_PT - cy - side / 2, side, side, mask="auto"
        )
        pdf.restoreState()


def digital_pdf(pages: list[PageSpec], fonts: FontSet) -> bytes:
    """A born-digital A4 PDF of `pages`: DejaVu TrueType subsets embedded (with ToUnicode maps), a
    real text layer laid out as `render_clean`, the seal as an image."""
    buffer = io.BytesIO()
    pdf = _new_canvas(buffer)
    for spec in pages:
        _draw_text_page(pdf, spec, fonts)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def tcvn3_pdf(pages: list[PageSpec], dpis: list[int], fonts: FontSet) -> bytes:
    """A PDF as an office typing in a TCVN3 (ABC) font left it: each page shows the clean page image
    (`render_clean` at its dpi, JPEG quality `TCVN3_JPEG_QUALITY`), and under it an invisible text
    layer (render mode 3) holding each line's TCVN3 byte codes as Latin-1 characters, set in the label
    font on the line's baseline and stretched to the line's width."""
    buffer = io.BytesIO()
    pdf = _new_canvas(buffer)
    font = _font_name(fonts.label)
    for spec, dpi in zip(pages, dpis, strict=True):
        image = render_clean(spec, dpi, fonts)
        jpeg = encode_jpeg(image, TCVN3_JPEG_QUALITY, dpi)
        pdf.drawImage(ImageReader(io.BytesIO(jpeg)), 0, 0, width=PAGE_WIDTH_PT, height=PAGE_HEIGHT_PT)
        for placed, line in zip(layout_page(spec, fonts), spec.lines, strict=True):
            legacy = to_tcvn3(line.text)
            if not legacy:
                continue
            natural = pdfmetrics.stringWidth(legacy, font, placed.size_pt)
            text = pdf.beginText(placed.x_pt, PAGE_HEIGHT_PT - placed.baseline_pt)
            text.setTextRenderMode(TEXT_RENDER_INVISIBLE)
            text.setFont(font, placed.size_pt)
            text.setHorizScale(100 * placed.width_pt / natural if natural else 100)
            text.textOut(legacy)
            pdf.drawText(text)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


_FILLER = (
    "Ủy ban nhân dân xã Gia Tân",
    "Giấy xác nhận nơi cư trú",
    "Họ, chữ đệm, tên: Trần Văn Bình",
    "Nơi cư trú: Thôn Đông, Xã Gia Tân",
    "Ngày cấp: 12/05/2019",
    "Cán bộ tư pháp - hộ tịch",
)


def filler_page(rng: random.Random) -> PageSpec:
    """A short plain page of administrative wording, the lines in an order chosen by `rng`."""
    lines = list(_FILLER)
    rng.shuffle(lines)
    return PageSpec(tuple(Line((Segment(text),)) for text in lines))


def password_pdf(spec: PageSpec, fonts: FontSet, password: str = "matkhau-2025") -> bytes:
    """A born-digital PDF of `spec` encrypted (RC4 128-bit, revision 3: deterministic under
    reportlab's invariant mode) with the non-empty user password `password`."""
    buffer = io.BytesIO()
    pdf = _new_canvas(buffer, StandardEncryption(password, ownerPassword="chu-so-huu", strength=128))
    _draw_text_page(pdf, spec, fonts)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


_OLE2_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")


def legacy_doc(rng: random.Random) -> bytes:
    """The first 4 KiB of a legacy Word .doc as intake sees it: an OLE2 compound-file header
    (magic, version 3, little-endian byte order, 512-byte sectors) followed by `rng` filler bytes."""
    header = bytearray(512)
    header[0:8] = _OLE2_MAGIC
    header[0x18:0x1A] = (0x3E).to_bytes(2, "little")  # minor version
    header[0x1A:0x1C] = (3).to_bytes(2, "little")  # major version 3
    header[0x1C:0x1E] = bytes.fromhex("FEFF")  # byte order mark
    header[0x1E:0x20] = (9).to_bytes(2, "little")  # sector size 2^9
    header[0x20:0x22] = (6).to_bytes(2, "little")  # mini sector size 2^6
    body = bytes(rng.getrandbits(8) for _ in range(4096 - 512))
    return bytes(header) + body.replace(b"%PDF-", b"%PDX-")
