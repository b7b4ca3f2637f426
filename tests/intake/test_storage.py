"""The dossier store reads every hand-over file and reports, never silently drops, what it does not read."""

import os

from resources import DossierStore


def test_store_reads_hidden_and_nested_files_and_reports_what_it_skips(tmp_path):
    inbox = tmp_path / "inbox"
    unit = inbox / "21058"
    (unit / "ho-so" / "2019").mkdir(parents=True)
    (unit / "ho-so" / "2019" / "khai-sinh.pdf").write_bytes(b"%PDF-1.4")
    (unit / ".scan-001.pdf").write_bytes(b"%PDF-1.4 hidden but handed over")
    (unit / ".DS_Store").write_bytes(b"\0")
    outside = tmp_path / "secret.txt"
    outside.write_text("not part of the hand-over")
    os.symlink(outside, unit / "link.txt")
    for name in ("2105", "210580", "37", "２１０５８", "３７３", "Xa Binh Khuong"):
        (inbox / name).mkdir()
    (inbox / "21064").mkdir()
    (inbox / "373").mkdir()  # a former district's archive: Huyện Gia Viễn, Tỉnh Ninh Bình
    (inbox / "373" / "ho-so.pdf").write_bytes(b"%PDF-1.4 district")
    os.symlink(inbox / "373", inbox / "374")  # a linked folder is not a unit, whatever its name
    (inbox / "README.txt").write_text("stray file")
    store = DossierStore(inbox_dir=str(inbox), archive_dir=str(tmp_path / "archive"))

    assert store.former_units() == ["21058", "21064", "373"]
    assert [store.relative_path(p) for p in store.files("373")] == ["373/ho-so.pdf"]
    assert [store.relative_path(p) for p in store.files("21058")] == [
        "21058/.scan-001.pdf",
        "21058/ho-so/2019/khai-sinh.pdf",
    ]
    assert sorted(store.ignored_entries("21058")) == [
        ("21058/.DS_Store", "operating-system file"),
        ("21058/link.txt", "symbolic link (not followed)"),
    ]
    not_a_code = "folder not named by a 5-digit commune or 3-digit district code"
    assert store.ignored_entries() == [
        ("2105", not_a_code),
        ("210580", not_a_code),
        ("37", not_a_code),
        ("374", "symbolic link (not followed)"),
        ("README.txt", "file outside any former-unit folder"),
        ("Xa Binh Khuong", not_a_code),
        ("２１０５８", not_a_code),
        ("３７３", not_a_code),
    ]
    before = store.fingerprint("21058")
    (unit / "ho-so" / "moi.pdf").write_bytes(b"%PDF-1.4 new")
    assert store.fingerprint("21058") != before
