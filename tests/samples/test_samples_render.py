"""The sample renderer: page layout, scan effects, every file format, broken files, and OCR of a page."""

from __future__ import annotations

import hashlib
import os
import random
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pdfplumber
import pytest
from PIL import Image, ImageChops

from sapnhap.intake.files import inspect_file
from sapnhap.ocr import OcrSettings, PageTask, process_page
from sapnhap.ocr.geometry import estimate_skew
from sapnhap.ocr.images import frame_dpi, image_frame_count, load_frame
from sapnhap.ocr.pdf import page_size_points, pdf_page_count, read_text_layer
from sapnhap.samples.files import broken_file, write_file
from sapnhap.samples.model import Line, PageSpec, ScanEffects, Segment
from sapnhap.samples.render import (
    MARGIN_X_PT,
    PAGE_WIDTH_PT,
    FontMissingError,
    FontSet,
    apply_scan_effects,
    layout_page,
    page_size_px,
    render_clean,
)
from sapnhap.samples.render_tcvn3 import to_tcvn3
from sapnhap.text import character_error_rate, legacy_encoding, nfc

FORMATS = ["jpeg", "png", "tiff", "pdf_scan", "pdf_digital", "pdf_tcvn3"]


def _line(*segments: tuple[str, str], align: str = "left") -> Line:
    return Line(tuple(Segment(text, role) for text, role in segments), align)  # type: ignore[arg-type]


