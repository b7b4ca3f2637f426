"""The unified database on real SQLite and real PostgreSQL (fixtures `db_url`, `engine` in conftest)."""

from __future__ import annotations

import hashlib
import threading
import unicodedata
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from sapnhap.db import (
    File,
    LoadCounts,
    count_files,
    count_pages,
    count_sources,
    current_revision,
    first_sources,
    load_documents,
    load_files,
    load_pages,
    make_engine,
    migrate,
    record_events,
    session_scope,
    summary,
    upsert_former_units,
)
from sapnhap.db.models import Base, ProvenanceEvent, table_names
from sapnhap.db.session import alembic_config, write_connection
from sapnhap.ocr.page import PageResult, Word

HEAD = "0009"
TABLES = {
    "former_units",
    "files",
    "file_sources",
    "pages",
    "words",
    "documents",
    "provenance_events",
    "person_records",
    "record_fields",
    "quarantined_records",
    "persons",
    "person_members",
    "golden_values",
    "linkage_pairs",
    "linkage_decisions",
    "review_queue",
    "field_corrections",
    "record_releases",
    "file_releases",
}
SHA_A = hashlib.sha256(b"file A").hexdigest()
SHA_B = hashlib.sha256(b"file B").hexdigest()
SHA_Q = hashlib.sha256(b"file Q").hexdigest()
IMAGE = hashlib.sha256(b"page image").hexdigest()
T0 = datetime(2025, 7, 1, 8, 0, tzinfo=UTC)

UNITS = [
    {"code": "00004", "vintage": "pre2025", "name": "Phường Trúc Bạch", "district_name": "Quận Ba Đình"},
    {"code": "00007", "vintage": "pre2025", "name": "Phường Vĩnh Phúc", "district_name": "Quận Ba Đình"},
]


def file_row(sha: str, unit: str, path: str, status: str = "archived", **extra: object) -> dict:
    row = {
        "sha256": sha,
        "size_bytes": 1234,
        "kind": "pdf",
        "mime": "application/pdf",
        "page_count": 2,
        "encrypted": False,
        "status": status,
        "quarantine_reason": None,
        "detail": "",
        "archive_path": f"archive/{sha[:2]}/{sha}.pdf" if status != "quarantined" else None,
        "duplicate_of": None,
        "former_unit_code": unit,
        "former_unit_vintage": "pre2025",
        "original_path": path,
        "first_seen_at": T0,
    }
    row.update(extra)
    return row


def files_df() -> pd.DataFrame:
    """A in 00004 and (same bytes) in 00007; B in 00004; Q quarantined in 00007."""
    return pd.DataFrame(
        [
            file_row(SHA_A, "00004", "ho-tich/khai-sinh-2019.pdf"),
            file_row(SHA_A, "00007", "ban-sao/khai-sinh-2019.pdf", status="duplicate", duplicate_of=SHA_A),
            file_row(SHA_B, "00004", "can-bo/so-yeu-ly-lich.pdf", page_count=1),
            file_row(
                SHA_Q,
                "00007",
                "hong.pdf",
                status="quarantined",
                quarantine_reason="encrypted",
                encrypted=True,
            ),
        ]
    )


def ocr_page(sha: str, number: int, words: list[str], confidence: float) -> PageResult:
    boxes = [
        Word(text=w, left=10.0 + 60 * i, top=20.0, width=50.0, height=12.5, confidence=confidence, line=1)
        for i, w in enumerate(words)
    ]
    return PageResult(
        file_sha256=sha,
        page_number=number,
        method="ocr",
        reason="no_text_layer",
        text=" ".join(words),
        mean_confidence=confidence,
        engine="tesseract",
        engine_version="5.3.0",
        languages="vie",
        dpi=300,
        width=2480.0,
        height=3508.0,
        box_unit="px",
        image_sha256=IMAGE,
        rotation=90,
        rotation_method="osd",
        skew_degrees=-0.7,
        words=boxes,
        cached=number == 2,
        seconds=1.5,
    )


