"""Thirty kinds of bad input in one former unit's folder, taken in by one run: none crashes or stalls
it, every entry is accounted for (a file archived, a duplicate or quarantined with its reason; a link,
a system file or a special file listed as not read) and the `balanced` check passes. And a file that
vanishes between the folder's listing and its reading is quarantined, not lost."""

from __future__ import annotations

import os
import shutil
import unicodedata
from pathlib import Path

import pytest
from dagster import DagsterInstance
from sqlalchemy import select

from resources import DossierStore
from sapnhap.db.models import File, FileSource
from sapnhap.db.session import make_engine
from sapnhap.intake.files import ContentAddressedArchive
from sapnhap.intake.handover import intake_handover
from tests import badfiles
from tests.reliability import record
from tests.runs import check_evaluations, project

FORMER = "21058"

MAKERS = (
    badfiles.zero_byte,
    badfiles.jpeg_named_pdf,
    badfiles.truncated_pdf,
    badfiles.pdf_without_eof,
    badfiles.encrypted_empty_password_pdf,
    badfiles.encrypted_password_pdf,
    badfiles.docx_file,
    badfiles.zip_archive,
    badfiles.one_pixel_png,
    badfiles.three_page_tiff,
    badfiles.cmyk_jpeg,
    badfiles.sixteen_bit_png,
    badfiles.rotated_text_layer_pdf,
    badfiles.sideways_text_layer_pdf,
    badfiles.nfd_text_layer_pdf,
    badfiles.bomb_tiff,
    badfiles.huge_declared_jpeg,
    badfiles.many_pages_pdf,
    badfiles.corrupt_xlsx,
    badfiles.tcvn3_csv,
    badfiles.text_file,
    badfiles.html_named_pdf,
)


