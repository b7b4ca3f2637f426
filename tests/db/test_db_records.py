"""Person records in the unified database (revision 0003, `load_records`), on SQLite and PostgreSQL.

Fixtures `db_url` and `engine` (migrated to head) come from conftest and are parametrised over both
backends. The input is what `sapnhap.records.tables` gives a former unit: a birth extract (text layer; the
child, mother and father) and a marriage extract (OCR'd; the husband, and the wife quarantined for
marrying under age).
"""

from __future__ import annotations

import hashlib
import json
import typing
import unicodedata

import pandas as pd
import pytest
from alembic import command
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from sapnhap.db import (
    PersonRecord,
    count_records,
    current_revision,
    load_documents,
    load_files,
    load_records,
    migrate,
    session_scope,
    upsert_former_units,
)
from sapnhap.db.models import (
    FIELD_STATUSES,
    RECORD_STATUSES,
    ROUTE_STATUSES,
    Base,
    utcnow,
)
from sapnhap.db.session import alembic_config, write_connection
from sapnhap.records import routing
from sapnhap.records import values as field_values
from sapnhap.records.rules import STATUSES
from sapnhap.records.tables import SOURCE_COLUMNS, VALIDATED_COLUMNS
from tests.db.test_db import HEAD, UNITS, file_row

RECORD_TABLES = {"person_records", "record_fields", "quarantined_records"}
SHA_BIRTH = hashlib.sha256(b"giay khai sinh").hexdigest()
SHA_MARRIAGE = hashlib.sha256(b"giay chung nhan ket hon").hexdigest()
SHA_LOOSE = hashlib.sha256(b"a file without documents").hexdigest()
UNIT = "00004"
HUSBAND_ID = "001085012345"


def nfd(s: str) -> str:
    return unicodedata.normalize("NFD", s)


def rid(sha: str, first: int, role: str) -> str:
    return f"{UNIT}:{sha[:16]}:{first}:{role or 'document'}"


CHILD, MOTHER, FATHER = (rid(SHA_BIRTH, 1, r) for r in ("child", "mother", "father"))
HUSBAND, WIFE = (rid(SHA_MARRIAGE, 1, r) for r in ("husband", "wife"))


def field(sha: str, role: str, name: str, raw: str, value: str | None = None, **extra: object) -> dict:
    """One source row; the birth extract is a text layer (pt, no confidence), the marriage OCR'd."""
    text_layer = sha == SHA_BIRTH
    row = {
        "record_id": rid(sha, 1, role),
        "former_unit_code": UNIT,
        "file_sha256": sha,
        "first_page": 1,
        "doc_type": "birth_registration" if text_layer else "marriage_registration",
        "role": role,
        "field": name,
        "raw": raw,
        "value": raw if value is None else value,
        "confidence": None if text_layer else 93.0,
        "page": 1,
        "left": 120.0,
        "top": 200.0,
        "width": 180.0,
        "height": 11.0 if text_layer else 48.0,
        "box_unit": "pt" if text_layer else "px",
        "method": "text_layer" if text_layer else "ocr",
        "engine": "pdfplumber" if text_layer else "tesseract",
        "engine_version": "0.11.10" if text_layer else "5.3.0",
        "repaired": False,
        "note": "",
        "status": "found",
    }
    row.update(extra)
    return row


