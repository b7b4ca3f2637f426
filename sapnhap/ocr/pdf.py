"""PDF pages: page count, the embedded text layer and its quality, page rendering.

Two libraries, each for what it does best:

* PDFium (`pypdfium2`) opens the file, counts and renders pages, decrypts, and reports facts that
  pdfminer does not expose (text render mode, encryption).
* pdfplumber (on pdfminer.six) reads the text layer with character boxes.

Coordinates: every box returned here is in PDF points (1/72 inch) of the page *as displayed*,
i.e. after the page's /Rotate and relative to its CropBox, with the origin at the top-left corner,
x growing right and y growing down. `render_page` draws the same displayed page, so a word box times
`dpi / 72` is its pixel box in the rendered image.

A text layer is only trusted when it is real text: `read_text_layer` says per page whether it is
usable and, if not, why (no text, `(cid:NN)` glyph codes, legacy TCVN3/VNI encoding, scrambled
glyph mapping, or an old invisible OCR layer over a scanned image, which must be OCR'd again).
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pdfplumber
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pdfplumber.utils import cluster_objects
from PIL import Image

from sapnhap.ocr.page import Word
from sapnhap.text import cid_token_share, legacy_encoding, letter_entropy, nfc

# A page whose text layer has fewer letters than this is treated as having none.
MIN_LETTERS = 20
# `(cid:NN)` share of the non-space text above which the layer is glyph codes, not text.
MAX_CID_SHARE = 0.5
# Letter entropy (bits) below which the text is a scrambled glyph mapping; real prose is > 3.5.
MIN_LETTER_ENTROPY = 2.5
# Share of the displayed page that images must cover for the page to count as a scanned image.
IMAGE_PAGE_COVERAGE = 0.6
# On a scanned-image page, share of text objects that are invisible (render mode 3/7) or painted
# under the page image above which the text is an earlier OCR layer.
HIDDEN_TEXT_SHARE = 0.5
# On a scanned-image page, visible text shorter than this (in letters) is a stamp or pasted note
# (e.g. a digital-signature box "Ký bởi: ... Thời gian ký: ..."), not the page's text.
STAMP_MAX_LETTERS = 300
# How far from the end of the file the %%EOF marker may sit (PDF readers accept 1024 bytes).
_EOF_WINDOW = 1024

_PDFIUM_ERRORS = {
    pdfium_c.FPDF_ERR_UNKNOWN: "unknown error",
    pdfium_c.FPDF_ERR_FILE: "the file cannot be opened",
    pdfium_c.FPDF_ERR_FORMAT: "not a PDF, or its structure is corrupted",
    pdfium_c.FPDF_ERR_SECURITY: "unsupported encryption scheme",
}
_HIDDEN_RENDER_MODES = {pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE, pdfium_c.FPDF_TEXTRENDERMODE_CLIP}

# Reading direction of a character (its baseline in displayed space) → direction in which its
# lines follow one another. Rotating the page by 90° turns ltr/ttb into ttb/rtl, and so on.
_LINE_DIR_FOR_CHAR_DIR = {"ltr": "ttb", "ttb": "rtl", "rtl": "btt", "btt": "ltr"}


class PdfError(Exception):
    """A PDF cannot be read."""


class PdfPasswordRequired(PdfError):
    """The PDF is encrypted with a non-empty user password."""


class PdfDamaged(PdfError):
    """PDFium cannot open the PDF, or cannot load one of its pages."""


class PdfNoPages(PdfDamaged):
    """The PDF parses but holds no pages (pypdfium2 refuses to open such files)."""


@dataclass
class TextLayer:
    """The embedded text of one PDF page and whether it can stand in for OCR.

    `text` is NFC, lines separated by "\\n", words by one space, lines in reading order (for pages
    whose text runs sideways too). `words` carry boxes in PDF points of the displayed page,
    top-left origin; `block` numbers the text-direction group (0 = the page's main direction) and
    `line` the line within it; `confidence` is None. `width`/`height` are the displayed page's
    size in points (after /Rotate, CropBox). `usable` is True only for reason "text_layer_ok".

    Reasons: "text_layer_ok", "no_text_layer", "cid_tokens", "legacy_encoding_tcvn3",
    "legacy_encoding_vni", "scrambled_text", "image_page_prior_text_layer", "password_required",
    "text_layer_error". `detail` explains an unusable layer in words (counts, exception class).
    The text and words of an unusable layer are kept for diagnosis, never for records.
    """

    text: str
    words: list[Word] = field(default_factory=list)
    width: float = 0.0
    height: float = 0.0
    usable: bool = False
    reason: str = ""
    detail: str = ""


@dataclass(frozen=True)
class PdfSummary:
    """What intake needs to know about a PDF (see `summarize_pdf`)."""

    page_count: int
    encrypted: bool
    missing_eof: bool


@dataclass(frozen=True)
class _PageFacts:
    """Facts about one page taken from PDFium, in displayed-page points."""

    crop: tuple[float, float, float, float]  # left, top, right, bottom in the displayed MediaBox
    text_objects: int
    hidden_text_objects: int
    encrypted: bool

    @property
    def width(self) -> float:
        return self.crop[2] - self.crop[0]

    @property
    def height(self) -> float:
        return self.crop[3] - self.crop[1]


def _describe(exc: BaseException, path: Path) -> str:
    """`Class: message` for a `detail` field, unwrapping pdfplumber's PdfminerException to show the
    real cause. The file name is left out (details are shown in the UI; names may be personal)."""
    inner = exc.args[0] if len(exc.args) == 1 and isinstance(exc.args[0], BaseException) else None
    if inner is None:
        text = f"{type(exc).__name__}: {exc}"
    else:
        text = f"{type(exc).__name__} wrapping {type(inner).__name__}: {inner}"
    return text.replace(f"{path.name}: ", "").rstrip(": ")


def _open_document(path: Path) -> pdfium.PdfDocument:
    """Open `path` with PDFium (empty user password); the caller closes the document.

    Raises FileNotFoundError if `path` is not a file, PdfPasswordRequired if a non-empty user
    password is needed, PdfNoPages if the document has no pages, PdfDamaged if PDFium cannot parse
    the file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    try:
        return pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        cause = exc
    # pypdfium2 raises for any document without pages and reports FPDF_GetLastError, which PDFium
    # leaves unchanged (stale, e.g. "password" from an earlier file) when the file parses but has
    # no pages. Ask PDFium directly: a handle means "no pages"; no handle sets a fresh error code.
    encoded = (str(path.resolve()) + "\x00").encode("utf-8", errors="surrogateescape")
    handle = pdfium_c.FPDF_LoadDocument(encoded, None)
    if handle:
        pdfium_c.FPDF_CloseDocument(handle)
        raise PdfNoPages(f"{path.name}: the PDF parses but has no pages") from cause
    code = pdfium_c.FPDF_GetLastError()
    if code == pdfium_c.FPDF_ERR_PASSWORD:
        raise PdfPasswordRequired(
            f"{path.name}: the PDF is encrypted with a user password; ask the former unit for the "
            "password or an unencrypted copy"
        ) from cause
    reason = _PDFIUM_ERRORS.get(code, f"PDFium error code {code}")
    raise PdfDamaged(f"{path.name}: PDFium cannot open the file ({reason})") from cause


@contextmanager
def _open(path: Path) -> Iterator[pdfium.PdfDocument]:
    """`_open_document` as a context manager that closes the document."""
    document = _open_document(path)
    try:
        yield document
    finally:
        document.close()


def _is_encrypted(document: pdfium.PdfDocument) -> bool:
    return pdfium_c.FPDF_GetSecurityHandlerRevision(document.raw) != -1


def pdf_page_count(path: Path) -> int:
    """Return the number of pages of the PDF at `path` (PDFium; an empty user password is tried).

    Raises FileNotFoundError, PdfPasswordRequired (a non-empty user password is needed) or
    PdfDamaged (PDFium cannot parse the file). PDFium repairs a broken cross-reference table by
    scanning the file, so a truncated file may still report the pages it could find; use
    `summarize_pdf` to also learn whether the file looks truncated. Returns 0 for a PDF without pages.
    """
    try:
        with _open(path) as document:
            return len(document)
    except PdfNoPages:
        return 0


def pdf_missing_eof(path: Path) -> bool:
    """True if no `%%EOF` marker lies in the last 1024 bytes (trailing whitespace/NULs ignored).

    Every complete PDF ends with `%%EOF` (ISO 32000-1 §7.5.5; readers tolerate up to 1 KiB of
    trailing bytes). Its absence means the file was cut off in copying or download.
    """
    with open(path, "rb") as handle:
        handle.seek(0, io.SEEK_END)
        size = handle.tell()
        handle.seek(max(0, size - 64 * 1024))
        tail = handle.read().rstrip(b"\x00 \t\r\n\f")
    return b"%%EOF" not in tail[-_EOF_WINDOW:]


def summarize_pdf(path: Path) -> PdfSummary:
    """Page count, encryption and truncation of a PDF; every page is loaded once to prove it parses.

    Raises FileNotFoundError, PdfPasswordRequired, or PdfDamaged (file or a page cannot be loaded;
    the message names the page). Pages are loaded one at a time and closed, not rendered. A PDF
    without pages gives `page_count=0`.
    """
    try:
        document = _open_document(path)
    except PdfNoPages:
        return PdfSummary(page_count=0, encrypted=False, missing_eof=pdf_missing_eof(path))
    try:
        for index in range(len(document)):
            try:
                page = document[index]
            except pdfium.PdfiumError as exc:
                raise PdfDamaged(f"{Path(path).name}: page {index + 1} cannot be loaded ({exc})") from exc
            page.close()
        return PdfSummary(
            page_count=len(document), encrypted=_is_encrypted(document), missing_eof=pdf_missing_eof(path)
        )
    finally:
        document.close()


def page_size_points(path: Path, page_index: int) -> tuple[float, float]:
    """Return (width, height) in PDF points of page `page_index` (0-based) as displayed.

    The size is the CropBox's, with width and height swapped for /Rotate 90 or 270. Raises
    IndexError for a page index out of range, and what `pdf_page_count` raises.
    """
    with _open(path) as document:
        _check_index(path, document, page_index)
        page = document[page_index]
        try:
            width, height = page.get_size()
        finally:
            page.close()
        return float(width), float(height)


def render_page(path: Path, page_index: int, dpi: int, grayscale: bool = False) -> Image.Image:
    """Render page `page_index` (0-based) at `dpi` as an 8-bit PIL image, as the page is displayed.

    PDFium honours /Rotate and the CropBox, and draws annotations (signature stamps appear). The
    result is "RGB" (or "L" with `grayscale=True`), size = page size in points × dpi / 72, with
    `info["dpi"] = (dpi, dpi)`. Only this page is loaded; the document is closed before returning.
    Raises ValueError for dpi ≤ 0, IndexError for a page index out of range, and what
    `pdf_page_count` raises.
    """
    if dpi <= 0:
        raise ValueError(f"dpi must be positive, got {dpi}")
    with _open(path) as document:
        _check_index(path, document, page_index)
        page = document[page_index]
        try:
            bitmap = page.render(scale=dpi / 72, grayscale=grayscale, draw_annots=True)
            image = bitmap.to_pil()
            # An "L" image shares PDFium's buffer, which is freed with the bitmap: copy it out.
            image = image.copy() if image.mode == "L" else image
            bitmap.close()
        finally:
            page.close()
    if image.mode not in ("L", "RGB"):
        image = image.convert("RGB")
    image.info["dpi"] = (dpi, dpi)
    return image


def _check_index(path: Path, document: pdfium.PdfDocument, page_index: int) -> None:
    count = len(document)
    if not 0 <= page_index < count:
        raise IndexError(f"{Path(path).name} has {count} page(s); page index {page_index} does not exist")


def _displayed_box(
    box: tuple[float, float, float, float], mediabox: tuple[float, float, float, float], rotation: int
) -> tuple[float, float, float, float]:
    """Map a box in unrotated PDF user space to (left, top, right, bottom) in the displayed MediaBox.

    This mirrors pdfminer's page transform (origin at the MediaBox corner, page turned by /Rotate
    clockwise), then flips y so that the origin is the displayed page's top-left corner.
    """
    mx0, my0, mx1, my1 = mediabox

    def to_display(x: float, y: float) -> tuple[float, float]:
        if rotation == 90:
            return y - my0, x - mx0
        if rotation == 180:
            return mx1 - x, y - my0
        if rotation == 270:
            return my1 - y, mx1 - x
        return x - mx0, my1 - y

    (ax, ay), (bx, by) = to_display(box[0], box[1]), to_display(box[2], box[3])
    return min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)


