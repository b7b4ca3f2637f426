"""Builders for small bad and edge-case input files, shared by the unit and end-to-end tests.

Every function takes a directory, writes one file into it and returns the file's Path. Nothing here
imports pytest, so any test (or a demo script) can call these with a `tmp_path`. The Vietnamese text
is real administrative wording; every string is NFC unless a function says otherwise.

Fonts: DejaVu Sans (`fonts-dejavu-core`), which has every Vietnamese glyph, is used both for the
PDF text layers (reportlab embeds a TrueType subset with a ToUnicode map) and for the text drawn
into raster images (Pillow), large and black on white so that Tesseract `vie` reads it.
"""

from __future__ import annotations

import io
import unicodedata
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT_PATH = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
FONT_NAME = "DejaVuSans"

HEADER_LINES = (
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "Ủy ban nhân dân xã Bình Minh",
)
BODY_LINES = (
    "Căn cứ Luật Tổ chức chính quyền địa phương",
    "Giấy khai sinh của công dân Nguyễn Thị Hường",
    "Sơ yếu lý lịch cán bộ, công chức cấp xã",
)
TIFF_PAGE_TEXTS = ("Trang một", "Trang hai", "Trang ba")
IMAGE_TEXT = ("Ủy ban nhân dân", "xã Bình Minh")
USER_PASSWORD = "matkhau-2025"

# Pixel sizes for raster text: about 20 pt type at 300 dpi, clearly inside Tesseract's range.
_IMAGE_FONT_PX = 80
_IMAGE_DPI = 300


def register_font() -> str:
    """Register DejaVu Sans with reportlab once and return its font name."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT_NAME, str(FONT_PATH)))
    return FONT_NAME


def _text_image(lines: Sequence[str], size: tuple[int, int] = (1400, 420)) -> Image.Image:
    """Return an "L" image, black DejaVu Sans text lines on white, left-aligned with margins."""
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(FONT_PATH), _IMAGE_FONT_PX)
    for i, line in enumerate(lines):
        draw.text((60, 60 + i * int(_IMAGE_FONT_PX * 1.5)), line, font=font, fill=0)
    return image


def _pdf_bytes(lines: Sequence[str], lines_per_page: int = 30) -> bytes:
    """Return an A4 born-digital PDF with `lines` in 14 pt DejaVu Sans, `lines_per_page` a page."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    font = register_font()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    width, height = A4
    chunks = [lines[i : i + lines_per_page] for i in range(0, len(lines), lines_per_page)] or [[]]
    for chunk in chunks:
        pdf.setFont(font, 14)
        for i, line in enumerate(chunk):
            pdf.drawString(72, height - 72 - 22 * i, line)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def text_pdf(directory: Path, lines: Sequence[str], name: str = "born_digital.pdf") -> Path:
    """Write a normal born-digital A4 PDF, one text line per entry of `lines` (30 lines a page)."""
    path = Path(directory) / name
    path.write_bytes(_pdf_bytes(lines))
    return path


def zero_byte(directory: Path) -> Path:
    """Write an empty file named like a PDF."""
    path = Path(directory) / "empty.pdf"
    path.write_bytes(b"")
    return path


def jpeg_named_pdf(directory: Path) -> Path:
    """Write a real JPEG (readable Vietnamese text, 300 dpi) under a `.pdf` name."""
    path = Path(directory) / "scan_really_a_jpeg.pdf"
    _text_image(IMAGE_TEXT).convert("RGB").save(path, format="JPEG", quality=92, dpi=(300, 300))
    return path


