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
    for name in ("2105", "２１０５８", "Xa Binh Khuong"):
        (inbox / name).mkdir()
    (inbox / "21064").mkdir()
    (inbox / "README.txt").write_text("stray file")
    store = DossierStore(inbox_dir=str(inbox), archive_dir=str(tmp_path / "archive"))

    assert store.former_units() == ["21058", "21064"]
    assert [store.relative_path(p) for p in store.files("21058")] == [
        "21058/.scan-001.pdf",
        "21058/ho-so/2019/khai-sinh.pdf",
    ]
    assert sorted(store.ignored_entries("21058")) == [
        ("21058/.DS_Store", "operating-system file"),
        ("21058/link.txt", "symbolic link (not followed)"),
    ]
    assert store.ignored_entries() == [
        ("2105", "folder not named by a 5-digit former-unit code"),
        ("README.txt", "file outside any former-unit folder"),
        ("Xa Binh Khuong", "folder not named by a 5-digit former-unit code"),
        ("２１０５８", "folder not named by a 5-digit former-unit code"),
    ]
    before = store.fingerprint("21058")
    (unit / "ho-so" / "moi.pdf").write_bytes(b"%PDF-1.4 new")
    assert store.fingerprint("21058") != before
