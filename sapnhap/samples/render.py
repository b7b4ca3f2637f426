"""Renderer of the synthetic-dossier generator: `PageSpec`s → page images and inbox files.

A page is laid out as a Vietnamese official template on A4 portrait (210 × 297 mm): margins 20 mm
left and right, 15 mm top (and at least 15 mm free at the bottom); motto 13 pt bold, title 14 pt
bold, headers 12 pt bold (DejaVu Serif Bold), labels 12.5 pt DejaVu Serif, values typed by the
clerk 12 pt in another face (DejaVu Sans Mono or DejaVu Sans), plain text 12 pt serif; line pitch
1.5 × the line's largest size. Every `Line` stays one printed line (a line too wide for the
170 mm column is a ValueError), so the ground truth stays line-for-line true.

Parts:

* `render_clean` draws the clean page (RGB, white) at a given dpi, with the red round seal if the
  spec has one; `apply_scan_effects` gives it what a hurried scanning office does, in the
  scanner's order (skew, sheet rotation, blur, speckle, grayscale, JPEG).
* `encode_jpeg`, `encode_png`, `encode_tiff` write images; whole files (every format, the PDFs
  through `render_pdf`, and the broken files intake must quarantine) are `sapnhap.samples.files`.

Everything is deterministic: the same specs, effects and seed give the same bytes.
Units: lengths in points (1/72 inch) in the layout, pixels in images, dpi in dots per inch.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

from sapnhap.samples.model import Line, PageSpec, ScanEffects, Segment

MM = 72 / 25.4  # points per millimetre
PAGE_WIDTH_PT = 210 * MM
PAGE_HEIGHT_PT = 297 * MM
MARGIN_X_PT = 20 * MM
MARGIN_TOP_PT = 15 * MM
MARGIN_BOTTOM_PT = 15 * MM
TEXT_WIDTH_PT = PAGE_WIDTH_PT - 2 * MARGIN_X_PT
LINE_SPACING = 1.5
# Baseline below the top of the line box, in ems: room for stacked marks over capitals (Ộ, Ữ).
BASELINE_EM = 1.1
EMPTY_LINE_PT = 12.0

SEAL_RGB = (200, 30, 40)
SEAL_DIAMETER_MM = 36.0
JPEG_DEFAULT_QUALITY = 85
DEJAVU_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_PACKAGE = "fonts-dejavu-core"

FontRole = Literal["label", "value", "bold", "seal", "fallback"]
# Segment role → (FontSet field, size in points).
ROLE_STYLE: dict[str, tuple[FontRole, float]] = {
    "motto": ("bold", 13.0),
    "title": ("bold", 14.0),
    "header": ("bold", 12.0),
    "label": ("label", 12.5),
    "value": ("value", 12.0),
    "plain": ("label", 12.0),
}


class FontMissingError(FileNotFoundError):
    """A font file the renderer needs is not installed."""


@dataclass(frozen=True)
class FontSet:
    """The TrueType files used for each role: `label` (printed form text and plain text), `value`
    (what the clerk typed: a different face), `bold` (motto, title, headers), `seal` (the text
    around the red seal) and `fallback`, used for any character a role's font has no glyph for
    (DejaVu Sans Mono lacks the 48 Vietnamese letters with a hook above or two stacked marks, such
    as ễ in "Nguyễn"; they are set in DejaVu Sans). Build it with `FontSet.dejavu()`; constructing one
    checks the files exist.
    """

    label: Path
    value: Path
    bold: Path
    seal: Path
    fallback: Path = DEJAVU_DIR / "DejaVuSans.ttf"

    def __post_init__(self) -> None:
        for path in (self.label, self.value, self.bold, self.seal, self.fallback):
            if not Path(path).is_file():
                raise FontMissingError(
                    f"font file {path} is missing; install the Debian package {FONT_PACKAGE} "
                    f"(apt-get install {FONT_PACKAGE})"
                )

    @classmethod
    def dejavu(cls, value_face: Literal["mono", "sans"] = "sans", font_dir: Path = DEJAVU_DIR) -> FontSet:
        """DejaVu fonts from `fonts-dejavu-core`: labels DejaVu Serif, values DejaVu Sans (`"sans"`,
        every Vietnamese letter) or DejaVu Sans Mono (`value_face="mono"`, typewriter-like; its
        missing Vietnamese letters fall back to DejaVu Sans), bold DejaVu Serif Bold, seal and
        fallback DejaVu Sans Bold / DejaVu Sans. Raises FontMissingError naming the package if a file
        is missing, ValueError for an unknown `value_face`."""
        faces = {"mono": "DejaVuSansMono.ttf", "sans": "DejaVuSans.ttf"}
        if value_face not in faces:
            raise ValueError(f"value_face must be 'mono' or 'sans', not {value_face!r}")
        font_dir = Path(font_dir)
        return cls(
            label=font_dir / "DejaVuSerif.ttf",
            value=font_dir / faces[value_face],
            bold=font_dir / "DejaVuSerif-Bold.ttf",
            seal=font_dir / "DejaVuSans-Bold.ttf",
            fallback=font_dir / "DejaVuSans.ttf",
        )

    def path_for(self, role: FontRole) -> Path:
        """The font file for a FontSet field name ("label", "value", "bold", "seal", "fallback")."""
        return Path(getattr(self, role))


@lru_cache(maxsize=64)
def _font(path: str, size_px: float) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size_px)


_MEASURE_PX = 1000.0  # measure at a large size so hinting does not round advances


def text_width_pt(text: str, font_path: Path, size_pt: float) -> float:
    """Advance width of `text` in points when set in `font_path` at `size_pt` points."""
    if not text:
        return 0.0
    return _font(str(font_path), _MEASURE_PX).getlength(text) / _MEASURE_PX * size_pt


@lru_cache(maxsize=4096)
def font_has_glyph(font_path: Path, char: str) -> bool:
    """True if the TrueType file has its own glyph for `char` (not the .notdef box)."""
    font = ImageFont.truetype(str(font_path), 24, layout_engine=ImageFont.Layout.BASIC)
    return bytes(font.getmask(char)) != bytes(font.getmask("\U000f0000"))


def font_runs(text: str, font_path: Path, fallback: Path) -> list[tuple[str, Path]]:
    """Split `text` into runs of (text, font file): `font_path` where it has the glyph, else `fallback`."""
    runs: list[tuple[str, Path]] = []
    for char in text:
        path = font_path if font_has_glyph(Path(font_path), char) else Path(fallback)
        if runs and runs[-1][1] == path:
            runs[-1] = (runs[-1][0] + char, path)
        else:
            runs.append((char, path))
    return runs


@dataclass(frozen=True)
class PlacedRun:
    """Part of a segment set in one font file, `x_pt` from the left page edge, `width_pt` wide."""

    text: str
    font_path: Path
    x_pt: float
    width_pt: float


@dataclass(frozen=True)
class PlacedSegment:
    """A segment placed on the page: `x_pt` from the left page edge to its start, `size_pt` its size,
    `font_path` its role's font and `runs` the pieces actually set (fallback font for missing glyphs)."""

    text: str
    role: str
    font_path: Path
    size_pt: float
    x_pt: float
    width_pt: float
    runs: tuple[PlacedRun, ...]


