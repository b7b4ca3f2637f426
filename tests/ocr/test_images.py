"""sapnhap.ocr.images: every TIFF frame reachable, frames normalised to 8-bit L/RGB, resolution tags."""

import io
from pathlib import Path

import numpy as np
import pytesseract
import pytest
from PIL import Image

from sapnhap.ocr.images import frame_dpi, image_frame_count, load_frame, normalize_frame
from tests.badfiles import TIFF_PAGE_TEXTS, cmyk_jpeg, jpeg_named_pdf, sixteen_bit_png, three_page_tiff

INBOX = Path(__file__).resolve().parents[2] / "samples" / "inbox"


def _single_frame(image):
    return getattr(image, "n_frames", 1) == 1 and not getattr(image, "is_animated", False)


def test_three_page_tiff_every_frame_is_reachable_and_read(tmp_path):
    path = three_page_tiff(tmp_path)
    assert image_frame_count(path) == 3
    frames = [load_frame(path, i) for i in range(3)]
    assert all(f.mode == "L" and _single_frame(f) and f.size == (1100, 260) for f in frames)
    assert all(frame_dpi(f) == 300 for f in frames)
    # pytesseract reads only the first frame of a multi-frame image: each frame must be its own
    texts = [pytesseract.image_to_string(f, lang="vie", config="--psm 7").strip() for f in frames]
    assert texts == list(TIFF_PAGE_TEXTS)
    with pytest.raises(IndexError, match="3 frame"):
        load_frame(path, 3)


def test_cmyk_jpeg_becomes_rgb(tmp_path):
    path = cmyk_jpeg(tmp_path)
    with Image.open(path) as raw:
        assert raw.mode == "CMYK"
    frame = load_frame(path, 0)
    assert frame.mode == "RGB" and _single_frame(frame)
    pixels = np.asarray(frame)
    assert pixels.dtype == np.uint8
    assert pixels[5, 5].tolist() == pytest.approx([255, 255, 255], abs=3)  # white paper stays white
    assert pixels.min() < 40  # black text stays black


def test_sixteen_bit_png_is_scaled_over_its_real_range(tmp_path):
    path = sixteen_bit_png(tmp_path)
    with Image.open(path) as raw:
        assert raw.mode.startswith("I")
        assert np.asarray(raw).max() <= 3000  # paper is only 3000 of 65535
    frame = load_frame(path, 0)
    assert frame.mode == "L"
    pixels = np.asarray(frame)
    assert (pixels.dtype, int(pixels.min()), int(pixels.max())) == (np.uint8, 0, 255)
    assert float((pixels == 255).mean()) > 0.8  # mostly white paper, not a dark 3..11 image


def test_exif_orientation_is_applied(tmp_path):
    image = Image.new("RGB", (300, 100), "white")
    image.paste((0, 0, 0), (0, 0, 30, 30))  # black square at the top-left of the stored pixels
    exif = Image.Exif()
    exif[0x0112] = 6  # the camera was turned: display rotated 90° clockwise
    path = tmp_path / "phone.jpg"
    image.save(path, format="JPEG", exif=exif, dpi=(200, 200))
    frame = load_frame(path, 0)
    assert frame.size == (100, 300)
    assert np.asarray(frame)[10, 90].max() < 60  # the square is now at the top-right
    assert frame_dpi(frame) == 200


def test_palette_alpha_and_bilevel_modes(tmp_path):
    palette = Image.new("P", (40, 40), 0)
    palette.putpalette([255, 0, 0, 0, 0, 0])  # entry 0 red, entry 1 black
    palette.paste(1, (0, 0, 20, 40))
    palette.info["transparency"] = 0  # red is the transparent entry (PNG tRNS chunk)
    palette_path = tmp_path / "palette.png"
    palette.save(palette_path)
    rgba = Image.new("RGBA", (40, 40), (255, 0, 0, 0))
    rgba.paste((0, 0, 0, 255), (0, 0, 20, 40))
    for source in (load_frame(palette_path, 0), normalize_frame(palette), normalize_frame(rgba)):
        assert source.mode == "RGB"
        assert np.asarray(source)[20, 30].tolist() == [255, 255, 255]  # transparent → white paper
        assert np.asarray(source)[20, 5].tolist() == [0, 0, 0]
    opaque = Image.new("P", (4, 4), 0)
    opaque.putpalette([255, 0, 0])
    assert np.asarray(normalize_frame(opaque))[0, 0].tolist() == [255, 0, 0]

    gray_alpha = Image.new("LA", (10, 10), (0, 0))
    assert normalize_frame(gray_alpha).mode == "L"
    assert np.asarray(normalize_frame(gray_alpha)).min() == 255

    bilevel = Image.new("1", (10, 10), 0)
    bilevel.putpixel((0, 0), 1)
    result = normalize_frame(bilevel)
    assert result.mode == "L" and sorted(np.unique(np.asarray(result)).tolist()) == [0, 255]

    float_image = Image.fromarray(np.linspace(-1, 1, 100, dtype=np.float32).reshape(10, 10), mode="F")
    assert np.asarray(normalize_frame(float_image)).tolist()[0][0] == 0


def test_frame_dpi_rejects_missing_and_absurd_values(tmp_path):
    image = Image.new("L", (20, 20), 255)
    assert frame_dpi(image) is None
    for dpi, expected in [((300, 300), 300), ((299.9994, 300), 300), ((0, 0), None), ((1, 1), None)]:
        image.info["dpi"] = dpi
        assert frame_dpi(image) == expected
    image.info["dpi"] = "300"
    assert frame_dpi(image) is None
    buffer = io.BytesIO()
    Image.new("L", (20, 20), 255).save(buffer, format="PNG")  # no pHYs chunk
    assert frame_dpi(Image.open(buffer)) is None


def test_jpeg_named_pdf_loads_as_image(tmp_path):
    frame = load_frame(jpeg_named_pdf(tmp_path), 0)
    assert frame.mode == "RGB" and frame_dpi(frame) == 300


def test_real_two_frame_tiff():
    path = INBOX / "21064" / "vietocr_vietsample2.tif"
    assert image_frame_count(path) == 2
    first, second = load_frame(path, 0), load_frame(path, 1)
    assert (first.mode, second.mode) == ("L", "L")  # 1-bit fax frames become 8-bit gray
    assert first.size == (3300, 2550) and second.size == (2550, 3300)
    assert frame_dpi(first) == 300
