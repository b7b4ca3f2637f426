"""Records-only mode: the same people and records as the dossier mode, as tables, without any image.

For record-linkage benchmarks at up to millions of records: one row per person named in a document,
with the values as that document prints them (variations included) and the true entity id. The plan
is streamed document by document and written in Parquet row groups, so memory grows with the number
of people, not with the number of records kept in Python lists.

Output (`write_records(config, out)`): `out/records.parquet`, `out/persons.parquet`,
`out/manifest.json`.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from sapnhap.linkage.features import SPOUSE_ROLE
from sapnhap.samples.generator import SampleConfigError
from sapnhap.samples.geography import build_scenario
from sapnhap.samples.plan import PlanConfig, Planner

MANIFEST_GENERATOR = "sapnhap.samples (records only)"
RECORD_COLUMNS = (
    "record_id", "entity_id", "source", "doc_type", "role", "doc_date", "full_name", "birth_date",
    "birth_date_text", "birth_year", "sex", "personal_id", "residence", "father_name", "mother_name",
    "spouse_name", "former_commune_code", "new_unit_code", "routing_decidable", "variations",
)  # fmt: skip
_CHUNK = 50_000


@dataclass(frozen=True)
class RecordsConfig:
    """How many records (at least; a document's people are never split), for which new unit, seed."""

    records: int = 100_000
    new_unit: str = "14488"
    duplicate_share: float = 0.3
    district_share: float = 0.2
    seed: int = 20250701


def write_records(config: RecordsConfig, out: Path, overwrite: bool = False) -> dict:
    """Stream records to `out/records.parquet` and persons to `out/persons.parquet`; return the manifest.

    All columns are strings (ID numbers keep their leading zeros) except `routing_decidable` (bool).

    Raises:
        SampleConfigError: when `config.records` < 1 or a share is outside 0–1 (a ValueError).
        FileExistsError: when `out` holds other files, or an earlier records-only run and not
            `overwrite`.
    """
    problems = [] if config.records >= 1 else [f"records must be ≥ 1, not {config.records}"]
    for name in ("duplicate_share", "district_share"):
        if not 0 <= getattr(config, name) <= 1:
            problems.append(
                f"{name.replace('_', ' ')} must be a share within 0–1, not {getattr(config, name)}"
            )
    if problems:
        raise SampleConfigError("; ".join(problems))
    _prepare(out, overwrite)
    started = time.perf_counter()
    scenario = build_scenario(config.new_unit, random.Random(f"sapnhap-samples:{config.seed}"))
    planner = Planner(
        scenario,
        PlanConfig(
            documents=0,
            duplicate_share=config.duplicate_share,
            district_share=config.district_share,
            seed=config.seed,
        ),
    )
    planner.keep_documents = False
    schema = pa.schema([(c, pa.bool_() if c == "routing_decidable" else pa.string()) for c in RECORD_COLUMNS])
    written = 0
    documents = 0
    buffer: dict[str, list] = {c: [] for c in RECORD_COLUMNS}
    with pq.ParquetWriter(out / "records.parquet", schema, compression="zstd") as writer:
        while written < config.records:
            doc, records = planner.document(documents)
            documents += 1
            names = {p.role: p.printed("full_name") for p in doc.people}
            for person, record in zip(doc.people, records, strict=True):
                birth = person.fields.get("birth_date")
                year = person.fields.get("birth_year")
                row = {
                    "record_id": record.record_id,
                    "entity_id": record.entity_id,
                    "source": record.folder,
                    "doc_type": record.doc_type,
                    "role": record.role,
                    "doc_date": doc.issued.isoformat(),
                    "full_name": person.printed("full_name"),
                    "birth_date": birth[1] if birth else "",
                    "birth_date_text": birth[0] if birth else "",
                    "birth_year": birth[1][:4] if birth else (year[1] if year else ""),
                    "sex": person.fields.get("sex", ("", ""))[1],
                    "personal_id": person.printed("personal_id"),
                    "residence": person.printed("residence"),
                    "father_name": names.get("father", "") if record.role == "child" else "",
                    "mother_name": names.get("mother", "") if record.role == "child" else "",
                    "spouse_name": names.get(SPOUSE_ROLE.get(record.role, ""), ""),
                    "former_commune_code": record.former_commune_code,
                    "new_unit_code": record.new_unit_code,
                    "routing_decidable": record.routing_decidable,
                    "variations": record.variations,
                }
                for column in RECORD_COLUMNS:
                    buffer[column].append(row[column])
            written += len(records)
            if len(buffer["record_id"]) >= _CHUNK:
                writer.write_table(pa.table(buffer, schema=schema))
                buffer = {c: [] for c in RECORD_COLUMNS}
        if buffer["record_id"]:
            writer.write_table(pa.table(buffer, schema=schema))
    persons = list(planner.plan.persons.values())
    pq.write_table(
        pa.table(
            {
                "entity_id": [p.entity_id for p in persons],
                "full_name": [p.full_name for p in persons],
                "sex": [p.sex for p in persons],
                "birth_date": [p.birth_date.isoformat() for p in persons],
                "personal_id": [p.personal_id or "" for p in persons],
                "former_commune_code": [p.address.former_commune_code for p in persons],
                "new_unit_code": [p.address.new_commune_code for p in persons],
                "father_id": [p.father_id or "" for p in persons],
                "mother_id": [p.mother_id or "" for p in persons],
            }
        ),
        out / "persons.parquet",
        compression="zstd",
    )
    elapsed = time.perf_counter() - started
    manifest = {
        "generator": MANIFEST_GENERATOR,
        "config": asdict(config),
        "counts": {"records": written, "documents": documents, "persons": len(persons)},
    }
    (out / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return manifest | {"seconds": round(elapsed, 2), "records_per_second": round(written / elapsed, 1)}


def _prepare(out: Path, overwrite: bool) -> None:
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"{out} is a file, not a folder")
    if out.exists() and any(out.iterdir()):
        manifest = out / "manifest.json"
        mine = (
            manifest.exists()
            and json.loads(manifest.read_text(encoding="utf-8")).get("generator") == MANIFEST_GENERATOR
        )
        if not mine:
            raise FileExistsError(
                f"{out} holds files that the records-only mode did not write; choose an empty folder"
            )
        if not overwrite:
            raise FileExistsError(f"{out} already holds records-only output; pass --overwrite to replace it")
        for name in ("records.parquet", "persons.parquet", "manifest.json"):
            (out / name).unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)