def _page_facts(document: pdfium.PdfDocument, page_index: int) -> _PageFacts:
    """Collect crop box, text render modes and encryption for one page with PDFium."""
    page = document[page_index]
    try:
        rotation = page.get_rotation() % 360
        mediabox = page.get_mediabox()
        cx0, cy0, cx1, cy1 = page.get_cropbox()
        mx0, my0, mx1, my1 = mediabox
        crop = (max(cx0, mx0), max(cy0, my0), min(cx1, mx1), min(cy1, my1))
        if crop[0] >= crop[2] or crop[1] >= crop[3]:
            crop = mediabox
        page_area = (crop[2] - crop[0]) * (crop[3] - crop[1])

        text_objects = hidden = 0
        pending_text = 0  # text objects painted since the last page-covering image
        for obj in page.get_objects(max_depth=15):
            if obj.type == pdfium_c.FPDF_PAGEOBJ_TEXT:
                text_objects += 1
                if pdfium_c.FPDFTextObj_GetTextRenderMode(obj.raw) in _HIDDEN_RENDER_MODES:
                    hidden += 1
                else:
                    pending_text += 1
            elif obj.type == pdfium_c.FPDF_PAGEOBJ_IMAGE and obj.level == 0:
                left, bottom, right, top = obj.get_bounds()
                if (right - left) * (top - bottom) >= IMAGE_PAGE_COVERAGE * page_area:
                    hidden += pending_text  # visible text painted over by an opaque page image
                    pending_text = 0
        return _PageFacts(
            crop=_displayed_box(crop, mediabox, rotation),
            text_objects=text_objects,
            hidden_text_objects=hidden,
            encrypted=_is_encrypted(document),
        )
    finally:
        page.close()


