"""Image files (TIFF, JPEG, PNG): frame count, one normalised frame at a time, resolution.

OCR wants one 8-bit page image at a time. Scanners and phones deliver many variants: multi-page
TIFFs, EXIF-rotated JPEGs, CMYK JPEGs, 16-bit grayscale, palette images with transparency, 1-bit
fax images. `load_frame` turns any of these into a single-frame 8-bit "L" or "RGB" image that
looks like the page as a person would see it. pytesseract given a multi-frame image reads only
its first frame, so callers iterate `range(image_frame_count(path))` and pass single frames.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

# Resolutions outside this range (dots per inch) are missing or nonsense tags, not real scans.
MIN_PLAUSIBLE_DPI = 50
MAX_PLAUSIBLE_DPI = 4800

_HIGH_BIT_MODES = {"I", "F", "I;16", "I;16L", "I;16B", "I;16N"}
_ALPHA_MODES = {"RGBA", "LA", "PA", "RGBa", "La"}


def image_frame_count(path: Path) -> int:
    """Return the number of frames (pages) in an image file: ≥ 1 for TIFF, 1 for JPEG/PNG.

    Raises FileNotFoundError, or PIL.UnidentifiedImageError / OSError if Pillow cannot read it.
    """
    with Image.open(path) as image:
        return int(getattr(image, "n_frames", 1))


def _to_eight_bit(frame: Image.Image) -> Image.Image:
    """Scale a 16/32-bit integer or float grayscale frame to "L" over its real min..max range."""
    values = np.asarray(frame, dtype=np.float64)
    low, high = float(values.min()), float(values.max())
    if high <= low:
        constant = 255 if low > 0 else 0
        return Image.new("L", frame.size, constant)
    scaled = (values - low) * (255.0 / (high - low))
    return Image.fromarray(np.clip(scaled.round(), 0, 255).astype(np.uint8), mode="L")


def _flatten_on_white(frame: Image.Image) -> Image.Image:
    """Composite a frame with transparency onto white paper; returns "L" (gray input) or "RGB"."""
    if frame.mode in ("LA", "La"):
        gray = frame.convert("LA")
        paper = Image.new("L", gray.size, 255)
        paper.paste(gray.getchannel("L"), mask=gray.getchannel("A"))
        return paper
    rgba = frame.convert("RGBA")
    paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    paper.alpha_composite(rgba)
    return paper.convert("RGB")


def normalize_frame(frame: Image.Image) -> Image.Image:
    """Return a single-frame 8-bit "L" or "RGB" copy of `frame` (EXIF orientation NOT applied).

    Mode mapping: "1" → "L"; "L"/"RGB" unchanged (copied); "I;16*", "I", "F" → "L" scaled over the
    frame's real value range; CMYK, YCbCr, LAB, HSV → "RGB"; palette or alpha images → flattened
    on white ("P"/"PA" via RGBA). `info` (e.g. "dpi") is kept.
    """
    info = dict(frame.info)
    mode = frame.mode
    if mode in ("L", "RGB"):
        result = frame.copy()
    elif mode == "1":
        result = frame.convert("L")
    elif mode in _HIGH_BIT_MODES:
        result = _to_eight_bit(frame)
    elif mode == "P" or mode == "PA":
        has_alpha = mode == "PA" or "transparency" in frame.info
        result = _flatten_on_white(frame.convert("RGBA")) if has_alpha else frame.convert("RGB")
    elif mode in _ALPHA_MODES:
        result = _flatten_on_white(frame)
    else:  # CMYK, YCbCr, LAB, HSV, RGBX...
        result = frame.convert("RGB")
    result.info.update({k: v for k, v in info.items() if k in ("dpi", "icc_profile")})
    return result


def load_frame(path: Path, index: int) -> Image.Image:
    """Load frame `index` (0-based) of a TIFF, JPEG or PNG as one 8-bit "L" or "RGB" image.

    The EXIF orientation is applied (`ImageOps.exif_transpose`), then `normalize_frame`: the
    result is upright, single-frame, "L" or "RGB", with `info["dpi"]` kept when the file has it.
    Every frame of a multi-page TIFF is reachable. Raises IndexError for a frame index out of
    range, FileNotFoundError, PIL.UnidentifiedImageError if the file is not an image Pillow knows,
    OSError if the frame's data cannot be decoded (e.g. a truncated file), and
    PIL.Image.DecompressionBombError for images above Pillow's pixel limit.
    """
    with Image.open(path) as image:
        count = int(getattr(image, "n_frames", 1))
        if not 0 <= index < count:
            raise IndexError(f"{Path(path).name} has {count} frame(s); frame {index} does not exist")
        if index:
            image.seek(index)
        image.load()
        upright = ImageOps.exif_transpose(image)  # a new single-frame image
        assert upright is not None
        return normalize_frame(upright)


def frame_dpi(image: Image.Image) -> int | None:
    """Horizontal resolution in dots per inch from `image.info["dpi"]`, rounded; None if unusable.

    None when the tag is absent, not a pair of numbers, or outside 50..4800 dpi (0 and 1 are common
    junk values meaning "unknown"; 72 is returned as written). The horizontal value is
    returned because Tesseract takes one resolution and fax-like anisotropic scans keep the
    horizontal one nearer the truth.
    """
    dpi = image.info.get("dpi")
    try:
        horizontal = float(dpi[0])  # type: ignore[index]
    except (TypeError, ValueError, IndexError, ZeroDivisionError):
        return None
    if not MIN_PLAUSIBLE_DPI <= horizontal <= MAX_PLAUSIBLE_DPI:
        return None
    return int(round(horizontal))
