"""Colour pages to the grey image Tesseract reads, with red seal ink taken out.

Vietnamese administrative papers carry a red round seal (con dấu) stamped over the signature and the
lines around it (Decree 30/2020/NĐ-CP, Article 33: red seal ink, the seal covering about a third of
the signature). Converted to grey by luminance, that red ink becomes a dark ring over the text and Tesseract
drops the lines under it. In the red channel, red ink is nearly as light as the paper while black
print stays black, so reading the red channel removes the seal and keeps the text: on the project's
generated dossiers this is the difference between losing and keeping the lines under the seal (see
docs/evaluation.md).
"""

from __future__ import annotations

import numpy as np
from PIL import Image

# A pixel is red ink when red clearly dominates green and blue (seal ink, red signatures).
_RED_MIN = 120
_RED_MARGIN = 50
# Share of a page's pixels that must be red ink before the red channel is used: a seal on A4 covers
# about 1-2% of the page; stray colour noise stays far below 0.1%.
RED_INK_MIN_SHARE = 0.001


def red_ink_share(image: Image.Image) -> float:
    """Share (0..1) of the pixels of an RGB image that are red ink; 0.0 for grey or bilevel images."""
    if image.mode not in ("RGB", "RGBA", "P", "CMYK", "YCbCr"):
        return 0.0
    rgb = np.asarray(image.convert("RGB"), dtype=np.int16)
    red, green, blue = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    ink = (red >= _RED_MIN) & (red - green >= _RED_MARGIN) & (red - blue >= _RED_MARGIN)
    return float(ink.mean())


def to_ocr_gray(image: Image.Image, drop_red_ink: bool = True) -> tuple[Image.Image, bool]:
    """The grey ("L") image to OCR, and whether red ink was dropped.

    With `drop_red_ink` and at least RED_INK_MIN_SHARE of red-ink pixels, the red channel is used
    (red seal ink turns light, black and blue print stay dark); otherwise the usual luminance.
    """
    if drop_red_ink and red_ink_share(image) >= RED_INK_MIN_SHARE:
        return image.convert("RGB").getchannel("R"), True
    return image.convert("L"), False