def _decrypted_single_page(document: pdfium.PdfDocument, page_index: int) -> io.BytesIO:
    """Copy one page of an (already opened, hence decrypted) document into a new unencrypted PDF.

    pdfminer cannot read some encrypted files that PDFium opens, e.g. /P 0 permission flags make
    pdfminer.six 20260107 fail with `struct.error`. PDFium's page import copies the decrypted page
    with its inherited attributes (MediaBox, Rotate, Resources); the copy is written to memory only.
    """
    single = pdfium.PdfDocument.new()
    try:
        single.import_pages(document, [page_index])
        buffer = io.BytesIO()
        single.save(buffer)
    finally:
        single.close()
    buffer.seek(0)
    return buffer


def _char_dir(char: dict[str, Any]) -> str:
    """Reading direction of a pdfplumber char in the displayed page, from its text matrix."""
    a, b = char["matrix"][0], char["matrix"][1]
    if abs(a) >= abs(b):
        return "ltr" if a > 0 else "rtl"
    return "ttb" if b < 0 else "btt"  # pdfminer's y axis points up


def _line_key(line_dir: str) -> Callable[[dict[str, Any]], float]:
    return {
        "ttb": lambda w: w["top"],
        "btt": lambda w: -w["bottom"],
        "ltr": lambda w: w["x0"],
        "rtl": lambda w: -w["x1"],
    }[line_dir]


