"""sapnhap.ocr.pdf: page count, text layer (with its traps) and rendering, on generated and real PDFs."""

import unicodedata
from pathlib import Path

import numpy as np
import pdfplumber
import pytest
from pdfplumber.utils.exceptions import MalformedPDFException, PdfminerException

from sapnhap.ocr.pdf import (
    PdfDamaged,
    PdfPasswordRequired,
    page_size_points,
    pdf_page_count,
    read_text_layer,
    render_page,
    summarize_pdf,
)
from tests.badfiles import (
    BODY_LINES,
    HEADER_LINES,
    encrypted_empty_password_pdf,
    encrypted_password_pdf,
    jpeg_named_pdf,
    nfd_text_layer_pdf,
    rotated_text_layer_pdf,
    scan_with_prior_ocr_pdf,
    scan_with_signature_stamp_pdf,
    seal_image_text_pdf,
    sideways_text_layer_pdf,
    text_pdf,
    truncated_pdf,
)

INBOX = Path(__file__).resolve().parents[2] / "samples" / "inbox"
LINES = [*HEADER_LINES, *BODY_LINES]
A4 = (595.2756, 841.8898)


def _dark_share(image, box_pt, dpi):
    """Share of dark pixels inside a box given in points (left, top, width, height)."""
    scale = dpi / 72
    left, top, width, height = box_pt
    crop = image.convert("L").crop(
        (
            int(left * scale),
            int(top * scale),
            int((left + width) * scale) + 1,
            int((top + height) * scale) + 1,
        )
    )
    return float((np.asarray(crop) < 128).mean())


# --- page count -------------------------------------------------------------------------------


def test_page_count_of_generated_and_real_pdfs(tmp_path):
    assert pdf_page_count(text_pdf(tmp_path, LINES * 6)) == 2  # 36 lines, 30 a page
    assert pdf_page_count(INBOX / "21064" / "vietadmin_1.pdf") == 2
    assert pdf_page_count(INBOX / "21058" / "qngai_07-CT-2018_ccitt_stamp.pdf") == 4
    assert pdf_page_count(INBOX / "21085" / "vietocr_vietsample1.pdf") == 2


def test_page_count_errors(tmp_path):
    with pytest.raises(PdfPasswordRequired, match="password"):
        pdf_page_count(encrypted_password_pdf(tmp_path))
    with pytest.raises(PdfDamaged, match="truncated.pdf"):
        pdf_page_count(truncated_pdf(tmp_path))
    with pytest.raises(PdfDamaged):
        pdf_page_count(jpeg_named_pdf(tmp_path))
    with pytest.raises(FileNotFoundError):
        pdf_page_count(tmp_path / "missing.pdf")


def test_pdf_without_pages_is_not_mistaken_for_the_previous_error(tmp_path):
    """PDFium leaves its last error unchanged for a PDF that parses but has no pages."""
    from pypdf import PdfWriter

    empty = tmp_path / "no_pages.pdf"
    with open(empty, "wb") as handle:
        PdfWriter().write(handle)
    locked = encrypted_password_pdf(tmp_path)
    for _ in range(2):
        with pytest.raises(PdfPasswordRequired):
            pdf_page_count(locked)
        assert pdf_page_count(empty) == 0
        with pytest.raises(PdfDamaged, match="structure is corrupted"):
            pdf_page_count(truncated_pdf(tmp_path))
        assert summarize_pdf(empty).page_count == 0


def test_summary_flags_encryption_and_missing_eof(tmp_path):
    encrypted = summarize_pdf(encrypted_empty_password_pdf(tmp_path))
    assert (encrypted.page_count, encrypted.encrypted, encrypted.missing_eof) == (1, True, False)
    whole = text_pdf(tmp_path, LINES).read_bytes()
    cut = tmp_path / "cut_tail.pdf"
    cut.write_bytes(whole[: whole.rindex(b"%%EOF")])  # PDFium repairs this and finds the page
    summary = summarize_pdf(cut)
    assert (summary.page_count, summary.encrypted, summary.missing_eof) == (1, False, True)