def _hostile_folder(folder: Path) -> dict[str, str]:
    """Thirty entries: the makers' files and eight made here. Name → entry name in `folder`."""
    made = {fn.__name__: fn(folder).name for fn in MAKERS}
    (folder / "loop.pdf").symlink_to("loop.pdf")  # a link to itself
    (folder / "passwd.pdf").symlink_to("/etc/passwd")  # a link out of the inbox
    os.mkfifo(folder / "pipe.pdf")  # a named pipe: reading it would block the run for ever
    (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (folder / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0")
    nfd = unicodedata.normalize("NFD", "Đơn đăng ký khai sinh.pdf")
    shutil.copy(folder / made["nfd_text_layer_pdf"], folder / nfd)  # the same bytes under an NFD name
    locked = badfiles.text_pdf(folder, badfiles.BODY_LINES, "khong_quyen_doc.pdf")
    locked.chmod(0)  # no permission at all (root reads it all the same)
    long_name = "ho_so_" + "rat_dai_" * 28 + ".pdf"  # 236 bytes
    badfiles.text_pdf(folder, badfiles.HEADER_LINES, long_name)
    made.update(
        loop="loop.pdf", link_out="passwd.pdf", fifo="pipe.pdf", ds_store=".DS_Store", thumbs="Thumbs.db",
        nfd_name=nfd, no_permission=locked.name, long_name=long_name,
    )  # fmt: skip
    assert len(made) == 30 and len(list(folder.iterdir())) == 30
    return made


@pytest.mark.slow
def test_thirty_kinds_of_bad_input_at_once_are_each_accounted_for(tmp_path):
    folder = tmp_path / "inbox" / FORMER
    folder.mkdir(parents=True)
    made = _hostile_folder(folder)
    home = tmp_path / "home"
    defs = project(home, folder.parent, ocr_cache=tmp_path / "ocr-cache", ocr_workers=2)
    ingest = defs.resolve_job_def("ingest_former_unit")
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("former_units", [FORMER])
        result = ingest.execute_in_process(partition_key=FORMER, instance=instance)
    assert result.success
    assert check_evaluations(result)["balanced"].passed
    intake = result.asset_materializations_for_node("dossier_files")[0].metadata
    assert intake["not_read"].value == 5  # two links, a pipe, two system files
    engine = make_engine(f"sqlite:///{home / 'sapnhap.db'}")
    with engine.connect() as conn:
        sources = {
            s.original_path: s
            for s in conn.execute(select(FileSource.original_path, FileSource.status, FileSource.file_sha256))
        }
        reasons = dict(conn.execute(select(File.sha256, File.quarantine_reason)).all())
    engine.dispose()
    assert len(sources) == 25  # every regular file: 30 entries less the 5 not read
    status = {name: sources[f"{FORMER}/{unicodedata.normalize('NFC', entry)}"].status
              for name, entry in made.items() if f"{FORMER}/{unicodedata.normalize('NFC', entry)}" in sources}  # fmt: skip
    reason = {
        name: reasons[sources[f"{FORMER}/{unicodedata.normalize('NFC', made[name])}"].file_sha256]
        for name in status
    }
    assert set(made) - set(status) == {"loop", "link_out", "fifo", "ds_store", "thumbs"}
    assert {
        name: reason[name]
        for name in ("bomb_tiff", "huge_declared_jpeg", "many_pages_pdf", "corrupt_xlsx", "tcvn3_csv", "text_file",
                     "html_named_pdf", "zero_byte", "encrypted_password_pdf", "zip_archive")
    } == {
        "bomb_tiff": "image_unreadable", "huge_declared_jpeg": "image_unreadable", "many_pages_pdf": "too_many_pages",
        "corrupt_xlsx": "document_damaged", "tcvn3_csv": "legacy_encoding", "text_file": "unsupported_type",
        "html_named_pdf": "unsupported_type", "zero_byte": "empty_file", "encrypted_password_pdf": "password_required",
        "zip_archive": "unsupported_type",
    }  # fmt: skip
    # The NFD-named copy is stored NFC and recorded as a duplicate of the first; the others are read.
    assert status["nfd_name"] == "duplicate"
    for name in ("no_permission", "long_name", "three_page_tiff", "cmyk_jpeg", "rotated_text_layer_pdf"):
        assert status[name] == "archived", name
    record(
        "30 kinds of bad input in one folder, one run",
        "the run succeeds; `balanced` passes; each entry archived, a duplicate, quarantined with its reason or listed as not read",
        f"{len(sources)} files recorded ({sum(s.status == 'quarantined' for s in sources.values())} quarantined), 5 entries not read, balanced",
        0,
        kinds=[f"{name}: {reason.get(name) or status.get(name) or 'not read'}" for name in made],
    )


def test_a_file_that_vanishes_after_the_listing_is_quarantined_not_lost(tmp_path):
    folder = tmp_path / "inbox" / FORMER
    folder.mkdir(parents=True)
    kept = badfiles.text_pdf(folder, badfiles.HEADER_LINES, "con_lai.pdf")
    gone = badfiles.text_pdf(folder, badfiles.BODY_LINES, "bi_xoa.pdf")
    store = DossierStore(inbox_dir=str(folder.parent), archive_dir=str(tmp_path / "archive"))
    listed = [(p, store.relative_path(p)) for p in store.files(FORMER)]
    assert [r for _, r in listed] == [f"{FORMER}/bi_xoa.pdf", f"{FORMER}/con_lai.pdf"]
    gone.unlink()  # removed by someone between the listing and the reading
    intake = intake_handover(FORMER, listed, ContentAddressedArchive(tmp_path / "archive"), lambda shas: {})
    rows = {r["original_path"]: r for r in intake.rows}
    assert rows[f"{FORMER}/bi_xoa.pdf"]["status"] == "quarantined"
    assert rows[f"{FORMER}/bi_xoa.pdf"]["quarantine_reason"] == "unreadable_file"
    assert rows[f"{FORMER}/bi_xoa.pdf"]["detail"] == (
        "could not read the file from the inbox: it is no longer there (removed or renamed after the folder "
        "was listed); hand it over again"
    )
    assert rows[f"{FORMER}/con_lai.pdf"]["status"] == "archived" and kept.exists()
    record(
        "a file removed between the folder's listing and its reading",
        "the intake quarantines it as unreadable_file with a reason naming no path; the rest is archived",
        "quarantined, not lost",
        0,
    )
