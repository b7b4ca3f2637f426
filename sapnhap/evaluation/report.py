"""The evaluation report written: Markdown for people (docs/evaluation.md, `$SAPNHAP_HOME/evaluation.md`),
JSON for tools, and the summary lines the demo and `make evaluate` print (`sapnhap.evaluation.scores`
computes the report)."""

from __future__ import annotations

import json
from pathlib import Path

from sapnhap.evaluation.scores import MIN_PAIRS_TO_SUGGEST, evaluate
from sapnhap.linkage.model import DEFAULT_THRESHOLDS

NOT_YET = "not yet available"


# --- writing --------------------------------------------------------------------------------------


def write_report(report: dict, markdown_path: Path, json_path: Path) -> None:
    """Write the report as JSON (everything, per page included) and Markdown (the summary tables)."""
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(
        json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8"
    )
    markdown_path.write_text(to_markdown(report), encoding="utf-8")


def summary_lines(report: dict) -> list[str]:
    """A few lines for a terminal: the headline figures of each part."""
    ocr, docs, q = report["ocr"], report["document_types"], report["quarantine"]
    lines = [
        f"OCR: {ocr['pages']} pages, CER {_pct(ocr['cer'])} overall (median page {_pct(ocr.get('median_page_cer'))}; "
        f"{ocr.get('pages_cer_over_0_10', 0)} pages above 10%)",
        f"Document types: {_pct(docs['accuracy'])} of {docs['documents']} documents right",
        f"Quarantine: precision {_pct(q['precision'])}, recall {_pct(q['recall'])}, reasons right "
        f"{_pct(q['reason_accuracy'])}; exact duplicates found {q['duplicates_found']}/{q['duplicates_expected']}",
    ]
    fields, routing = report["fields"], report["routing"]
    if fields.get("status") == "scored":
        lines.append(
            "Fields (exact match): "
            + ", ".join(
                f"{k.replace('_', ' ')} {_pct(v['accuracy'])} of {v['n']}"
                for k, v in fields["groups"].items()
            )
        )
    else:
        lines.append(f"Fields: {fields['status']} ({fields['reason']})")
    if routing.get("status") == "scored":
        lines.append(
            f"Routing: {_pct(routing['accuracy'])} of {routing['decidable']} records whose address decides the "
            f"unit routed right; {routing['sent_to_review']} of {routing['undecidable']} undecidable sent to review"
        )
    else:
        lines.append(f"Routing: {routing['status']} ({routing['reason']})")
    records = report.get("records")
    if records:
        line = (
            f"Records: {records['extracted']} extracted = {records['valid']} valid + {records['warning']} with "
            f"warnings + {records['quarantined']} quarantined"
        )
        if "loaded_in_database" in records:
            line += (
                f"; database: {records['loaded_in_database']} loaded, {records['quarantined_in_database']} held "
                f"in quarantine; lost {records['lost']}"
            )
        lines.append(line)
    families = report.get("families") or {}
    if families:
        lines.append(
            "By layout family: "
            + "; ".join(
                f"{k}: record recall {_pct(v['record_recall'])}, fields exact {_pct(v['field_accuracy'])}, "
                f"{v['documents_without_records']} of {v['documents']} documents without a record"
                for k, v in families.items()
            )
        )
    linkage = report["linkage"]
    if linkage.get("status") == "scored":
        pw, cl = linkage["pairwise"], linkage["cluster"]
        lines.append(
            f"Linkage: pairwise precision {_pct(pw['precision'])}, recall {_pct(pw['recall'])}, F1 "
            f"{_pct(pw['f1'])} ({pw['tp'] + pw['fn']} true pairs, threshold {linkage['threshold']}); "
            f"clusters exact {_pct(cl['precision'])} / {_pct(cl['recall'])}; "
            + (
                f"suggested: auto-merge from {linkage['suggested_thresholds']['auto_merge']}, review from "
                f"{linkage['suggested_thresholds']['review']}"
                if linkage.get("suggested_thresholds")
                else f"too few true pairs to suggest thresholds (fewer than {MIN_PAIRS_TO_SUGGEST})"
            )
        )
    else:
        lines.append(f"Linkage: {linkage['status']} ({linkage['reason']})")
    persons = report.get("persons")
    if persons:
        pw, cl = persons["pairwise"], persons["cluster"]
        lines.append(
            f"Persons (pipeline): {persons['records_linked']} records → {persons['persons']} persons; pairwise "
            f"precision {_pct(pw['precision'])}, recall {_pct(pw['recall'])}, F1 {_pct(pw['f1'])} "
            f"({pw['tp'] + pw['fn']} true pairs); clusters exact {_pct(cl['precision'])} / {_pct(cl['recall'])}; "
            f"{persons['review_open']} pairs waiting for review ({persons['review_same_person']} the same person); "
            f"once decided: F1 {_pct(persons['after_review']['pairwise']['f1'])}"
        )
    lines += _office_lines(report)
    return lines


