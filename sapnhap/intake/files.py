"""File intake: fixity (SHA-256), type from content, page count, quarantine, content-addressed archive.

No Dagster here: the `dossier_files` asset calls `inspect_file` for every file dropped in
`inbox/<former-unit-code>/`, archives it with `ContentAddressedArchive.put`, and records quarantined
files with their reason and a plain-language `detail` an archivist can act on.

Decisions:

* The type comes from the bytes (the `filetype` library's magic numbers), never from the name: a
  `.pdf` that is really a JPEG is a JPEG. PDF readers accept up to 1 KiB of junk before `%PDF-`,
  so such files count as PDF too.
* A PDF is accepted only if PDFium opens it with an empty user password and loads every page.
  A PDF without its `%%EOF` end marker is quarantined as damaged even when PDFium's repair finds
  pages: a cut-off file may have lost whole pages (PDFium only counts the pages it could find)
  and we cannot tell which, so a person must ask for a complete copy or release it knowingly.
* Images are decoded fully, frame by frame, with the same `load_frame` the OCR stage uses, so an
  accepted image is one OCR can read.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
import tempfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import filetype
from PIL import Image

from sapnhap.ocr.images import image_frame_count, load_frame
from sapnhap.ocr.pdf import PdfDamaged, PdfPasswordRequired, summarize_pdf
from sapnhap.ocr.sheets import SheetUnreadable, header_is_cfb, inspect_sheets, sheet_kind_of

CHUNK_BYTES = 1024 * 1024
MIN_IMAGE_SIDE_PX = 16
_HEADER_BYTES = 8192
_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


class FileKind(StrEnum):
    """File type detected from content."""

    PDF = "pdf"
    TIFF = "tiff"
    JPEG = "jpeg"
    PNG = "png"
    # Born-digital registers (sapnhap.ocr.sheets): read as pages of cells, never OCR'd.
    XLSX = "xlsx"
    XLS = "xls"
    ODS = "ods"
    CSV = "csv"
    DOCX = "docx"
    ODT = "odt"
    OTHER = "other"


class QuarantineReason(StrEnum):
    """Why a file cannot go on to OCR (stored as its string value)."""

    EMPTY_FILE = "empty_file"
    UNSUPPORTED_TYPE = "unsupported_type"
    PDF_DAMAGED = "pdf_damaged"
    PASSWORD_REQUIRED = "password_required"
    IMAGE_UNREADABLE = "image_unreadable"
    IMAGE_TOO_SMALL = "image_too_small"
    NO_PAGES = "no_pages"
    UNREADABLE_FILE = "unreadable_file"
    DOCUMENT_DAMAGED = "document_damaged"
    LEGACY_ENCODING = "legacy_encoding"
    NO_TEXT = "no_text"
    TOO_MANY_PAGES = "too_many_pages"


MAX_FILE_PAGES = 2_000
"""Pages (PDF) or frames (TIFF) one handed-over file may hold before it is quarantined as
`too_many_pages`: a dossier or a register book volume has hundreds of pages at most, and at about 1
page/s of OCR per core a file of 10,000 blank or junk pages would hold the run for hours. An archivist
who knows the file is genuine releases it in the review sheet and it is read whole."""


_KIND_BY_MIME = {
    "application/pdf": FileKind.PDF,
    "image/tiff": FileKind.TIFF,
    "image/jpeg": FileKind.JPEG,
    "image/png": FileKind.PNG,
}
_ASK_FOR_COPY = "ask the former unit for a complete copy or a new scan"


@dataclass(frozen=True)
class FileInspection:
    """What intake learned about one file.

    `sha256` is the lowercase hex digest of the bytes ("" only when the file could not be read),
    `size_bytes` its size, `kind`/`mime` the type detected from content ("application/octet-stream"
    when unknown, "application/x-empty" for an empty file). `page_count` is pages (PDF) or frames
    (TIFF), 1 for JPEG/PNG, 0 when unknown. `encrypted` is True for an encrypted PDF (readable ones
    open with an empty user password). `quarantine_reason` is None for a good file; then `detail`
    is "", otherwise it says what is wrong and what to do.
    """

    sha256: str
    size_bytes: int
    kind: FileKind
    mime: str
    page_count: int
    encrypted: bool
    quarantine_reason: QuarantineReason | None
    detail: str

    @property
    def quarantined(self) -> bool:
        """True if the file must not go on to OCR."""
        return self.quarantine_reason is not None


class FixityError(ValueError):
    """A copy's SHA-256 differs from the expected digest (the file changed or was corrupted)."""