@dataclass(frozen=True)
class PlacedLine:
    """A laid-out line: `baseline_pt` from the top page edge, `size_pt` its largest type size,
    `x_pt`/`width_pt` the horizontal extent of its ink box, and its segments in order."""

    index: int
    baseline_pt: float
    size_pt: float
    x_pt: float
    width_pt: float
    segments: tuple[PlacedSegment, ...]


def layout_page(spec: PageSpec, fonts: FontSet | None = None) -> list[PlacedLine]:
    """Lay out `spec` on A4 (all lengths in points from the top-left page corner).

    Segments of a line are set left to right, one space (in the preceding segment's font) apart,
    each in its role's font and size; the line is placed by its `align` within the 170 mm column.
    Raises ValueError if a line is wider than the column or the lines run into the bottom margin.
    """
    fonts = fonts or default_fonts()
    placed: list[PlacedLine] = []
    top = MARGIN_TOP_PT
    for index, line in enumerate(spec.lines):
        segments = [s for s in line.segments if s.text]
        size = max((ROLE_STYLE[s.role][1] for s in segments), default=EMPTY_LINE_PT)
        baseline = top + BASELINE_EM * size
        pieces: list[tuple[Segment, Path, float, float, list[tuple[str, Path, float, float]]]] = []
        cursor = 0.0
        for position, segment in enumerate(segments):
            font_role, seg_size = ROLE_STYLE[segment.role]
            path = fonts.path_for(font_role)
            if position:
                prev_role, prev_size = ROLE_STYLE[segments[position - 1].role]
                cursor += text_width_pt(" ", fonts.path_for(prev_role), prev_size)
            start = cursor
            runs = []
            for run_text, run_path in font_runs(segment.text, path, fonts.fallback):
                width = text_width_pt(run_text, run_path, seg_size)
                runs.append((run_text, run_path, cursor, width))
                cursor += width
            pieces.append((segment, path, seg_size, start, runs))
        if cursor > TEXT_WIDTH_PT + 1e-6:
            raise ValueError(
                f"line {index} is {cursor / MM:.1f} mm wide, wider than the {TEXT_WIDTH_PT / MM:.0f} mm "
                f"text column; shorten it: {line.text!r}"
            )
        if baseline > PAGE_HEIGHT_PT - MARGIN_BOTTOM_PT:
            raise ValueError(
                f"line {index} ({line.text!r}) runs into the bottom margin: the page holds about "
                f"{index} lines of this size; split the page"
            )
        x0 = _aligned_x(line, cursor)
        placed.append(
            PlacedLine(
                index=index,
                baseline_pt=baseline,
                size_pt=size,
                x_pt=x0,
                width_pt=cursor,
                segments=tuple(
                    PlacedSegment(
                        seg.text,
                        seg.role,
                        path,
                        size_pt,
                        x0 + start,
                        (runs[-1][2] + runs[-1][3]) - start,
                        tuple(PlacedRun(t, p, x0 + dx, w) for t, p, dx, w in runs),
                    )
                    for seg, path, size_pt, start, runs in pieces
                ),
            )
        )
        top += LINE_SPACING * size
    return placed


