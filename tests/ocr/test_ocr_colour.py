"""Red seal ink taken out before OCR: the lines under a seal are read again."""

import numpy as np
import pytest
from PIL import Image

from sapnhap.ocr import OcrSettings, PageTask, process_page
from sapnhap.ocr.colour import RED_INK_MIN_SHARE, drop_grey_seal, grey_seal_mask, red_ink_share, to_ocr_gray
from sapnhap.samples.model import Line, PageSpec, Segment
from sapnhap.samples.render import encode_png, render_clean
from sapnhap.text import character_error_rate

LINES = (
    Line((Segment("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "motto"),), "center"),
    Line((Segment("Độc lập - Tự do - Hạnh phúc", "motto"),), "center"),
    Line((Segment("TRÍCH LỤC KHAI SINH", "title"),), "center"),
    Line((Segment("Họ, chữ đệm, tên:", "label"), Segment("Nguyễn Thị Hương", "value"))),
    Line((Segment("Ngày, tháng, năm đăng ký:", "label"), Segment("12/03/2021", "value"))),
    Line((Segment("NGƯỜI KÝ TRÍCH LỤC", "plain"),), "right"),
    Line((Segment("Đặng Văn Hùng", "plain"),), "right"),
)
SEALED = PageSpec(LINES, seal_line=5, seal_text="ỦY BAN NHÂN DÂN XÃ GIA TÂN")


def _read(tmp_path, image: Image.Image, drop: bool) -> str:
    path = tmp_path / f"page-{drop}.png"
    path.write_bytes(encode_png(image, 300))
    task = PageTask(file_sha256="0" * 64, path=str(path), kind="png", page_index=0)
    return process_page(task, OcrSettings(drop_red_ink=drop)).text


def test_seal_is_red_ink_and_plain_pages_are_not():
    sealed = render_clean(SEALED, 300)
    plain = render_clean(PageSpec(LINES), 300)
    assert red_ink_share(sealed) > RED_INK_MIN_SHARE
    assert red_ink_share(plain) == 0.0
    assert red_ink_share(plain.convert("L")) == 0.0
    gray, dropped = to_ocr_gray(sealed)
    assert dropped and gray.mode == "L"
    assert to_ocr_gray(sealed, drop_red_ink=False)[1] is False
    assert to_ocr_gray(plain)[1] is False


@pytest.mark.slow
def test_lines_under_the_seal_are_read_once_the_red_ink_is_dropped(tmp_path):
    sealed = render_clean(SEALED, 300)
    kept = _read(tmp_path, sealed, drop=False)
    dropped = _read(tmp_path, sealed, drop=True)
    cer_kept = character_error_rate(SEALED.text, kept)
    cer_dropped = character_error_rate(SEALED.text, dropped)
    assert cer_dropped < 0.05, dropped
    assert cer_dropped < cer_kept
    assert "NGƯỜI KÝ TRÍCH LỤC" in dropped and "Đặng Văn Hùng" in dropped


@pytest.mark.slow
def test_a_seal_scanned_in_grey_is_found_and_cleared(tmp_path):
    grey = render_clean(SEALED, 300).convert("L")
    mask = grey_seal_mask(grey)
    assert mask is not None and mask.shape == (grey.height, grey.width)
    # The seal's ink is cleared; the print keeps its black pixels.
    cleared, found = drop_grey_seal(grey)
    assert found
    before, after = np.asarray(grey), np.asarray(cleared)
    assert ((before < 60) == (after < 60)).all()
    assert int(((before >= 60) & (before < 200)).sum()) > 3 * int(((after >= 60) & (after < 200)).sum())
    kept = _read(tmp_path, grey, drop=False)
    dropped = _read(tmp_path, grey, drop=True)
    assert character_error_rate(SEALED.text, dropped) < min(0.05, character_error_rate(SEALED.text, kept))
    assert "Đặng Văn Hùng" in dropped


def test_no_seal_on_plain_or_faded_pages():
    plain = render_clean(PageSpec(LINES), 300).convert("L")
    assert grey_seal_mask(plain) is None
    assert drop_grey_seal(plain) == (plain, False)
    # Faded print (a grey photocopy) has no black core anywhere, but it is spread over the page, not
    # gathered in one seal-sized square: left alone.
    faded = Image.fromarray((np.asarray(plain, dtype=np.float32) * 0.45 + 255 * 0.55).astype(np.uint8), "L")
    assert grey_seal_mask(faded) is None