def _char_key(char_dir: str) -> Callable[[dict[str, Any]], float]:
    return {
        "ltr": lambda w: w["x0"],
        "rtl": lambda w: -w["x1"],
        "ttb": lambda w: w["top"],
        "btt": lambda w: -w["bottom"],
    }[char_dir]


def _extract(page: Any, facts: _PageFacts, origin: tuple[float, float]) -> tuple[str, list[Word]]:
    """Words and text of a pdfplumber page, read along each text direction found on the page.

    Characters are grouped by reading direction (from their text matrix, in displayed space); the
    largest group comes first. Each group is read with pdfplumber's word extractor told that
    direction (`char_dir`, and `line_dir` turned with it), so sideways text (a landscape page
    given /Rotate without counter-rotating its content) yields whole lines, not one word a line.
    Lines are clustered as pdfplumber's own `extract_text` does (3 pt tolerance).
    """
    groups = Counter(_char_dir(c) for c in page.chars if c.get("text", "").strip())
    left, top, right, bottom = facts.crop
    words_out: list[Word] = []
    lines_out: list[str] = []
    for block, (char_dir, _count) in enumerate(groups.most_common()):
        line_dir = _LINE_DIR_FOR_CHAR_DIR[char_dir]

        def in_group(obj: dict[str, Any], wanted: str = char_dir) -> bool:
            return obj.get("object_type") != "char" or _char_dir(obj) == wanted

        group = page.filter(in_group)
        if char_dir in ("ltr", "rtl"):
            # Drop fake-bold double printing. Not for vertical text: pdfplumber's dedupe clusters
            # by `top` first and merges distinct equal letters of one vertical line.
            group = group.dedupe_chars()
        words = group.extract_words(
            line_dir=line_dir, char_dir=char_dir, line_dir_rotated=line_dir, char_dir_rotated=char_dir
        )
        visible = []
        for w in words:
            cx = (w["x0"] + w["x1"]) / 2 - origin[0]
            cy = (w["top"] + w["bottom"]) / 2 - origin[1]
            if left <= cx <= right and top <= cy <= bottom:
                visible.append(w)
        line_key, char_key = _line_key(line_dir), _char_key(char_dir)
        for line_no, line in enumerate(cluster_objects(visible, line_key, 3)):
            line = sorted(line, key=char_key)
            lines_out.append(" ".join(nfc(w["text"]) for w in line))
            for w in line:
                words_out.append(
                    Word(
                        text=nfc(w["text"]),
                        left=w["x0"] - origin[0] - left,
                        top=w["top"] - origin[1] - top,
                        width=w["x1"] - w["x0"],
                        height=w["bottom"] - w["top"],
                        confidence=None,
                        block=block,
                        line=line_no,
                    )
                )
    return nfc("\n".join(lines_out)), words_out


