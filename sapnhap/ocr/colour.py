"""Colour pages to the grey image Tesseract reads, with red seal ink taken out.

Vietnamese administrative papers carry a red round seal (con dấu) stamped over the signature and the
lines around it (Decree 30/2020/NĐ-CP, Article 33: red seal ink, the seal covering about a third of
the signature). Converted to grey by luminance, that red ink becomes a dark ring over the text and Tesseract
drops the lines under it. In the red channel, red ink is nearly as light as the paper while black
print stays black, so reading the red channel removes the seal and keeps the text: on the project's
generated dossiers this is the difference between losing and keeping the lines under the seal (see
docs/evaluation.md).

A red seal on a page scanned in grey (offices scan in grey to save space) has no colour left: it is
a mid-grey ring, lighter than print. `drop_grey_seal` clears mid-grey strokes without a black core
where they gather in one seal-sized square (on the 500-dossier evaluation sample, pages with a seal
scanned in grey went from 14.5% to 3.3% CER in a side-by-side trial of 12 pages).
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
    """The grey ("L") image to OCR, and whether seal ink was dropped.

    With `drop_red_ink` and at least RED_INK_MIN_SHARE of red-ink pixels, the red channel is used
    (red seal ink turns light, black and blue print stay dark); otherwise the usual luminance, from
    which a seal scanned in grey is cleared (`drop_grey_seal`).
    """
    if drop_red_ink and red_ink_share(image) >= RED_INK_MIN_SHARE:
        return image.convert("RGB").getchannel("R"), True
    gray = image.convert("L")
    if drop_red_ink:
        return drop_grey_seal(gray)
    return gray, False


# --- seals on grey scans --------------------------------------------------------------------------
# A red seal scanned in grey is a mid-grey ring (luminance of seal red: about 80 of 255) over black
# print. Print strokes have a black core; seal strokes have none. A mid-grey pixel farther than
# `_CORE_REACH` pixels from any black pixel is seal ink (or faded print, or a grey logo), so it is
# cleared only where such pixels gather in one seal-sized square: faded print spread over the page
# is left alone.
_BLACK = 60  # below: the black core of print
_PAPER = 200  # at or above: paper
_CORE_REACH = 3  # px: anti-aliased edges of print lie within this distance of its core
SEAL_SQUARE_SHARE = 0.28  # side of the square searched for the seal, as a share of the page's short side
SEAL_MIN_SHARE = 0.002  # seal ink must be at least this share of the page's pixels
SEAL_CONCENTRATION = 0.6  # and at least this share of the core-less grey pixels must lie in the square


def grey_seal_mask(gray: Image.Image) -> np.ndarray | None:
    """Where a seal printed in grey lies over the page (True = seal ink to clear), or None.

    gray: an "L" image of a page. Returns a bool array of the image's shape (rows, columns) holding the
    mid-grey pixels (`_BLACK`..`_PAPER`) that are more than `_CORE_REACH` px from any black pixel and
    lie in the seal-sized square (`SEAL_SQUARE_SHARE` of the short side) holding most of them; None when
    there are too few such pixels (`SEAL_MIN_SHARE` of the page) or they are not gathered in one square
    (`SEAL_CONCENTRATION`), i.e. when the page shows no seal.
    """
    values = np.asarray(gray, dtype=np.uint8)
    near_core = _dilate(values < _BLACK, _CORE_REACH)
    coreless = (values >= _BLACK) & (values < _PAPER) & ~near_core
    total = int(coreless.sum())
    if total < SEAL_MIN_SHARE * values.size:
        return None
    side = max(8, int(SEAL_SQUARE_SHARE * min(values.shape)))
    step = max(1, side // 8)
    # Sums over squares of `side`, moved by `step`: an integral image of the coarse grid.
    rows, cols = values.shape[0] // step, values.shape[1] // step
    coarse = coreless[: rows * step, : cols * step].reshape(rows, step, cols, step).sum(axis=(1, 3))
    integral = np.pad(coarse.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    k = side // step
    if k >= rows or k >= cols:
        return None
    sums = integral[k:, k:] - integral[:-k, k:] - integral[k:, :-k] + integral[:-k, :-k]
    r, c = np.unravel_index(int(np.argmax(sums)), sums.shape)
    if sums[r, c] < SEAL_CONCENTRATION * total:
        return None
    mask = np.zeros_like(coreless)
    top, left = r * step, c * step
    mask[top : top + side, left : left + side] = coreless[top : top + side, left : left + side]
    return mask


def _dilate(mask: np.ndarray, reach: int) -> np.ndarray:
    """`mask` grown by `reach` pixels in every direction (a square of side 2 * reach + 1), separably."""
    grown = mask.copy()
    for shift in range(1, reach + 1):
        grown[shift:, :] |= mask[:-shift, :]
        grown[:-shift, :] |= mask[shift:, :]
    rows = grown.copy()
    for shift in range(1, reach + 1):
        grown[:, shift:] |= rows[:, :-shift]
        grown[:, :-shift] |= rows[:, shift:]
    return grown


def drop_grey_seal(gray: Image.Image) -> tuple[Image.Image, bool]:
    """`gray` with a grey seal's ink turned to paper (`grey_seal_mask`), and whether one was found."""
    mask = grey_seal_mask(gray)
    if mask is None:
        return gray, False
    values = np.asarray(gray, dtype=np.uint8).copy()
    values[mask] = 255
    return Image.fromarray(values, mode="L"), True