def truncated_pdf(directory: Path) -> Path:
    """Write a three-page born-digital PDF cut to the first half of its bytes (no xref, no %%EOF)."""
    data = _pdf_bytes([*HEADER_LINES, *BODY_LINES] * 10, lines_per_page=10)
    path = Path(directory) / "truncated.pdf"
    path.write_bytes(data[: len(data) // 2])
    return path


def pdf_without_eof(directory: Path, name: str = "cut_at_the_end.pdf") -> Path:
    """Write a two-page born-digital PDF cut just before its `%%EOF` marker (a download stopped at
    the last bytes): PDFium repairs it and finds both pages, intake quarantines it as pdf_damaged."""
    data = _pdf_bytes([*HEADER_LINES, *BODY_LINES] * 4, lines_per_page=20)
    path = Path(directory) / name
    path.write_bytes(data[: data.rindex(b"%%EOF")])
    return path


def _encrypted_pdf_bytes(user_password: str, permissions_flag: int, algorithm: str) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(_pdf_bytes([*HEADER_LINES, *BODY_LINES]))))
    writer.encrypt(
        user_password=user_password,
        owner_password="owner-secret",
        permissions_flag=permissions_flag,
        algorithm=algorithm,
    )
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def encrypted_empty_password_pdf(directory: Path) -> Path:
    """Write an RC4-128 encrypted PDF that opens with an EMPTY user password, permission flags /P 0.

    It reproduces pdfminer.six 20260107's failure: pdfminer reads /P 0 as the unsigned value 2**32
    (`uint_value(0, 32)` adds 2**32 to anything not positive), then `struct.pack("<L", p)` raises
    `struct.error: 'L' format requires 0 <= number <= 4294967295`, which pdfplumber re-raises as
    `PdfminerException` on the first page access. PDFium opens the same file without complaint.
    Real files with /P 0 come from tools that set "no permissions" for the owner-restricted copy.
    The text is `HEADER_LINES + BODY_LINES` on one page.
    """
    path = Path(directory) / "encrypted_empty_password.pdf"
    path.write_bytes(_encrypted_pdf_bytes("", 0, "RC4-128"))
    return path


def encrypted_password_pdf(directory: Path) -> Path:
    """Write an AES-128 encrypted PDF that needs the user password `USER_PASSWORD` to open."""
    path = Path(directory) / "encrypted_password.pdf"
    path.write_bytes(_encrypted_pdf_bytes(USER_PASSWORD, -1, "AES-128"))
    return path


def docx_file(directory: Path) -> Path:
    """Write a real minimal Word (.docx, OOXML zip) document with one Vietnamese paragraph."""
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/word/document.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
        "</Types>"
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="word/document.xml"/>'
        "</Relationships>"
    )
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body><w:p><w:r><w:t>{HEADER_LINES[2]}</w:t></w:r></w:p></w:body></w:document>"
    )
    path = Path(directory) / "bien_ban_ban_giao.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", rels)
        archive.writestr("word/document.xml", document)
    return path


def zip_archive(directory: Path) -> Path:
    """Write a ZIP archive holding a PDF (a hand-over zipped up): not a format the pipeline reads."""
    path = Path(directory) / "ho_so_nen.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("ho_so/trich_luc.pdf", _pdf_bytes(HEADER_LINES[:2]))
    return path


def one_pixel_png(directory: Path) -> Path:
    """Write a valid 1×1 px white PNG (decodes fine, too small to hold any text)."""
    path = Path(directory) / "one_pixel.png"
    Image.new("L", (1, 1), 255).save(path, format="PNG")
    return path


def three_page_tiff(directory: Path) -> Path:
    """Write a 3-frame LZW TIFF at 300 dpi; frame i shows `TIFF_PAGE_TEXTS[i]` ("Trang một"...)."""
    frames = [_text_image([text], size=(1100, 260)) for text in TIFF_PAGE_TEXTS]
    path = Path(directory) / "ho_so_3_trang.tif"
    frames[0].save(
        path,
        format="TIFF",
        save_all=True,
        append_images=frames[1:],
        compression="tiff_lzw",
        dpi=(_IMAGE_DPI, _IMAGE_DPI),
    )
    return path


def cmyk_jpeg(directory: Path) -> Path:
    """Write a CMYK JPEG (as print workflows and some scanners produce) showing `IMAGE_TEXT`."""
    path = Path(directory) / "cmyk.jpg"
    _text_image(IMAGE_TEXT).convert("RGB").convert("CMYK").save(
        path, format="JPEG", quality=95, dpi=(_IMAGE_DPI, _IMAGE_DPI)
    )
    return path


def sixteen_bit_png(directory: Path) -> Path:
    """Write a 16-bit grayscale PNG showing `IMAGE_TEXT`, using only the range 1000..3000.

    Real 16-bit scans rarely span the full 0..65535 range; here ink is 1000 and paper 3000, so a
    naive `>> 8` conversion would give a nearly black image (values 3..11), while scaling the real
    range gives black text on white paper.
    """
    gray = np.asarray(_text_image(IMAGE_TEXT), dtype=np.float64) / 255.0
    sixteen = (1000 + gray * 2000).round().astype(np.uint16)
    path = Path(directory) / "sixteen_bit.png"
    Image.fromarray(sixteen).save(path, format="PNG", dpi=(_IMAGE_DPI, _IMAGE_DPI))
    return path