def _aligned_x(line: Line, width: float) -> float:
    if line.align == "center":
        return MARGIN_X_PT + (TEXT_WIDTH_PT - width) / 2
    if line.align == "right":
        return MARGIN_X_PT + TEXT_WIDTH_PT - width
    return MARGIN_X_PT


@lru_cache(maxsize=1)
def default_fonts() -> FontSet:
    """`FontSet.dejavu()` (values in DejaVu Sans), built once."""
    return FontSet.dejavu()


def page_size_px(dpi: int) -> tuple[int, int]:
    """A4 portrait size in pixels (width, height) at `dpi` dots per inch."""
    if dpi <= 0:
        raise ValueError(f"dpi must be positive, not {dpi}")
    return round(210 / 25.4 * dpi), round(297 / 25.4 * dpi)


def render_clean(spec: PageSpec, dpi: int, fonts: FontSet | None = None) -> Image.Image:
    """Draw `spec` as a clean A4 portrait page: an RGB image of `page_size_px(dpi)` pixels, black
    text on white, with `info["dpi"] = (dpi, dpi)`.

    Layout as `layout_page` (sizes in points, scaled by dpi / 72). If `spec.seal_line` is set, a red
    round seal (`seal_image`) is multiplied over the page, centred on the right half of the text
    column at that line, so text under it stays readable. Raises ValueError for a line that does not
    fit, a `seal_line` out of range or a non-positive dpi. Deterministic.
    """
    fonts = fonts or default_fonts()
    width, height = page_size_px(dpi)
    scale = dpi / 72
    lines = layout_page(spec, fonts)
    image = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    for line in lines:
        for seg in line.segments:
            for run in seg.runs:
                font = _font(str(run.font_path), seg.size_pt * scale)
                draw.text(
                    (run.x_pt * scale, line.baseline_pt * scale), run.text, font=font, fill=0, anchor="ls"
                )
    if spec.seal_line is not None:
        cx, cy = seal_centre_pt(spec, lines)
        _multiply_seal(image, seal_mask(spec.seal_text, dpi, fonts), (cx * scale, cy * scale))
    image.info["dpi"] = (dpi, dpi)
    return image


