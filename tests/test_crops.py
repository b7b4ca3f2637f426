"""Page images and field crops rendered into the archive (`sapnhap.crops`)."""

from __future__ import annotations

from PIL import Image, ImageDraw

from sapnhap.crops import MARGIN, PAGE_WIDTH, FieldBox, render_field_images
from sapnhap.page import PageResult


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
