"""Intake of a former unit's hand-over: states, duplicates, names in two Unicode forms."""

import unicodedata
from pathlib import Path

from sapnhap.intake.files import ContentAddressedArchive
from sapnhap.intake.handover import intake_handover
from tests import badfiles

INBOX = Path(__file__).resolve().parents[2] / "samples" / "inbox"


def _files(folder: Path) -> list[tuple[Path, str]]:
    return [(p, p.relative_to(folder.parent).as_posix()) for p in sorted(folder.iterdir())]


def test_every_file_gets_one_state_and_rerun_changes_nothing(tmp_path):
    unit = tmp_path / "21058"
    unit.mkdir()
    badfiles.zero_byte(unit)
    badfiles.zip_archive(unit)
    (unit / "a.tif").write_bytes((INBOX / "21064" / "tesseract_viet.tif").read_bytes())
    (unit / "b-copy.tif").write_bytes((INBOX / "21064" / "tesseract_viet.tif").read_bytes())
    archive = ContentAddressedArchive(tmp_path / "archive")
    first = intake_handover("21058", _files(unit), archive, lambda shas: {})
    states = {r["original_path"]: (r["status"], r["quarantine_reason"]) for r in first.rows}
    assert states["21058/a.tif"] == ("archived", None)
    assert states["21058/b-copy.tif"] == ("duplicate", None)
    assert sorted(v for v in states.values() if v[0] == "quarantined") == [
        ("quarantined", "empty_file"),
        ("quarantined", "unsupported_type"),
    ]
    dup = next(r for r in first.rows if r["status"] == "duplicate")
    assert dup["detail"] == "exact duplicate of 21058/a.tif"
    # The database now knows where each content was first seen: a re-run marks nothing new.
    known = {r["sha256"]: r["original_path"] for r in first.rows if r["status"] != "duplicate"}
    again = intake_handover("21058", _files(unit), archive, lambda shas: known)
    assert [(r["original_path"], r["status"]) for r in again.rows] == [
        (r["original_path"], r["status"]) for r in first.rows
    ]


def test_same_name_in_nfc_and_nfd_is_two_files_not_a_crash(tmp_path):
    unit = tmp_path / "21073"
    unit.mkdir()
    data = (INBOX / "21064" / "tesseract_viet.tif").read_bytes()
    nfc_name = unicodedata.normalize("NFC", "Tờ trình.tif")
    nfd_name = unicodedata.normalize("NFD", "Tờ trình.tif")
    (unit / nfc_name).write_bytes(data)
    (unit / nfd_name).write_bytes(data)
    assert len(list(unit.iterdir())) == 2
    taken = intake_handover("21073", _files(unit), ContentAddressedArchive(tmp_path / "a"), lambda shas: {})
    paths = sorted(r["original_path"] for r in taken.rows)
    assert paths == ["21073/Tờ trình.tif", "21073/Tờ trình.tif~2"]
    assert all(p == unicodedata.normalize("NFC", p) for p in paths)
    assert sorted(r["status"] for r in taken.rows) == ["archived", "duplicate"]
    second = next(r for r in taken.rows if r["original_path"].endswith("~2"))
    assert "another Unicode form" in second["detail"]


def test_the_same_bad_bytes_again_are_quarantined_not_filed_as_duplicates(tmp_path):
    unit = tmp_path / "14479"
    unit.mkdir()
    (unit / "a.pdf").write_bytes(b"")
    (unit / "b.pdf").write_bytes(b"")
    other = tmp_path / "373"
    other.mkdir()
    (other / "c.pdf").write_bytes(b"")
    archive = ContentAddressedArchive(tmp_path / "archive")
    first = intake_handover("14479", _files(unit), archive, lambda shas: {})
    states = {r["original_path"]: (r["status"], r["quarantine_reason"]) for r in first.rows}
    assert states == {
        "14479/a.pdf": ("quarantined", "empty_file"),
        "14479/b.pdf": ("quarantined", "empty_file"),
    }
    assert "(same bytes as 14479/a.pdf)" in first.rows[1]["detail"]
    # Another former unit's copy of the same empty file, seen later: quarantined too.
    known = {first.rows[0]["sha256"]: "14479/a.pdf"}
    later = intake_handover("373", _files(other), archive, lambda shas: known)
    assert [(r["status"], r["quarantine_reason"]) for r in later.rows] == [("quarantined", "empty_file")]


def test_a_released_file_is_read_and_one_without_pages_stays_quarantined(tmp_path):
    unit = tmp_path / "21058"
    unit.mkdir()
    cut = badfiles.pdf_without_eof(unit)
    badfiles.zero_byte(unit)
    (unit / "z-copy.pdf").write_bytes(cut.read_bytes())
    archive = ContentAddressedArchive(tmp_path / "archive")
    before = intake_handover("21058", _files(unit), archive, lambda shas: {})
    states = {r["original_path"]: r for r in before.rows}
    held = states["21058/cut_at_the_end.pdf"]
    assert (held["status"], held["quarantine_reason"]) == ("quarantined", "pdf_damaged")
    assert held["page_count"] >= 1 and held["archive_path"]
    empty_sha = states["21058/empty.pdf"]["sha256"]
    released = {
        held["sha256"]: ("Lan (archivist)", "checked against the paper: all pages"),
        empty_sha: ("Lan", ""),
    }
    known = {held["sha256"]: "21058/cut_at_the_end.pdf", empty_sha: "21058/empty.pdf"}
    after = intake_handover("21058", _files(unit), archive, lambda shas: known, released)
    states = {r["original_path"]: r for r in after.rows}
    read = states["21058/cut_at_the_end.pdf"]
    assert (read["status"], read["quarantine_reason"]) == ("archived", None)
    assert read["detail"].startswith(
        "released by Lan (archivist) (checked against the paper: all pages) despite pdf_damaged:"
    )
    assert "%%EOF" in read["detail"]
    # The copy of released bytes is an ordinary duplicate now, not a second quarantine.
    assert (states["21058/z-copy.pdf"]["status"], states["21058/z-copy.pdf"]["duplicate_of"]) == (
        "duplicate",
        held["sha256"],
    )
    # An empty file has nothing to read: a release does not change it.
    assert (states["21058/empty.pdf"]["status"], states["21058/empty.pdf"]["quarantine_reason"]) == (
        "quarantined",
        "empty_file",
    )
    release = [e for e in after.events if e["action"] == "release"]
    assert [(e["subject_id"], e["agent"], e["detail"]) for e in release] == [
        (held["sha256"], "Lan (archivist)", "read despite pdf_damaged")
    ]