def seal_centre_pt(spec: PageSpec, lines: list[PlacedLine]) -> tuple[float, float]:
    """Centre of the seal in points from the top-left page corner: horizontally the middle of the
    text column's right half, vertically the middle of the seal line's lowercase letters.
    Raises ValueError if `spec.seal_line` is not a line index."""
    index = spec.seal_line
    if index is None or not 0 <= index < len(lines):
        raise ValueError(f"seal_line {index} is not a line of this {len(lines)}-line page")
    line = lines[index]
    return MARGIN_X_PT + 0.75 * TEXT_WIDTH_PT, line.baseline_pt - 0.3 * line.size_pt


@lru_cache(maxsize=8)
def seal_mask(seal_text: str, dpi: int, fonts: FontSet | None = None) -> Image.Image:
    """The seal's ink as an "L" mask (255 = full ink), `SEAL_DIAMETER_MM` across at `dpi`: an outer
    ring, an inner ring, `seal_text` in capitals around the band between them (starting at the lower
    left and running clockwise over the top) and a five-pointed star in the middle."""
    fonts = fonts or default_fonts()
    px_per_mm = dpi / 25.4
    diameter = int(round(SEAL_DIAMETER_MM * px_per_mm)) | 1
    radius = diameter / 2
    mask = Image.new("L", (diameter, diameter), 0)
    draw = ImageDraw.Draw(mask)
    outer_w = max(2, round(0.9 * px_per_mm))
    inner_r = radius * 0.68
    inner_w = max(1, round(0.45 * px_per_mm))
    draw.ellipse((0, 0, diameter - 1, diameter - 1), outline=255, width=outer_w)
    c = (diameter - 1) / 2
    draw.ellipse((c - inner_r, c - inner_r, c + inner_r, c + inner_r), outline=255, width=inner_w)
    # Star: 10 points alternating outer/inner radius, one point straight up.
    star_r, star_in = radius * 0.26, radius * 0.26 * 0.382
    points = []
    for k in range(10):
        r = star_r if k % 2 == 0 else star_in
        angle = np.pi / 2 - k * np.pi / 5
        points.append((c + r * np.cos(angle), c - r * np.sin(angle)))
    draw.polygon(points, fill=255)
    text = " ".join(seal_text.upper().split())
    if text:
        band_r = (radius - outer_w + inner_r + inner_w) / 2
        char_px = (radius - outer_w - inner_r - inner_w) * 0.78
        font = _font(str(fonts.seal), char_px)
        advances = [font.getlength(ch) for ch in text]
        total = sum(advances) * 1.08
        span = min(2 * np.pi * 0.92, total / band_r)  # radians of ring the text covers
        per_px = span / total
        angle = -span / 2  # from the top (0), clockwise positive
        box = int(char_px * 1.6)
        for ch, adv in zip(text, advances, strict=True):
            step = adv * 1.08 * per_px
            mid = angle + step / 2
            angle += step
            if ch == " ":
                continue
            glyph = Image.new("L", (box, box), 0)
            ImageDraw.Draw(glyph).text((box / 2, box / 2), ch, font=font, fill=255, anchor="mm")
            glyph = glyph.rotate(-np.degrees(mid), resample=Image.Resampling.BICUBIC)
            gx = c + band_r * np.sin(mid) - box / 2
            gy = c - band_r * np.cos(mid) - box / 2
            region = (int(round(gx)), int(round(gy)))
            sub = mask.crop((region[0], region[1], region[0] + box, region[1] + box))
            mask.paste(ImageChops.lighter(sub, glyph), region)
    return mask