def _image_coverage(page: Any, facts: _PageFacts, origin: tuple[float, float]) -> float:
    """Share (0..1) of the displayed page covered by the union of its images, on a 100×100 grid."""
    left, top, right, bottom = facts.crop
    width, height = right - left, bottom - top
    if width <= 0 or height <= 0 or not page.images:
        return 0.0
    grid = np.zeros((100, 100), dtype=bool)
    for image in page.images:
        x0 = (image["x0"] - origin[0] - left) / width
        x1 = (image["x1"] - origin[0] - left) / width
        y0 = (image["top"] - origin[1] - top) / height
        y1 = (image["bottom"] - origin[1] - top) / height
        c0, c1 = (int(round(np.clip(v, 0, 1) * 100)) for v in (x0, x1))
        r0, r1 = (int(round(np.clip(v, 0, 1) * 100)) for v in (y0, y1))
        grid[r0:r1, c0:c1] = True
    return float(grid.mean())


def _judge(text: str, coverage: float, facts: _PageFacts) -> tuple[str, str]:
    """Decide whether a page's text layer is usable: (reason, detail)."""
    if not text.strip():
        return "no_text_layer", "the page has no text layer (no characters)"
    cid_share = cid_token_share(text)
    if cid_share >= MAX_CID_SHARE:
        return "cid_tokens", (
            f"{cid_share:.0%} of the text layer is (cid:NN) glyph codes: its fonts have no Unicode mapping"
        )
    letters = sum(ch.isalpha() for ch in text) - 3 * text.count("(cid:")
    if letters < MIN_LETTERS:
        return "no_text_layer", f"the text layer holds only {letters} letter(s) (fewer than {MIN_LETTERS})"
    if coverage >= IMAGE_PAGE_COVERAGE:
        hidden_share = facts.hidden_text_objects / facts.text_objects if facts.text_objects else 0.0
        if hidden_share >= HIDDEN_TEXT_SHARE:
            return "image_page_prior_text_layer", (
                f"a scanned image covers {coverage:.0%} of the page and {hidden_share:.0%} of its text "
                "is invisible or under the image: an earlier OCR layer, to be OCR'd again"
            )
        if letters < STAMP_MAX_LETTERS:
            return "image_page_prior_text_layer", (
                f"a scanned image covers {coverage:.0%} of the page and its visible text is only "
                f"{letters} letters (a stamp or pasted note): the page must be OCR'd"
            )
    encoding = legacy_encoding(text)
    if encoding is not None:
        return f"legacy_encoding_{encoding}", (
            f"the text is in the pre-Unicode {encoding.upper()} encoding (Latin-1 mojibake)"
        )
    entropy = letter_entropy(text)
    if entropy < MIN_LETTER_ENTROPY:
        return "scrambled_text", (
            f"letter entropy {entropy:.2f} bits is below {MIN_LETTER_ENTROPY}: glyphs are mapped to a few "
            "code points (e.g. 'Agaaaaa: AAAA AAA')"
        )
    return "text_layer_ok", ""