# Ten lines of a residence declaration: motto, title, labels with typed values, date, signature.
FORM = PageSpec(
    (
        _line(("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "motto"), align="center"),
        _line(("Độc lập - Tự do - Hạnh phúc", "header"), align="center"),
        _line(("TỜ KHAI THAY ĐỔI THÔNG TIN CƯ TRÚ", "title"), align="center"),
        _line(("Kính gửi:", "label"), ("Công an xã Gia Tân", "value")),
        _line(("Họ, chữ đệm, tên:", "label"), ("Nguyễn Thị Hương", "value")),
        _line(("Ngày, tháng, năm sinh:", "label"), ("21/09/1973", "value")),
        _line(("Nơi cư trú:", "label"), ("Thôn Đông, Xã Gia Tân, Huyện Gia Viễn, Tỉnh Ninh Bình", "value")),
        _line(("Nội dung đề nghị:", "label"), ("Đăng ký thường trú", "value")),
        _line(("Gia Tân, ngày 05 tháng 03 năm 2024", "plain"), align="right"),
        _line(("CHỦ TỊCH", "header"), align="right"),
    )
)
SEALED = replace(FORM, seal_line=9, seal_text="Ủy ban nhân dân xã Gia Tân")
DPI = 150  # most checks run at 150 dpi to stay fast


def _ink_rows(image: Image.Image, threshold: int = 128) -> np.ndarray:
    """Row indices holding dark pixels."""
    return np.nonzero((np.asarray(image.convert("L")) < threshold).any(axis=1))[0]


def _red_pixels(image: Image.Image) -> np.ndarray:
    rgb = np.asarray(image.convert("RGB")).astype(int)
    return (rgb[..., 0] > 150) & (rgb[..., 1] < 100) & (rgb[..., 2] < 100)


def _write(tmp_path: Path, data: bytes, extension: str, name: str = "file") -> Path:
    path = tmp_path / f"{name}.{extension}"
    path.write_bytes(data)
    return path


# --- fonts and layout ----------------------------------------------------------------------------


def test_missing_font_names_the_package(tmp_path):
    with pytest.raises(FontMissingError, match="fonts-dejavu-core"):
        FontSet.dejavu(font_dir=tmp_path)


def test_clean_page_is_a4_white_rgb_at_dpi():
    image = render_clean(FORM, 300)
    assert image.size == page_size_px(300) == (2480, 3508)
    assert image.mode == "RGB"
    assert image.info["dpi"] == (300, 300)
    assert image.getpixel((5, 5)) == (255, 255, 255)
    rows = _ink_rows(image)
    # Top margin 15 mm (177 px at 300 dpi): the motto's ink starts just below it.
    assert 177 <= rows.min() < 177 + 60
    columns = np.nonzero((np.asarray(image.convert("L")) < 128).any(axis=0))[0]
    assert columns.min() >= round(20 / 25.4 * 300) - 2  # left margin 20 mm
    assert columns.max() <= 2480 - round(20 / 25.4 * 300) + 2  # right margin 20 mm


def test_alignment_of_centred_and_right_lines():
    lines = layout_page(FORM)
    motto, date = lines[0], lines[8]
    assert motto.x_pt + motto.width_pt / 2 == pytest.approx(PAGE_WIDTH_PT / 2)
    assert date.x_pt + date.width_pt == pytest.approx(PAGE_WIDTH_PT - MARGIN_X_PT)
    assert lines[3].x_pt == pytest.approx(MARGIN_X_PT)
    # Values are set in another face than labels.
    label, value = lines[4].segments
    assert label.font_path != value.font_path
    assert lines[0].segments[0].font_path.name == "DejaVuSerif-Bold.ttf"


def test_mono_values_fall_back_for_missing_vietnamese_letters():
    fonts = FontSet.dejavu("mono")
    value = layout_page(FORM, fonts)[4].segments[1]  # "Nguyễn Thị Hương": ễ is not in DejaVu Sans Mono
    assert [(run.text, run.font_path.name) for run in value.runs] == [
        ("Nguy", "DejaVuSansMono.ttf"),
        ("ễ", "DejaVuSans.ttf"),
        ("n Thị Hương", "DejaVuSansMono.ttf"),
    ]


def test_line_too_wide_is_an_error():
    long = PageSpec((_line(("Nơi cư trú:", "label"), ("Thôn Đông, Xã Gia Tân, " * 6, "value")),))
    with pytest.raises(ValueError, match="wider than"):
        render_clean(long, 100)


def test_too_many_lines_is_an_error():
    with pytest.raises(ValueError, match="bottom margin"):
        layout_page(PageSpec(tuple(_line(("Dòng", "plain")) for _ in range(60))))


# --- seal ----------------------------------------------------------------------------------------


def test_seal_leaves_red_pixels_near_its_line_and_none_without_it():
    sealed = render_clean(SEALED, DPI)
    red = _red_pixels(sealed)
    assert red.sum() > 2000
    baseline_px = layout_page(SEALED)[9].baseline_pt * DPI / 72
    rows, columns = np.nonzero(red)
    seal_radius_px = 18 / 25.4 * DPI
    assert abs(rows.mean() - baseline_px) < seal_radius_px / 2
    assert columns.min() > sealed.width / 2  # on the right half
    assert not _red_pixels(render_clean(FORM, DPI)).any()
    # Multiplied, not pasted: the signature line's black ink under the seal stays black.
    gray = np.asarray(sealed.convert("L"))
    region = gray[rows.min() : rows.max(), columns.min() : columns.max()]
    assert (region < 60).sum() > 100


def test_render_is_deterministic():
    assert render_clean(SEALED, DPI).tobytes() == render_clean(SEALED, DPI).tobytes()


# --- scan effects --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def clean() -> Image.Image:
    return render_clean(FORM, DPI)


@pytest.mark.parametrize(
    ("rotation", "back"), [(90, Image.Transpose.ROTATE_90), (270, Image.Transpose.ROTATE_270)]
)
def test_quarter_turn_swaps_dimensions_and_turns_the_content(clean, rotation, back):
    turned = apply_scan_effects(clean, ScanEffects(dpi=DPI, rotation=rotation), random.Random(1))
    assert turned.size == (clean.height, clean.width)
    assert ImageChops.difference(turned.transpose(back), clean).getbbox() is None
    # A sheet turned 90° clockwise has its top (the motto) on the right, 270° on the left.
    columns = np.nonzero((np.asarray(turned.convert("L")) < 128).any(axis=0))[0]
    if rotation == 90:
        assert columns.max() > turned.width * 0.9
    else:
        assert columns.min() < turned.width * 0.1


def test_half_turn_puts_the_title_at_the_bottom(clean):
    turned = apply_scan_effects(clean, ScanEffects(dpi=DPI, rotation=180), random.Random(1))
    assert turned.size == clean.size
    rows = _ink_rows(turned)
    assert rows.max() > turned.height * 0.9  # the motto's ink, 15 mm from the (now bottom) edge
    assert rows.min() > turned.height * 0.5  # the page's text sits in its top half, now the bottom


def test_skew_is_measured_by_the_pipeline(clean):
    skewed = apply_scan_effects(clean, ScanEffects(dpi=DPI, skew_degrees=2.5), random.Random(1))
    assert skewed.size == clean.size
    assert skewed.getpixel((0, 0)) == (255, 255, 255)  # white fill
    # estimate_skew returns the counter-clockwise angle that straightens the page: the opposite.
    assert estimate_skew(skewed) == pytest.approx(-2.5, abs=0.5)
    assert estimate_skew(clean) == pytest.approx(0.0, abs=0.3)


def test_effects_are_deterministic_and_seeded(clean):
    effects = ScanEffects(dpi=DPI, skew_degrees=-1.2, blur_radius=0.8, speckle=0.01, jpeg_quality=50)
    first = apply_scan_effects(clean, effects, random.Random(42))
    again = apply_scan_effects(clean, effects, random.Random(42))
    other = apply_scan_effects(clean, effects, random.Random(43))
    assert first.tobytes() == again.tobytes()
    assert first.tobytes() != other.tobytes()
    assert first.mode == "RGB" and first.info["dpi"] == (DPI, DPI)


def test_speckle_blur_grayscale_and_jpeg_change_the_page(clean):
    rng = random.Random(3)
    speckled = apply_scan_effects(clean, ScanEffects(dpi=DPI, speckle=0.02), rng)
    changed = (np.asarray(speckled) != np.asarray(clean)).any(axis=2).mean()
    assert 0.005 < changed < 0.02  # half the noise is light grey, mostly on white paper
    blurred = apply_scan_effects(clean, ScanEffects(dpi=DPI, blur_radius=2.0), rng)
    black = (np.asarray(clean.convert("L")) < 50).sum()
    assert (np.asarray(blurred.convert("L")) < 50).sum() < 0.7 * black  # thin strokes spread and fade
    gray = apply_scan_effects(clean, ScanEffects(dpi=DPI, grayscale=True, jpeg_quality=30), rng)
    assert gray.mode == "L"
    assert ImageChops.difference(gray, clean.convert("L")).getbbox() is not None  # JPEG artefacts
    sealed = apply_scan_effects(render_clean(SEALED, DPI), ScanEffects(dpi=DPI, jpeg_quality=75), rng)
    assert sealed.mode == "RGB" and _red_pixels(sealed).sum() > 1000  # colour kept unless grayscale


def test_bad_effects_are_rejected(clean):
    with pytest.raises(ValueError, match="rotation"):
        apply_scan_effects(clean, ScanEffects(rotation=45), random.Random(0))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="jpeg_quality"):
        apply_scan_effects(clean, ScanEffects(jpeg_quality=0), random.Random(0))


# --- files ---------------------------------------------------------------------------------------

EFFECTS = ScanEffects(dpi=DPI, skew_degrees=0.7, blur_radius=0.6, speckle=0.003, jpeg_quality=70)


@pytest.mark.slow
@pytest.mark.parametrize("fmt", FORMATS)
def test_same_seed_same_bytes(fmt):
    first = write_file([SEALED], [EFFECTS], fmt, seed=11)
    second = write_file([SEALED], [EFFECTS], fmt, seed=11)
    assert first.data == second.data
    assert first.page_texts == [SEALED.text]
    if fmt in ("jpeg", "png", "tiff", "pdf_scan"):
        assert write_file([SEALED], [EFFECTS], fmt, seed=12).data != first.data  # the noise follows the seed


@pytest.mark.slow
def test_bytes_do_not_depend_on_the_process():
    """The generator renders in worker processes: a fresh interpreter (another hash seed, no fonts
    registered yet) must write the same bytes as this one."""
    code = (
        "import hashlib, sys\n"
        "from sapnhap.samples.model import ScanEffects\n"
        "from sapnhap.samples.files import write_file\n"
        "from tests.samples.test_samples_render import SEALED\n"
        "for fmt in ('pdf_digital', 'pdf_tcvn3', 'tiff'):\n"
        "    print(hashlib.sha256(write_file([SEALED], [ScanEffects(dpi=100)], fmt, seed=4).data).hexdigest())\n"
    )
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(root)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env, cwd=root
    )
    here = [
        hashlib.sha256(write_file([SEALED], [ScanEffects(dpi=100)], fmt, seed=4).data).hexdigest()
        for fmt in ("pdf_digital", "pdf_tcvn3", "tiff")
    ]
    assert out.stdout.split() == here