def _multiply_seal(image: Image.Image, mask: Image.Image, centre_px: tuple[float, float]) -> None:
    """Multiply the seal colour over `image` (RGB, in place) where `mask` has ink, centred at
    `centre_px`; the parts of the seal outside the page are cut off."""
    left = int(round(centre_px[0] - mask.width / 2))
    top = int(round(centre_px[1] - mask.height / 2))
    box = (
        max(0, left),
        max(0, top),
        min(image.width, left + mask.width),
        min(image.height, top + mask.height),
    )
    if box[0] >= box[2] or box[1] >= box[3]:
        return
    region = np.asarray(image.crop(box), dtype=np.float32)
    ink = np.asarray(mask.crop((box[0] - left, box[1] - top, box[2] - left, box[3] - top)), dtype=np.float32)
    ink = ink[..., None] / 255.0
    colour = np.array(SEAL_RGB, dtype=np.float32) / 255.0
    blended = region * (1.0 - ink + ink * colour)
    image.paste(Image.fromarray(np.clip(blended + 0.5, 0, 255).astype(np.uint8)), box[:2])


_ROTATE = {
    90: Image.Transpose.ROTATE_270,  # PIL turns counter-clockwise; the sheet lay 90° clockwise
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_90,
}


def _check_effects(effects: ScanEffects) -> None:
    if effects.dpi <= 0:
        raise ValueError(f"dpi must be positive, not {effects.dpi}")
    if effects.rotation not in (0, 90, 180, 270):
        raise ValueError(f"rotation must be 0, 90, 180 or 270 degrees, not {effects.rotation}")
    if not 0.0 <= effects.speckle <= 1.0:
        raise ValueError(f"speckle is a share of pixels in 0..1, not {effects.speckle}")
    if effects.blur_radius < 0:
        raise ValueError(f"blur_radius must be >= 0 px, not {effects.blur_radius}")
    if effects.jpeg_quality is not None and not 1 <= effects.jpeg_quality <= 95:
        raise ValueError(f"jpeg_quality must be 1..95 or None, not {effects.jpeg_quality}")


def _is_gray(image: Image.Image) -> bool:
    """True if an RGB image has no colour (R = G = B everywhere)."""
    red, green, blue = image.split()
    return (
        ImageChops.difference(red, green).getbbox() is None
        and ImageChops.difference(green, blue).getbbox() is None
    )


def _scan(image: Image.Image, effects: ScanEffects, rng: random.Random) -> tuple[Image.Image, bytes | None]:
    """`apply_scan_effects`, also returning the JPEG bytes (with the dpi written) when
    `effects.jpeg_quality` is set, so JPEG files and scanned PDFs embed exactly that encoding."""
    _check_effects(effects)
    noise_rng = np.random.default_rng(
        rng.getrandbits(64)
    )  # drawn always: rng use is the same for any effects
    mode = image.mode
    if mode not in ("L", "RGB"):
        image, mode = image.convert("RGB"), "RGB"
    if mode == "RGB" and _is_gray(image):
        image = image.convert("L")  # the same pixels, a third of the work; back to RGB at the end
    white = 255 if image.mode == "L" else (255, 255, 255)
    if effects.skew_degrees:
        image = image.rotate(effects.skew_degrees, resample=Image.Resampling.BILINEAR, fillcolor=white)
    if effects.rotation:
        image = image.transpose(_ROTATE[effects.rotation])
    if effects.blur_radius > 0:
        image = image.filter(ImageFilter.GaussianBlur(effects.blur_radius))
    if effects.speckle > 0:
        pixels = np.array(image)  # a contiguous copy: H×W or H×W×C
        flat = pixels.reshape(pixels.shape[0] * pixels.shape[1], -1)  # a view on it
        count = int(round(effects.speckle * flat.shape[0]))
        where = noise_rng.integers(0, flat.shape[0], count)
        dark = noise_rng.random(count) < 0.5
        values = np.where(dark, noise_rng.integers(0, 90, count), noise_rng.integers(190, 256, count))
        flat[where] = values.astype(np.uint8)[:, None]
        image = Image.fromarray(pixels)
    if effects.grayscale:
        image = image.convert("L") if image.mode != "L" else image
    elif image.mode != mode:
        image = image.convert(mode)
    jpeg = None
    if effects.jpeg_quality is not None:
        jpeg = encode_jpeg(image, effects.jpeg_quality, effects.dpi)
        with Image.open(io.BytesIO(jpeg)) as decoded:
            image = decoded.convert(image.mode)
    image.info["dpi"] = (effects.dpi, effects.dpi)
    return image, jpeg