def source_df() -> pd.DataFrame:
    b, m = SHA_BIRTH, SHA_MARRIAGE
    rows = [
        field(b, "", "registration_number", "12/2019"),
        field(b, "", "registration_place", "UBND phường Trúc Bạch, quận Ba Đình, TP Hà Nội"),
        field(b, "", "registration_date", "04/03/2019", "2019-03-04"),
        # Read in NFD from the PDF's text layer.
        field(b, "child", "full_name", nfd("NGUYỄN THỊ HƯỜNG"), nfd("Nguyễn Thị Hường")),
        field(b, "child", "birth_date", "01/02/2019", "2019-02-01"),
        field(b, "child", "sex", "Nữ", "female"),
        field(
            b,
            "child",
            "personal_id",
            "",
            "",
            page=None,
            left=None,
            top=None,
            width=None,
            height=None,
            status="missing",
            note="label not found",
        ),
        # "Ð" (U+00D0, the look-alike) for "Đ".
        field(b, "mother", "full_name", "\u00d0ặng Thị Mai", "\u00d0ặng Thị Mai"),
        field(b, "mother", "birth_year", "1990"),
        field(b, "mother", "residence", "Phường Trúc Bạch, Quận Ba Đình, Thành phố Hà Nội"),
        field(b, "father", "full_name", "Nguyễn Văn Bình"),
        field(b, "father", "birth_year", "1988"),
        field(b, "father", "residence", "Phường Cống Vị, Quận Ba Đình, Thành phố Hà Nội"),
        field(m, "", "registration_number", "45/2020", confidence=88.0),
        field(m, "", "registration_date", "15/06/2020", "2020-06-15", confidence=92.25),
        field(m, "husband", "full_name", "LÊ VĂN CƯỜNG", "Lê Văn Cường", confidence=95.5, repaired=True),
        field(m, "husband", "birth_date", "20/05/1985", "1985-05-20"),
        field(m, "husband", "personal_id", HUSBAND_ID, confidence=91.5, page=2, method="ocr_crop"),
        field(m, "wife", "full_name", "PHẠM THỊ LAN", "Phạm Thị Lan", confidence=94.0),
        field(m, "wife", "birth_date", "10/01/2004", "2004-01-10"),
        field(m, "wife", "personal_id", "001304009876", page=2),
    ]
    frame = pd.DataFrame(rows, columns=SOURCE_COLUMNS)
    numbers = ["confidence", "left", "top", "width", "height"]
    frame[numbers] = frame[numbers].astype(float)  # as extract_source_records makes it: NaN, not None
    frame["page"] = frame["page"].astype("Int64")
    return frame


def record(record_id: str, status: str = "valid", reasons: str = "", **extra: object) -> dict:
    unit, prefix, first, role = record_id.split(":")
    sha = SHA_BIRTH if SHA_BIRTH.startswith(prefix) else SHA_MARRIAGE
    row = {
        "record_id": record_id,
        "former_unit_code": unit,
        "file_sha256": sha,
        "first_page": int(first),
        "doc_type": "birth_registration" if sha == SHA_BIRTH else "marriage_registration",
        "role": role,
        "status": status,
        "n_errors": 1 if status == "quarantined" else 0,
        "n_warnings": 1 if status == "warning" else 0,
        "reasons": reasons,
        "route_status": "routed",
        "former_commune_code": "00004",
        "new_unit_code": "00004",
        "candidates": "[]",
        "route_evidence": "former commune named in the address; merged whole",
    }
    row.update(extra)
    return row


def validated_df(**changes: dict) -> pd.DataFrame:
    rows = [
        record(CHILD, "warning", "missing_personal_id"),
        record(MOTHER),
        record(
            FATHER,
            route_status="review",
            former_commune_code="00007",
            new_unit_code="",
            candidates=json.dumps(["00008", "00025"]),
            route_evidence="former commune named in the address; split, and the address names no village",
        ),
        record(HUSBAND, former_commune_code="00006", new_unit_code="00008"),
        record(WIFE, "quarantined", "under_marriage_age", former_commune_code="00006", new_unit_code="00008"),
    ]
    rows = [{**row, **changes.get(row["record_id"], {})} for row in rows]
    return pd.DataFrame(rows, columns=VALIDATED_COLUMNS)


def prepare(engine) -> None:
    """The former unit, its files and their documents, as the unified_register asset loads them."""
    upsert_former_units(engine, UNITS)
    load_files(
        engine,
        [
            file_row(SHA_BIRTH, UNIT, "ho-tich/khai-sinh/12-2019.pdf", page_count=1),
            file_row(SHA_MARRIAGE, UNIT, "ho-tich/ket-hon/45-2020.pdf"),
            file_row(SHA_LOOSE, UNIT, "khac/ghi-chu.pdf"),
        ],
    )
    load_documents(
        engine,
        [
            {"file_sha256": SHA_BIRTH, "first_page": 1, "last_page": 1, "doc_type": "birth_registration"},
            {
                "file_sha256": SHA_MARRIAGE,
                "first_page": 1,
                "last_page": 2,
                "doc_type": "marriage_registration",
            },
        ],
    )