def pages_df() -> pd.DataFrame:
    text_page = PageResult(
        file_sha256=SHA_B,
        page_number=1,
        method="text_layer",
        reason="text_layer_ok",
        text="Sơ yếu lý lịch",
        engine="pdfplumber",
        engine_version="0.11.10",
        width=595.0,
        height=842.0,
        box_unit="pt",
        words=[Word("Sơ", 72, 90, 14, 11), Word("yếu", 90, 90, 18, 11), Word("lý", 112, 90, 10, 11)],
    )
    rows = [
        ocr_page(SHA_A, 1, ["Giấy", "khai", "sinh"], 80.0).to_row(),
        ocr_page(SHA_A, 2, ["Họ", "và", "tên:", "Nguyễn", "Văn", "An"], 90.0).to_row(),
        text_page.to_row(),
    ]
    return pd.DataFrame(rows)


def documents_df() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "file_sha256": SHA_A,
                "first_page": 1,
                "last_page": 2,
                "doc_type": "khai_sinh",
                "type_rule": "title:giấy khai sinh",
                "title": "Giấy khai sinh",
            },
            {
                "file_sha256": SHA_B,
                "first_page": 1,
                "last_page": 1,
                "doc_type": "so_yeu_ly_lich",
                "type_rule": "title:sơ yếu lý lịch",
                "title": None,
            },
        ]
    )


def events() -> list[dict]:
    return [
        {
            "subject_type": "file",
            "subject_id": SHA_A,
            "action": "fixity",
            "tool": "sapnhap.intake.files",
            "tool_version": "0.1.0",
            "outcome": "ok",
            "detail": {"sha256": SHA_A},
            "occurred_at": T0,
            "run_id": "run-1",
        },
        {
            "subject_type": "page",
            "subject_id": f"{SHA_A}:1",
            "action": "ocr",
            "tool": "tesseract",
            "tool_version": "5.3.0",
            "outcome": "ok",
            "detail": "mean confidence 80",
            "occurred_at": T0 + timedelta(minutes=1),
            "run_id": None,
        },
    ]


def load_all(engine) -> list[LoadCounts | int]:
    return [
        upsert_former_units(engine, UNITS),
        load_files(engine, files_df()),
        load_pages(engine, pages_df()),
        load_documents(engine, documents_df()),
        record_events(engine, events()),
    ]


def snapshot(engine) -> dict[str, list[tuple]]:
    """Every row of every table, sorted, so two snapshots compare contents, not just counts."""
    with engine.connect() as conn:
        return {
            t.name: sorted(map(tuple, conn.execute(select(t))), key=repr) for t in Base.metadata.sorted_tables
        }


# --------------------------------------------------------------------------- schema


def test_migration_matches_models(engine, db_url, tmp_path, monkeypatch):
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        assert compare_metadata(context, Base.metadata) == []
        assert set(inspect(conn).get_table_names()) == TABLES | {"alembic_version"}
    assert set(table_names()) == TABLES
    assert current_revision(engine) == HEAD
    # Again, by URL, from another working directory: already at head, nothing to do.
    monkeypatch.chdir(tmp_path)
    migrate(db_url)
    assert current_revision(engine) == HEAD


@pytest.mark.slow
def test_upgrade_from_0001_keeps_former_units_as_communes(db_url):
    """Revision 0002 adds `former_units.level` to a database already holding units and their files."""
    engine = make_engine(db_url)
    try:
        migrate(engine, "0001")
        with write_connection(engine) as conn:
            conn.execute(
                text(
                    "INSERT INTO former_units (vintage, code, name, district_name, province_name)"
                    " VALUES ('pre2025', '00004', 'Phường Trúc Bạch', 'Quận Ba Đình', 'Thành phố Hà Nội')"
                )
            )
        load_files(engine, [file_row(SHA_A, "00004", "ho-tich/khai-sinh-2019.pdf")])
        before = snapshot_at_0001(engine)

        migrate(engine)
        assert current_revision(engine) == HEAD
        with engine.connect() as conn:
            units = conn.execute(text("SELECT vintage, code, name, level FROM former_units")).all()
            assert units == [("pre2025", "00004", "Phường Trúc Bạch", "commune")]
            assert snapshot_at_0001(engine) == before  # files and their sources untouched
        with pytest.raises(IntegrityError):
            with write_connection(engine) as conn:
                conn.execute(
                    text("INSERT INTO former_units (vintage, code, level) VALUES ('pre2025', '373', 'huyen')")
                )
        assert upsert_former_units(engine, [{"code": "373"}]) == 1

        # Down again: the column goes, the rows stay; up again restores the default.
        with write_connection(engine) as conn:
            command.downgrade(alembic_config(conn), "0001")
        assert current_revision(engine) == "0001"
        with engine.connect() as conn:
            assert "level" not in {c["name"] for c in inspect(conn).get_columns("former_units")}
            assert conn.execute(text("SELECT count(*) FROM former_units")).scalar_one() == 2
        migrate(engine)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT code, level FROM former_units ORDER BY code")).all() == [
                ("00004", "commune"),
                ("373", "commune"),  # which units were districts is lost by a downgrade
            ]
    finally:
        engine.dispose()