def apply_scan_effects(image: Image.Image, effects: ScanEffects, rng: random.Random) -> Image.Image:
    """Return `image` as the scanner gave it, effects applied in the scanner's order:

    1. skew: turned `skew_degrees` counter-clockwise (positive) about the centre, same canvas size,
       white fill (bilinear);
    2. rotation: the sheet lay `rotation` degrees clockwise, so the image is turned that way (90 and
       270 swap width and height);
    3. blur: Gaussian, radius `blur_radius` pixels;
    4. speckle: that share of the pixels set to a random dark (0–89) or light (190–255) grey;
    5. grayscale: converted to "L" if `grayscale`;
    6. JPEG: encoded and decoded at `jpeg_quality` if set (also for pages that end up in TIFF/PDF).

    The result has the input's mode ("L" or "RGB"; other modes become RGB) unless `grayscale`; an
    RGB page without colour is processed as "L" internally (same pixels, faster). The input is not
    changed; `info["dpi"]` of the result is `(effects.dpi, effects.dpi)` (the image
    is assumed to be rendered at that dpi already). Noise comes from a numpy generator seeded with
    `rng.getrandbits(64)` (always drawn), so the same rng state gives the same pixels. Raises
    ValueError for out-of-range effects.
    """
    return _scan(image, effects, rng)[0]


def encode_jpeg(image: Image.Image, quality: int, dpi: int) -> bytes:
    """JPEG bytes of `image` at `quality` (1–95) with a JFIF density of `dpi` dots per inch
    (4:2:0 chroma subsampling, baseline, no optimisation: deterministic)."""
    buffer = io.BytesIO()
    image.save(
        buffer, format="JPEG", quality=quality, dpi=(dpi, dpi), subsampling=2 if image.mode == "RGB" else 0
    )
    return buffer.getvalue()


def encode_png(image: Image.Image, dpi: int) -> bytes:
    """PNG bytes of `image` with a pHYs chunk for `dpi` dots per inch (zlib level 3: fast)."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(dpi, dpi), compress_level=3)
    return buffer.getvalue()


def encode_tiff(images: list[Image.Image], dpis: list[int]) -> bytes:
    """A multi-page TIFF, one page per image, each with its own resolution tags (`dpis`, dots per
    inch) and lossless Adobe Deflate compression. Pillow writes no date tag: deterministic bytes."""
    if not images or len(images) != len(dpis):
        raise ValueError("encode_tiff needs one dpi per image and at least one image")
    pages = [image.copy() for image in images]
    for page, dpi in zip(pages[1:], dpis[1:], strict=True):
        page.encoderinfo = {"dpi": (dpi, dpi), "compression": "tiff_adobe_deflate"}
    buffer = io.BytesIO()
    pages[0].save(
        buffer,
        format="TIFF",
        save_all=True,
        append_images=pages[1:],
        dpi=(dpis[0], dpis[0]),
        compression="tiff_adobe_deflate",
    )
    return buffer.getvalue()


def scan_page(
    spec: PageSpec, effects: ScanEffects, rng: random.Random, fonts: FontSet | None = None
) -> tuple[Image.Image, bytes | None]:
    """Render `spec` at `effects.dpi` and scan it: (image, JPEG bytes or None) as `apply_scan_effects`."""
    return _scan(render_clean(spec, effects.dpi, fonts), effects, rng)