@pytest.mark.slow
@pytest.mark.parametrize(("fmt", "dpi"), [("jpeg", 150), ("png", 200), ("tiff", 240)])
def test_image_files_carry_their_dpi(tmp_path, fmt, dpi):
    rendered = write_file([FORM], [replace(EFFECTS, dpi=dpi)], fmt, seed=1)
    path = _write(tmp_path, rendered.data, rendered.extension)
    frame = load_frame(path, 0)
    assert frame_dpi(frame) == dpi
    assert frame.size == page_size_px(dpi)
    assert rendered.page_effects[0].dpi == dpi
    assert not inspect_file(path).quarantined


def test_jpeg_and_png_hold_one_page():
    for fmt in ("jpeg", "png"):
        with pytest.raises(ValueError, match="one page"):
            write_file([FORM, FORM], [EFFECTS, EFFECTS], fmt, seed=1)  # type: ignore[arg-type]
    rendered = write_file([FORM], [replace(EFFECTS, jpeg_quality=None)], "jpeg", seed=1)
    assert rendered.page_effects[0].jpeg_quality == 85  # what the file really went through


def test_tiff_pages_each_with_their_effects(tmp_path):
    effects = [
        ScanEffects(dpi=150),
        ScanEffects(dpi=200, rotation=90, grayscale=True),
        ScanEffects(dpi=120, jpeg_quality=40),
    ]
    rendered = write_file([FORM, SEALED, FORM], effects, "tiff", seed=5)
    path = _write(tmp_path, rendered.data, "tif")
    assert image_frame_count(path) == 3
    assert inspect_file(path).page_count == 3
    assert [frame_dpi(load_frame(path, i)) for i in range(3)] == [150, 200, 120]
    second = load_frame(path, 1)
    assert second.mode == "L" and second.size == page_size_px(200)[::-1]
    with Image.open(path) as tiff:
        assert tiff.info["compression"] == "tiff_adobe_deflate"
    assert rendered.page_effects == effects
    assert rendered.page_texts == [FORM.text, SEALED.text, FORM.text]
    # Lossless: the first page is exactly the clean page (no effects).
    assert ImageChops.difference(load_frame(path, 0), render_clean(FORM, 150)).getbbox() is None