# --- text layer: normal, NFD, rotated ---------------------------------------------------------


def test_born_digital_text_and_word_boxes(tmp_path):
    layer = read_text_layer(text_pdf(tmp_path, LINES), 0)
    assert (layer.usable, layer.reason, layer.detail) == (True, "text_layer_ok", "")
    assert layer.text.splitlines() == LINES
    assert (layer.width, layer.height) == pytest.approx(A4)
    first = layer.words[0]
    assert first.text == "CỘNG" and (first.block, first.line, first.confidence) == (0, 0, None)
    # drawn at x = 72 pt, baseline 72 pt below the top in 14 pt type
    assert first.left == pytest.approx(72, abs=0.5)
    assert 55 < first.top < 72 < first.top + first.height < 80
    assert [w.line for w in layer.words if w.text == "Bình"] == [2]


def test_fake_bold_double_printing_is_read_once(tmp_path):
    from reportlab.pdfgen import canvas

    from tests.badfiles import register_font

    path = tmp_path / "fake_bold.pdf"
    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.setFont(register_font(), 14)
    for i, line in enumerate(LINES):
        for dx in (0, 0.3):  # Word's "bold" for fonts without a bold face: print twice, shifted
            pdf.drawString(72 + dx, 770 - 22 * i, line)
    pdf.showPage()
    pdf.save()
    assert read_text_layer(path, 0).text.splitlines() == LINES


def test_nfd_text_layer_comes_out_nfc(tmp_path):
    path = nfd_text_layer_pdf(tmp_path)
    with pdfplumber.open(path) as pdf:  # the trap is real: pdfplumber returns the NFD text
        raw = pdf.pages[0].extract_text()
    assert not unicodedata.is_normalized("NFC", raw)
    layer = read_text_layer(path, 0)
    assert layer.reason == "text_layer_ok"
    assert layer.text == "\n".join(LINES)
    assert all(unicodedata.is_normalized("NFC", w.text) for w in layer.words)
    assert "Hường" in [w.text for w in layer.words]


def test_counter_rotated_page_reads_in_lines(tmp_path):
    """/Rotate 90 with counter-rotated content: displayed portrait, lines of words in order."""
    path = rotated_text_layer_pdf(tmp_path)
    layer = read_text_layer(path, 0)
    assert layer.reason == "text_layer_ok"
    assert layer.text.splitlines() == LINES
    assert (layer.width, layer.height) == pytest.approx(A4)
    assert page_size_points(path, 0) == pytest.approx(A4)
    image = render_page(path, 0, dpi=72)
    assert image.size == (596, 842)  # PDFium rounds the pixel size up
    word = next(w for w in layer.words if w.text == "NGHĨA")
    assert _dark_share(image, (word.left, word.top, word.width, word.height), 72) > 0.1


def test_sideways_page_reads_in_lines(tmp_path):
    """/Rotate 90 without counter-rotation (text runs down the displayed page): pdfplumber's default
    gives one word per line in reverse line order; we read whole lines, first line first."""
    path = sideways_text_layer_pdf(tmp_path)
    with pdfplumber.open(path) as pdf:
        default = pdf.pages[0].extract_text().splitlines()
    assert default[:3] == ["Sơ", "yếu", "lý"]  # the trap
    layer = read_text_layer(path, 0)
    assert layer.reason == "text_layer_ok"
    assert layer.text.splitlines() == LINES
    assert all(len(line.split()) >= 4 for line in layer.text.splitlines())
    # boxes are in the displayed (portrait) page, where the text runs top to bottom
    assert (layer.width, layer.height) == pytest.approx(A4)
    image = render_page(path, 0, dpi=72)
    word = next(w for w in layer.words if w.text == "CHỦ")
    assert word.height > word.width
    assert _dark_share(image, (word.left, word.top, word.width, word.height), 72) > 0.1
    assert _dark_share(image, (word.left - 200, word.top, word.width, word.height), 72) == 0


