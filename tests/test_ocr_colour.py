"""Red seal ink taken out before OCR: the lines under a seal are read again."""

from PIL import Image

from sapnhap.ocr import OcrSettings, PageTask, process_page
from sapnhap.ocr.colour import RED_INK_MIN_SHARE, red_ink_share, to_ocr_gray
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


def test_lines_under_the_seal_are_read_once_the_red_ink_is_dropped(tmp_path):
    sealed = render_clean(SEALED, 300)
    kept = _read(tmp_path, sealed, drop=False)
    dropped = _read(tmp_path, sealed, drop=True)
    cer_kept = character_error_rate(SEALED.text, kept)
    cer_dropped = character_error_rate(SEALED.text, dropped)
    assert cer_dropped < 0.05, dropped
    assert cer_dropped < cer_kept
    assert "NGƯỜI KÝ TRÍCH LỤC" in dropped and "Đặng Văn Hùng" in dropped