def test_scanned_pdf_pages_are_the_images_at_their_dpi(tmp_path):
    effects = [ScanEffects(dpi=150), ScanEffects(dpi=100, rotation=90, jpeg_quality=50)]
    rendered = write_file([FORM, SEALED], effects, "pdf_scan", seed=2)
    path = _write(tmp_path, rendered.data, "pdf")
    assert pdf_page_count(path) == 2
    assert page_size_points(path, 0) == pytest.approx((595.3, 841.9), abs=0.5)  # A4
    assert page_size_points(path, 1) == pytest.approx((841.9, 595.3), abs=0.5)  # turned sheet
    assert [fx.jpeg_quality for fx in rendered.page_effects] == [85, 50]
    assert read_text_layer(path, 0).reason == "no_text_layer"
    with pdfplumber.open(path) as pdf:
        assert len(pdf.pages[0].images) == 1
    assert not inspect_file(path).quarantined


def test_digital_pdf_text_layer_round_trips(tmp_path):
    rendered = write_file([SEALED, FORM], [], "pdf_digital", seed=0)
    assert rendered.text_layer == "unicode"
    assert rendered.page_effects == [ScanEffects(), ScanEffects()]
    path = _write(tmp_path, rendered.data, "pdf")
    for index, spec in enumerate((SEALED, FORM)):
        layer = read_text_layer(path, index)
        assert layer.usable, layer.detail
        assert " ".join(nfc(layer.text).split()) == " ".join(spec.text.split())
        assert layer.text.splitlines() == spec.text.splitlines()


