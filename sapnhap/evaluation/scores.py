"""The project's scoreboard: what the pipeline loaded, compared with a generated sample's ground truth.

`evaluate(truth_dir, engine)` reads `ground_truth/*.csv` written by `sapnhap.samples` and the unified
database, and returns a report (a plain dict, written as JSON and Markdown by `sapnhap.evaluation.report.write_report`):

- OCR: character error rate (CER, Levenshtein edits / reference characters, whitespace runs collapsed
  to one space, NFC) per page, overall (character-weighted) and by scan effect;
- document type accuracy (a document is found when the database has one starting on its page);
- quarantine precision and recall (positive = quarantined), reason accuracy, duplicate detection;
- field exact-match accuracy per field and document type, routing accuracy to the new unit, and
  record-linkage pairwise and cluster precision, recall and F1: computed by the scorers below as soon
  as the database holds extracted records / linked persons; until then reported as not yet available
  with the reason.

Scorers are plain functions on pandas frames so that later stages and tests can call them directly.

Slightly over 600 lines: the scorers of every stage side by side, each reading the same truth files.
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from collections.abc import Mapping
from datetime import date
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, inspect, text

from sapnhap.linkage.clusters import RecordGroups
from sapnhap.records.rules import DATE_FIELDS
from sapnhap.text import cer_counts, normalise_for_cer

NOT_YET = "not yet available"


# --- scorers --------------------------------------------------------------------------------------


def precision_recall(tp: int, fp: int, fn: int) -> dict[str, float | int | None]:
    """Precision, recall and F1 from counts (None where a denominator is zero), with the counts."""
    p = tp / (tp + fp) if tp + fp else None
    r = tp / (tp + fn) if tp + fn else None
    f1 = 2 * p * r / (p + r) if p and r else (0.0 if p is not None and r is not None else None)
    return {"precision": p, "recall": r, "f1": f1, "tp": tp, "fp": fp, "fn": fn}


def pairwise_linkage_scores(truth: Mapping[str, str], predicted: Mapping[str, str]) -> dict:
    """Pairwise and cluster precision, recall and F1 of a clustering of records.

    truth: record id → true entity id; predicted: record id → predicted cluster id (records missing
    from `predicted` count as singletons). A pair of records is positive when both share a cluster.
    Pair counts come from the contingency table (Σ C(n, 2)), so 1,000,000 records cost seconds.
    Cluster precision: share of predicted clusters that are exactly a true cluster; cluster recall:
    share of true clusters reproduced exactly.
    """
    records = list(truth)
    pred = {r: predicted.get(r, f"__single__{r}") for r in records}
    pairs = lambda counts: sum(n * (n - 1) // 2 for n in counts.values())  # noqa: E731
    true_pairs = pairs(Counter(truth[r] for r in records))
    pred_pairs = pairs(Counter(pred[r] for r in records))
    both = pairs(Counter((truth[r], pred[r]) for r in records))
    pairwise = precision_recall(both, pred_pairs - both, true_pairs - both)
    true_clusters: dict[str, set[str]] = {}
    pred_clusters: dict[str, set[str]] = {}
    for r in records:
        true_clusters.setdefault(truth[r], set()).add(r)
        pred_clusters.setdefault(pred[r], set()).add(r)
    true_sets = {frozenset(s) for s in true_clusters.values()}
    exact = sum(1 for s in pred_clusters.values() if frozenset(s) in true_sets)
    cp = exact / len(pred_clusters) if pred_clusters else None
    cr = exact / len(true_sets) if true_sets else None
    cluster = {
        "precision": cp,
        "recall": cr,
        "f1": 2 * cp * cr / (cp + cr) if cp and cr else 0.0,
        "true_clusters": len(true_sets),
        "predicted_clusters": len(pred_clusters),
    }
    return {"pairwise": pairwise, "cluster": cluster}


def field_accuracy(truth: pd.DataFrame, predicted: pd.DataFrame) -> pd.DataFrame:
    """Exact-match accuracy per (document type, field).

    truth: columns doc_id, doc_type, role, field, value (the ground truth's normalised value);
    predicted: columns doc_id, role, field, value. A field the extractor did not return counts as
    wrong; values are compared after NFC and whitespace collapsing. Fields blank in the truth (e.g. an
    ID number the document leaves empty) are scored too: the extractor must return blank.
    Returns columns doc_type, field, n, correct, accuracy.
    """
    key = ["doc_id", "role", "field"]
    merged = truth.merge(predicted[[*key, "value"]].rename(columns={"value": "got"}), on=key, how="left")
    merged["ok"] = [
        normalise_for_cer(str(a)) == normalise_for_cer(str(b)) if isinstance(b, str) else a == ""
        for a, b in zip(merged["value"].fillna(""), merged["got"], strict=True)
    ]
    grouped = merged.groupby(["doc_type", "field"])["ok"].agg(["size", "sum"]).reset_index()
    grouped.columns = ["doc_type", "field", "n", "correct"]
    grouped["accuracy"] = grouped["correct"] / grouped["n"]
    return grouped


def routing_accuracy(truth: pd.DataFrame, predicted: pd.DataFrame) -> dict:
    """Share of records routed to their true new unit.

    truth: record_id, new_unit_code, routing_decidable; predicted: record_id, new_unit_code (empty or
    missing = sent to review). Decidable records must be routed right; undecidable ones must go to
    review (not be guessed).
    """
    merged = truth.merge(
        predicted[["record_id", "new_unit_code"]].rename(columns={"new_unit_code": "got"}),
        on="record_id",
        how="left",
    )
    merged["got"] = merged["got"].fillna("")
    decidable = merged[merged["routing_decidable"].astype(str).str.lower() == "true"]
    undecidable = merged[merged["routing_decidable"].astype(str).str.lower() != "true"]
    return {
        "decidable": len(decidable),
        "routed_right": int((decidable["got"] == decidable["new_unit_code"]).sum()),
        "accuracy": float((decidable["got"] == decidable["new_unit_code"]).mean())
        if len(decidable)
        else None,
        "undecidable": len(undecidable),
        "sent_to_review": int((undecidable["got"] == "").sum()),
    }


# --- the report -----------------------------------------------------------------------------------


def evaluate(truth_dir: Path, engine: Engine, warehouse_dir: Path | None = None) -> dict:
    """Compare the database behind `engine` with the ground truth in `truth_dir` (a generated sample's
    `ground_truth/` folder). Returns the report as a JSON-ready dict.

    Fields and routing are scored from the `source_records` and `validated_records` tables of the
    Parquet warehouse (`warehouse_dir/<asset>/<former unit>.parquet`) until the database holds them.

    Raises:
        FileNotFoundError: when `truth_dir` lacks the generator's files.
    """
    truth_dir = Path(truth_dir)
    for name in ("files.csv", "pages.csv", "documents.csv", "fields.csv", "records.csv", "manifest.json"):
        if not (truth_dir / name).exists():
            raise FileNotFoundError(f"{truth_dir / name} is missing: is this a sapnhap.samples ground truth?")
    read = lambda name: pd.read_csv(truth_dir / name, dtype=str, keep_default_na=False)  # noqa: E731
    files, pages, documents = read("files.csv"), read("pages.csv"), read("documents.csv")
    fields, records = read("fields.csv"), read("records.csv")
    manifest = json.loads((truth_dir / "manifest.json").read_text(encoding="utf-8"))
    tables = set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        db_pages = pd.read_sql(
            text("SELECT file_sha256, page_number, method, text, mean_confidence FROM pages"), conn
        )
        db_docs = pd.read_sql(
            text("SELECT file_sha256, first_page, last_page, doc_type FROM documents"), conn
        )
        db_sources = pd.read_sql(
            text(
                "SELECT s.original_path, s.status AS source_status, f.status, f.quarantine_reason "
                "FROM file_sources s JOIN files f ON f.sha256 = s.file_sha256"
            ),
            conn,
        )
    report = {
        "sample": {
            "new_unit": manifest["scenario"]["new_unit"],
            "new_unit_name": manifest["scenario"]["new_unit_name"],
            "profile": manifest["config"]["profile"],
            "seed": manifest["config"]["seed"],
            "counts": manifest["counts"],
        },
        "ocr": _ocr(pages, db_pages),
        "document_types": _document_types(documents, db_docs),
        "quarantine": _quarantine(files, db_sources),
        "fields": _not_yet("fields", tables, "source_records", "field extraction (issue 4)", len(fields)),
        "routing": _not_yet(
            "routing", tables, "validated_records", "routing to the new unit (issue 4)", len(records)
        ),
        "linkage": _not_yet("linkage", tables, "persons", "record linkage (issue 5)", len(records)),
        "records": None,
        "persons": None,
    }
    if warehouse_dir is not None:
        _score_records(report, Path(warehouse_dir), documents, fields, records)
    if report["records"] is not None and "person_records" in tables:
        with engine.connect() as conn:
            loaded = conn.execute(text("SELECT COUNT(*) FROM person_records")).scalar_one()
            held = conn.execute(text("SELECT COUNT(*) FROM quarantined_records")).scalar_one()
        r = report["records"]
        r["loaded_in_database"], r["quarantined_in_database"] = int(loaded), int(held)
        # No record lost: every person extracted is validated, and every validated record is in the
        # database, loaded (valid, warning) or held in quarantine.
        r["lost"] = (
            (r["extracted"] - (r["valid"] + r["warning"] + r["quarantined"]))
            + (r["valid"] + r["warning"] - r["loaded_in_database"])
            + (r["quarantined"] - r["quarantined_in_database"])
        )
    if "person_members" in tables:
        report["persons"] = score_persons(engine, documents, records)
        from sapnhap.evaluation.office import score_backlog, score_staffing  # it imports this module

        today = date.today()
        report["staffing"] = score_staffing(engine, documents, fields, records, today)
        report["backlog"] = score_backlog(engine, documents, fields, records, today)
    return report


DocKey = tuple[str, int, int]


def documents_by_key(documents: pd.DataFrame) -> dict[DocKey, str]:
    """The truth's doc ids by (file SHA-256, first page, entry): entry is the register row of a
    document read from a register (`documents.csv` column `entry`), 0 for a whole document (and
    for a truth without the column)."""
    entries = documents["entry"] if "entry" in documents else pd.Series(["0"] * len(documents))
    return {
        (str(sha), int(page), int(entry or 0)): str(doc)
        for sha, page, entry, doc in zip(
            documents["sha256"], documents["first_page"], entries, documents["doc_id"], strict=True
        )
    }


def _entry(value: object) -> int:
    return 0 if value is None or (isinstance(value, float) and value != value) else int(value)


def score_persons(engine: Engine, documents: pd.DataFrame, records: pd.DataFrame) -> dict | None:
    """Score the persons the pipeline built (`entities`: `person_members` in the database) against the
    truth's entity ids: pairwise and cluster precision, recall and F1 over the records linked, with no
    archivist decision (every merge automatic: the pairwise precision is the auto-merges' precision);
    and the open review pairs: how many, how many are the same person in truth. None when no record
    is linked yet.

    documents: the truth's documents.csv (doc_id, sha256, first_page); records: its records.csv
    (record_id `<doc_id>:<role>`, entity_id).
    """
    with engine.connect() as conn:
        linked = pd.read_sql(
            text(
                "SELECT m.record_id, m.person_id, m.linked_by, r.file_sha256, r.first_page, r.entry, r.role "
                "FROM person_members m JOIN person_records r ON r.record_id = m.record_id"
            ),
            conn,
        )
        review = pd.read_sql(
            text(
                "SELECT record_id_l, record_id_r FROM review_queue WHERE status = 'open' AND kind = 'merge_candidate'"
            ),
            conn,
        )
        routed = conn.execute(
            text("SELECT COUNT(*) FROM person_records WHERE new_unit_code IS NOT NULL")
        ).scalar_one()
        loaded = conn.execute(text("SELECT COUNT(*) FROM person_records")).scalar_one()
    if linked.empty:
        return None
    doc_of = documents_by_key(documents)
    entity = dict(zip(records["record_id"], records["entity_id"], strict=True))
    truth: dict[str, str] = {}
    for r in linked.itertuples():
        true_id = entity.get(f"{doc_of.get((r.file_sha256, int(r.first_page), _entry(r.entry)))}:{r.role}")
        if true_id is not None:
            truth[r.record_id] = true_id
    persons = {r: str(p) for r, p in zip(linked["record_id"], linked["person_id"], strict=True)}
    scores = pairwise_linkage_scores(truth, persons)
    pairs = list(zip(review["record_id_l"], review["record_id_r"], strict=True))
    same = sum(1 for a, b in pairs if a in truth and truth.get(a) == truth.get(b))
    # After review: archivists accept the waiting pairs that are one person and reject the others
    # (what the review round trip applies), so the persons of accepted pairs join.
    groups = RecordGroups()  # no ID numbers or decisions: an accepted pair always joins
    for person in set(persons.values()):
        groups.add(person)
    for a, b in pairs:
        if a in persons and b in persons and truth.get(a) is not None and truth.get(a) == truth.get(b):
            groups.merge(persons[a], persons[b])
    after = pairwise_linkage_scores(truth, {r: groups.find(p) for r, p in persons.items()})
    return {
        "status": "scored",
        "reason": "the entities asset's persons in the unified database (no archivist decision)",
        "records_loaded": int(loaded),
        "records_routed": int(routed),
        "records_linked": len(linked),
        "records_scored": len(truth),
        "persons": int(linked["person_id"].nunique()),
        "auto_merged_records": int((linked["linked_by"] == "auto").sum()),
        **scores,
        "review_open": len(review),
        "review_same_person": same,
        "after_review": after,
    }


def _read_warehouse(warehouse_dir: Path, asset: str) -> pd.DataFrame:
    parts = sorted((warehouse_dir / asset).glob("*.parquet"))
    frames = [pd.read_parquet(p) for p in parts]
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _score_records(
    report: dict, warehouse_dir: Path, documents: pd.DataFrame, fields: pd.DataFrame, records: pd.DataFrame
) -> None:
    """Score extraction (fields) and routing from the warehouse tables, when the pipeline wrote them."""
    source = _read_warehouse(warehouse_dir, "source_records")
    validated = _read_warehouse(warehouse_dir, "validated_records")
    doc_of = documents_by_key(documents)
    truth = fields.merge(documents[["doc_id", "doc_type"]].drop_duplicates("doc_id"), on="doc_id")
    if not source.empty:
        entries = source["entry"] if "entry" in source else pd.Series([0] * len(source), index=source.index)
        source = source.assign(
            doc_id=[
                doc_of.get((a, int(b), _entry(e)))
                for a, b, e in zip(source["file_sha256"], source["first_page"], entries, strict=True)
            ]
        )
        seen = set(source["doc_id"].dropna())
        scored = truth[truth["doc_id"].isin(seen)]
        predicted = source[source["status"] == "found"][["doc_id", "role", "field", "value"]]
        table = field_accuracy(scored[["doc_id", "doc_type", "role", "field", "value"]], predicted)
        groups = {
            "names": table[table["field"] == "full_name"],
            "dates": table[table["field"].isin(DATE_FIELDS)],
            "id_numbers": table[table["field"] == "personal_id"],
            "all": table,
        }
        report["fields"] = {
            "status": "scored",
            "reason": "from the warehouse's source_records (database tables come later)",
            "truth_items": int(len(truth)),
            "documents_scored": len(seen),
            "documents_in_truth": int(truth["doc_id"].nunique()),
            "groups": {
                k: {
                    "n": int(g["n"].sum()),
                    "accuracy": float(g["correct"].sum() / g["n"].sum()) if g["n"].sum() else None,
                }
                for k, g in groups.items()
            },
            "per_field": table.to_dict("records"),
        }
    if not validated.empty:
        entries = validated["entry"] if "entry" in validated else pd.Series([0] * len(validated))
        validated = validated.assign(
            record_id=[
                f"{doc_of.get((a, int(b), _entry(e)))}:{role}"
                for a, b, e, role in zip(
                    validated["file_sha256"], validated["first_page"], entries, validated["role"], strict=True
                )
            ]
        )
        routing = routing_accuracy(records, validated[["record_id", "new_unit_code"]])
        report["routing"] = {
            "status": "scored",
            "reason": "from the warehouse's validated_records",
            "truth_items": int(len(records)),
            **routing,
        }
        statuses = validated["status"].value_counts()
        reasons = validated.loc[validated["status"] != "valid", "reasons"].fillna("").str.split(";").explode()
        _score_linkage(report, source, doc_of, records)
        report["families"] = layout_families(
            documents, fields, records, source, table_of_fields(truth, source)
        )
        report["without_records"] = _without_records(warehouse_dir, source)
        report["records"] = {
            "extracted": int(source.loc[source["role"] != "", "record_id"].nunique())
            if not source.empty
            else 0,
            "validated": int(len(validated)),
            **{s: int(statuses.get(s, 0)) for s in ("valid", "warning", "quarantined")},
            "by_rule": {str(k): int(v) for k, v in reasons[reasons != ""].value_counts().items()},
        }


def table_of_fields(truth: pd.DataFrame, source: pd.DataFrame) -> pd.DataFrame:
    """One row per truth field (doc_id, role, field) with `ok`: the pipeline's found value equals the
    truth's (a field not found is wrong). `source` needs a doc_id column ([] rows: all wrong)."""
    keys = ["doc_id", "role", "field"]
    if source.empty or "doc_id" not in source:
        return truth[keys].assign(ok=False)
    predicted = source[source["status"] == "found"][[*keys, "value"]].drop_duplicates(keys)
    merged = truth[[*keys, "value"]].merge(predicted, on=keys, how="left", suffixes=("", "_got"))
    return merged[keys].assign(ok=(merged["value"] == merged["value_got"].fillna("\0")).to_numpy())


def layout_families(
    documents: pd.DataFrame,
    fields: pd.DataFrame,
    records: pd.DataFrame,
    source: pd.DataFrame,
    scored_fields: pd.DataFrame,
) -> dict[str, dict]:
    """Extraction scored apart for each layout family of the generator (`documents.csv` column
    `layout`: "standard", the layouts the templates were written against, and "variant", other
    wordings and orders; a ground truth without the column is all "standard").

    Per family: documents, documents that yielded no person record (and their share), person
    records in the truth and found (same document and role; recall), fields (exact match of the
    normalised value; a field not found is wrong). `source` is the `source_records` table with a
    doc_id column; `scored_fields` is `table_of_fields`'s output.
    """
    layout = documents.get("layout", pd.Series(["standard"] * len(documents), index=documents.index))
    family_of = dict(zip(documents["doc_id"], layout.replace("", "standard"), strict=True))
    people = set()
    if not source.empty and "doc_id" in source:
        found = source[(source["role"] != "") & (source["status"] == "found") & source["doc_id"].notna()]
        people = set(zip(found["doc_id"], found["role"], strict=True))
    with_people = {doc for doc, _ in people}
    out: dict[str, dict] = {}
    for family in sorted(set(family_of.values())):
        docs = {d for d, f in family_of.items() if f == family}
        recs = records[records["doc_id"].isin(docs)]
        got = sum((d, r) in people for d, r in zip(recs["doc_id"], recs["role"], strict=True))
        flds = scored_fields[scored_fields["doc_id"].isin(docs)]
        silent = len(docs - with_people)
        out[family] = {
            "documents": len(docs),
            "documents_without_records": silent,
            "share_without_records": silent / len(docs) if docs else None,
            "records": int(len(recs)),
            "records_found": int(got),
            "record_recall": got / len(recs) if len(recs) else None,
            "fields": int(len(flds)),
            "fields_correct": int(flds["ok"].sum()),
            "field_accuracy": float(flds["ok"].mean()) if len(flds) else None,
        }
    return out


def _without_records(warehouse_dir: Path, source: pd.DataFrame) -> list[dict]:
    """The documents the pipeline reports as yielding no person record, with why
    (`sapnhap.records.tables.documents_without_records` over the warehouse's documents)."""
    from sapnhap.records.tables import documents_without_records

    documents = _read_warehouse(warehouse_dir, "documents")
    if documents.empty:
        return []
    files = _read_warehouse(warehouse_dir, "dossier_files")
    files = files if {"sha256", "original_path"} <= set(files.columns) else None
    table = documents_without_records(documents, source, files)
    return table.drop(columns=["file_sha256"]).to_dict("records")


LINKAGE_THRESHOLDS = (0.5, 0.8, 0.9, 0.95, 0.99)
LINKAGE_THRESHOLD = 0.8  # the threshold whose figures head the report's linkage line
MIN_PAIRS_TO_SUGGEST = 50


def _score_linkage(
    report: dict, source: pd.DataFrame, doc_of: Mapping[DocKey, str], records: pd.DataFrame
) -> None:
    """Score the model the pipeline uses on the whole batch at every threshold: the warehouse's person
    records linked with the shipped model (`sapnhap.linkage.model.DEFAULT_MODEL_PATH`, prior calibrated on
    the batch), clustered under the ID rule at LINKAGE_THRESHOLDS, against the truth's entity ids,
    pairwise and per cluster; thresholds are suggested from these figures when there are at least
    MIN_PAIRS_TO_SUGGEST true pairs (fewer cannot tell 0.995 precision from chance)."""
    if source.empty:
        return
    import logging

    from sapnhap.linkage.clusters import cluster_records, relatives_of
    from sapnhap.linkage.features import linkage_features, records_from_source
    from sapnhap.linkage.model import DEFAULT_MODEL_PATH, calibrate_prior, choose_thresholds, load_linker

    logging.getLogger("splink").setLevel(logging.WARNING)
    people = records_from_source(source)
    if len(people) < 2:
        return
    keys = source.drop_duplicates("record_id").set_index("record_id")
    entity = dict(zip(records["record_id"], records["entity_id"], strict=True))
    truth: dict[str, str] = {}
    for rid in people["record_id"]:
        entry = _entry(keys.at[rid, "entry"]) if "entry" in keys else 0
        doc = doc_of.get((keys.at[rid, "file_sha256"], int(keys.at[rid, "first_page"]), entry))
        true_id = entity.get(f"{doc}:{keys.at[rid, 'role']}")
        if true_id is not None:
            truth[rid] = true_id
    features = linkage_features(people)
    started = time.perf_counter()
    linker = load_linker(features, DEFAULT_MODEL_PATH, "dedupe_only")
    prior = calibrate_prior(linker)
    pairs = linker.inference.predict(threshold_match_probability=0.01).as_pandas_dataframe()
    ids = dict(zip(features["unique_id"].tolist(), features["personal_id"].tolist(), strict=True))
    born = dict(zip(features["unique_id"].tolist(), features["birth_date"].tolist(), strict=True))
    relatives = relatives_of(features)
    by_threshold = {}
    for threshold in LINKAGE_THRESHOLDS:
        persons = cluster_records(
            features["unique_id"].tolist(), pairs, threshold, ids, birth_dates=born, relatives=relatives
        )
        by_threshold[str(threshold)] = pairwise_linkage_scores(truth, persons)
    chosen = by_threshold[str(LINKAGE_THRESHOLD)]
    true_pairs = chosen["pairwise"]["tp"] + chosen["pairwise"]["fn"]
    suggested = (
        choose_thresholds({float(t): v for t, v in by_threshold.items()})
        if true_pairs >= MIN_PAIRS_TO_SUGGEST
        else None
    )
    report["linkage"] = {
        "status": "scored",
        "reason": "the shipped model on the warehouse's source_records of the whole batch, prior "
        "calibrated on it; persons under the ID rule",
        "prior": prior,
        "records": len(truth),
        "threshold": LINKAGE_THRESHOLD,
        "seconds": round(time.perf_counter() - started, 1),
        **chosen,
        "by_threshold": by_threshold,
        # From these figures: the lowest threshold with auto-merge precision >= 0.995, and the review band.
        "suggested_thresholds": {"review": suggested.review, "auto_merge": suggested.auto_merge}
        if suggested
        else None,
    }


def _not_yet(kind: str, tables: set[str], table: str, stage: str, n_truth: int) -> dict:
    reason = f"the database has no `{table}` table yet: {stage} does not exist"
    return {
        "status": NOT_YET if table not in tables else "table present but not scored yet",
        "reason": reason,
        "truth_items": n_truth,
    }


def _ocr(pages: pd.DataFrame, db_pages: pd.DataFrame) -> dict:
    truth = pages.drop_duplicates(["sha256", "page"]).copy()
    truth["page"] = truth["page"].astype(int)
    db = db_pages.rename(columns={"file_sha256": "sha256", "page_number": "page", "text": "ocr_text"})
    merged = truth.merge(db, on=["sha256", "page"], how="left")
    rows = []
    for r in merged.itertuples(index=False):
        found = isinstance(r.ocr_text, str)
        edits, length = cer_counts(r.text, r.ocr_text if found else "")
        rows.append(
            {
                "path": r.path, "page": r.page, "format": r.format, "dpi": int(r.dpi),
                "skew_degrees": float(r.skew_degrees), "rotation": int(r.rotation), "blur_radius": float(r.blur_radius),
                "speckle": float(r.speckle), "jpeg_quality": r.jpeg_quality or "", "seal": r.seal == "True",
                "grayscale": r.grayscale == "True",
                "method": r.method if found else "missing", "confidence": _num(r.mean_confidence),
                "edits": edits, "chars": length, "cer": edits / length if length else 0.0,
            }
        )  # fmt: skip
    table = pd.DataFrame(rows)
    if table.empty:
        return {"pages": 0, "cer": None, "per_page": []}

    def cer_of(frame: pd.DataFrame) -> float | None:
        return float(frame["edits"].sum() / frame["chars"].sum()) if frame["chars"].sum() else None

    groups = {
        "method": table.groupby("method"),
        "format": table.groupby("format"),
        "dpi": table.groupby("dpi"),
        "rotated": table.groupby(table["rotation"] != 0),
        "skew_over_1deg": table.groupby(table["skew_degrees"].abs() > 1),
        "blurred": table.groupby(table["blur_radius"] > 0),
        "speckled": table.groupby(table["speckle"] > 0),
        "seal": table.groupby("seal"),
        "grayscale": table.groupby("grayscale"),
        "seal_on_grey_scan": table.groupby(table["seal"] & table["grayscale"]),
    }
    by = {
        name: {str(k): {"pages": len(g), "cer": cer_of(g)} for k, g in grouped}
        for name, grouped in groups.items()
    }
    return {
        "pages": len(table),
        "pages_missing": int((table["method"] == "missing").sum()),
        "cer": cer_of(table),
        "mean_page_cer": float(table["cer"].mean()),
        "median_page_cer": float(table["cer"].median()),
        "pages_cer_over_0_10": int((table["cer"] > 0.10).sum()),
        "by": by,
        "per_page": table.sort_values("cer", ascending=False).to_dict("records"),
    }


def _document_types(documents: pd.DataFrame, db_docs: pd.DataFrame) -> dict:
    truth = documents.drop_duplicates(["sha256", "first_page"]).copy()
    truth["first_page"] = truth["first_page"].astype(int)
    db = db_docs.rename(columns={"file_sha256": "sha256", "doc_type": "got"})
    merged = truth.merge(db[["sha256", "first_page", "got"]], on=["sha256", "first_page"], how="left")
    merged["got"] = merged["got"].fillna("(not found)")
    correct = merged["got"] == merged["doc_type"]
    confusion = Counter(zip(merged["doc_type"], merged["got"], strict=True))
    per_type = {
        t: {"n": int(len(g)), "accuracy": float((g["got"] == g["doc_type"]).mean())}
        for t, g in merged.groupby("doc_type")
    }
    extra = len(db[db["sha256"].isin(truth["sha256"])]) - int((merged["got"] != "(not found)").sum())
    return {
        "documents": len(merged),
        "accuracy": float(correct.mean()) if len(merged) else None,
        "per_type": per_type,
        "confusion": [{"truth": a, "got": b, "n": n} for (a, b), n in sorted(confusion.items())],
        "extra_documents_found": int(extra),
    }


def _quarantine(files: pd.DataFrame, db_sources: pd.DataFrame) -> dict:
    merged = files.merge(db_sources, left_on="path", right_on="original_path", how="left")
    merged["got"] = merged["source_status"].fillna("(not recorded)")
    expected_q = merged["expected_outcome"] == "quarantined"
    got_q = merged["got"] == "quarantined"
    scores = precision_recall(
        int((expected_q & got_q).sum()), int((~expected_q & got_q).sum()), int((expected_q & ~got_q).sum())
    )
    both = merged[expected_q & got_q]
    reason_ok = int((both["quarantine_reason"] == both["expected_reason"]).sum())
    # Exact duplicates: in each group of identical files exactly one is processed, the others are duplicates.
    dup_groups = merged.groupby("sha256")
    dup_right = dup_total = 0
    for _, group in dup_groups:
        if len(group) < 2 or (group["expected_outcome"] == "quarantined").any():
            continue
        dup_total += len(group) - 1
        dup_right += min(len(group) - 1, int((group["got"] == "duplicate").sum()))
    wrong = merged[
        (expected_q != got_q)
        | (expected_q & got_q & (merged["quarantine_reason"] != merged["expected_reason"]))
    ]
    return {
        "files": len(merged),
        "not_recorded": int((merged["got"] == "(not recorded)").sum()),
        **scores,
        "reason_accuracy": reason_ok / len(both) if len(both) else None,
        "duplicates_expected": dup_total,
        "duplicates_found": dup_right,
        "errors": wrong[["path", "expected_outcome", "expected_reason", "got", "quarantine_reason"]]
        .fillna("")
        .to_dict("records"),
    }


def _num(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number