def rows(engine, table: str) -> list[tuple]:
    """Every row of a record table, sorted (timestamps included)."""
    with engine.connect() as conn:
        return sorted(map(tuple, conn.execute(select(Base.metadata.tables[table]))), key=repr)


def snapshot(engine) -> dict[str, list[tuple]]:
    return {table: rows(engine, table) for table in sorted(RECORD_TABLES)}


def fields_of(engine, record_id: str) -> dict[tuple[str, str], dict]:
    with engine.connect() as conn:
        found = conn.execute(
            text("SELECT * FROM record_fields WHERE record_id = :r"), {"r": record_id}
        ).mappings()
        return {(f["scope"], f["field"]): dict(f) for f in found}


# --------------------------------------------------------------------------- schema


def test_constants_agree_with_the_stages():
    assert set(RECORD_STATUSES) | {"quarantined"} == set(STATUSES)
    assert ROUTE_STATUSES == typing.get_args(routing.Status)
    assert FIELD_STATUSES == typing.get_args(field_values.Status)


def test_migration_creates_the_record_tables_with_their_constraints(engine):
    assert current_revision(engine) == HEAD
    with engine.connect() as conn:
        inspector = inspect(conn)
        assert RECORD_TABLES <= set(inspector.get_table_names())
        checks = {t: {c["name"] for c in inspector.get_check_constraints(t)} for t in RECORD_TABLES}
        foreign = {t: {f["name"] for f in inspector.get_foreign_keys(t)} for t in RECORD_TABLES}
        indexes = {t: {i["name"] for i in inspector.get_indexes(t)} for t in RECORD_TABLES}
        person_columns = {c["name"]: c for c in inspector.get_columns("person_records")}
        field_pk = inspector.get_pk_constraint("record_fields")
    # Names as written, not doubled by the naming convention (ck_person_records_ck_person_records_...).
    assert checks == {
        "person_records": {"ck_person_records_status", "ck_person_records_route_status"},
        "record_fields": {"ck_record_fields_scope", "ck_record_fields_status"},
        "quarantined_records": {
            "ck_quarantined_records_route_status",
            "ck_quarantined_records_reasons",
            "ck_quarantined_records_n_errors",
        },
    }
    assert foreign == {
        "person_records": {"fk_person_records_former_unit", "fk_person_records_document"},
        "record_fields": {"fk_record_fields_record_id_person_records"},
        "quarantined_records": {"fk_quarantined_records_former_unit", "fk_quarantined_records_document"},
    }
    assert indexes == {
        "person_records": {
            "ix_person_records_former_unit",
            "ix_person_records_document",
            "ix_person_records_new_unit_code",
        },
        "record_fields": set(),  # the primary key leads with record_id
        "quarantined_records": {"ix_quarantined_records_former_unit", "ix_quarantined_records_document"},
    }
    assert field_pk["constrained_columns"] == ["record_id", "scope", "field"]
    assert person_columns["new_unit_code"]["nullable"] and not person_columns["status"]["nullable"]


def test_the_database_refuses_what_the_loader_refuses(engine):
    prepare(engine)
    load_records(engine, validated_df(), source_df())
    statements = [
        f"UPDATE person_records SET status = 'quarantined' WHERE record_id = '{MOTHER}'",
        f"UPDATE person_records SET route_status = 'maybe' WHERE record_id = '{MOTHER}'",
        f"UPDATE record_fields SET scope = 'family' WHERE record_id = '{MOTHER}'",
        f"UPDATE quarantined_records SET reasons = '' WHERE record_id = '{WIFE}'",
        f"UPDATE quarantined_records SET n_errors = 0 WHERE record_id = '{WIFE}'",
        f"UPDATE person_records SET first_page = 2 WHERE record_id = '{MOTHER}'",  # no such document
    ]
    for statement in statements:
        with pytest.raises(IntegrityError):
            with write_connection(engine) as conn:
                conn.execute(text(statement))
    # ON DELETE CASCADE: a record's fields go with it.
    with write_connection(engine) as conn:
        conn.execute(text("DELETE FROM person_records WHERE record_id = :r"), {"r": MOTHER})
    assert fields_of(engine, MOTHER) == {}
    assert len(rows(engine, "record_fields")) == 24 - 6


