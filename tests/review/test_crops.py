"""Page images and field crops rendered into the archive (`sapnhap.review.images`)."""

from __future__ import annotations

import logging

from PIL import Image, ImageDraw

from sapnhap.ocr.page import PageResult
from sapnhap.review.images import (
    MARGIN,
    PAGE_WIDTH,
    TEXT_LAYER_DPI,
    FieldBox,
    PageRef,
    render_field_images,
    render_page_images,
)
from tests import badfiles

A4_PT = (595.2755905511812, 841.8897637795277)


def scanned_page(path, size=(2480, 3508)) -> None:
    """A white A4 page at 300 dpi with a black bar where the field was read."""
    image = Image.new("RGB", size, "white")
    ImageDraw.Draw(image).rectangle((400, 600, 1000, 660), fill="black")
    image.save(path, dpi=(300, 300))


def box(path, sha="ab" * 32, **extra) -> FieldBox:
    page = PageResult(
        file_sha256=sha, page_number=1, method="ocr", reason="image_file", width=2480, height=3508, dpi=300
    )
    return FieldBox(
        sha, str(path), "png", page, **{"left": 400, "top": 600, "width": 600, "height": 60, **extra}
    )


def test_page_and_crop_are_written_as_the_ocr_saw_them(tmp_path):
    scanned_page(tmp_path / "scan.png")
    written = render_field_images(
        {"field:a|person|birth_date": box(tmp_path / "scan.png")}, tmp_path / "review"
    )
    images = written["field:a|person|birth_date"]
    assert images.page_image == tmp_path / "review" / "pages" / ("ab" * 32) / "1.png"
    page, crop = Image.open(images.page_image), Image.open(images.crop)
    assert page.width == PAGE_WIDTH and page.height == round(3508 * PAGE_WIDTH / 2480)
    assert crop.size == (600 + 2 * MARGIN, 60 + 2 * MARGIN)
    # The field's box is black in the crop (the bar), its margin white.
    assert crop.convert("L").getpixel((MARGIN + 300, MARGIN + 30)) < 50
    assert crop.convert("L").getpixel((5, 5)) > 200
    # Rendered again: the files are reused, not rewritten.
    stamp = images.crop.stat().st_mtime_ns
    again = render_field_images(
        {"field:a|person|birth_date": box(tmp_path / "scan.png")}, tmp_path / "review"
    )
    assert again["field:a|person|birth_date"].crop.stat().st_mtime_ns == stamp


def test_a_missing_original_is_skipped_not_raised(tmp_path, caplog):
    written = render_field_images(
        {"field:b|person|full_name": box(tmp_path / "gone.png", sha="cd" * 32)}, tmp_path
    )
    assert written == {}
    assert "page image of cdcdcdcdcdcdcdcd p.1 not rebuilt: FileNotFoundError" in caplog.text


def test_a_box_outside_the_page_gives_the_page_but_no_crop(tmp_path, caplog):
    scanned_page(tmp_path / "scan.png")
    outside = box(tmp_path / "scan.png", left=5000, top=6000)
    assert render_field_images({"field:c|person|sex": outside}, tmp_path / "review") == {}
    assert (tmp_path / "review" / "pages" / ("ab" * 32) / "1.png").is_file()
    assert "field box outside page abababababababab p.1: no crop" in caplog.text


def text_layer_page(path, sha="ef" * 32, number=1, method="text_layer") -> PageRef:
    """The stored result of a born-digital A4 page read from its text layer (sizes in points)."""
    page = PageResult(
        file_sha256=sha, page_number=number, method=method, reason="text_layer_ok", width=A4_PT[0],
        height=A4_PT[1], box_unit="pt",
    )  # fmt: skip
    return PageRef(sha, str(path) if path else None, "pdf", page)


def test_a_text_layer_page_is_rendered_from_its_pdf_and_reused(tmp_path):
    pdf = badfiles.text_pdf(tmp_path, badfiles.HEADER_LINES)
    pages = {
        "record:x": {"page_image": text_layer_page(pdf)},
        "merge:x|y": {"page_image_left": text_layer_page(pdf)},
    }
    written = render_page_images(pages, tmp_path / "review")
    path = tmp_path / "review" / "pages" / ("ef" * 32) / "1.png"
    assert written == {"record:x": {"page_image": path}, "merge:x|y": {"page_image_left": path}}
    image = Image.open(path)
    # A4 at TEXT_LAYER_DPI (150): 1240.2 × 1753.9 px, rounded up by PDFium; under PAGE_WIDTH, grey.
    assert TEXT_LAYER_DPI == 150 and image.size == (1241, 1754)
    assert image.width <= PAGE_WIDTH and image.mode == "L"
    # The first line (14 pt, baseline 1 inch from the top, 1 inch in) is dark; the corner white.
    line = image.crop((150, 120, 700, 160))
    assert line.getextrema()[0] < 60 and image.getpixel((20, 20)) == 255
    stamp = path.stat().st_mtime_ns
    assert render_page_images(pages, tmp_path / "review") == written
    assert path.stat().st_mtime_ns == stamp and len(list((tmp_path / "review").rglob("*.png"))) == 1


