"""sapnhap.intake.files: fixity, type by content, page counts, quarantine reasons, the archive."""

import hashlib
import os
import stat
from pathlib import Path

import pytest

from sapnhap.intake import files as intake
from sapnhap.intake.files import (
    ContentAddressedArchive,
    FileKind,
    FixityError,
    QuarantineReason,
    inspect_file,
    sha256_file,
)
from tests.badfiles import (
    HEADER_LINES,
    cmyk_jpeg,
    docx_file,
    encrypted_empty_password_pdf,
    encrypted_password_pdf,
    jpeg_named_pdf,
    one_pixel_png,
    sixteen_bit_png,
    text_pdf,
    three_page_tiff,
    truncated_pdf,
    zero_byte,
    zip_archive,
)

INBOX = Path(__file__).resolve().parents[2] / "samples" / "inbox"
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_sha256_file_streams_large_files(tmp_path):
    data = os.urandom(2 * 1024 * 1024 + 12345)  # more than two 1 MiB chunks
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    assert sha256_file(path) == hashlib.sha256(data).hexdigest()


# --- good files -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "kind", "mime", "pages", "encrypted"),
    [
        (lambda d: text_pdf(d, HEADER_LINES * 20), FileKind.PDF, "application/pdf", 2, False),
        (jpeg_named_pdf, FileKind.JPEG, "image/jpeg", 1, False),
        (encrypted_empty_password_pdf, FileKind.PDF, "application/pdf", 1, True),
        (three_page_tiff, FileKind.TIFF, "image/tiff", 3, False),
        (cmyk_jpeg, FileKind.JPEG, "image/jpeg", 1, False),
        (sixteen_bit_png, FileKind.PNG, "image/png", 1, False),
    ],
)
def test_good_files(tmp_path, make, kind, mime, pages, encrypted):
    path = make(tmp_path)
    result = inspect_file(path)
    assert (result.kind, result.mime, result.page_count, result.encrypted) == (kind, mime, pages, encrypted)
    assert (result.quarantined, result.quarantine_reason, result.detail) == (False, None, "")
    assert result.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert result.size_bytes == path.stat().st_size


def test_pdf_with_junk_before_header_or_after_eof_is_accepted(tmp_path):
    pdf = text_pdf(tmp_path, HEADER_LINES).read_bytes()
    leading = tmp_path / "leading.pdf"
    leading.write_bytes(b"garbage from the mail gateway\r\n" + pdf)
    trailing = tmp_path / "trailing.pdf"
    trailing.write_bytes(pdf + b"\r\n" + b"\x00" * 4096)
    for path in (leading, trailing):
        result = inspect_file(path)
        assert (result.kind, result.page_count, result.quarantine_reason) == (FileKind.PDF, 1, None)


@pytest.mark.parametrize(
    ("relative", "kind", "pages", "encrypted"),
    [
        ("21064/vietadmin_1.pdf", FileKind.PDF, 2, False),
        ("21058/qngai_07-CT-2018_ccitt_stamp.pdf", FileKind.PDF, 4, False),
        ("21085/vietocr_vietsample1.pdf", FileKind.PDF, 2, True),
        ("21064/vietocr_vietsample2.tif", FileKind.TIFF, 2, False),
        ("21058/vietadmin_4_1.jpg", FileKind.JPEG, 1, False),
    ],
)
def test_real_sample_files(relative, kind, pages, encrypted):
    result = inspect_file(INBOX / relative)
    assert (result.kind, result.page_count, result.encrypted) == (kind, pages, encrypted)
    assert not result.quarantined


def test_every_shipped_sample_is_accepted():
    files = sorted(p for p in INBOX.rglob("*") if p.is_file())
    assert len(files) >= 10
    rejected = {p.name: inspect_file(p).quarantine_reason for p in files}
    assert {name: reason for name, reason in rejected.items() if reason} == {}


# --- quarantine -------------------------------------------------------------------------------


def test_empty_file(tmp_path):
    result = inspect_file(zero_byte(tmp_path))
    assert result.quarantine_reason is QuarantineReason.EMPTY_FILE
    assert (result.sha256, result.size_bytes, result.kind, result.page_count) == (
        EMPTY_SHA256,
        0,
        FileKind.OTHER,
        0,
    )
    assert "empty" in result.detail


def test_docx_is_read_as_a_born_digital_document_not_quarantined(tmp_path):
    result = inspect_file(docx_file(tmp_path))
    docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert (result.kind, result.mime, result.quarantine_reason, result.page_count) == (
        FileKind.DOCX,
        docx,
        None,
        1,
    )


def test_a_zip_archive_is_unsupported_and_named(tmp_path):
    result = inspect_file(zip_archive(tmp_path))
    assert (result.kind, result.mime, result.quarantine_reason) == (
        FileKind.OTHER,
        "application/zip",
        QuarantineReason.UNSUPPORTED_TYPE,
    )
    assert "application/zip" in result.detail and "XLSX" in result.detail


def test_plain_text_named_pdf_is_unsupported(tmp_path):
    path = tmp_path / "note.pdf"
    path.write_text("Ủy ban nhân dân xã Bình Minh\n", encoding="utf-8")
    result = inspect_file(path)
    assert (result.kind, result.quarantine_reason) == (FileKind.OTHER, QuarantineReason.UNSUPPORTED_TYPE)
    assert "application/octet-stream" in result.detail