@pytest.mark.slow
def test_downgrade_to_0002_removes_the_record_tables(db_url):
    from sapnhap.db import make_engine

    engine = make_engine(db_url)
    try:
        migrate(engine)
        prepare(engine)
        load_records(engine, validated_df(), source_df())
        with write_connection(engine) as conn:
            command.downgrade(alembic_config(conn), "0002")
        assert current_revision(engine) == "0002"
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            assert not tables & RECORD_TABLES
            assert conn.execute(text("SELECT count(*) FROM documents")).scalar_one() == 2  # kept
        migrate(engine)  # and up again: empty tables
        assert current_revision(engine) == HEAD
        assert snapshot(engine) == {t: [] for t in sorted(RECORD_TABLES)}
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- loading


@pytest.mark.slow
def test_records_fields_and_quarantine_are_loaded(engine):
    prepare(engine)
    counts = load_records(engine, validated_df(), source_df())
    # child 4 + 3 document fields, mother 3 + 3, father 3 + 3, husband 3 + 2.
    assert counts.inserted == {"person_records": 4, "record_fields": 24, "quarantined_records": 1}
    assert counts.updated == {"person_records": 0, "record_fields": 0, "quarantined_records": 0}
    assert counts.deleted == {"person_records": 0, "record_fields": 0, "quarantined_records": 0}
    assert count_records(engine, UNIT) == {"valid": 3, "warning": 1, "quarantined": 1}
    assert count_records(engine, "00007", "pre2025") == {"valid": 0, "warning": 0, "quarantined": 0}

    with engine.connect() as conn:
        people = conn.execute(
            text(
                "SELECT record_id, former_unit_vintage, former_unit_code, doc_type, role, status, warnings,"
                " route_status, former_commune_code, new_unit_code, route_candidates FROM person_records"
                " ORDER BY record_id"
            )
        ).all()
    assert sorted(map(tuple, people)) == sorted(
        [
            (CHILD, "pre2025", UNIT, "birth_registration", "child", "warning", "missing_personal_id",
             "routed", "00004", "00004", "[]"),
            (MOTHER, "pre2025", UNIT, "birth_registration", "mother", "valid", "", "routed", "00004",
             "00004", "[]"),
            # Routing needs review: no new unit, the candidates kept (post2025 codes).
            (FATHER, "pre2025", UNIT, "birth_registration", "father", "valid", "", "review", "00007",
             None, '["00008", "00025"]'),
            (HUSBAND, "pre2025", UNIT, "marriage_registration", "husband", "valid", "", "routed",
             "00006", "00008", "[]"),
        ]
    )  # fmt: skip

    child = fields_of(engine, CHILD)
    assert set(child) == {
        ("person", "full_name"),
        ("person", "birth_date"),
        ("person", "sex"),
        ("person", "personal_id"),
        ("document", "registration_number"),
        ("document", "registration_place"),
        ("document", "registration_date"),
    }
    name = child[("person", "full_name")]
    assert name["value"] == "Nguyễn Thị Hường" == unicodedata.normalize("NFC", name["value"])
    assert name["raw"] == "NGUYỄN THỊ HƯỜNG"
    assert name["confidence"] is None  # a text layer has no confidence
    assert (name["page"], name["left"], name["top"], name["width"], name["height"], name["box_unit"]) == (
        1, 120.0, 200.0, 180.0, 11.0, "pt"
    )  # fmt: skip
    assert (name["method"], name["engine"], name["engine_version"]) == ("text_layer", "pdfplumber", "0.11.10")
    missing = child[("person", "personal_id")]
    assert (missing["status"], missing["raw"], missing["page"], missing["left"], missing["note"]) == (
        "missing", "", None, None, "label not found"
    )  # fmt: skip
    assert child[("document", "registration_date")]["value"] == "2019-03-04"
    assert fields_of(engine, MOTHER)[("person", "full_name")]["value"] == "Đặng Thị Mai"  # Ð read as Đ
    # The document's fields are the same for each of its people.
    father = fields_of(engine, FATHER)
    assert {k: v for k, v in father.items() if k[0] == "document"} == {
        k: {**v, "record_id": FATHER} for k, v in child.items() if k[0] == "document"
    }

    husband = fields_of(engine, HUSBAND)
    pid = husband[("person", "personal_id")]
    assert pid["value"] == HUSBAND_ID and pid["raw"] == HUSBAND_ID  # text, leading zeros kept
    assert (pid["confidence"], pid["page"], pid["method"], pid["box_unit"]) == (91.5, 2, "ocr_crop", "px")
    assert husband[("person", "full_name")]["repaired"]  # 1 on SQLite through text(); see the ORM below
    assert not husband[("person", "birth_date")]["repaired"]
    assert husband[("document", "registration_date")]["confidence"] == 92.25
    assert len(husband) == 5

    with engine.connect() as conn:
        wife = conn.execute(text("SELECT * FROM quarantined_records")).mappings().one()
        assert (
            conn.execute(
                text("SELECT count(*) FROM person_records WHERE record_id = :r"), {"r": WIFE}
            ).scalar_one()
            == 0
        )
    assert (wife["record_id"], wife["reasons"], wife["n_errors"], wife["role"]) == (
        WIFE, "under_marriage_age", 1, "wife"
    )  # fmt: skip
    assert (wife["route_status"], wife["former_commune_code"], wife["new_unit_code"]) == (
        "routed",
        "00006",
        "00008",
    )
    assert wife["quarantined_at"] is not None
    assert json.loads(wife["fields"]) == {
        "full_name": {"raw": "PHẠM THỊ LAN", "value": "Phạm Thị Lan", "page": 1, "confidence": 94.0,
                      "scope": "person"},
        "birth_date": {"raw": "10/01/2004", "value": "2004-01-10", "page": 1, "confidence": 93.0,
                       "scope": "person"},
        "personal_id": {"raw": "001304009876", "value": "001304009876", "page": 2, "confidence": 93.0,
                        "scope": "person"},
        "registration_number": {"raw": "45/2020", "value": "45/2020", "page": 1, "confidence": 88.0,
                                "scope": "document"},
        "registration_date": {"raw": "15/06/2020", "value": "2020-06-15", "page": 1, "confidence": 92.25,
                              "scope": "document"},
    }  # fmt: skip

    with session_scope(engine, write=False) as session:
        stored = session.get(PersonRecord, HUSBAND)
        assert stored is not None
        assert stored.loaded_at.utcoffset() is not None
        assert stored.document.doc_type == "marriage_registration" and stored.document.last_page == 2
        assert stored.former_unit.name == "Phường Trúc Bạch"
        assert [(f.scope, f.field) for f in stored.fields] == [
            ("document", "registration_date"),
            ("document", "registration_number"),
            ("person", "birth_date"),
            ("person", "full_name"),
            ("person", "personal_id"),
        ]
        assert [f.repaired for f in stored.fields] == [False, False, False, True, False]