def rotated_text_layer_pdf(directory: Path) -> Path:
    """Write a page stored landscape with /Rotate 90 and counter-rotated text, so it reads upright.

    The MediaBox is 842×595 pt (landscape); /Rotate 90 turns it into a displayed A4 portrait page
    (595×842 pt), and the content is drawn rotated 90° counter-clockwise, so a viewer shows the
    lines `HEADER_LINES + BODY_LINES` upright, top to bottom, several words a line. This is how
    scanners and "print to PDF" drivers store a portrait page on a landscape medium.
    """
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    font = register_font()
    width, height = A4  # the displayed page
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setPageRotation(90)  # reportlab then writes MediaBox [0 0 842 595]
    pdf.translate(height, 0)
    pdf.rotate(90)
    pdf.setFont(font, 14)
    for i, line in enumerate([*HEADER_LINES, *BODY_LINES]):
        pdf.drawString(72, height - 72 - 22 * i, line)
    pdf.showPage()
    pdf.save()
    path = Path(directory) / "rotated_text_layer.pdf"
    path.write_bytes(buffer.getvalue())
    return path


def sideways_text_layer_pdf(directory: Path) -> Path:
    """Write a landscape page given /Rotate 90 WITHOUT counter-rotating its content.

    The viewer shows the text running top to bottom (like pdfplumber's
    `nics-background-checks-2015-11-rotated.pdf`); pdfplumber's default extraction then gives one
    word per line. The text lines are `HEADER_LINES + BODY_LINES`, laid out on the 842×595 pt
    landscape MediaBox.
    """
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    font = register_font()
    width, height = A4
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setPageRotation(90)
    pdf.setFont(font, 14)
    for i, line in enumerate([*HEADER_LINES, *BODY_LINES]):
        pdf.drawString(72, width - 72 - 22 * i, line)
    pdf.showPage()
    pdf.save()
    path = Path(directory) / "sideways_text_layer.pdf"
    path.write_bytes(buffer.getvalue())
    return path


def nfd_text_layer_pdf(directory: Path) -> Path:
    """Write a born-digital PDF whose text layer is NFD (base letters + combining tone marks).

    Each line of `HEADER_LINES + BODY_LINES` is decomposed with `unicodedata.normalize("NFD")`
    before drawing, so the PDF's ToUnicode map yields e.g. `e` U+0302 U+0301 instead of `ế`.
    """
    decomposed = [unicodedata.normalize("NFD", line) for line in (*HEADER_LINES, *BODY_LINES)]
    assert any(line != unicodedata.normalize("NFC", line) for line in decomposed)
    return text_pdf(directory, decomposed, name="nfd_text_layer.pdf")


def _scan_image(lines: Sequence[str], dpi: int = 100) -> Image.Image:
    """An A4 "scan" at `dpi`: white page, black DejaVu Sans lines from 1 inch down, 1 inch in."""
    size = (round(8.27 * dpi), round(11.69 * dpi))
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(FONT_PATH), round(dpi * 14 / 72))
    for i, line in enumerate(lines):
        draw.text((dpi, dpi + i * round(dpi * 22 / 72)), line, font=font, fill=0)
    return image


