"""Files of the synthetic-dossier generator: `PageSpec`s → the bytes of one inbox file.

* `write_file` writes JPEG, PNG, multi-page TIFF, scanned PDF, born-digital PDF (real text layer)
  or a PDF whose text layer is in the pre-Unicode TCVN3 encoding, from the pages `render` draws and
  the PDFs `render_pdf` writes (reportlab);
* `broken_file` writes the files intake must quarantine.

Deterministic: the same specs, effects and seed give the same bytes.
"""

from __future__ import annotations

import io
import random
import zipfile
from dataclasses import replace

from PIL import Image

from sapnhap.samples import render_pdf
from sapnhap.samples.model import BrokenKind, FileFormat, PageSpec, RenderedFile, ScanEffects
from sapnhap.samples.render import (
    JPEG_DEFAULT_QUALITY,
    FontSet,
    default_fonts,
    encode_png,
    encode_tiff,
    scan_page,
)


def write_file(
    pages: list[PageSpec],
    effects: list[ScanEffects],
    fmt: FileFormat,
    seed: int,
    fonts: FontSet | None = None,
) -> RenderedFile:
    """Render `pages` with their `effects` (one per page) into one file of format `fmt`.

    * "jpeg"/"png": exactly one page; dpi written (JFIF density / pHYs). A JPEG page without
      `jpeg_quality` is encoded at 85 and recorded so.
    * "tiff": multi-page, each page with its effects and dpi tags, Deflate (lossless; pages with
      `jpeg_quality` went through a JPEG round trip first).
    * "pdf_scan": one JPEG page image per PDF page (the effect's quality, else 85, recorded), the page
      size the image size at its dpi; no text layer.
    * "pdf_digital": born-digital, DejaVu embedded, real text layer, same layout as `render_clean`;
      `effects` may be empty and are recorded as `ScanEffects()`; `text_layer="unicode"`.
    * "pdf_tcvn3": each page the clean image at its effect's dpi (JPEG 90) under an invisible text
      layer in TCVN3 byte codes; effects recorded as `ScanEffects(dpi=..., jpeg_quality=90)`;
      `text_layer="tcvn3"`.

    `seed` seeds the noise (`random.Random(seed)`, pages in order). Returns a `RenderedFile` with
    `page_texts` = each spec's text and `page_effects` = the effects actually applied. Raises
    ValueError for an empty page list, a count mismatch, a multi-page JPEG/PNG, an unknown format or
    a page that does not fit.
    """
    if not pages:
        raise ValueError("write_file needs at least one page")
    if fmt == "pdf_digital" and not effects:
        effects = [ScanEffects()] * len(pages)
    if len(effects) != len(pages):
        raise ValueError(f"{len(pages)} page(s) but {len(effects)} ScanEffects: give one per page")
    fonts = fonts or default_fonts()
    rng = random.Random(seed)
    texts = [spec.text for spec in pages]

    if fmt in ("jpeg", "png"):
        if len(pages) != 1:
            raise ValueError(f"a {fmt.upper()} file holds one page, not {len(pages)}")
        page_effects = effects[0]
        if fmt == "jpeg" and page_effects.jpeg_quality is None:
            page_effects = replace(page_effects, jpeg_quality=JPEG_DEFAULT_QUALITY)
        image, jpeg = scan_page(pages[0], page_effects, rng, fonts)
        data = jpeg if fmt == "jpeg" else encode_png(image, page_effects.dpi)
        assert data is not None
        return RenderedFile(data, "jpg" if fmt == "jpeg" else "png", texts, [page_effects])

    if fmt == "tiff":
        images = [scan_page(spec, fx, rng, fonts)[0] for spec, fx in zip(pages, effects, strict=True)]
        return RenderedFile(encode_tiff(images, [fx.dpi for fx in effects]), "tif", texts, list(effects))

    if fmt in ("pdf_scan", "pdf_digital", "pdf_tcvn3"):
        if fmt == "pdf_scan":
            recorded = [
                fx if fx.jpeg_quality is not None else replace(fx, jpeg_quality=JPEG_DEFAULT_QUALITY)
                for fx in effects
            ]
            scans = []
            for spec, fx in zip(pages, recorded, strict=True):
                image, jpeg = scan_page(spec, fx, rng, fonts)
                assert jpeg is not None
                scans.append((jpeg, image.width, image.height, fx.dpi))
            return RenderedFile(render_pdf.scanned_pdf(scans), "pdf", texts, recorded)
        if fmt == "pdf_digital":
            data = render_pdf.digital_pdf(pages, fonts)
            return RenderedFile(data, "pdf", texts, [ScanEffects() for _ in pages], text_layer="unicode")
        recorded = [ScanEffects(dpi=fx.dpi, jpeg_quality=render_pdf.TCVN3_JPEG_QUALITY) for fx in effects]
        data = render_pdf.tcvn3_pdf(pages, [fx.dpi for fx in recorded], fonts)
        return RenderedFile(data, "pdf", texts, recorded, text_layer="tcvn3")

    raise ValueError(f"unknown file format {fmt!r}")


def broken_file(kind: BrokenKind, seed: int) -> tuple[bytes, str, str]:
    """A file intake must quarantine: (bytes, extension without dot, expected quarantine reason as
    `sapnhap.intake.files.inspect_file` reports it).

    "empty" → 0 bytes (.pdf), "empty_file"; "truncated_pdf" → a generated one-page PDF cut in half,
    "pdf_damaged"; "password_pdf" → a PDF encrypted (RC4 128) with a non-empty user password,
    "password_required"; "unsupported" → a legacy Word .doc (OLE2) or a ZIP archive of a PDF (a
    hand-over zipped up), chosen by the seed, "unsupported_type" (a .docx is read, not broken); "tiny_image" → an 8×8 px PNG, "image_too_small". Deterministic per seed.
    """
    rng = random.Random(seed)
    if kind == "empty":
        return b"", "pdf", "empty_file"
    if kind == "truncated_pdf":
        whole = render_pdf.digital_pdf([render_pdf.filler_page(rng)], default_fonts())
        return whole[: len(whole) // 2], "pdf", "pdf_damaged"
    if kind == "password_pdf":
        return (
            render_pdf.password_pdf(render_pdf.filler_page(rng), default_fonts()),
            "pdf",
            "password_required",
        )
    if kind == "unsupported":
        if rng.random() < 0.5:
            return render_pdf.legacy_doc(rng), "doc", "unsupported_type"
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            info = zipfile.ZipInfo("ho_so/trich_luc.pdf", date_time=(2025, 7, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED  # compressed: no `%PDF-` in the archive's bytes
            archive.writestr(info, render_pdf.digital_pdf([render_pdf.filler_page(rng)], default_fonts()))
        return buffer.getvalue(), "zip", "unsupported_type"
    if kind == "tiny_image":
        grey = rng.randrange(0, 256)
        return encode_png(Image.new("L", (8, 8), grey), 300), "png", "image_too_small"
    raise ValueError(f"unknown broken-file kind {kind!r}")
