"""Tesseract, through pytesseract: recognition with word boxes, orientation detection, version.

Every call runs one `tesseract` process on an image file. Callers limit Tesseract's own threads
with `OMP_THREAD_LIMIT=1` and run one process per core instead (Tesseract's OpenMP threads scale
poorly and fight each other when several pages run at once).
"""

from __future__ import annotations

import functools
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytesseract

from sapnhap.ocr.page import Word
from sapnhap.text import nfc


class OcrEngineError(RuntimeError):
    """Tesseract is missing, lacks a language pack, or failed on a page."""


@dataclass(frozen=True)
class Recognition:
    """Words Tesseract found on one image, and their mean confidence (0..100, None if no word)."""

    words: list[Word]
    mean_confidence: float | None

    @property
    def text(self) -> str:
        """Page text: words joined by spaces within a line, lines by newlines, blocks by a blank line."""
        return words_to_text(self.words)


@functools.cache
def tesseract_version() -> str:
    """Return the installed Tesseract version, e.g. "5.3.0".

    Raises:
        OcrEngineError: when the `tesseract` command is not installed.
    """
    if shutil.which(pytesseract.pytesseract.tesseract_cmd) is None:
        raise OcrEngineError(
            "the `tesseract` command is not installed; on Debian: "
            "sudo apt-get install -y tesseract-ocr tesseract-ocr-vie tesseract-ocr-osd"
        )
    return str(pytesseract.get_tesseract_version())


def check_languages(languages: str) -> None:
    """Check that every language pack in a Tesseract language string (e.g. "vie+eng") is installed.

    Raises:
        OcrEngineError: naming the missing packs and the Debian packages that provide them.
    """
    tesseract_version()
    installed = set(pytesseract.get_languages(config=""))
    missing = [lang for lang in languages.split("+") if lang and lang not in installed]
    if missing:
        packages = " ".join(f"tesseract-ocr-{lang.lower().replace('_', '-')}" for lang in missing)
        raise OcrEngineError(
            f"Tesseract language pack(s) {', '.join(missing)} not installed "
            f"(installed: {', '.join(sorted(installed))}); on Debian: sudo apt-get install -y {packages}"
        )


def recognise(image_path: Path, languages: str, psm: int = 3, dpi: int | None = None) -> Recognition:
    """OCR one image file and return its words with boxes (pixels) and confidences (0..100).

    Args:
        image_path: an image file Tesseract reads (PNG, PNM, TIFF single frame).
        languages: Tesseract language string, e.g. "vie" or "vie+eng".
        psm: page segmentation mode (3 = automatic, 6 = one block, 7 = one line).
        dpi: resolution hint passed as `--dpi` (None lets Tesseract estimate it).

    Raises:
        OcrEngineError: when Tesseract fails on the image.
    """
    config = f"--psm {psm}" + (f" --dpi {dpi}" if dpi else "")
    try:
        data = pytesseract.image_to_data(
            str(image_path), lang=languages, config=config, output_type=pytesseract.Output.DICT
        )
    except pytesseract.TesseractError as exc:
        raise OcrEngineError(f"tesseract failed on {image_path.name}: {exc.message.strip()}") from exc
    words: list[Word] = []
    line_ids: dict[tuple[int, int, int], int] = {}
    for i, raw in enumerate(data["text"]):
        text = nfc(str(raw)).strip()
        conf = float(data["conf"][i])
        if not text or conf < 0:
            continue
        key = (int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i]))
        line = line_ids.setdefault(key, len(line_ids))
        words.append(
            Word(
                text=text,
                left=float(data["left"][i]),
                top=float(data["top"][i]),
                width=float(data["width"][i]),
                height=float(data["height"][i]),
                confidence=conf,
                block=key[0],
                line=line,
            )
        )
    mean = sum(w.confidence or 0.0 for w in words) / len(words) if words else None
    return Recognition(words=words, mean_confidence=mean)


@dataclass(frozen=True)
class Orientation:
    """Tesseract OSD verdict: clockwise degrees to rotate the image to set it upright, and confidence."""

    rotate: int
    confidence: float


def detect_orientation(image_path: Path) -> Orientation | None:
    """Run Tesseract's orientation and script detection (`--psm 0`) on an image file.

    Returns None when OSD cannot decide (too few characters, as on pages with little text); the
    caller then falls back to comparing recognition confidence at each orientation.
    """
    try:
        osd = pytesseract.image_to_osd(str(image_path), output_type=pytesseract.Output.DICT)
    except pytesseract.TesseractError:
        return None
    return Orientation(rotate=int(osd["rotate"]) % 360, confidence=float(osd["orientation_conf"]))


def words_to_text(words: list[Word]) -> str:
    """Assemble words into page text in their reading order (Tesseract's order)."""
    lines: list[str] = []
    current_line: int | None = None
    current_block: int | None = None
    buffer: list[str] = []
    for word in words:
        if word.line != current_line:
            if buffer:
                lines.append(" ".join(buffer))
            if current_block is not None and word.block != current_block:
                lines.append("")
            buffer = []
            current_line, current_block = word.line, word.block
        buffer.append(word.text)
    if buffer:
        lines.append(" ".join(buffer))
    return nfc("\n".join(lines))