@pytest.mark.slow
def test_second_identical_load_changes_nothing(engine, tmp_path):
    prepare(engine)
    load_records(engine, validated_df(), source_df())
    before = snapshot(engine)
    again = load_records(engine, validated_df(), source_df())
    assert again.total_changed == 0 and again.total_new == 0
    assert again.unchanged == {"person_records": 4, "record_fields": 24, "quarantined_records": 1}
    assert snapshot(engine) == before  # timestamps included
    # The same tables after a Parquet round trip (NaN, pd.NA, numpy scalars) are the same records.
    for name, frame in (("validated", validated_df()), ("source", source_df())):
        frame.to_parquet(tmp_path / f"{name}.parquet", index=False)
    restored = load_records(
        engine, pd.read_parquet(tmp_path / "validated.parquet"), pd.read_parquet(tmp_path / "source.parquet")
    )
    assert restored.total_changed == 0
    # NFD spellings of the same text are the same values.
    nfd_source = source_df().assign(raw=lambda f: f["raw"].map(nfd), value=lambda f: f["value"].map(nfd))
    assert load_records(engine, validated_df(), nfd_source).total_changed == 0
    assert snapshot(engine) == before


@pytest.mark.parametrize("copy_from", [1, 10**9], ids=["copy", "statement"])
def test_record_moving_to_quarantine_and_back(engine, monkeypatch, copy_from):
    from sapnhap.db import sql

    monkeypatch.setattr(sql, "COPY_ROWS", copy_from)
    prepare(engine)
    load_records(engine, validated_df(), source_df())
    # The rules changed: the husband's ID now fails a hard rule.
    moved = validated_df(
        **{HUSBAND: {"status": "quarantined", "n_errors": 2, "reasons": "id_checksum;id_province"}}
    )
    counts = load_records(engine, moved, source_df())
    assert counts.deleted == {"quarantined_records": 0, "record_fields": 5, "person_records": 1}
    assert counts.inserted == {"person_records": 0, "record_fields": 0, "quarantined_records": 1}
    assert counts.total_changed == 7
    assert fields_of(engine, HUSBAND) == {}
    with engine.connect() as conn:
        assert (
            conn.execute(
                text("SELECT count(*) FROM person_records WHERE record_id = :r"), {"r": HUSBAND}
            ).scalar_one()
            == 0
        )
        quarantined = conn.execute(
            text("SELECT reasons, n_errors, fields FROM quarantined_records WHERE record_id = :r"),
            {"r": HUSBAND},
        ).one()
    assert quarantined[:2] == ("id_checksum;id_province", 2)
    assert json.loads(quarantined[2])["personal_id"]["value"] == HUSBAND_ID
    assert count_records(engine, UNIT) == {"valid": 2, "warning": 1, "quarantined": 2}
    assert load_records(engine, moved, source_df()).total_changed == 0

    # And back (the rule was wrong): out of the quarantine, its fields loaded again.
    back = load_records(engine, validated_df(), source_df())
    assert back.deleted == {"quarantined_records": 1, "record_fields": 0, "person_records": 0}
    assert back.inserted == {"person_records": 1, "record_fields": 5, "quarantined_records": 0}
    assert count_records(engine, UNIT) == {"valid": 3, "warning": 1, "quarantined": 1}
    assert fields_of(engine, HUSBAND)[("person", "personal_id")]["value"] == HUSBAND_ID