def snapshot_at_0001(engine) -> dict[str, list[tuple]]:
    """The rows of files and file_sources (the tables revision 0002 does not touch)."""
    with engine.connect() as conn:
        return {
            table: sorted(map(tuple, conn.execute(text(f"SELECT * FROM {table}"))), key=repr)
            for table in ("files", "file_sources")
        }


def test_parallel_migrations_apply_once(db_url):
    errors: list[BaseException] = []

    def run() -> None:
        try:
            migrate(db_url)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    engine = make_engine(db_url)
    try:
        assert current_revision(engine) == HEAD
    finally:
        engine.dispose()


def test_engine_settings(engine, db_url):
    if engine.dialect.name == "sqlite":
        for _ in range(2):  # every pooled connection, not only the first
            with engine.connect() as a, engine.connect() as b:
                for conn in (a, b):
                    assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                    assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
                    assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    else:
        plain = make_engine(db_url.replace("postgresql+psycopg://", "postgresql://"))
        try:
            assert plain.dialect.driver == "psycopg"
            with plain.connect() as conn:
                assert conn.execute(text("SELECT count(*) FROM former_units")).scalar() == 0
        finally:
            plain.dispose()


# --------------------------------------------------------------------------- loading


def test_second_load_adds_and_changes_nothing(engine):
    first = load_all(engine)
    assert first[0] == 2 and first[4] == 2
    assert first[1].inserted == {"files": 3, "file_sources": 4}
    assert first[2].inserted == {"pages": 3, "words": 12}
    assert first[3].inserted == {"documents": 2}
    before = snapshot(engine)

    second = load_all(engine)
    assert second[0] == 0 and second[4] == 0
    for counts in second[1:4]:
        assert counts.total_new == 0 and counts.total_changed == 0, counts
    assert second[2].unchanged == {"pages": 3, "words": 12}
    assert snapshot(engine) == before


def test_same_bytes_in_two_units_are_one_file_with_two_sources(engine):
    upsert_former_units(engine, UNITS)
    load_files(engine, files_df())
    with engine.connect() as conn:
        files = conn.execute(
            text("SELECT status, duplicate_of FROM files WHERE sha256 = :s"), {"s": SHA_A}
        ).all()
        sources = conn.execute(
            text(
                "SELECT former_unit_code, original_path FROM file_sources WHERE file_sha256 = :s ORDER BY 1"
            ),
            {"s": SHA_A},
        ).all()
    assert files == [("archived", None)]
    assert sources == [("00004", "ho-tich/khai-sinh-2019.pdf"), ("00007", "ban-sao/khai-sinh-2019.pdf")]
    assert count_files(engine, "00004") == {"archived": 2, "duplicate": 0, "quarantined": 0}
    # Each occurrence keeps its own state: the copy in 00007 is a duplicate there.
    assert count_files(engine, "00007") == {"archived": 0, "duplicate": 1, "quarantined": 1}
    with engine.connect() as conn:
        notes = conn.execute(
            text("SELECT status, note FROM file_sources WHERE former_unit_code = '00007' ORDER BY status")
        ).all()
    assert [status for status, _ in notes] == ["duplicate", "quarantined"]
    assert notes[1][1]  # the quarantine reason's detail travels with the occurrence
    assert count_sources(engine, "00004") == 2 and count_sources(engine, "00007", "pre2025") == 2
    # Intake asks where known bytes were first seen: the first source loaded, not the later one.
    assert first_sources(engine, [SHA_A, SHA_B, IMAGE]) == {
        SHA_A: "ho-tich/khai-sinh-2019.pdf",
        SHA_B: "can-bo/so-yeu-ly-lich.pdf",
    }