class ArchiveFull(OSError):
    """The archive's volume ran out of space (ENOSPC) or quota (EDQUOT) while copying a file: nothing
    of that file was archived (its partial copy is removed) and its original is untouched. Not the
    file's fault, so never a quarantine: free space (or point SAPNHAP_ARCHIVE at a larger volume) and
    run again."""


def sha256_file(path: Path) -> str:
    """Return the lowercase hex SHA-256 of the file at `path`, read in 1 MiB chunks.

    Raises OSError (e.g. FileNotFoundError, PermissionError) if the file cannot be read.
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _detect(header: bytes) -> tuple[FileKind, str]:
    """Kind and MIME type from the first bytes of a file."""
    guess = filetype.guess(header)
    mime = guess.mime if guess is not None else "application/octet-stream"
    kind = _KIND_BY_MIME.get(mime, FileKind.OTHER)
    if kind is FileKind.OTHER and b"%PDF-" in header[:1024]:
        return FileKind.PDF, "application/pdf"
    return kind, mime


def _inspect_pdf(path: Path) -> tuple[int, bool, QuarantineReason | None, str]:
    try:
        summary = summarize_pdf(path)
    except PdfPasswordRequired:
        return (
            0,
            True,
            QuarantineReason.PASSWORD_REQUIRED,
            "the PDF is encrypted with a user password; ask the former unit for the password or an "
            "unencrypted copy",
        )
    except PdfDamaged as exc:
        # The detail is shown in the UI: keep file names (which may hold personal names) out of it.
        problem = str(exc).removeprefix(f"{path.name}: ")
        return 0, False, QuarantineReason.PDF_DAMAGED, f"the PDF is damaged: {problem}; {_ASK_FOR_COPY}"
    except Exception as exc:  # any other failure inside PDFium's bindings is damage too, never fatal
        return (
            0,
            False,
            QuarantineReason.PDF_DAMAGED,
            f"the PDF is damaged ({type(exc).__name__}: {exc}); {_ASK_FOR_COPY}",
        )
    if summary.page_count == 0:
        return (
            0,
            summary.encrypted,
            QuarantineReason.NO_PAGES,
            f"the PDF opens but has no pages; {_ASK_FOR_COPY}",
        )
    if summary.missing_eof:
        return (
            summary.page_count,
            summary.encrypted,
            QuarantineReason.PDF_DAMAGED,
            f"the PDF ends without its %%EOF end marker, so it was cut off in copying or download; "
            f"{summary.page_count} page(s) could be recovered but pages may be missing; {_ASK_FOR_COPY}",
        )
    if summary.page_count > MAX_FILE_PAGES:
        return (
            summary.page_count,
            summary.encrypted,
            QuarantineReason.TOO_MANY_PAGES,
            _too_many("PDF", summary.page_count, "pages"),
        )
    return summary.page_count, summary.encrypted, None, ""


def _too_many(name: str, count: int, unit: str) -> str:
    return (
        f"the {name} has {count:,} {unit}, more than the {MAX_FILE_PAGES:,} one file may hold; split it "
        "into volumes (one dossier or register book per file) or release it in the review sheet to read "
        "it whole"
    )


def _inspect_image(path: Path, kind: FileKind) -> tuple[int, QuarantineReason | None, str]:
    name = kind.value.upper()
    try:
        frames = image_frame_count(path)
        if frames > MAX_FILE_PAGES:
            return frames, QuarantineReason.TOO_MANY_PAGES, _too_many(f"{name} image", frames, "frames")
        for index in range(frames):
            width, height = load_frame(path, index).size
            if width < MIN_IMAGE_SIDE_PX or height < MIN_IMAGE_SIDE_PX:
                where = f"frame {index + 1} is" if frames > 1 else "it is"
                return (
                    frames,
                    QuarantineReason.IMAGE_TOO_SMALL,
                    f"the {name} image is too small to hold text: {where} {width}×{height} px "
                    f"(minimum {MIN_IMAGE_SIDE_PX}×{MIN_IMAGE_SIDE_PX}); ask for a proper scan",
                )
    except Image.DecompressionBombError as exc:
        return (
            0,
            QuarantineReason.IMAGE_UNREADABLE,
            f"the {name} image is larger than the safety limit for decoding ({exc}); rescan at 300 dpi",
        )
    except Exception as exc:
        # Pillow reports bad image data as UnidentifiedImageError, OSError ("image file is
        # truncated"), SyntaxError (bad TIFF/PNG structure), ValueError, EOFError and more,
        # depending on the decoder: all of them mean the image cannot be used.
        return (
            0,
            QuarantineReason.IMAGE_UNREADABLE,
            f"the {name} image cannot be decoded ({type(exc).__name__}: {exc}); {_ASK_FOR_COPY}",
        )
    return frames, None, ""


_SHEET_REASONS = {
    "password_required": QuarantineReason.PASSWORD_REQUIRED,
    "document_damaged": QuarantineReason.DOCUMENT_DAMAGED,
    "legacy_encoding": QuarantineReason.LEGACY_ENCODING,
    "no_text": QuarantineReason.NO_TEXT,
    "no_pages": QuarantineReason.NO_PAGES,
}


def _inspect_sheet(path: Path, digest: str, size: int, kind: FileKind, mime: str) -> FileInspection:
    """A born-digital register: its pages (sheets, tables), or the reason it cannot be read."""
    if header_is_cfb(path):  # filetype names compound files after whichever Office format it guesses
        mime = "application/vnd.ms-excel" if kind is FileKind.XLS else "application/x-cfb"
    elif kind is FileKind.CSV:
        mime = "text/csv"
    try:
        pages = inspect_sheets(path, kind.value)
    except SheetUnreadable as exc:
        return FileInspection(digest, size, kind, mime, 0, False, _SHEET_REASONS[exc.reason], str(exc))
    except Exception as exc:  # a reader library's own error: a clear reason, never a crash of the run
        return FileInspection(
            digest,
            size,
            kind,
            mime,
            0,
            False,
            QuarantineReason.DOCUMENT_DAMAGED,
            f"the {kind.value} file cannot be read ({type(exc).__name__}); ask the former unit for a new copy",
        )
    return FileInspection(digest, size, kind, mime, pages, False, None, "")


def inspect_file(path: Path) -> FileInspection:
    """Hash, identify and check one inbox file; never raises for bad content.

    Returns a `FileInspection`. Born-digital registers (XLSX, XLS, ODS, DOCX, ODT by content; CSV by
    name and text content) count their pages (`sapnhap.ocr.sheets`: sheets, tables, paragraphs).
    Quarantine reasons: EMPTY_FILE (0 bytes), UNSUPPORTED_TYPE (none of these by content; the detail
    names the detected MIME type), PASSWORD_REQUIRED (also a password-protected XLSX/DOCX),
    DOCUMENT_DAMAGED (a register its reader cannot open), LEGACY_ENCODING (a CSV in TCVN3/VNI),
    NO_TEXT (a DOCX/ODT with only pictures), PDF_DAMAGED (PDFium
    cannot open it or a page, or the file lacks its %%EOF marker), PASSWORD_REQUIRED (a non-empty
    user password is needed; empty-password encryption is fine and gives `encrypted=True`),
    NO_PAGES, IMAGE_UNREADABLE (Pillow cannot decode a frame), IMAGE_TOO_SMALL (a frame under
    16×16 px), UNREADABLE_FILE (the operating system refuses to read it, e.g. permissions).
    Raises FileNotFoundError if `path` does not exist, IsADirectoryError for a directory.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    if path.is_dir():
        raise IsADirectoryError(f"not a file but a directory: {path}")
    try:
        size = path.stat().st_size
        digest = sha256_file(path)
        with open(path, "rb") as handle:
            header = handle.read(_HEADER_BYTES)
    except OSError as exc:
        return FileInspection(
            sha256="",
            size_bytes=0,
            kind=FileKind.OTHER,
            mime="",
            page_count=0,
            encrypted=False,
            quarantine_reason=QuarantineReason.UNREADABLE_FILE,
            detail=f"the file cannot be read ({exc.strerror or type(exc).__name__}); check its permissions "
            "and the storage, then drop it in again",
        )

    if size == 0:
        return FileInspection(
            digest,
            0,
            FileKind.OTHER,
            "application/x-empty",
            0,
            False,
            QuarantineReason.EMPTY_FILE,
            "the file is empty (0 bytes): the copy or scan failed; ask the former unit to send it again",
        )

    kind, mime = _detect(header)
    sheet = sheet_kind_of(mime, header, path) if kind is FileKind.OTHER else None
    if sheet is not None:
        return _inspect_sheet(path, digest, size, FileKind(sheet), mime)
    if kind is FileKind.OTHER:
        return FileInspection(
            digest,
            size,
            kind,
            mime,
            0,
            False,
            QuarantineReason.UNSUPPORTED_TYPE,
            f"the content is {mime}, not PDF, TIFF, JPEG, PNG or a register (XLSX, XLS, ODS, CSV, DOCX, "
            "ODT); ask the former unit for it in one of these formats",
        )
    if kind is FileKind.PDF:
        pages, encrypted, reason, detail = _inspect_pdf(path)
        return FileInspection(digest, size, kind, mime, pages, encrypted, reason, detail)
    frames, reason, detail = _inspect_image(path, kind)
    return FileInspection(digest, size, kind, mime, frames, False, reason, detail)


