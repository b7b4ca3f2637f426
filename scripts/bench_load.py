"""Loading benchmark (issue 17, item 3): the project's loader (`sapnhap.db.load.load_pages`, pages with
their OCR words) against each database's own bulk path, side by side in one run, on the same rows:

- PostgreSQL: `COPY words FROM STDIN` through psycopg 3 (the ceiling), after the same pages were
  inserted; the loader sends words as one array per column (`INSERT … SELECT unnest(…) ON CONFLICT
  DO NOTHING`).
- SQLite: the sqlite3 module's `executemany` of a plain INSERT in one transaction (the ceiling).

Then the same input is loaded a second time: the loader must change 0 rows (idempotence).

    python -m scripts.bench_load [--words 5000000] [--words-per-page 250]

Writes docs/benchmarks_load.md and docs/benchmarks_load.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import sqlite3
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select, text

from sapnhap.db.load import load_documents, load_files, load_pages, upsert_former_units
from sapnhap.db.load_records import load_records
from sapnhap.db.session import make_engine, migrate, normalise_url
from sapnhap.db.sql import PAGES, RECORD_FIELDS, WORDS

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = os.environ.get("SAPNHAP_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
UNIT = "21058"
PAGES_PER_FILE = 10
WORD_COLUMNS = (
    "page_id",
    "word_index",
    "text",
    "confidence",
    "left",
    "top",
    "width",
    "height",
    "block",
    "line",
)
VOCABULARY = (
    "Cộng hòa xã hội chủ nghĩa Việt Nam Độc lập Tự do Hạnh phúc GIẤY KHAI SINH Họ chữ đệm tên "
    "Ngày tháng năm sinh Giới tính Nữ Nam Dân tộc Kinh Quốc tịch Nơi cư trú Thôn xã huyện tỉnh "
    "Nguyễn Trần Lê Phạm Hoàng Thị Văn Hường Minh Quảng Ngãi Số định danh cá nhân 0011 21/09/1973"
).split()


def synthetic(words: int, per_page: int, seed: int = 17) -> tuple[list[dict], list[dict]]:
    """Files and pages (each with `per_page` words) holding `words` words in all. Words repeat a few
    page layouts (the loader's work does not depend on the text), so 5,000,000 words fit in memory."""
    rng = random.Random(seed)
    layouts = []
    for _ in range(20):
        layout = []
        for j in range(per_page):
            layout.append(
                {
                    "text": rng.choice(VOCABULARY),
                    "confidence": round(rng.uniform(60, 99), 2),
                    "left": float(40 + (j % 12) * 150),
                    "top": float(60 + (j // 12) * 40),
                    "width": float(rng.randint(30, 140)),
                    "height": 32.0,
                    "block": 1 + j // 60,
                    "line": 1 + j // 12,
                }
            )
        layouts.append(layout)
    n_pages = max(1, words // per_page)
    n_files = (n_pages + PAGES_PER_FILE - 1) // PAGES_PER_FILE
    files, pages = [], []
    for f in range(n_files):
        sha = hashlib.sha256(f"bench file {f}".encode()).hexdigest()
        count = min(PAGES_PER_FILE, n_pages - f * PAGES_PER_FILE)
        files.append(
            {
                "sha256": sha,
                "size_bytes": 1000,
                "kind": "tiff",
                "mime": "image/tiff",
                "page_count": count,
                "encrypted": False,
                "status": "archived",
                "former_unit_code": UNIT,
                "former_unit_vintage": "pre2025",
                "original_path": f"{UNIT}/bench_{f:06d}.tif",
            }
        )
        for p in range(1, count + 1):
            pages.append(
                {
                    "file_sha256": sha,
                    "page_number": p,
                    "method": "ocr",
                    "text": "",
                    "mean_confidence": 90.0,
                    "engine": "tesseract",
                    "engine_version": "5.3.0",
                    "languages": "vie",
                    "dpi": 300,
                    "width": 2480.0,
                    "height": 3508.0,
                    "box_unit": "px",
                    "words": layouts[(f + p) % len(layouts)],
                }
            )
    return files, pages


def _prepare(engine, files: list[dict]) -> None:  # noqa: ANN001
    migrate(engine)
    upsert_former_units(engine, [{"code": UNIT}])
    load_files(engine, files)


def measure_loader(url: str, files: list[dict], pages: list[dict]) -> dict:
    """The loader twice into a fresh database at `url`: seconds, words/s, rows changed the second time."""
    engine = make_engine(url)
    try:
        _prepare(engine, files)
        began = time.perf_counter()
        first = load_pages(engine, pages)
        seconds = time.perf_counter() - began
        began = time.perf_counter()
        second = load_pages(engine, pages)
        again = time.perf_counter() - began
        with engine.connect() as conn:
            stored = conn.execute(select(func.count()).select_from(WORDS)).scalar_one()
    finally:
        engine.dispose()
    return {
        "seconds": round(seconds, 1),
        "words_stored": stored,
        "words_per_second": round(stored / seconds),
        "second_load_seconds": round(again, 1),
        "second_load_rows_changed": second.total_changed,
        "first_load_inserted_words": first.inserted.get("words", 0),
    }


def _word_rows(page_ids: dict[tuple[str, int], int], pages: list[dict]):  # noqa: ANN202 - a generator
    for page in pages:
        page_id = page_ids[(page["file_sha256"], page["page_number"])]
        for index, w in enumerate(page["words"]):
            yield (page_id, index, w["text"], w["confidence"], w["left"], w["top"], w["width"], w["height"],
                   w["block"], w["line"])  # fmt: skip


def measure_ceiling(url: str, files: list[dict], pages: list[dict]) -> dict:
    """The database's own bulk path for the words, after the same pages were inserted without words."""
    engine = make_engine(url)
    try:
        _prepare(engine, files)
        load_pages(engine, [{k: v for k, v in page.items() if k != "words"} for page in pages])
        with engine.connect() as conn:
            page_ids = {
                (s, n): i
                for i, s, n in conn.execute(select(PAGES.c.id, PAGES.c.file_sha256, PAGES.c.page_number))
            }
    finally:
        engine.dispose()
    columns = ", ".join(f'"{c}"' for c in WORD_COLUMNS)
    if url.startswith("sqlite"):
        connection = sqlite3.connect(url.removeprefix("sqlite:///"))
        began = time.perf_counter()
        with connection:
            connection.executemany(
                f"INSERT INTO words ({columns}) VALUES ({', '.join('?' * len(WORD_COLUMNS))})",
                _word_rows(page_ids, pages),
            )
        seconds = time.perf_counter() - began
        stored = connection.execute("SELECT count(*) FROM words").fetchone()[0]
        connection.close()
        path = "sqlite3 executemany INSERT, one transaction"
    else:
        import psycopg

        dsn = normalise_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(dsn) as connection:
            began = time.perf_counter()
            with connection.cursor() as cursor, cursor.copy(f"COPY words ({columns}) FROM STDIN") as copy:
                for row in _word_rows(page_ids, pages):
                    copy.write_row(row)
            connection.commit()
            seconds = time.perf_counter() - began
            stored = connection.execute("SELECT count(*) FROM words").fetchone()[0]
        path = "COPY words FROM STDIN (psycopg 3 write_row)"
    return {
        "path": path,
        "seconds": round(seconds, 1),
        "words_stored": stored,
        "words_per_second": round(stored / seconds),
    }


FIELDS = ("full_name", "birth_date", "sex", "ethnicity", "nationality", "personal_id", "residence",
          "hometown", "birth_place", "registration_number")  # fmt: skip


def synthetic_records(
    fields: int, per_document: int = 10
) -> tuple[list[dict], list[dict], list[dict], list[dict]]:
    """Files, documents (register pages), validated records (`per_document` register rows each) and
    source rows: `fields` record fields in all, len(FIELDS) a record."""
    n_records = max(1, fields // len(FIELDS))
    n_docs = (n_records + per_document - 1) // per_document
    files, documents, validated, source = [], [], [], []
    for d in range(n_docs):
        sha = hashlib.sha256(f"bench register {d}".encode()).hexdigest()
        files.append(
            {"sha256": sha, "size_bytes": 1000, "kind": "pdf", "mime": "application/pdf", "page_count": 1,
             "encrypted": False, "status": "archived", "former_unit_code": UNIT, "former_unit_vintage": "pre2025",
             "original_path": f"{UNIT}/so_dang_ky_{d:06d}.pdf"}
        )  # fmt: skip
        documents.append(
            {"file_sha256": sha, "first_page": 1, "last_page": 1, "doc_type": "birth_registration", "type_rule": "bench"}
        )  # fmt: skip
        for entry in range(1, min(per_document, n_records - d * per_document) + 1):
            record_id = f"{UNIT}:{sha[:16]}:1.{entry}:child"
            common = {"record_id": record_id, "former_unit_code": UNIT, "file_sha256": sha, "first_page": 1,
                      "doc_type": "birth_registration", "role": "child", "extractor": "register_table", "entry": entry}  # fmt: skip
            validated.append(
                {**common, "status": "valid", "n_errors": 0, "n_warnings": 0, "reasons": "", "route_status": "routed",
                 "former_commune_code": UNIT, "new_unit_code": "14488", "candidates": '["14488"]',
                 "route_evidence": "bench"}
            )  # fmt: skip
            for k, name in enumerate(FIELDS):
                value = f"Nguyễn Thị Hường {d}-{entry}" if name == "full_name" else f"{name} {d}.{entry}"
                source.append(
                    {**common, "field": name, "raw": value, "value": value, "confidence": 91.0, "page": 1,
                     "left": 100.0, "top": 40.0 * entry, "width": 90.0 + k, "height": 30.0, "box_unit": "px",
                     "method": "ocr", "engine": "tesseract", "engine_version": "5.3.0", "repaired": False,
                     "note": "", "status": "found"}
                )  # fmt: skip
    return files, documents, validated, source


def measure_records(url: str, data: tuple[list[dict], list[dict], list[dict], list[dict]]) -> dict:
    """`load_records` twice into a fresh database at `url`, then the record fields' rows re-sent by
    the database's bulk path into an empty copy of the table (`COPY` on PostgreSQL, executemany on
    SQLite): seconds and fields/s of each, rows changed by the second load."""
    files, documents, validated, source = data
    engine = make_engine(url)
    try:
        _prepare(engine, files)
        load_documents(engine, documents)
        began = time.perf_counter()
        load_records(engine, validated, source)
        seconds = time.perf_counter() - began
        began = time.perf_counter()
        second = load_records(engine, validated, source)
        again = time.perf_counter() - began
        with engine.connect() as conn:
            stored = conn.execute(select(func.count()).select_from(RECORD_FIELDS)).scalar_one()
            rows = [tuple(r) for r in conn.execute(select(RECORD_FIELDS))]
        names = [c.name for c in RECORD_FIELDS.c]
        quoted = ", ".join(f'"{c}"' for c in names)
        with engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM record_fields")
        if url.startswith("sqlite"):
            connection = sqlite3.connect(url.removeprefix("sqlite:///"))
            began = time.perf_counter()
            with connection:
                connection.executemany(
                    f"INSERT INTO record_fields ({quoted}) VALUES ({', '.join('?' * len(names))})", rows
                )
            bulk = time.perf_counter() - began
            connection.close()
        else:
            import psycopg

            dsn = normalise_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
            with psycopg.connect(dsn) as connection:
                began = time.perf_counter()
                with (
                    connection.cursor() as cursor,
                    cursor.copy(f"COPY record_fields ({quoted}) FROM STDIN") as copy,
                ):
                    for row in rows:
                        copy.write_row(row)
                connection.commit()
                bulk = time.perf_counter() - began
    finally:
        engine.dispose()
    return {
        "fields_stored": stored,
        "records": len(validated),
        "seconds": round(seconds, 1),
        "fields_per_second": round(stored / seconds),
        "second_load_seconds": round(again, 1),
        "second_load_rows_changed": second.total_changed,
        "bulk_seconds": round(bulk, 1),
        "bulk_fields_per_second": round(stored / bulk),
    }


def _pg_database(name: str) -> str:
    admin = make_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return normalise_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def _drop(name: str) -> None:
    admin = make_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def report(result: dict) -> str:
    """docs/benchmarks_load.md."""
    lines = [
        "# Loading benchmark: the project's loader against the database's own bulk path",
        "",
        f"Written by `make bench` (`scripts/bench_load.py`) on {result['date']}, {result['cores']} cores, Python "
        f"{result['python']}"
        + (
            f" (load average at the start {result['load_average_at_start'][0]}: the machine is shared, so "
            "compare ratios of one run, not seconds across runs)"
            if "load_average_at_start" in result
            else ""
        )
        + f". One run, side by side: {result['words']:,} OCR words on {result['pages']:,} pages "
        f"({result['words_per_page']} words a page) loaded by `load_pages` (validation of every value, pages "
        "keyed by file and page number, words as one array per column with `ON CONFLICT DO NOTHING`), "
        "against each database's bulk path on the same words after the same pages. Then the same input "
        "is loaded again.",
        "",
        "| database | loader words/s | loader s | bulk path | bulk words/s | bulk s | loader / bulk | second load: rows changed, s |",
        "|---|---:|---:|---|---:|---:|---:|---:|",
    ]
    for name in ("postgresql", "sqlite"):
        ours, ceiling = result[name]["loader"], result[name]["ceiling"]
        lines.append(
            f"| {name} | {ours['words_per_second']:,} | {ours['seconds']} | {ceiling['path']} | "
            f"{ceiling['words_per_second']:,} | {ceiling['seconds']} | "
            f"**{ours['words_per_second'] / ceiling['words_per_second']:.2f}×** | "
            f"{ours['second_load_rows_changed']}, {ours['second_load_seconds']} |"
        )
    if "records" in result:
        lines += [
            "",
            f"Record fields: {result['records']['postgresql']['fields_stored']:,} fields of "
            f"{result['records']['postgresql']['records']:,} person records (register rows, "
            f"{len(FIELDS)} fields each) by `load_records` (every value validated, each distinct value of a "
            "column once; records and fields keyed by record and field; on PostgreSQL the records staged "
            "with `COPY` and upserted, the fields of new records sent with `COPY` into `record_fields`, "
            "those of stored records staged and only the differing rows written), against the bulk path "
            "sending the stored field rows again into the emptied table.",
            "",
            "| database | loader fields/s | loader s | bulk fields/s | bulk s | loader / bulk | second load: rows changed, s |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for name in ("postgresql", "sqlite"):
            r = result["records"][name]
            lines.append(
                f"| {name} | {r['fields_per_second']:,} | {r['seconds']} | {r['bulk_fields_per_second']:,} | "
                f"{r['bulk_seconds']} | **{r['fields_per_second'] / r['bulk_fields_per_second']:.2f}×** | "
                f"{r['second_load_rows_changed']}, {r['second_load_seconds']} |"
            )
    lines += ["", "Target (issue 17): ≥ 0.5× of `COPY` on PostgreSQL, idempotence kept."]
    pg_words = (
        result["postgresql"]["loader"]["words_per_second"]
        / result["postgresql"]["ceiling"]["words_per_second"]
    )
    verdicts = [f"words {pg_words:.2f}×"]
    if "records" in result:
        r = result["records"]["postgresql"]
        verdicts.append(f"record fields {r['fields_per_second'] / r['bulk_fields_per_second']:.2f}×")
    ratios = [float(v.split()[-1].rstrip("×")) for v in verdicts]
    lines.append(
        "On PostgreSQL: "
        + ", ".join(verdicts)
        + (" — met." if min(ratios) >= 0.5 else f" — not met (short by {0.5 - min(ratios):.2f}).")
    )
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    """Measure and write docs/benchmarks_load.md and .json."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--words", type=int, default=5_000_000)
    parser.add_argument("--words-per-page", type=int, default=250)
    parser.add_argument("--fields", type=int, default=1_000_000)
    args = parser.parse_args()
    files, pages = synthetic(args.words, args.words_per_page)
    result: dict = {
        "date": f"{datetime.now(UTC):%Y-%m-%d}",
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "words": sum(len(p["words"]) for p in pages),
        "pages": len(pages),
        "words_per_page": args.words_per_page,
        "load_average_at_start": [round(x, 1) for x in os.getloadavg()],
    }
    tag = uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory(prefix="sapnhap-bench-load-") as tmp:
        for name in ("postgresql", "sqlite"):
            urls = []
            for kind in ("loader", "ceiling"):
                if name == "sqlite":
                    urls.append(f"sqlite:///{Path(tmp) / f'{kind}.db'}")
                else:
                    urls.append(_pg_database(f"sapnhap_bench_{kind}_{tag}"))
            try:
                result[name] = {
                    "loader": measure_loader(urls[0], files, pages),
                    "ceiling": measure_ceiling(urls[1], files, pages),
                }
            finally:
                if name == "postgresql":
                    for kind in ("loader", "ceiling"):
                        _drop(f"sapnhap_bench_{kind}_{tag}")
            print(name, json.dumps(result[name]))
        del files, pages
        records = synthetic_records(args.fields)
        result["records"] = {}
        for name in ("postgresql", "sqlite"):
            if name == "sqlite":
                url = f"sqlite:///{Path(tmp) / 'records.db'}"
            else:
                url = _pg_database(f"sapnhap_bench_records_{tag}")
            try:
                result["records"][name] = measure_records(url, records)
            finally:
                if name == "postgresql":
                    _drop(f"sapnhap_bench_records_{tag}")
            print(name, json.dumps(result["records"][name]))
    docs = ROOT / "docs"
    (docs / "benchmarks_load.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    (docs / "benchmarks_load.md").write_text(report(result), encoding="utf-8")
    print(f"wrote {docs / 'benchmarks_load.md'}")


if __name__ == "__main__":
    main()