def test_file_status_only_moves_up(engine):
    upsert_former_units(engine, UNITS)
    load_files(engine, [file_row(SHA_A, "00004", "a.pdf")])
    counts = load_files(
        engine, [file_row(SHA_A, "00007", "a.pdf", status="quarantined", quarantine_reason="x")]
    )
    assert counts.updated == {"files": 0} and counts.inserted == {"files": 0, "file_sources": 1}

    load_files(
        engine, [file_row(SHA_Q, "00004", "q.pdf", status="quarantined", quarantine_reason="encrypted")]
    )
    released = load_files(engine, [file_row(SHA_Q, "00004", "q.pdf")])
    # The occurrence moves up with the file: it was quarantined, it is now taken in.
    assert released.updated == {"files": 1, "file_sources": 1} and released.total_new == 0
    assert load_files(engine, [file_row(SHA_Q, "00004", "q.pdf")]).updated == {"files": 0}
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT sha256, status, quarantine_reason, archive_path FROM files")).all()
        source = conn.execute(
            text("SELECT status, note FROM file_sources WHERE file_sha256 = :s"), {"s": SHA_Q}
        )
        assert [tuple(r) for r in source] == [("archived", "")]
    assert sorted(rows) == sorted(
        [
            (SHA_A, "archived", None, f"archive/{SHA_A[:2]}/{SHA_A}.pdf"),
            (SHA_Q, "archived", None, f"archive/{SHA_Q[:2]}/{SHA_Q}.pdf"),
        ]
    )


def test_unit_unknown_to_the_gazetteer_is_stored_without_names(engine):
    unknown = {
        "code": "99998",
        "vintage": "pre2025",
        "name": None,
        "district_name": None,
        "province_name": None,
    }
    assert upsert_former_units(engine, [unknown]) == 1
    assert load_files(engine, [file_row(SHA_A, "99998", "99998/a.pdf")]).inserted["file_sources"] == 1
    assert upsert_former_units(engine, [{**unknown, "name": "Xã Mới"}]) == 1  # named later: updated
    with engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM former_units")).scalar_one() == "Xã Mới"


def test_former_district_is_stored_with_its_level_name_and_province(engine):
    """A former district's archive is a former unit: level, name and province from the gazetteer."""
    assert upsert_former_units(engine, [{"code": "373", "vintage": "pre2025"}, {"code": "14503"}]) == 2
    assert load_files(engine, [file_row(SHA_A, "373", "373/ho-so/a.pdf")]).inserted["file_sources"] == 1
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT code, level, name, district_name, province_name FROM former_units ORDER BY code")
        ).all()
    assert rows == [
        ("14503", "commune", "Xã Gia Tân", "Huyện Gia Viễn", "Tỉnh Ninh Bình"),
        ("373", "district", "Huyện Gia Viễn", None, "Tỉnh Ninh Bình"),
    ]
    assert count_sources(engine, "373") == 1 and count_sources(engine, "14503") == 0
    # The same again changes nothing; an explicit value wins over the gazetteer's.
    assert upsert_former_units(engine, [{"code": "373"}]) == 0
    assert upsert_former_units(engine, [{"code": "373", "name": "Huyện Gia Viễn (lưu trữ)"}]) == 1
    assert upsert_former_units(engine, [{"code": "999", "name": None}]) == 1  # unknown: level by shape
    with engine.connect() as conn:
        assert conn.execute(text("SELECT level, name FROM former_units WHERE code = '999'")).one() == (
            "district",
            None,
        )
    with pytest.raises(ValueError, match="level: not one of commune, district"):
        upsert_former_units(engine, [{"code": "373", "level": "province"}])