def _office_lines(report: dict) -> list[str]:
    """The staffing and backlog scores in a line each (none when the report has none)."""
    lines = []
    staffing, backlog = report.get("staffing"), report.get("backlog")
    if staffing and staffing.get("status") == "scored":
        per_unit = ", ".join(f"{u['new_unit']}: {u['found']}/{u['expected']}" for u in staffing["units"])
        lines.append(
            f"Staffing: headcount exact in {staffing['headcount_exact_units']} of {staffing['headcount_units']} "
            f"new units ({per_unit}); "
            f"position mapping {_pct(staffing['position_mapping_accuracy'])} of "
            f"{staffing['position_mapping_scored']} persons"
        )
    elif staffing:
        lines.append(f"Staffing: {staffing['status']} ({staffing['reason']})")
    if backlog and backlog.get("status") == "scored":
        lines.append(
            f"Backlog: overdue at the cut-over precision {_pct(backlog['precision'])}, recall "
            f"{_pct(backlog['recall'])} ({backlog['overdue_at_cut_over_truth']} overdue in truth of "
            f"{backlog['dossiers_truth']} dossiers; {backlog['dossiers_found']} dossiers found)"
        )
    elif backlog:
        lines.append(f"Backlog: {backlog['status']} ({backlog['reason']})")
    return lines


