"""Page geometry: small-skew estimation (projection profiles) and rotation of page images."""

from __future__ import annotations

import numpy as np
from PIL import Image

# Longest side of the thumbnail on which skew is measured: enough for text lines, cheap to scan.
THUMB_SIDE = 1200
_MAX_POINTS = 40_000


def estimate_skew(image: Image.Image, max_degrees: float = 5.0, thumb_side: int = THUMB_SIDE) -> float:
    """Estimate the small skew angle of a page of horizontal text lines, in degrees.

    Projection-profile method (Postl 1986; the method Leptonica's `pixFindSkew` refines): for each
    candidate angle the dark pixels are projected on the rotated vertical axis, and the angle whose
    row histogram is sharpest (largest sum of squared differences between adjacent rows) wins.
    Angles are searched in [-max_degrees, +max_degrees], coarse 0.25° steps then 0.025°, on a
    thumbnail whose longest side is at most `thumb_side` pixels.

    Returns the angle (counter-clockwise positive, as `PIL.Image.rotate` takes it) that sets the
    lines horizontal, or 0.0 for a page with too little ink to tell.
    """
    gray = image.convert("L")
    scale = min(1.0, thumb_side / max(gray.size))
    if scale < 1.0:
        gray = gray.resize((max(1, int(gray.width * scale)), max(1, int(gray.height * scale))))
    pixels = np.asarray(gray, dtype=np.uint8)
    threshold = min(128, int(pixels.mean()) - 40)
    ys, xs = np.nonzero(pixels < max(threshold, 1))
    if len(ys) < 200:
        return 0.0
    if len(ys) > _MAX_POINTS:
        pick = np.random.default_rng(0).choice(len(ys), _MAX_POINTS, replace=False)
        ys, xs = ys[pick], xs[pick]
    ys = ys.astype(np.float64)
    xs = xs.astype(np.float64) - pixels.shape[1] / 2
    n_bins = pixels.shape[0] + pixels.shape[1]

    def sharpness(angles: np.ndarray) -> np.ndarray:
        out = np.empty(len(angles))
        for i, angle in enumerate(np.radians(angles)):
            projected = ys * np.cos(angle) + xs * np.sin(angle)
            hist = np.bincount((projected - projected.min()).astype(np.int64), minlength=n_bins)
            out[i] = float(np.sum(np.diff(hist.astype(np.float64)) ** 2))
        return out

    coarse = np.arange(-max_degrees, max_degrees + 1e-9, 0.25)
    best = coarse[int(np.argmax(sharpness(coarse)))]
    fine = np.arange(best - 0.25, best + 0.25 + 1e-9, 0.025)
    scores = sharpness(fine)
    angle = float(fine[int(np.argmax(scores))])
    # Projection with +angle straightens lines drawn at -angle; PIL rotates counter-clockwise.
    return round(-angle, 3)


def rotate_page(image: Image.Image, degrees: float) -> Image.Image:
    """Rotate a page image counter-clockwise by `degrees`, growing the canvas, filling with white.

    Right angles are exact transposes (no resampling); small angles use bilinear resampling (as good
    as bicubic for OCR at 300 dpi, and twice as fast on an A4 page).
    """
    if degrees % 360 == 0:
        return image
    if degrees % 90 == 0:
        op = {90: Image.Transpose.ROTATE_90, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_270}
        return image.transpose(op[int(degrees) % 360])
    fill = 255 if image.mode == "L" else (255, 255, 255)
    return image.rotate(degrees, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=fill)