def test_unit_codes_keep_leading_zeros(engine, tmp_path):
    csv = tmp_path / "units.csv"
    pd.DataFrame(UNITS).to_csv(csv, index=False)
    assert upsert_former_units(engine, pd.read_csv(csv, dtype=str)) == 2
    with engine.connect() as conn:
        assert conn.execute(text("SELECT code FROM former_units ORDER BY code")).scalars().all() == [
            "00004",
            "00007",
        ]
    with pytest.raises(ValueError, match="leading zeros"):
        upsert_former_units(engine, pd.read_csv(csv))  # codes read as ints: 4, 7
    with pytest.raises(ValueError, match="leading zeros"):
        count_files(engine, 4)  # type: ignore[arg-type]


def test_nfd_input_is_stored_nfc(engine):
    def nfd(s: str) -> str:
        return unicodedata.normalize("NFD", s)

    upsert_former_units(
        engine, [{**u, "name": nfd(u["name"]), "district_name": nfd(u["district_name"])} for u in UNITS]
    )
    load_files(engine, [file_row(SHA_A, "00004", nfd("hộ tịch/khai sinh Nguyễn.pdf"))])
    page = ocr_page(SHA_A, 1, [nfd("Nguyễn"), nfd("Thị"), "Hường"], 85.0)
    page.text = nfd(page.text)
    load_pages(engine, [page.to_row()])
    load_documents(engine, [{**documents_df().iloc[0].to_dict(), "title": nfd("Giấy khai sinh")}])

    with engine.connect() as conn:
        stored = [
            *conn.execute(text("SELECT name FROM former_units")).scalars(),
            *conn.execute(text("SELECT district_name FROM former_units")).scalars(),
            *conn.execute(text("SELECT original_path FROM file_sources")).scalars(),
            *conn.execute(text("SELECT text FROM pages")).scalars(),
            *conn.execute(text("SELECT text FROM words ORDER BY word_index")).scalars(),
            *conn.execute(text("SELECT title FROM documents")).scalars(),
        ]
        path = conn.execute(text("SELECT original_path FROM file_sources")).scalar_one()
    assert stored and all(s == unicodedata.normalize("NFC", s) for s in stored)
    assert path == "hộ tịch/khai sinh Nguyễn.pdf"
    # The NFC spelling of the same input is the same row: nothing to do.
    again = ocr_page(SHA_A, 1, ["Nguyễn", "Thị", "Hường"], 85.0)
    assert load_pages(engine, [again.to_row()]).total_changed == 0


def test_words_survive_a_parquet_round_trip(engine, tmp_path):
    upsert_former_units(engine, UNITS)
    load_files(engine, files_df())
    original = pages_df()
    parquet = tmp_path / "pages.parquet"
    original.to_parquet(parquet, index=False)
    restored = pd.read_parquet(parquet)
    assert not isinstance(restored.loc[0, "words"], list)  # numpy array of dicts after the round trip

    counts = load_pages(engine, restored)
    assert counts.inserted == {"pages": 3, "words": 12}
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT p.page_number, w.word_index, w.text, w.confidence, w.left, w.top, w.width, w.height,"
                " w.block, w.line FROM words w JOIN pages p ON p.id = w.page_id"
                " WHERE p.file_sha256 = :s ORDER BY 1, 2"
            ),
            {"s": SHA_A},
        ).all()
        dpi = conn.execute(text("SELECT dpi FROM pages WHERE file_sha256 = :s"), {"s": SHA_B}).scalar_one()
    expected = [
        (
            row["page_number"],
            i,
            w["text"],
            w["confidence"],
            w["left"],
            w["top"],
            w["width"],
            w["height"],
            0,
            1,
        )
        for _, row in original[original.file_sha256 == SHA_A].iterrows()
        for i, w in enumerate(row["words"])
    ]
    assert [tuple(r) for r in rows] == expected
    assert dpi is None  # None -> NaN in Parquet/pandas -> NULL, not 0
    # Loading the in-memory (list-of-dicts) frame afterwards finds everything already there.
    assert load_pages(engine, original).total_changed == 0