def to_markdown(report: dict) -> str:
    """The report as Markdown: headline, OCR by effect, document types, quarantine, what is not yet scored."""
    s = report["sample"]
    ocr, docs, q = report["ocr"], report["document_types"], report["quarantine"]
    out = [
        "# Evaluation report",
        "",
        f"Generated sample: new unit {s['new_unit']} {s['new_unit_name']}, scan profile `{s['profile']}`, seed {s['seed']}: "
        + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in s["counts"].items())
        + ".",
        "",
        "## Summary",
        "",
        *[f"- {line}" for line in summary_lines(report)],
        "",
        "## OCR character error rate",
        "",
        "CER = Levenshtein edits / characters of the true text, whitespace collapsed, NFC; character-weighted.",
        "",
        "| by | value | pages | CER |",
        "|---|---|---:|---:|",
    ]
    for name, groups in ocr.get("by", {}).items():
        for key, v in sorted(groups.items()):
            out.append(f"| {name} | {key} | {v['pages']} | {_pct(v['cer'])} |")
    out += [
        "",
        "Worst pages:",
        "",
        "| file | page | format | dpi | skew ° | rotation | method | CER |",
        "|---|---:|---|---:|---:|---:|---|---:|",
    ]
    for p in ocr.get("per_page", [])[:10]:
        out.append(
            f"| {p['path']} | {p['page']} | {p['format']} | {p['dpi']} | {p['skew_degrees']:.1f} | {p['rotation']} | {p['method']} | {_pct(p['cer'])} |"
        )
    out += ["", "## Document types", "", "| type | documents | accuracy |", "|---|---:|---:|"]
    for t, v in docs["per_type"].items():
        out.append(f"| {t} | {v['n']} | {_pct(v['accuracy'])} |")
    mistakes = [c for c in docs["confusion"] if c["truth"] != c["got"]]
    if mistakes:
        out += ["", "Mistakes: " + "; ".join(f"{c['truth']} → {c['got']} ×{c['n']}" for c in mistakes)]
    out += [
        "",
        "## Quarantine and duplicates",
        "",
        f"{q['files']} files; quarantined: precision {_pct(q['precision'])}, recall {_pct(q['recall'])} "
        f"(tp {q['tp']}, fp {q['fp']}, fn {q['fn']}); reason right in {_pct(q['reason_accuracy'])}; "
        f"exact duplicates found {q['duplicates_found']} of {q['duplicates_expected']}; not recorded {q['not_recorded']}.",
    ]
    if q["errors"]:
        out += ["", "| file | expected | reason | got | reason |", "|---|---|---|---|---|"]
        out += [
            f"| {e['path']} | {e['expected_outcome']} | {e['expected_reason']} | {e['got']} | {e['quarantine_reason']} |"
            for e in q["errors"]
        ]
    families = report.get("families") or {}
    if families:
        out += [
            "",
            "## Extraction by layout family",
            "",
            "`standard`: the five layouts the extractor's templates were written against; `variant`: other "
            "label wordings and orders (`Họ và tên`, `Sinh ngày`, `Số CCCD`, parents in the other order, two "
            "types under the generic title `TRÍCH LỤC HỘ TỊCH`), read by the generic label vocabulary. A "
            "record is found when a person record of the same document and role was extracted.",
            "",
            "| family | documents | without records | record recall | fields | field exact match |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        out += [
            f"| {k} | {v['documents']} | {v['documents_without_records']} ({_pct(v['share_without_records'])}) "
            f"| {_pct(v['record_recall'])} ({v['records_found']}/{v['records']}) | {v['fields']} "
            f"| {_pct(v['field_accuracy'])} |"
            for k, v in families.items()
        ]
    silent = report.get("without_records")
    if silent is not None:
        out += ["", f"Documents the pipeline lists as yielding no person record: {len(silent)}."]
        if silent:
            out += ["", "| file | pages | type | title | why |", "|---|---|---|---|---|"]
            out += [
                f"| {d['file']} | {d['first_page']}-{d['last_page']} | {d['doc_type']} | {d['title']} | {d['why']} |"
                for d in silent
            ]
    out += ["", "## Fields, routing, record linkage", ""]
    fields = report["fields"]
    if fields.get("status") == "scored":
        out += [
            f"Field exact-match accuracy ({fields['documents_scored']} of {fields['documents_in_truth']} documents "
            "extracted; a field not found counts as wrong):",
            "",
            "| document type | field | n | accuracy |",
            "|---|---|---:|---:|",
        ]
        out += [
            f"| {r['doc_type']} | {r['field']} | {r['n']} | {_pct(r['accuracy'])} |"
            for r in fields["per_field"]
        ]
        out.append("")
    if report.get("records"):
        by_rule = report["records"].get("by_rule") or {}
        out += [
            "Records: "
            + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in report["records"].items() if k != "by_rule")
            + ".",
            "",
        ]
        if by_rule:
            out += [
                "Rules behind quarantines and warnings (a record may have several):",
                "",
                "| rule | records |",
                "|---|---:|",
            ]
            out += [f"| {k} | {v} |" for k, v in by_rule.items()]
            out.append("")
    linkage = report["linkage"]
    if linkage.get("status") == "scored":
        out += [
            f"Record linkage ({linkage['records']} person records, {linkage['reason']}): pairwise and "
            "cluster scores by match-probability threshold:",
            "",
            "| threshold | precision | recall | F1 | true pairs | cluster precision | cluster recall |",
            "|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for threshold, v in linkage["by_threshold"].items():
            pw, cl = v["pairwise"], v["cluster"]
            out.append(
                f"| {threshold} | {_pct(pw['precision'])} | {_pct(pw['recall'])} | {_pct(pw['f1'])} | "
                f"{pw['tp'] + pw['fn']} | {_pct(cl['precision'])} | {_pct(cl['recall'])} |"
            )
        suggested = linkage.get("suggested_thresholds")
        out += [
            "",
            f"Suggested from these figures (`sapnhap.linkage.model.choose_thresholds`): merge automatically from "
            f"{suggested['auto_merge']} (the lowest threshold with pairwise precision ≥ 99.5%, or the highest "
            f"measured), review from {suggested['review']}, distinct below."
            if suggested
            else f"Too few true pairs (fewer than {MIN_PAIRS_TO_SUGGEST}) to suggest thresholds from this batch.",
            "",
            f"The pipeline applies `sapnhap.linkage.model.DEFAULT_THRESHOLDS` (auto-merge from {DEFAULT_THRESHOLDS.auto_merge}, "
            f"review from {DEFAULT_THRESHOLDS.review}): chosen where namesakes abound, on generated batches of "
            "records at scale ([benchmarks_linkage.md](benchmarks_linkage.md)), so a batch this small suggests lower.",
            "",
        ]
    persons = report.get("persons")
    if persons:
        pw, cl = persons["pairwise"], persons["cluster"]
        out += [
            "Persons built by the pipeline (`entities`, in the unified database, before any archivist "
            f"decision): {persons['records_loaded']} records loaded, {persons['records_routed']} routed to a "
            f"new unit, {persons['records_linked']} linked into {persons['persons']} persons "
            f"({persons['auto_merged_records']} records merged automatically).",
            "",
            "| | precision | recall | F1 |",
            "|---|---:|---:|---:|",
            f"| pairs ({pw['tp'] + pw['fn']} true pairs) | {_pct(pw['precision'])} | {_pct(pw['recall'])} | "
            f"{_pct(pw['f1'])} |",
            f"| clusters ({cl['true_clusters']} true) | {_pct(cl['precision'])} | {_pct(cl['recall'])} | "
            f"{_pct(cl['f1'])} |",
            "",
            f"Waiting for an archivist: {persons['review_open']} pairs, of which {persons['review_same_person']} "
            "are the same person in truth. Once decided (the true pairs accepted, the others rejected, as the "
            "review round trip applies them):",
            "",
            "| after review | precision | recall | F1 |",
            "|---|---:|---:|---:|",
            *[
                f"| {name} | {_pct(persons['after_review'][name]['precision'])} | "
                f"{_pct(persons['after_review'][name]['recall'])} | {_pct(persons['after_review'][name]['f1'])} |"
                for name in ("pairwise", "cluster")
            ],
            "",
        ]
    office = _office_lines(report)
    if office:
        out += [
            "### The commune office's reports (`staffing`, `procedure_backlog`)",
            "",
            "Headcount per new unit (distinct staff in truth vs the staffing picture, exact), the position "
            "each person's latest title maps to (the same rule table on the truth's title: this scores "
            "reading and linkage, not the provisional catalogue), and the dossiers overdue at the cut-over "
            "(1 July 2025) by receipt number:",
            "",
            *(f"- {line}" for line in office),
            "",
        ]
    for part in ("fields", "routing", "linkage"):
        if report[part].get("status") == "scored":
            continue
        out.append(
            f"- **{part}**: {report[part]['status']} — {report[part]['reason']} ({report[part]['truth_items']} items in the truth)."
        )
    return "\n".join(out) + "\n"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def main(argv: list[str] | None = None) -> int:
    """`python -m sapnhap.evaluation.report --truth DIR --database URL --report FILE.md`: score a database again.

    Re-scores what is already loaded (no pipeline run); writes FILE.md and FILE.json.
    """
    import argparse

    from sqlalchemy import create_engine

    parser = argparse.ArgumentParser(
        prog="python -m sapnhap.evaluation.report", description=main.__doc__.splitlines()[0]
    )
    parser.add_argument("--truth", type=Path, required=True, help="a generated sample's ground_truth/ folder")
    parser.add_argument("--database", required=True, help="SQLAlchemy URL of the unified database")
    parser.add_argument("--report", type=Path, required=True, help="Markdown report path (JSON beside it)")
    parser.add_argument(
        "--warehouse", type=Path, default=None, help="Parquet warehouse (scores fields and routing)"
    )
    args = parser.parse_args(argv)
    engine = create_engine(args.database)
    try:
        report = evaluate(args.truth, engine, args.warehouse)
    except FileNotFoundError as exc:
        print(f"sapnhap.evaluation.scores: {exc}")
        return 2
    finally:
        engine.dispose()
    previous = args.report.with_suffix(".json")
    if previous.exists():  # keep the figures of the run that loaded the database
        run = json.loads(previous.read_text(encoding="utf-8")).get("run")
        if run:
            report["run"] = run
    write_report(report, args.report, args.report.with_suffix(".json"))
    for line in summary_lines(report):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