def scan_pdf(
    path: Path,
    image: Image.Image,
    text_lines: Sequence[str],
    text_mode: int,
    text_before_image: bool = False,
    image_box: tuple[float, float, float, float] | None = None,
) -> Path:
    """A4 page with `image` drawn at `image_box` (x, y, w, h in pt; default the whole page) and
    `text_lines` in 14 pt DejaVu Sans with PDF text render mode `text_mode` (0 fill, 3 invisible)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    font = register_font()
    width, height = A4
    pdf = canvas.Canvas(str(path), pagesize=A4)

    def draw_text() -> None:
        text = pdf.beginText()
        text.setTextRenderMode(text_mode)
        text.setFont(font, 14)
        for i, line in enumerate(text_lines):
            text.setTextOrigin(72, height - 72 - 12 - 22 * i)
            text.textOut(line)
        pdf.drawText(text)

    if text_before_image:
        draw_text()
    x, y, w, h = image_box or (0, 0, width, height)
    pdf.drawImage(ImageReader(image), x, y, w, h)
    if not text_before_image:
        draw_text()
    pdf.showPage()
    pdf.save()
    return path


def scan_with_prior_ocr_pdf(directory: Path) -> Path:
    """Write a scanned page (full-page image of `HEADER_LINES + BODY_LINES`) with an invisible OCR
    layer (render mode 3) that lost every diacritic, like `samples/inbox/21064/vietadmin_1.pdf`."""
    lines = [*HEADER_LINES, *BODY_LINES]
    junk = [unicodedata.normalize("NFD", line).encode("ascii", "ignore").decode() for line in lines]
    path = Path(directory) / "scan_with_prior_ocr.pdf"
    return scan_pdf(path, _scan_image(lines), junk, text_mode=3)


def scan_with_signature_stamp_pdf(directory: Path) -> Path:
    """Write a scanned page whose only text is a visible digital-signature stamp (Quảng Ngãi style)."""
    stamp = ["Ký bởi: Ủy ban nhân dân xã Bình Minh", "Thời gian ký: 05/01/2025 09:21:26 +07:00"]
    path = Path(directory) / "scan_with_signature_stamp.pdf"
    return scan_pdf(path, _scan_image([*HEADER_LINES, *BODY_LINES]), stamp, text_mode=0)


def seal_image_text_pdf(directory: Path) -> Path:
    """Write a born-digital page (visible text `HEADER_LINES + BODY_LINES`) with a small red seal
    image (about 1.5 inch across) near the bottom, as Word exports of signed documents have."""
    seal = Image.new("RGB", (300, 300), (255, 255, 255))
    ImageDraw.Draw(seal).ellipse((10, 10, 290, 290), outline=(200, 0, 0), width=12)
    path = Path(directory) / "seal_image_text.pdf"
    return scan_pdf(path, seal, [*HEADER_LINES, *BODY_LINES], text_mode=0, image_box=(380, 150, 110, 110))


# --- hostile inputs: each must be accounted for, none may stall or crash a run ---------------------


def bomb_tiff(directory: Path) -> Path:
    """A tiny TIFF whose header declares 60,000 × 60,000 px (3.6 gigapixels): a decompression bomb."""
    buffer = io.BytesIO()
    Image.new("L", (64, 64), 255).save(buffer, format="TIFF")
    data = bytearray(buffer.getvalue())
    assert data[:4] == b"II*\x00"
    ifd = int.from_bytes(data[4:8], "little")
    for i in range(int.from_bytes(data[ifd : ifd + 2], "little")):
        entry = ifd + 2 + 12 * i
        tag, kind = (
            int.from_bytes(data[entry : entry + 2], "little"),
            int.from_bytes(data[entry + 2 : entry + 4], "little"),
        )
        if tag in (256, 257):  # ImageWidth, ImageLength (SHORT or LONG)
            data[entry + 8 : entry + 12] = (
                (60_000).to_bytes(2 if kind == 3 else 4, "little").ljust(4, b"\x00")
            )
    path = Path(directory) / "bomb.tif"
    path.write_bytes(bytes(data))
    return path


def huge_declared_jpeg(directory: Path) -> Path:
    """A small JPEG whose frame header (SOF0) declares 65,000 × 65,000 px."""
    buffer = io.BytesIO()
    Image.new("L", (64, 64), 255).save(buffer, format="JPEG")
    data = bytearray(buffer.getvalue())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = (65_000).to_bytes(2, "big") * 2  # height, width
    path = Path(directory) / "huge_declared.jpg"
    path.write_bytes(bytes(data))
    return path


def many_pages_pdf(directory: Path, pages: int = 10_000) -> Path:
    """A valid PDF of `pages` blank pages (about 1.3 MB for 10,000)."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument.new()
    for _ in range(pages):
        document.new_page(595, 842)
    path = Path(directory) / f"{pages}_pages.pdf"
    document.save(path)
    document.close()
    return path


def corrupt_xlsx(directory: Path) -> Path:
    """A ZIP named .xlsx holding no workbook: a damaged spreadsheet."""
    path = Path(directory) / "so_dang_ky_hong.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "not xml at all")
    return path


def tcvn3_csv(directory: Path) -> Path:
    """A register exported as CSV in the legacy TCVN3 (ABC) encoding: Vietnamese letters in the
    0x80-0xFF range of a font-hack code page, unreadable as UTF-8."""
    path = Path(directory) / "so_ho_tich_tcvn3.csv"
    path.write_bytes(b"STT,Ho va ten,Ngay sinh\n1," + bytes([0xA7, 0xB5, 0x6E, 0x67]) + b",01/02/1990\n")
    return path


def text_file(directory: Path) -> Path:
    """A plain text note (not a format the pipeline reads)."""
    path = Path(directory) / "ghi_chu.txt"
    path.write_text("Bàn giao hồ sơ ngày 30/6/2025\n", encoding="utf-8")
    return path


def html_named_pdf(directory: Path) -> Path:
    """A web page saved with a .pdf name."""
    path = Path(directory) / "trang_web.pdf"
    path.write_text("<!DOCTYPE html><html><body>Thông báo</body></html>", encoding="utf-8")
    return path