def read_text_layer(path: Path, page_index: int) -> TextLayer:
    """Read the embedded text of page `page_index` (0-based) and judge whether it is usable.

    Returns a `TextLayer` (see its docstring for units and reasons). Never raises for problems in
    the file's content: a password-protected PDF gives reason "password_required", any exception
    while reading (e.g. pdfminer failing on a malformed object) gives "text_layer_error" with the
    exception class and message in `detail`. Annotations are never read (pdfplumber's
    `page.annots` recurses forever on some signed PDFs). Encrypted PDFs that open with an empty
    password are decrypted by PDFium into an in-memory single-page copy before pdfplumber reads
    them. Raises FileNotFoundError for a missing file and IndexError for a page index out of range.
    """
    path = Path(path)
    try:
        with _open(path) as document:
            _check_index(path, document, page_index)
            facts = _page_facts(document, page_index)
            if facts.encrypted:
                source: Path | io.BytesIO = _decrypted_single_page(document, page_index)
                page_number = 1
            else:
                source, page_number = path, page_index + 1
    except PdfPasswordRequired as exc:
        return TextLayer("", [], usable=False, reason="password_required", detail=_describe(exc, path))
    except (FileNotFoundError, IndexError):
        raise
    except Exception as exc:  # damaged file or PDFium failure on this page
        return TextLayer("", [], usable=False, reason="text_layer_error", detail=_describe(exc, path))

    try:
        with pdfplumber.open(source, pages=[page_number]) as pdf:
            page = pdf.pages[0]
            origin = (float(page.mediabox[0]), float(page.mediabox[1]))
            text, words = _extract(page, facts, origin)
            coverage = _image_coverage(page, facts, origin)
    except Exception as exc:  # pdfminer/pdfplumber failure on this page: never fatal
        return TextLayer("", [], facts.width, facts.height, False, "text_layer_error", _describe(exc, path))
    reason, detail = _judge(text, coverage, facts)
    return TextLayer(text, words, facts.width, facts.height, reason == "text_layer_ok", reason, detail)