def test_changed_records_and_fields_are_updated_and_stale_fields_deleted(engine):
    prepare(engine)
    load_records(engine, validated_df(), source_df())
    first = dict((r[0], r) for r in rows(engine, "person_records"))
    source = source_df()
    # The mother's residence is no longer read; the father's birth year is read again, differently.
    source = source[~((source["role"] == "mother") & (source["field"] == "residence"))]
    source.loc[(source["role"] == "father") & (source["field"] == "birth_year"), ["raw", "value"]] = "1987"
    validated = validated_df(**{FATHER: {"status": "warning", "n_warnings": 1, "reasons": "parent_age"}})
    counts = load_records(engine, validated, source)
    assert counts.deleted == {"quarantined_records": 0, "record_fields": 1, "person_records": 0}
    assert counts.updated == {"person_records": 1, "record_fields": 1, "quarantined_records": 0}
    assert counts.inserted == {"person_records": 0, "record_fields": 0, "quarantined_records": 0}
    assert ("person", "residence") not in fields_of(engine, MOTHER)
    assert fields_of(engine, FATHER)[("person", "birth_year")]["value"] == "1987"
    after = dict((r[0], r) for r in rows(engine, "person_records"))
    loaded_at = list(Base.metadata.tables["person_records"].c.keys()).index("loaded_at")
    assert after[FATHER][loaded_at] >= first[FATHER][loaded_at]
    assert after[MOTHER] == first[MOTHER]  # its row did not change (only a field went)
    assert count_records(engine, UNIT) == {"valid": 2, "warning": 2, "quarantined": 1}


# --------------------------------------------------------------------------- refusals