def test_changed_page_is_updated_and_its_words_replaced(engine):
    upsert_former_units(engine, UNITS)
    load_files(engine, files_df())
    load_pages(engine, pages_df())
    redone = ocr_page(SHA_A, 1, ["Giấy", "khai-sinh"], 93.0)
    counts = load_pages(engine, [redone.to_row()])
    assert counts.updated == {"pages": 1}
    assert counts.deleted == {"words": 3} and counts.inserted == {"words": 2}
    with engine.connect() as conn:
        words = conn.execute(
            text(
                "SELECT w.text FROM words w JOIN pages p ON p.id = w.page_id"
                " WHERE p.file_sha256 = :s AND p.page_number = 1 ORDER BY w.word_index"
            ),
            {"s": SHA_A},
        ).scalars()
        assert list(words) == ["Giấy", "khai-sinh"]
    assert summary(engine)["words"] == 11


def test_summary_and_reconciliation_counts(engine):
    load_all(engine)
    assert summary(engine) == {
        "former_units": 2,
        "files": {"archived": 2, "duplicate": 0, "quarantined": 1},
        "file_sources": 4,
        "pages": {"text_layer": 1, "ocr": 2, "failed": 0},
        "words": 12,
        "mean_ocr_confidence": pytest.approx(85.0),
        "documents": {"khai_sinh": 1, "so_yeu_ly_lich": 1},
        "provenance_events": 2,
    }
    assert count_pages(engine, [SHA_A, SHA_A, SHA_B, SHA_Q]) == 3
    assert count_pages(engine, []) == 0
    assert count_files(engine, "99999") == {"archived": 0, "duplicate": 0, "quarantined": 0}


def test_events_are_utc_aware_and_recorded_once(engine):
    hanoi = timezone(timedelta(hours=7))
    event = {**events()[0], "occurred_at": datetime(2025, 7, 1, 15, 0, tzinfo=hanoi)}
    assert record_events(engine, [event, event]) == 1
    assert record_events(engine, [{**event, "occurred_at": T0 + timedelta(days=1), "run_id": "run-2"}]) == 0
    with session_scope(engine, write=False) as session:
        stored = session.scalars(select(ProvenanceEvent)).one()
    assert stored.occurred_at == T0 and stored.occurred_at.utcoffset() == timedelta(0)
    assert stored.run_id == "run-1" and stored.detail == f'{{"sha256": "{SHA_A}"}}'
    with pytest.raises(ValueError, match="aware"):
        record_events(engine, [{**event, "outcome": "other", "occurred_at": datetime(2025, 7, 1)}])


def test_missing_references_raise_and_write_nothing(engine):
    with pytest.raises(LookupError, match="former units"):
        load_files(engine, files_df())
    upsert_former_units(engine, UNITS)
    with pytest.raises(LookupError, match="files not in files"):
        load_pages(engine, pages_df())
    with pytest.raises(ValueError, match="at most 64"):
        load_files(engine, [file_row(SHA_A, "00004", "a.pdf", kind="x" * 65)])
    assert summary(engine)["files"] == {"archived": 0, "duplicate": 0, "quarantined": 0}
    assert summary(engine)["file_sources"] == 0


def test_session_scope_reads_relationships_and_rolls_back(engine):
    load_all(engine)
    with session_scope(engine) as session:
        file = session.get(File, SHA_A)
        assert file is not None
        assert sorted(s.former_unit.code for s in file.sources) == ["00004", "00007"]
        assert [p.page_number for p in file.pages] == [1, 2]
        assert [w.text for w in file.pages[0].words] == ["Giấy", "khai", "sinh"]
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        session.get(File, SHA_B).detail = "changed"  # type: ignore[union-attr]
        session.flush()
        raise RuntimeError("boom")
    with session_scope(engine, write=False) as session:
        assert session.get(File, SHA_B).detail == ""  # type: ignore[union-attr]


def test_parallel_loads_of_the_same_pages_do_not_collide(engine, db_url):
    upsert_former_units(engine, UNITS)
    load_files(engine, files_df())
    frame = pages_df()
    results: list[LoadCounts] = []
    errors: list[BaseException] = []

    def run() -> None:
        own = make_engine(db_url)  # one engine per "process", as parallel partition runs would have
        try:
            results.append(load_pages(own, frame))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            own.dispose()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(r.inserted.get("pages", 0) for r in results) == 3
    assert sum(r.inserted.get("words", 0) for r in results) == 12
    assert summary(engine)["words"] == 12