def test_crop_box_on_rotated_page_keeps_boxes_on_the_rendered_page(tmp_path):
    """Word boxes are relative to the CropBox of the displayed page, like the rendered image."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import RectangleObject

    reader = PdfReader(rotated_text_layer_pdf(tmp_path))
    writer = PdfWriter(clone_from=reader)
    writer.pages[0].cropbox = RectangleObject((20, 40, 262, 595))  # MediaBox is 841.89 × 595.28 pt
    path = tmp_path / "cropped.pdf"
    with open(path, "wb") as handle:
        writer.write(handle)
    layer = read_text_layer(path, 0)
    # CropBox x 20..262, y 40..595 pt of the landscape MediaBox; /Rotate 90 makes x run downwards
    assert (layer.width, layer.height) == pytest.approx((555, 242), abs=0.01)
    assert layer.text.splitlines()[0] == LINES[0]
    image = render_page(path, 0, dpi=72)
    assert image.size == (555, 242)
    for text in ("CỘNG", "Hạnh", "Minh"):
        word = next(w for w in layer.words if w.text == text)
        assert _dark_share(image, (word.left, word.top, word.width, word.height), 72) > 0.1


# --- text layer: encryption and errors --------------------------------------------------------


def test_encrypted_empty_password_is_read(tmp_path):
    path = encrypted_empty_password_pdf(tmp_path)
    with pytest.raises(PdfminerException), pdfplumber.open(path) as pdf:  # the trap is real
        pdf.pages[0].extract_text()
    layer = read_text_layer(path, 0)
    assert (layer.usable, layer.reason) == (True, "text_layer_ok")
    assert layer.text.splitlines() == LINES


def test_password_required_and_damaged_do_not_raise(tmp_path):
    layer = read_text_layer(encrypted_password_pdf(tmp_path), 0)
    assert (layer.usable, layer.reason) == (False, "password_required")
    assert "password" in layer.detail
    damaged = read_text_layer(truncated_pdf(tmp_path), 0)
    assert (damaged.usable, damaged.reason) == (False, "text_layer_error")
    assert "PdfDamaged" in damaged.detail
    assert "truncated.pdf" not in damaged.detail and "encrypted_password" not in layer.detail


def test_page_index_out_of_range(tmp_path):
    path = text_pdf(tmp_path, LINES)
    with pytest.raises(IndexError, match="1 page"):
        read_text_layer(path, 1)
    with pytest.raises(IndexError):
        render_page(path, -1, dpi=72)


# --- text layer quality reasons ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "reason"),
    [
        (["(cid:3)(cid:17)(cid:42)(cid:5) (cid:8)(cid:9)(cid:11)"] * 6, "cid_tokens"),
        (["Céng hoµ x· héi chñ nghÜa ViÖt Nam", "§éc lËp - Tù do - H¹nh phóc"] * 3, "legacy_encoding_tcvn3"),
        (
            ["Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam", "Ñoäc laäp - Töï do - Haïnh phuùc"] * 3,
            "legacy_encoding_vni",
        ),
        (
            ["Agaaaaa: AAAA AAA/Aaabaaab 77-2A8A-2076", "AabaaAA aambaa6 Aabba7 Aabababa ab"] * 4,
            "scrambled_text",
        ),
        (["Số: 12/UBND"], "no_text_layer"),
        ([], "no_text_layer"),
    ],
)
def test_unusable_text_layers(tmp_path, lines, reason):
    layer = read_text_layer(text_pdf(tmp_path, lines), 0)
    assert (layer.usable, layer.reason) == (False, reason)
    assert layer.detail


def test_scanned_pages_with_prior_text_must_be_ocrd(tmp_path):
    prior = read_text_layer(scan_with_prior_ocr_pdf(tmp_path), 0)
    assert (prior.usable, prior.reason) == (False, "image_page_prior_text_layer")
    assert "CONG HOA XA HOI" in prior.text and "invisible" in prior.detail
    stamp = read_text_layer(scan_with_signature_stamp_pdf(tmp_path), 0)
    assert (stamp.usable, stamp.reason) == (False, "image_page_prior_text_layer")
    assert "stamp" in stamp.detail


def test_small_seal_image_keeps_text_layer(tmp_path):
    layer = read_text_layer(seal_image_text_pdf(tmp_path), 0)
    assert (layer.usable, layer.reason) == (True, "text_layer_ok")
    assert layer.text.splitlines() == LINES


def test_full_page_background_with_long_visible_text_is_usable(tmp_path):
    """A page-size background picture under plenty of real, visible text is not a scan."""
    from PIL import Image

    from tests.badfiles import scan_pdf

    long_lines = LINES * 4  # 24 lines, > 300 letters
    background = Image.new("RGB", (200, 283), (250, 245, 230))
    path = scan_pdf(tmp_path / "background.pdf", background, long_lines, text_mode=0)
    layer = read_text_layer(path, 0)
    assert (layer.usable, layer.reason) == (True, "text_layer_ok")


# --- real files shipped in samples/ -----------------------------------------------------------


def test_real_scan_with_junk_ocr_layer():
    path = INBOX / "21064" / "vietadmin_1.pdf"
    layers = [read_text_layer(path, i) for i in range(pdf_page_count(path))]
    assert [layer.reason for layer in layers] == ["image_page_prior_text_layer"] * 2
    assert not any(layer.usable for layer in layers)
    assert "CONG" in layers[0].text  # the junk layer, kept for diagnosis


def test_real_born_digital_vietnamese():
    path = INBOX / "21085" / "qngai_11-TB-2025_born_digital.pdf"
    layer = read_text_layer(path, 0)
    assert (layer.usable, layer.reason) == (True, "text_layer_ok")
    assert "Quảng Ngãi" in layer.text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in layer.text
    assert unicodedata.is_normalized("NFC", layer.text)
    assert len(layer.words) > 300
    assert all(0 <= w.left <= layer.width and 0 <= w.top <= layer.height for w in layer.words)


def test_real_encrypted_empty_password_vietnamese():
    layer = read_text_layer(INBOX / "21085" / "vietocr_vietsample1.pdf", 0)
    assert (layer.usable, layer.reason) == (True, "text_layer_ok")
    assert layer.text.splitlines()[:2] == ["Áo Lụa Hà Đông", "Nguyên Sa"]


def test_real_signed_scan_whose_annotations_raise():
    path = INBOX / "21058" / "qngai_07-CT-2018_ccitt_stamp.pdf"
    with pdfplumber.open(path) as pdf:  # the trap is real: reading annotations raises
        with pytest.raises(MalformedPDFException):
            for page in pdf.pages:
                page.annots  # noqa: B018
    for index in range(pdf_page_count(path)):
        layer = read_text_layer(path, index)
        assert (layer.usable, layer.reason) == (False, "no_text_layer")


# --- rendering --------------------------------------------------------------------------------


def test_render_page_modes_and_size(tmp_path):
    path = text_pdf(tmp_path, LINES)
    rgb = render_page(path, 0, dpi=100)
    assert rgb.mode == "RGB" and rgb.size == (827, 1170)  # 595.28 × 841.89 pt at 100/72, rounded up
    assert rgb.info["dpi"] == (100, 100)
    gray = render_page(path, 0, dpi=50, grayscale=True)
    assert gray.mode == "L" and gray.size == (414, 585)
    pixels = np.asarray(gray)
    assert pixels.max() == 255 and pixels.min() < 80  # white page, dark text
    with pytest.raises(ValueError):
        render_page(path, 0, dpi=0)


def test_render_real_scan_page():
    image = render_page(INBOX / "21064" / "vietadmin_1.pdf", 1, dpi=72, grayscale=True)
    assert image.size == (598, 842)
    image.load()
    assert 0 < float((np.asarray(image) < 128).mean()) < 0.3