def test_unknown_document_or_unit_raises_and_writes_nothing(engine):
    prepare(engine)
    unknown_document = validated_df(
        **{MOTHER: {"file_sha256": SHA_LOOSE, "record_id": rid(SHA_LOOSE, 1, "mother")}}
    )
    with pytest.raises(LookupError, match="documents not in documents") as error:
        load_records(engine, unknown_document, source_df())
    assert SHA_LOOSE in str(error.value)
    assert snapshot(engine) == {t: [] for t in sorted(RECORD_TABLES)}

    load_records(engine, validated_df(), source_df())
    before = snapshot(engine)
    moved = validated_df(**{HUSBAND: {"status": "quarantined", "n_errors": 1, "reasons": "id_checksum"}})
    unknown_unit = pd.concat(
        [
            moved,
            validated_df(
                **{MOTHER: {"former_unit_code": "99999", "record_id": f"99999:{SHA_BIRTH[:16]}:1:mother"}}
            ).iloc[[1]],
        ]
    )
    with pytest.raises(LookupError, match="former units not in former_units"):
        load_records(engine, unknown_unit, source_df())
    assert snapshot(engine) == before  # the husband's move was rolled back too


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"status": "approved"}, rf"validated row 1 \(record {MOTHER}\), status: not one of"),
        ({"route_status": "maybe"}, "route_status: not one of"),
        ({"former_unit_code": 4}, "former_unit_code: expected text"),
        ({"new_unit_code": 4}, "new_unit_code: expected text"),
        ({"new_unit_code": "4"}, "new_unit_code: not a commune code of 5 digits"),
        ({"candidates": '["8"]'}, r"candidates\[0\]: not a commune code"),
        ({"role": "father"}, "record_id: does not match"),
        ({"record_id": "Đặng Thị Mai"}, "validated row 1, record_id: not of the form"),
        ({"status": "quarantined", "n_errors": 1}, "needs n_errors >= 1 and its reasons"),
        ({"n_errors": 1}, "must be quarantined"),
        ({"status": "warning"}, "a warning record needs its reasons"),
        ({"route_status": "review"}, "only a routed one has one"),
        ({"new_unit_code": ""}, "a routed record needs its new unit code"),
        ({"first_page": 0}, "first_page: must be at least 1"),
        # Next to the other records' 1: equal to 1 and hashed alike, still refused.
        ({"first_page": True}, "first_page: expected an integer, got bool"),
    ],
)
@pytest.mark.slow
def test_invalid_records_raise_value_error_and_write_nothing(engine, changes, message):
    prepare(engine)
    with pytest.raises(ValueError, match=message) as error:
        load_records(engine, validated_df(**{MOTHER: changes}), source_df())
    assert "Mai" not in str(error.value)  # never personal data, even when it is the bad value
    assert snapshot(engine) == {t: [] for t in sorted(RECORD_TABLES)}


def test_invalid_fields_raise_value_error_without_personal_data(engine):
    prepare(engine)
    cases = [
        # An ID number read as an int (leading zeros lost): refused, and never repeated in the message.
        ("personal_id", {"value": 1085012345}, rf"source row 17 \(record {HUSBAND}\), value: expected text"),
        ("personal_id", {"raw": 1085012345}, "raw: expected text"),
        ("personal_id", {"confidence": 120.0}, "confidence: out of range"),
        ("personal_id", {"status": "guessed"}, "status: not one of"),
        ("personal_id", {"box_unit": "mm"}, "box_unit: not one of"),
        ("personal_id", {"field": "full_name"}, "field: given twice"),
    ]
    for name, changes, message in cases:
        source = source_df()
        at = (source["role"] == "husband") & (source["field"] == name)
        for column, value in changes.items():
            source[column] = source[column].astype(object)
            source.loc[at, column] = value
        with pytest.raises(ValueError, match=message) as error:
            load_records(engine, validated_df(), source)
        assert "1085012345" not in str(error.value) and "Cường" not in str(error.value)
    with pytest.raises(ValueError, match="given twice"):
        load_records(engine, pd.concat([validated_df(), validated_df().iloc[[0]]]), source_df())
    assert snapshot(engine) == {t: [] for t in sorted(RECORD_TABLES)}


def test_count_records_needs_a_text_code(engine):
    with pytest.raises(ValueError, match="leading zeros"):
        count_records(engine, 4)  # type: ignore[arg-type]
    assert count_records(engine, UNIT) == {"valid": 0, "warning": 0, "quarantined": 0}


@pytest.mark.parametrize("copy_from", [1, 10**9], ids=["copy", "statement"])
def test_upserts_by_copy_give_the_statements_result(engine, monkeypatch, copy_from):
    """On PostgreSQL upserts of many rows go through COPY into a temporary table (`COPY_ROWS`);
    with the threshold at 1 every upsert here takes that path, and the counts and stored rows are
    those of the statement path."""
    from sapnhap.db import sql

    monkeypatch.setattr(sql, "COPY_ROWS", copy_from)
    prepare(engine)
    first = load_records(engine, validated_df(), source_df())
    assert first.inserted == {"person_records": 4, "record_fields": 24, "quarantined_records": 1}
    before = snapshot(engine)
    again = load_records(engine, validated_df(), source_df())
    assert again.total_changed == 0 and again.total_new == 0 and snapshot(engine) == before
    changed = source_df()
    changed.loc[changed["field"] == "registration_number", "value"] = "13/2019"
    third = load_records(engine, validated_df(), changed)
    # The document's field in each of its 3 people and the marriage's 2 (one of them quarantined: its
    # fields are JSON in quarantined_records).
    assert third.updated == {"person_records": 0, "record_fields": 4, "quarantined_records": 1}
    assert third.total_new == 0
    assert {f["value"] for f in fields_of(engine, CHILD).values() if f["field"] == "registration_number"} == {
        "13/2019"
    }