def test_tcvn3_pdf_text_layer_is_legacy_and_refused(tmp_path):
    rendered = write_file([FORM], [ScanEffects(dpi=120)], "pdf_tcvn3", seed=0)
    assert rendered.text_layer == "tcvn3"
    path = _write(tmp_path, rendered.data, "pdf")
    with pdfplumber.open(path) as pdf:
        extracted = pdf.pages[0].extract_text()
    assert "Céng hßa x· héi chñ nghÜa viÖt nam".casefold() in extracted.casefold()
    assert "NguyÔn ThÞ H\xad¬ng" in extracted
    assert legacy_encoding(extracted) == "tcvn3"
    layer = read_text_layer(path, 0)
    assert not layer.usable
    # An invisible layer over a page image is judged an earlier OCR layer before its encoding is checked.
    assert layer.reason in ("image_page_prior_text_layer", "legacy_encoding_tcvn3")
    assert legacy_encoding(layer.text) == "tcvn3"


def test_tcvn3_table():
    assert to_tcvn3("Cộng hoà xã hội chủ nghĩa Việt Nam") == "Céng hoµ x· héi chñ nghÜa ViÖt Nam"
    assert to_tcvn3("Đường Ưu Đàm") == "§\xadêng ¦u §µm"  # bare capitals have their own codes
    assert to_tcvn3("HỘI") == "HéI"  # toned capitals: lowercase code, drawn by the capital font
    assert all(len(to_tcvn3(ch)) == 1 and ord(to_tcvn3(ch)) < 256 for ch in "ắằẳẵặấầẩẫậ–")


# --- broken files --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["empty", "truncated_pdf", "password_pdf", "unsupported", "tiny_image"])
def test_broken_files_are_quarantined_for_the_expected_reason(tmp_path, kind):
    for seed in (1, 2):
        data, extension, reason = broken_file(kind, seed)
        assert broken_file(kind, seed) == (data, extension, reason)
        inspection = inspect_file(_write(tmp_path, data, extension, f"{kind}{seed}"))
        assert inspection.quarantine_reason == reason


# --- OCR -----------------------------------------------------------------------------------------


def _ocr(tmp_path: Path, spec: PageSpec, effects: ScanEffects, fmt: str) -> tuple[float, str]:
    rendered = write_file([spec], [effects], fmt, seed=1)  # type: ignore[arg-type]
    path = _write(tmp_path, rendered.data, rendered.extension, fmt)
    kind = {"jpg": "jpeg", "png": "png"}[rendered.extension]
    result = process_page(PageTask("f" * 64, str(path), kind, 0), OcrSettings())
    return character_error_rate(spec.text, result.text), result.text


@pytest.mark.slow
def test_clean_page_reads_back_through_the_pipeline_ocr(tmp_path):
    # Measured with Tesseract 5.3.0 `vie`: CER 0.000 on this clean 300-dpi page.
    cer, text = _ocr(tmp_path, FORM, ScanEffects(dpi=300), "png")
    assert cer < 0.05, text


@pytest.mark.slow
def test_poor_scan_reads_worse(tmp_path):
    # Measured: CER about 0.3 at 150 dpi, blur 1.0 px, speckle 1 %, JPEG quality 40 (the dark
    # speckle is read as punctuation and stray letters). Only a loose bound: the point is the page
    # still reads, and worse than the clean one.
    cer, text = _ocr(
        tmp_path, FORM, ScanEffects(dpi=150, blur_radius=1.0, speckle=0.01, jpeg_quality=40), "jpeg"
    )
    assert 0.02 < cer < 0.6, text