class ContentAddressedArchive:
    """Write-once store of originals, addressed by SHA-256: `root/sha256/ab/cd/abcd…`.

    Files are copied, never moved or modified; each archived file is read-only (0o444) and its
    digest is checked after copying, so the archive holds exactly the bytes that were hashed.
    Safe for parallel writers: a file appears under its final name only complete and verified,
    and an existing file is never replaced.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_for(self, sha256: str) -> Path:
        """Return where the file with digest `sha256` lives (whether or not it is there yet).

        Raises ValueError unless `sha256` is 64 lowercase hex digits.
        """
        if not _SHA256_HEX.match(sha256):
            raise ValueError(f"not a lowercase hex SHA-256 digest: {sha256!r}")
        return self.root / "sha256" / sha256[:2] / sha256[2:4] / sha256

    def contains(self, sha256: str) -> bool:
        """True if a file with digest `sha256` is archived."""
        return self.path_for(sha256).is_file()

    def put(self, source: Path, sha256: str) -> tuple[Path, bool]:
        """Archive a copy of `source` whose SHA-256 must be `sha256`; return (path, created).

        The copy goes to a temporary file in the target folder, is flushed to disk, hashed again
        and compared with `sha256`, made read-only (0o444) and then linked into place under its
        final name, which fails rather than overwrite. If the digest is already archived, nothing
        is written, the archived file is verified, and (path, False) is returned. `source` is only
        read. Raises FixityError (a ValueError) naming the file if the copy's digest differs from
        `sha256` (the source changed since it was hashed, or the wrong digest was given), or if an
        already archived file no longer matches its digest; ArchiveFull (an OSError) when the volume
        fills during the copy (the partial copy removed); OSError for other I/O failures.
        """
        source = Path(source)
        target = self.path_for(sha256)
        if target.is_file():
            self._verify_archived(target, sha256)
            return target, False
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(prefix=f".{sha256[:12]}.", suffix=".tmp", dir=target.parent)
        temp = Path(temp_name)
        try:
            try:
                with os.fdopen(handle, "wb") as out, open(source, "rb") as src:
                    while chunk := src.read(CHUNK_BYTES):
                        out.write(chunk)
                    out.flush()
                    os.fsync(out.fileno())
            except OSError as exc:
                if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                    raise ArchiveFull(
                        exc.errno,
                        f"the archive at {self.root} is full: copying {source.name} "
                        f"({source.stat().st_size:,} bytes) failed ({os.strerror(exc.errno)}); nothing of it "
                        "was archived and the original is untouched. Free space or set SAPNHAP_ARCHIVE to a "
                        "larger volume, then run again",
                    ) from exc
                raise
            copied = sha256_file(temp)
            if copied != sha256:
                raise FixityError(
                    f"fixity check failed for {source.name}: the copy's SHA-256 is {copied}, expected "
                    f"{sha256}; the file changed after it was hashed or the digest is wrong"
                )
            temp.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
            try:
                os.link(temp, target)  # atomic, and never replaces an existing file
            except FileExistsError:
                self._verify_archived(target, sha256)  # a parallel run archived it first
                return target, False
            except OSError:
                # File systems without hard links: rename is atomic; re-check to avoid overwriting.
                if target.exists():
                    self._verify_archived(target, sha256)
                    return target, False
                os.rename(temp, target)
            return target, True
        finally:
            temp.unlink(missing_ok=True)

    @staticmethod
    def _verify_archived(target: Path, sha256: str) -> None:
        actual = sha256_file(target)
        if actual != sha256:
            raise FixityError(
                f"fixity check failed for archived file {target}: its SHA-256 is now {actual}, "
                f"expected {sha256}; the archive copy is corrupted and must be restored from backup"
            )