@pytest.mark.parametrize("form", ["frame", "parquet", "mappings", "nfd"])
def test_the_column_wise_read_is_the_row_by_row_read(form, tmp_path):
    """`load_records` reads its input column by column, each distinct value checked once; the
    row-by-row read is the reference (and names the first bad value when the column-wise read
    refuses anything): both give the same rows, for every form the input comes in."""
    from sapnhap.db.load_records import _column_wise, _row_by_row

    validated, source = validated_df(), source_df()
    if form == "parquet":
        validated.to_parquet(tmp_path / "validated.parquet", index=False)
        source.to_parquet(tmp_path / "source.parquet", index=False)
        validated = pd.read_parquet(tmp_path / "validated.parquet")
        source = pd.read_parquet(tmp_path / "source.parquet")
    elif form == "mappings":
        validated = validated.to_dict("records")
        source = [{k: v for k, v in row.items() if k != "entry"} for row in source.to_dict("records")]
        source[4]["repaired"] = 1  # 0/1 next to booleans
        source[5]["note"] = "re-read\x00"  # a NUL: the texts are not normalised joined by NUL
    elif form == "nfd":
        source = source.assign(raw=source["raw"].map(nfd), note=nfd("ghi chú"))
    now = utcnow()
    column_wise = _column_wise(validated, source, now)
    assert column_wise == _row_by_row(validated, source, now)
    assert len(column_wise.fields["record_id"]) == 24 and len(column_wise.quarantine_rows) == 1
    names = dict(zip(column_wise.fields["record_id"], column_wise.fields["value"], strict=True))
    assert names[MOTHER] is not None
    assert all(v == unicodedata.normalize("NFC", v) for v in column_wise.fields["raw"])
    assert "Đặng Thị Mai" in column_wise.fields["raw"]  # the look-alike Ð read as Đ


@pytest.mark.parametrize("copy_from", [1, 10**9], ids=["copy", "statement"])
def test_new_and_stored_records_in_one_load(engine, monkeypatch, copy_from):
    """One load with a new record (its fields go straight in: `COPY` on PostgreSQL) next to stored
    ones (their fields compared: one changed, one no longer read), then the same load again: 0 rows
    changed and every row counted as unchanged."""
    from sapnhap.db import sql

    monkeypatch.setattr(sql, "COPY_ROWS", copy_from)
    prepare(engine)
    validated = validated_df()
    first = load_records(engine, validated[validated["record_id"] != CHILD], source_df())
    assert first.inserted == {"person_records": 3, "record_fields": 17, "quarantined_records": 1}
    source = source_df()
    source = source[~((source["role"] == "mother") & (source["field"] == "residence"))]
    source.loc[(source["role"] == "father") & (source["field"] == "birth_year"), "value"] = "1987"
    second = load_records(engine, validated, source)
    assert second.inserted == {"person_records": 1, "record_fields": 7, "quarantined_records": 0}
    assert second.updated == {"person_records": 0, "record_fields": 1, "quarantined_records": 0}
    assert second.deleted == {"quarantined_records": 0, "record_fields": 1, "person_records": 0}
    assert second.unchanged == {"person_records": 3, "record_fields": 15, "quarantined_records": 1}
    assert len(fields_of(engine, CHILD)) == 7
    assert fields_of(engine, FATHER)[("person", "birth_year")]["value"] == "1987"
    assert ("person", "residence") not in fields_of(engine, MOTHER)
    before = snapshot(engine)
    third = load_records(engine, validated, source)
    assert third.total_changed == 0
    assert third.unchanged == {"person_records": 4, "record_fields": 23, "quarantined_records": 1}
    assert snapshot(engine) == before