@pytest.mark.slow
def test_revision_0005_records_decisions_with_their_agent_and_downgrades(db_url):
    """Revision 0005: an archivist's decision on a review item is a provenance event with its agent;
    the subject types are checked by the database; the downgrade refuses while such events exist."""
    engine = make_engine(db_url)
    try:
        migrate(engine)
        decision = {
            "subject_type": "review_item",
            "subject_id": "merge:a|b",
            "action": "review_decision",
            "tool": "review sheet",
            "tool_version": "reviews/14488.xlsx",
            "outcome": "reject",
            "detail": {"note": "hai người khác nhau", "row": 2},
            "agent": "Lê Thị Thu",
        }
        assert record_events(engine, [decision]) == 1
        assert record_events(engine, [decision]) == 0  # the same decision again: one event
        with engine.connect() as conn:
            stored = conn.execute(
                select(ProvenanceEvent.agent, ProvenanceEvent.outcome, ProvenanceEvent.subject_type)
            ).one()
            assert tuple(stored) == (
                "Lê Thị Thu",
                "reject",
                "review_item",
            )
            checks = {
                c["name"]: c["sqltext"] for c in inspect(conn).get_check_constraints("provenance_events")
            }
        assert "'review_item'" in checks["ck_provenance_events_subject_type"]
        with pytest.raises(IntegrityError), write_connection(engine) as conn:
            conn.execute(
                text(
                    "INSERT INTO provenance_events (event_key, subject_type, subject_id, action, tool, "
                    "tool_version, outcome, detail, occurred_at) VALUES ('k', 'rumour', 'x', 'a', 't', '', "
                    "'o', '', '2026-01-01')"
                )
            )
        with pytest.raises(RuntimeError, match="1 provenance events are about records or review items"):
            with write_connection(engine) as conn:
                command.downgrade(alembic_config(conn), "0004")
        with write_connection(engine) as conn:
            conn.execute(text("DELETE FROM provenance_events"))
            command.downgrade(alembic_config(conn), "0004")
        assert current_revision(engine) == "0004"
        with engine.connect() as conn:
            columns = {c["name"] for c in inspect(conn).get_columns("provenance_events")}
            checks = {c["name"] for c in inspect(conn).get_check_constraints("provenance_events")}
        assert "agent" not in columns and checks == {"ck_provenance_events_ck_provenance_events_subject_type"}
        migrate(engine)
        assert current_revision(engine) == HEAD
    finally:
        engine.dispose()


def test_plain_words_take_the_fast_path_with_the_checked_paths_result():
    from sapnhap.db.load import _plain_word, _word

    decomposed = unicodedata.normalize("NFD", "Nguyễn")
    plain = [
        {
            "text": "Ngày",
            "confidence": 91.5,
            "left": 1.0,
            "top": 2.0,
            "width": 3.0,
            "height": 4.0,
            "block": 1,
            "line": 2,
        },
        {"text": decomposed, "confidence": None, "left": 1.0, "top": 2.0, "width": 3.0, "height": 4.0},
        {
            "text": "ÐINH",
            "confidence": 50.0,
            "left": 0.0,
            "top": 0.0,
            "width": 1.0,
            "height": 1.0,
            "block": 0,
            "line": 0,
        },
    ]
    for word in plain:
        fast = _plain_word(word)
        assert fast is not None and fast == _word(word, "w")
    assert _plain_word(plain[1])["text"] == "Nguyễn" and _plain_word(plain[2])["text"] == "ĐINH"
    # Anything else goes the checked way: coerced (numpy, ints) or refused with the field named.
    assert _plain_word({**plain[0], "left": np.float64(1.0)}) is None
    assert _plain_word({**plain[0], "top": 2}) is None
    assert _word({**plain[0], "top": 2}, "w")["top"] == 2.0
    nan_box = {**plain[0], "width": float("nan")}
    assert _plain_word(nan_box) is None
    with pytest.raises(ValueError, match=r"w\.width: a value is required"):
        _word(nan_box, "w")
    assert _plain_word({**plain[0], "confidence": float("nan")}) is None
    assert _word({**plain[0], "confidence": float("nan")}, "w")["confidence"] is None
    assert _plain_word({**plain[0], "block": True}) is None