def test_truncated_pdf_is_damaged(tmp_path):
    result = inspect_file(truncated_pdf(tmp_path))
    assert (result.kind, result.quarantine_reason) == (FileKind.PDF, QuarantineReason.PDF_DAMAGED)
    assert "complete copy" in result.detail
    assert "truncated.pdf" not in result.detail  # file names may carry personal names


def test_truncated_pdf_that_pdfium_repairs_is_still_damaged(tmp_path):
    """A real signed scan cut to 90 %: PDFium's repair finds all 4 pages, but %%EOF is gone."""
    data = (INBOX / "21058" / "qngai_07-CT-2018_ccitt_stamp.pdf").read_bytes()
    path = tmp_path / "cut.pdf"
    path.write_bytes(data[: len(data) * 9 // 10])
    result = inspect_file(path)
    assert (result.quarantine_reason, result.page_count) == (QuarantineReason.PDF_DAMAGED, 4)
    assert "%%EOF" in result.detail and "cut off" in result.detail


def test_password_pdf(tmp_path):
    result = inspect_file(encrypted_password_pdf(tmp_path))
    assert (result.kind, result.quarantine_reason, result.encrypted) == (
        FileKind.PDF,
        QuarantineReason.PASSWORD_REQUIRED,
        True,
    )
    assert "password" in result.detail and "unencrypted copy" in result.detail


def test_pdf_without_pages(tmp_path):
    from pypdf import PdfWriter

    path = tmp_path / "no_pages.pdf"
    with open(path, "wb") as handle:
        PdfWriter().write(handle)
    result = inspect_file(path)
    assert (result.kind, result.quarantine_reason, result.page_count) == (
        FileKind.PDF,
        QuarantineReason.NO_PAGES,
        0,
    )


def test_tiny_image(tmp_path):
    result = inspect_file(one_pixel_png(tmp_path))
    assert (result.kind, result.quarantine_reason, result.page_count) == (
        FileKind.PNG,
        QuarantineReason.IMAGE_TOO_SMALL,
        1,
    )
    assert "1×1 px" in result.detail


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
@pytest.mark.parametrize("make", [jpeg_named_pdf, sixteen_bit_png, three_page_tiff])
def test_truncated_images_are_unreadable(tmp_path, make):
    data = make(tmp_path).read_bytes()
    path = tmp_path / "cut_image"
    path.write_bytes(data[: len(data) // 2])
    result = inspect_file(path)
    assert result.quarantine_reason is QuarantineReason.IMAGE_UNREADABLE
    assert "cannot be decoded" in result.detail


def test_unreadable_file(tmp_path, monkeypatch):
    path = text_pdf(tmp_path, HEADER_LINES)

    def refuse(_path):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(intake, "sha256_file", refuse)
    result = inspect_file(path)
    assert (result.quarantine_reason, result.sha256) == (QuarantineReason.UNREADABLE_FILE, "")
    assert "Permission denied" in result.detail


def test_missing_file_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        inspect_file(tmp_path / "gone.pdf")


# --- content-addressed archive ----------------------------------------------------------------


def test_archive_put_is_write_once_and_read_only(tmp_path):
    source = text_pdf(tmp_path, HEADER_LINES)
    original_bytes, original_mode = source.read_bytes(), stat.S_IMODE(source.stat().st_mode)
    digest = sha256_file(source)
    archive = ContentAddressedArchive(tmp_path / "archive")
    expected = tmp_path / "archive" / "sha256" / digest[:2] / digest[2:4] / digest
    assert archive.path_for(digest) == expected and not archive.contains(digest)

    path, created = archive.put(source, digest)
    assert (path, created) == (expected, True)
    assert path.read_bytes() == original_bytes
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    assert archive.contains(digest)
    assert source.read_bytes() == original_bytes  # the original is untouched
    assert stat.S_IMODE(source.stat().st_mode) == original_mode

    inode = path.stat().st_ino
    again, created_again = archive.put(source, digest)
    assert (again, created_again) == (expected, False)
    assert again.stat().st_ino == inode  # nothing was rewritten
    assert sorted(p.name for p in path.parent.iterdir()) == [digest]  # no temporary files left


def test_archive_rejects_wrong_digest(tmp_path):
    source = text_pdf(tmp_path, HEADER_LINES)
    wrong = hashlib.sha256(b"something else").hexdigest()
    archive = ContentAddressedArchive(tmp_path / "archive")
    with pytest.raises(FixityError, match="born_digital.pdf") as raised:
        archive.put(source, wrong)
    assert isinstance(raised.value, ValueError)
    assert not archive.contains(wrong)
    assert list(archive.path_for(wrong).parent.iterdir()) == []  # the temporary copy is gone


def test_archive_detects_a_corrupted_archived_copy(tmp_path):
    source = text_pdf(tmp_path, HEADER_LINES)
    digest = sha256_file(source)
    archive = ContentAddressedArchive(tmp_path / "archive")
    path, _ = archive.put(source, digest)
    path.chmod(0o644)
    path.write_bytes(b"%PDF-1.4 tampered")
    with pytest.raises(FixityError, match="corrupted"):
        archive.put(source, digest)


def test_archive_rejects_bad_digest_strings(tmp_path):
    archive = ContentAddressedArchive(tmp_path)
    for bad in ("", "../../etc/passwd", EMPTY_SHA256.upper(), EMPTY_SHA256[:-1]):
        with pytest.raises(ValueError):
            archive.path_for(bad)