def test_a_spreadsheet_page_has_no_page_image_and_no_error(tmp_path, caplog):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["STT", "Họ và tên"])
    book.save(tmp_path / "so.xlsx")
    page = PageResult(
        file_sha256="cd" * 32, page_number=1, method="text_layer", reason="xlsx:Sheet", width=2.0,
        height=1.0, box_unit="cell",
    )  # fmt: skip
    with caplog.at_level(logging.INFO, logger="sapnhap.review.images"):
        written = render_page_images(
            {"record:x": {"page_image": PageRef("cd" * 32, str(tmp_path / "so.xlsx"), "xlsx", page)}},
            tmp_path / "review",
        )
    assert written == {} and not (tmp_path / "review").exists()
    assert [r.levelname for r in caplog.records] == ["INFO"] and "born-digital register" in caplog.text


def test_an_ocr_page_is_the_one_its_field_crops_share(tmp_path):
    scanned_page(tmp_path / "scan.png")
    field = box(tmp_path / "scan.png")
    fields = render_field_images({"field:a|person|birth_date": field}, tmp_path / "review")
    stamp = fields["field:a|person|birth_date"].page_image.stat().st_mtime_ns
    ref = PageRef(field.file_sha256, field.archive_path, field.kind, field.page)
    pages = render_page_images({"record:a": {"page_image": ref}}, tmp_path / "review")
    assert pages["record:a"]["page_image"] == fields["field:a|person|birth_date"].page_image
    assert pages["record:a"]["page_image"].stat().st_mtime_ns == stamp
    # Rendered alone (no field first), the page is the same picture.
    alone = render_page_images({"record:a": {"page_image": ref}}, tmp_path / "alone")
    assert Image.open(alone["record:a"]["page_image"]).size == (PAGE_WIDTH, round(3508 * PAGE_WIDTH / 2480))
    # The bar, scaled down with the page.
    assert Image.open(alone["record:a"]["page_image"]).convert("L").getpixel((400, 405)) < 50


def test_a_text_layer_field_crop_is_scaled_from_points(tmp_path):
    pdf = badfiles.text_pdf(tmp_path, badfiles.HEADER_LINES)
    ref = text_layer_page(pdf)
    # The first line's box in points: 1 inch in, its 14 pt glyphs above the baseline 1 inch down.
    field = FieldBox(ref.file_sha256, str(pdf), "pdf", ref.page, left=72, top=58, width=200, height=18)
    images = render_field_images({"field:t|document|registration_place": field}, tmp_path / "review")
    crop = Image.open(images["field:t|document|registration_place"].crop)
    scale = TEXT_LAYER_DPI / 72
    assert crop.size == (
        int(272 * scale) - int(72 * scale) + 2 * MARGIN,
        int(76 * scale) - int(58 * scale) + 2 * MARGIN,
    )
    assert crop.getextrema()[0] < 60  # the words are in it
    assert images["field:t|document|registration_place"].page_image.is_file()


def test_failed_and_missing_pages_are_skipped_and_logged_by_hash_and_page_only(tmp_path, caplog):
    pdf = badfiles.text_pdf(tmp_path, badfiles.HEADER_LINES)
    pages = {
        "record:failed": {"page_image": text_layer_page(pdf, sha="01" * 32, number=2, method="failed")},
        "record:gone": {"page_image": text_layer_page(tmp_path / "gone.pdf", sha="02" * 32)},
        "record:unarchived": {"page_image": text_layer_page(None, sha="03" * 32)},
        "merge:a|b": {
            "page_image_left": text_layer_page(pdf),
            "page_image_right": text_layer_page(tmp_path / "gone.pdf", sha="02" * 32),
        },
    }
    written = render_page_images(pages, tmp_path / "review")
    assert written == {
        "merge:a|b": {"page_image_left": tmp_path / "review" / "pages" / ("ef" * 32) / "1.png"}
    }
    assert sorted(r.getMessage() for r in caplog.records) == [
        "page image of 0101010101010101 p.2 not rebuilt: the page was not read (failed)",
        "page image of 0202020202020202 p.1 not rebuilt: FileNotFoundError",
        "page image of 0303030303030303 p.1 not rebuilt: the file is not in the archive",
    ]
    assert not (tmp_path / "review" / "pages" / ("01" * 32)).exists()
