"""Register-book pages and spreadsheet registers for the generator and the tests.

A register page (`RegisterPage`) is a title, one header row and 5–20 rows of registrations, laid out
in columns on a landscape A4 page. It is written three ways, as a commune hands registers over:

- `register_image(page, dpi)`: the page as a scanner sees it (white page, black text in columns,
  rules under the header and the rows), for a scanned PDF, TIFF or JPEG;
- `register_pdf(pages)`: a born-digital PDF whose text layer holds the words in their columns;
- `register_xlsx(pages)`: a workbook, one sheet per page, a merged title row, the header row, the
  rows (what an office keeping its register in Excel hands over).

Column widths follow the widest text of each column (DejaVu Sans 9 pt), so columns never overlap.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
PAGE_PT = (842.0, 595.0)  # A4 landscape
MARGIN_PT = 24.0
FONT_PT = 8.0
GAP_PT = 11.0  # between columns: wider than a line is high, so cells split there
ROW_PT = 20.0


@dataclass(frozen=True)
class RegisterPage:
    """One page of a register: its title, the header cells and the rows' cells (text as printed)."""

    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def _width(text: str, size: float = FONT_PT, bold: bool = False) -> float:
    return ImageFont.truetype(_BOLD if bold else _FONT, size=size * 10).getlength(text) / 10


def column_lefts(page: RegisterPage) -> list[float]:
    """Each column's left edge in points from the page's left edge.

    Raises:
        ValueError: when the columns do not fit the landscape page's width.
    """
    widths = [
        max([_width(h, bold=True)] + [_width(r[i]) for r in page.rows if i < len(r)])
        for i, h in enumerate(page.headers)
    ]
    lefts, x = [], MARGIN_PT
    for w in widths:
        lefts.append(x)
        x += w + GAP_PT
    if x - GAP_PT > PAGE_PT[0] - MARGIN_PT:
        raise ValueError(
            f"the register's columns are {x - GAP_PT:.0f} pt wide; the page holds {PAGE_PT[0]:.0f}"
        )
    return lefts


def register_image(page: RegisterPage, dpi: int = 300) -> Image.Image:
    """The page rendered at `dpi` in grey (`L`), as scanned: title, header, rows, rules between rows."""
    scale = dpi / 72.0
    image = Image.new("L", (round(PAGE_PT[0] * scale), round(PAGE_PT[1] * scale)), 255)
    draw = ImageDraw.Draw(image)
    lefts = column_lefts(page)
    font = ImageFont.truetype(_FONT, size=round(FONT_PT * scale))
    bold = ImageFont.truetype(_BOLD, size=round(FONT_PT * scale))
    title = ImageFont.truetype(_BOLD, size=round(13 * scale))
    y = MARGIN_PT
    draw.text((PAGE_PT[0] * scale / 2, y * scale), page.title, font=title, fill=0, anchor="mt")
    y += 34
    right = (lefts[-1] + max(_width(r[-1]) for r in page.rows) + 4) * scale if page.rows else image.width
    for cells, face in [(page.headers, bold), *((r, font) for r in page.rows)]:
        for left, text in zip(lefts, cells, strict=False):
            draw.text((left * scale, y * scale), text, font=face, fill=0)
        y += ROW_PT
        rule = (y - 6) * scale
        draw.line([(MARGIN_PT * scale, rule), (right, rule)], fill=120, width=max(1, round(scale / 2)))
    return image


def register_pdf(pages: list[RegisterPage]) -> bytes:
    """A born-digital PDF, one landscape page per register page, its words in the text layer."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    for name, path in (("RegSans", _FONT), ("RegSans-Bold", _BOLD)):
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, path))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=PAGE_PT, invariant=1)
    for page in pages:
        lefts = column_lefts(page)
        y = PAGE_PT[1] - MARGIN_PT - 13
        pdf.setFont("RegSans-Bold", 13)
        pdf.drawCentredString(PAGE_PT[0] / 2, y, page.title)
        y -= 34
        for cells, face in [(page.headers, "RegSans-Bold"), *((r, "RegSans") for r in page.rows)]:
            pdf.setFont(face, FONT_PT)
            for left, text in zip(lefts, cells, strict=False):
                if text:
                    pdf.drawString(left, y, text)
            y -= ROW_PT
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def register_xlsx(pages: list[RegisterPage]) -> bytes:
    """A workbook, one sheet per page: a merged title row, the header row, then the rows."""
    import openpyxl

    book = openpyxl.Workbook()
    for i, page in enumerate(pages):
        sheet = book.active if i == 0 else book.create_sheet()
        sheet.title = f"Trang {i + 1}"
        sheet.append([page.title])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(page.headers))
        sheet.append(list(page.headers))
        for row in page.rows:
            sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


BIRTH_HEADERS = (
    "STT", "Họ và tên", "Ngày sinh", "Giới tính", "Số ĐDCN", "Họ tên mẹ", "Họ tên cha", "Nơi cư trú",
    "Số ĐK", "Ngày ĐK",
)  # fmt: skip
# What each column of BIRTH_HEADERS holds: (role, field) of the ground truth; role "" for the row's own.
BIRTH_COLUMNS = (
    ("", "row_number"), ("child", "full_name"), ("child", "birth_date"), ("child", "sex"),
    ("child", "personal_id"), ("mother", "full_name"), ("father", "full_name"), ("child", "residence"),
    ("", "registration_number"), ("", "registration_date"),
)  # fmt: skip


def _dmy(iso: str) -> str:
    """An ISO date as a register writes it: `2019-02-01` → `01/02/2019`."""
    year, month, day = iso.split("-")
    return f"{day}/{month}/{year}"


def birth_register_page(docs: list, title: str = "SỔ ĐĂNG KÝ KHAI SINH") -> RegisterPage:
    """A birth register page of planned birth extracts (`sapnhap.samples.templates.DocumentPlan`s of
    type birth_registration), one row each, columns BIRTH_HEADERS; the residence is the mother's,
    cut to its first two parts (village, commune) as registers abbreviate it; dates as dd/mm/yyyy."""
    rows = []
    for number, doc in enumerate(docs, 1):
        people = {p.role: p for p in doc.people}
        child, mother, father = people["child"], people["mother"], people["father"]
        residence = ", ".join(mother.printed("residence").split(", ")[:2])
        rows.append(
            (
                str(number),
                child.printed("full_name"),
                _dmy(child.fields["birth_date"][1]),
                child.printed("sex"),
                child.printed("personal_id"),
                mother.printed("full_name"),
                father.printed("full_name"),
                residence,
                doc.extra["registration_number"][0],
                _dmy(doc.extra["registration_date"][1]),
            )  # fmt: skip
        )
    return RegisterPage(title, BIRTH_HEADERS, tuple(rows))
