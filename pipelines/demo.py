"""`make demo`: register the inbox's former units and run the ingest job on each, without the UI.

Runs go through the same Dagster instance as `make ui` ($DAGSTER_HOME), so every run, log line,
materialization and check result is there to look at afterwards. Prints one progress line per
former unit and ends with a summary table.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd
from dagster import DagsterInstance, Definitions, ExecuteInProcessResult

from pipelines.partitions import add_partitions, former_units, new_units
from resources import ProjectSettings
from resources.database import UnifiedDatabase
from resources.settings import REPO_ROOT
from sapnhap.evaluation.report import summary_lines, write_report
from sapnhap.evaluation.scores import evaluate
from sapnhap.ocr import OcrEngineError
from sapnhap.records.tables import documents_without_records
from sapnhap.reference.units import former_unit_label, new_unit_label
from sapnhap.samples.generator import GENERATOR_VERSION, GeneratorConfig, generate

DEMO_BATCH = GeneratorConfig(dossiers=60, seed=20250701, profile="default")


def main() -> int:
    """Run the demo; returns the process exit code (1 when a run failed or a check did not pass).

    Without SAPNHAP_INBOX, the demo stages its own inbox in `$SAPNHAP_HOME/demo/sample/inbox`: the
    real scans of `samples/inbox` plus a generated batch (`DEMO_BATCH`: about 60 dossiers of a
    merged commune's three former communes and their former district), and ends with the evaluation
    of what was loaded against the batch's ground truth. With SAPNHAP_INBOX set, it runs that inbox
    as it is (and evaluates when a generated batch's `ground_truth/` folder, with its
    `manifest.json`, lies beside it; any other `ground_truth/` folder is named and left alone).
    """
    try:
        ProjectSettings.from_env()  # a bad SAPNHAP_* value: one line, not a traceback
    except ValueError as exc:
        print(f"sapnhap demo: cannot start: {exc}", file=sys.stderr)
        return 2
    os.environ.setdefault("DAGSTER_HOME", str(REPO_ROOT / ".dagster_home"))
    prepare_dagster_home(Path(os.environ["DAGSTER_HOME"]))
    if not os.environ.get("SAPNHAP_INBOX"):
        home = ProjectSettings.from_env().home
        try:
            inbox = stage_demo_inbox(home / "demo" / "sample", DEMO_BATCH)
        except (OSError, ValueError) as exc:
            print(f"sapnhap demo: cannot stage the demo inbox: {exc}", file=sys.stderr)
            return 2
        os.environ["SAPNHAP_INBOX"] = str(inbox)
    settings = ProjectSettings.from_env()
    outcome = run_inbox(settings)
    if outcome is None:
        return 2
    truth = settings.inbox.parent / "ground_truth"
    if truth.is_dir() and not (truth / "manifest.json").exists():
        print(
            f"\nNot evaluated: {truth} is not a generated batch's ground truth (no manifest.json); "
            "make evaluate scores a generated batch."
        )
    elif truth.is_dir():
        report = evaluate(truth, outcome.database.engine, settings.home / "warehouse")
        write_report(report, settings.home / "evaluation.md", settings.home / "evaluation.json")
        print()
        print(f"Evaluation against the generated batch's ground truth ({settings.home / 'evaluation.md'}):")
        for line in summary_lines(report):
            print(f"  {line}")
    return 1 if outcome.failures else 0


def stage_demo_inbox(sample_dir: Path, config: GeneratorConfig) -> Path:
    """Generate the demo batch into `sample_dir` (unless the same batch is already there) and copy the
    real scans of `samples/inbox` beside it; returns the inbox folder.

    Raises:
        OSError: when the folder cannot be written.
    """
    manifest = sample_dir / "ground_truth" / "manifest.json"
    wanted = {**asdict(config), "workers": None}
    current = json.loads(manifest.read_text(encoding="utf-8")) if manifest.exists() else {}
    if current.get("config") != wanted or current.get("generator_version") != GENERATOR_VERSION:
        print(
            f"sapnhap demo: generating {config.dossiers} dossiers (seed {config.seed}) into {sample_dir} …",
            flush=True,
        )
        started = time.perf_counter()
        result = generate(config, sample_dir, overwrite=True)
        print(
            f"sapnhap demo: {result.counts['documents']} documents, {result.counts['pages']} pages in "
            f"{result.counts['files']} files generated in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
    else:
        print(f"sapnhap demo: reusing the generated batch in {sample_dir} (same configuration)", flush=True)
    inbox = sample_dir / "inbox"
    real = REPO_ROOT / "samples" / "inbox"
    for folder in sorted(p for p in real.iterdir() if p.is_dir()) if real.is_dir() else []:
        for source in sorted(folder.rglob("*")):
            target = inbox / source.relative_to(real)
            if source.is_file() and not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
    return inbox


@dataclass
class InboxRun:
    """What `run_inbox` did: the units run, per-unit figures, the units that failed, seconds."""

    units: list[str]
    extras: dict[str, dict]
    failures: list[str]
    elapsed: float
    database: UnifiedDatabase


def run_inbox(settings: ProjectSettings) -> InboxRun | None:
    """Register the inbox's former units as partitions and run the ingest job on each, printing progress
    and the summary table; None when a preflight check fails (the reason is printed)."""
    from pipelines.definitions import build_definitions  # here: importing it reads the environment

    defs = build_definitions(settings)
    job = defs.resolve_job_def("ingest_former_unit")
    store = defs.resources["store"]
    database = defs.resources["database"]
    problem = _preflight(settings, defs)
    if problem:
        print(f"sapnhap demo: cannot start: {problem}", file=sys.stderr)
        return None
    instance = DagsterInstance.get()

    units = store.former_units()
    print(f"sapnhap demo: inbox {settings.inbox} — {len(units)} former units: {', '.join(units)}")
    for name, why in store.ignored_entries():
        print(f"  not read: {name} — {why}")
    if not units:
        print(
            f"sapnhap demo: WARNING: the inbox {settings.inbox} holds no former unit's folder "
            "(one folder per former unit, named by its code, e.g. inbox/00004/): nothing to run",
            file=sys.stderr,
        )
    add_partitions(instance, former_units, units)

    started = time.perf_counter()
    failures: list[str] = []
    extras: dict[str, dict] = {}
    for i, unit in enumerate(units, 1):
        unit_started = time.perf_counter()
        print(f"[{i}/{len(units)}] {former_unit_label(unit)}: running …", flush=True)
        result = job.execute_in_process(
            partition_key=unit, instance=instance, raise_on_error=False, run_config=_QUIET
        )
        reasons = _failure_reasons(result)
        extras[unit] = _run_figures(result)
        line = _unit_line(settings, unit)
        if reasons:
            failures.append(unit)
        status = "ok" if not reasons else "FAILED: " + "; ".join(reasons)
        print(
            f"[{i}/{len(units)}] former unit {unit}: {line} — {time.perf_counter() - unit_started:.0f} s, {status}"
        )

    failures += link_new_units(defs, instance, database)
    elapsed = time.perf_counter() - started
    print()
    print(_summary(settings, units, extras, failures, elapsed))
    print(f"Unified database: {database.display_url()}")
    print(
        f"Review sheets: {settings.home / 'review_queue'} (one per new unit); fill one in and drop it into "
        f"{settings.reviews} (README: For archivists)"
    )
    home = os.environ["DAGSTER_HOME"]
    default_home = str(REPO_ROOT / ".dagster_home")
    hint = (
        "make ui" if Path(home).resolve() == Path(default_home).resolve() else f"DAGSTER_HOME={home} make ui"
    )
    print(f"Dagster instance: {home} (run `{hint}` to browse the runs)")
    return InboxRun(units, extras, failures, elapsed, database)


def link_new_units(defs: Definitions, instance: DagsterInstance, database: UnifiedDatabase) -> list[str]:
    """Run the linkage job (`entities`) on every new unit person records were routed to, printing one
    line per new unit; returns the new units whose run failed."""
    from sqlalchemy import text

    with database.engine.connect() as conn:
        codes = list(
            conn.execute(
                text(
                    "SELECT DISTINCT new_unit_code FROM person_records WHERE new_unit_code IS NOT NULL ORDER BY 1"
                )
            ).scalars()
        )
    add_partitions(instance, new_units, codes)
    # Also the units whose review sheet carries quarantined files (added by record_register), even
    # without a record of their own.
    codes = sorted(set(codes) | set(instance.get_dynamic_partitions(new_units.name)))
    job = defs.resolve_job_def("link_new_unit")
    failed = []
    for code in codes:
        started = time.perf_counter()
        result = job.execute_in_process(
            partition_key=code, instance=instance, raise_on_error=False, run_config=_QUIET
        )
        reasons = _failure_reasons(result)
        line = "no result"
        try:
            meta = result.asset_materializations_for_node("entities")[0].metadata
            line = (
                f"{meta['records'].value} records ({meta['new_records'].value} new) → {meta['persons'].value} "
                f"persons, {meta['records_auto_merged'].value} merged automatically, "
                f"{_n(meta['pairs_waiting'].value, 'pair')} waiting for review"
            )
        except Exception:  # the step did not run: the reasons say why
            pass
        try:
            sheet = result.asset_materializations_for_node("review_queue")[0].metadata
            line += f"; review sheet: {_n(sheet['open_items'].value, 'open item')}"
        except Exception:  # the review step did not run: the reasons say why
            pass
        if reasons:
            failed.append(f"linkage {code}")
        status = "ok" if not reasons else "FAILED: " + "; ".join(reasons)
        print(f"[linkage] {new_unit_label(code)}: {line} — {time.perf_counter() - started:.0f} s, {status}")
        office = _office_line(result)
        if office:
            print(f"[office]  {new_unit_label(code)}: {office}")
    return failed


def _office_line(result: object) -> str:
    """Headcount vs quota and open / overdue dossiers of a linkage run, with where the reports are;
    "" when neither step ran (the run's reasons say why)."""
    parts = []
    try:
        s = result.asset_materializations_for_node("staffing")[0].metadata  # type: ignore[attr-defined]
        parts.append(
            f"staff {s['headcount'].value} vs quota {s['quota'].value} "
            f"({s['people_without_position'].value} without a position, {s['retiring_within_5y'].value} "
            f"reaching retirement age within 5 years, {_n(s['problems'].value, 'problem')} to decide, "
            f"{s['staff_awaiting_placement'].value} awaiting placement"
            + (
                f", {s['staff_records_held_in_quarantine'].value} staff records held in quarantine"
                if s["staff_records_held_in_quarantine"].value
                else ""
            )
            + ")"
        )
        if not (
            s["staff_records"].value
            or s["staff_awaiting_placement"].value
            or s["staff_records_held_in_quarantine"].value
        ):
            parts[-1] = "no staff record"
        report = Path(s["report"].value).parent
    except Exception:  # the step did not run
        report = None
    try:
        b = result.asset_materializations_for_node("procedure_backlog")[0].metadata  # type: ignore[attr-defined]
        parts.append(
            f"dossiers {b['dossiers'].value}: {b['open_today'].value} open, {b['overdue_today'].value} overdue "
            f"today; at the cut-over {b['open_at_cut_over'].value} open, {b['overdue_at_cut_over'].value} overdue"
        )
        report = Path(b["report"].value).parent
        if not b["dossiers"].value:
            parts[-1] = "no procedure receipt"
    except Exception:  # the step did not run
        pass
    return "; ".join(parts) + (f" — reports in {report}" if report else "")


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def prepare_dagster_home(path: Path) -> None:
    """Create the Dagster instance folder `path` with a `dagster.yaml` (telemetry off) unless it has one.

    Used by the demo and by `make evaluate` (`pipelines.evaluate`). Raises OSError when the folder
    cannot be created or written.
    """
    path.mkdir(parents=True, exist_ok=True)
    if not (path / "dagster.yaml").exists():
        (path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")


# Dagster's console logger at INFO: progress lines, not every framework event.
_QUIET = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}


def _preflight(settings: ProjectSettings, defs: Definitions) -> str | None:
    """Check what every run needs before running any: the inbox, Tesseract and its languages, the database."""
    if not settings.inbox.is_dir():
        return f"the inbox {settings.inbox} does not exist (set SAPNHAP_INBOX)"
    try:
        defs.resources["ocr"].check()
    except OcrEngineError as exc:
        return str(exc)
    try:
        defs.resources["database"].engine  # noqa: B018 - connects and checks the schema's revision
    except Exception as exc:  # any driver error: report its first line, not a traceback
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"cannot open the unified database {defs.resources['database'].display_url()}: {first}"
    return None


def _failure_reasons(result: ExecuteInProcessResult) -> list[str]:
    reasons = []
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE" and event.step_failure_data:
            message = (
                event.step_failure_data.error.message.strip().splitlines()[-1]
                if event.step_failure_data.error
                else ""
            )
            reasons.append(f"{event.step_key}: {message}")
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            check = event.asset_check_evaluation_data
            if not check.passed and check.severity.value == "ERROR":
                problems = check.metadata.get("problems")
                reasons.append(f"check {check.check_name}: {problems.value if problems else 'failed'}")
    if not result.success and not reasons:
        reasons.append("run failed (see `make ui`)")
    return reasons


def _run_figures(result: ExecuteInProcessResult) -> dict:
    figures: dict = {}
    for node, key, name in (
        ("ocr_pages", "pages_from_cache", "cached"),
        ("unified_register", "new_rows", "new_rows"),
        ("record_register", "new_rows", "new_rows"),  # added to the register's new rows
    ):
        try:
            mats = result.asset_materializations_for_node(node)
        except Exception:  # the step did not run
            continue
        if mats and key in mats[0].metadata:
            figures[name] = figures.get(name, 0) + mats[0].metadata[key].value
    return figures


def _read(settings: ProjectSettings, asset: str, unit: str) -> pd.DataFrame:
    path = settings.home / "warehouse" / asset / f"{unit}.parquet"
    return pd.read_parquet(path) if path.exists() else pd.DataFrame()


def _unit_line(settings: ProjectSettings, unit: str) -> str:
    files = _read(settings, "dossier_files", unit)
    pages = _read(settings, "ocr_pages", unit)
    if files.empty:
        return "no files"
    by_method = pages["method"].value_counts().to_dict() if not pages.empty else {}
    return (
        f"{len(files)} files, {len(pages)} pages "
        f"({by_method.get('text_layer', 0)} text layer, {by_method.get('ocr', 0)} OCR)"
    )


def _summary(
    settings: ProjectSettings, units: list[str], extras: dict[str, dict], failures: list[str], elapsed: float
) -> str:
    header = (
        f"{'former unit':<12}{'files':>6}{'archived':>9}{'dup.':>5}{'quar.':>6}{'pages':>6}{'text':>5}{'OCR':>5}"
        f"{'conf.':>7}{'cached':>7}{'records':>9}{'quar.':>6}{'no rec.':>8}{'new rows':>9}  status"
    )
    lines = ["Summary", header, "-" * len(header)]
    quarantined: list[str] = []
    silent: list[str] = []  # documents that yielded no person record, never left out unnoticed
    silent_total = 0
    totals = [0] * 7
    record_totals = [0, 0]  # person records validated, of which quarantined
    confs: list[float] = []
    for unit in units:
        files = _read(settings, "dossier_files", unit)
        pages = _read(settings, "ocr_pages", unit)
        status = "FAILED" if unit in failures else "ok"
        if files.empty:
            lines.append(f"{unit:<12}{'-':>6}{'':>93}  {status if unit in failures else 'no files'}")
            continue
        st = files["status"].value_counts().to_dict()
        by_method = pages["method"].value_counts().to_dict() if not pages.empty else {}
        ocr = pages[pages["method"] == "ocr"] if not pages.empty else pages
        conf = ocr["mean_confidence"].dropna().tolist() if not ocr.empty else []
        confs.extend(conf)
        row = [
            len(files),
            st.get("archived", 0),
            st.get("duplicate", 0),
            st.get("quarantined", 0),
            len(pages),
            by_method.get("text_layer", 0),
            by_method.get("ocr", 0),
        ]
        totals = [a + b for a, b in zip(totals, row, strict=True)]
        mean = f"{sum(conf) / len(conf):.1f}" if conf else "-"
        figures = extras.get(unit, {})
        records = _read(settings, "validated_records", unit)
        held = int((records["status"] == "quarantined").sum()) if not records.empty else 0
        record_totals[0] += len(records)
        record_totals[1] += held
        documents = _read(settings, "documents", unit)
        without = (
            documents_without_records(documents, _read(settings, "source_records", unit), files)
            if not documents.empty
            else documents
        )
        silent_total += len(without)
        for d in without.itertuples():
            silent.append(
                f"  {d.file} p. {d.first_page}-{d.last_page} ({d.doc_type}, {(d.title or 'no title')[:60]}): {d.why}"
            )
        lines.append(
            f"{unit:<12}"
            + "".join(f"{v:>{w}}" for v, w in zip(row, (6, 9, 5, 6, 6, 5, 5), strict=True))
            + f"{mean:>7}{figures.get('cached', '-'):>7}{len(records):>9}{held:>6}{len(without):>8}"
            + f"{figures.get('new_rows', '-'):>9}  {status}"
        )
        for r in files[files["status"] == "quarantined"].itertuples():
            quarantined.append(f"  {r.original_path}: {r.quarantine_reason} — {r.detail}")
    lines.append("-" * len(header))
    mean_all = f"{sum(confs) / len(confs):.1f}" if confs else "-"
    cached_all = sum(int(extras.get(u, {}).get("cached", 0) or 0) for u in units)
    new_all = sum(int(extras.get(u, {}).get("new_rows", 0) or 0) for u in units)
    lines.append(
        f"{'total':<12}"
        + "".join(f"{v:>{w}}" for v, w in zip(totals, (6, 9, 5, 6, 6, 5, 5), strict=True))
        + f"{mean_all:>7}{cached_all:>7}{record_totals[0]:>9}{record_totals[1]:>6}{silent_total:>8}{new_all:>9}"
    )
    lines.append(
        "records: person records named in the documents (valid and with warnings are loaded); "
        "quar.: held in quarantine for review; no rec.: documents that yielded no person record (listed below)"
    )
    lines.append("")
    lines.append("Quarantined files:" if quarantined else "Quarantined files: none")
    lines.extend(quarantined)
    lines.append(
        f"Documents without person records: {silent_total} (the WARN check every_document_yields_records lists them)"
        if silent
        else "Documents without person records: none"
    )
    lines.extend(silent)
    lines.append(f"Elapsed: {elapsed:.0f} s" + (f"; FAILED units: {', '.join(failures)}" if failures else ""))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
