"""`make demo`: register the inbox's former units and run the ingest job on each, without the UI.

Runs go through the same Dagster instance as `make ui` ($DAGSTER_HOME), so every run, log line,
materialization and check result is there to look at afterwards. Prints one progress line per
former unit and ends with a summary table.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pandas as pd
from dagster import DagsterInstance

from pipelines.definitions import build_definitions
from pipelines.partitions import PARTITION_BATCH, former_units
from resources import ProjectSettings
from resources.settings import REPO_ROOT
from sapnhap.units import find_unit


def main() -> int:
    """Run the demo; returns the process exit code (1 when a run failed or a check did not pass)."""
    os.environ.setdefault("DAGSTER_HOME", str(REPO_ROOT / ".dagster_home"))
    dagster_home = Path(os.environ["DAGSTER_HOME"])
    dagster_home.mkdir(parents=True, exist_ok=True)
    if not (dagster_home / "dagster.yaml").exists():
        (dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    settings = ProjectSettings.from_env()
    defs = build_definitions(settings)
    job = defs.resolve_job_def("ingest_former_unit")
    store = defs.resources["store"]
    instance = DagsterInstance.get()

    units = store.former_units()
    print(f"sapnhap demo: inbox {settings.inbox} — {len(units)} former units: {', '.join(units)}")
    existing = set(instance.get_dynamic_partitions(former_units.name))
    new = [u for u in units if u not in existing]
    for start in range(0, len(new), PARTITION_BATCH):
        instance.add_dynamic_partitions(former_units.name, new[start : start + PARTITION_BATCH])

    started = time.perf_counter()
    failures: list[str] = []
    for i, unit in enumerate(units, 1):
        unit_started = time.perf_counter()
        known = find_unit(unit)
        label = f"{unit} {known.name}, {known.district_name}" if known else unit
        print(f"[{i}/{len(units)}] former unit {label}: running …", flush=True)
        result = job.execute_in_process(partition_key=unit, instance=instance, raise_on_error=False)
        checks = [
            e.asset_check_evaluation_data
            for e in result.all_events
            if e.event_type_value == "ASSET_CHECK_EVALUATION"
        ]
        failed_checks = [
            f"{c.asset_key.to_user_string()}.{c.check_name}"
            for c in checks
            if not c.passed and c.severity.value == "ERROR"
        ]
        line = _unit_line(settings, unit)
        status = "ok" if result.success and not failed_checks else "FAILED " + ", ".join(failed_checks)
        if not result.success or failed_checks:
            failures.append(unit)
        print(
            f"[{i}/{len(units)}] former unit {unit}: {line} — {time.perf_counter() - unit_started:.0f} s, {status}"
        )

    print()
    print(_summary(settings, units, time.perf_counter() - started))
    print(f"Unified database: {defs.resources['database'].display_url()}")
    print(f"Dagster instance: {os.environ['DAGSTER_HOME']} (run `make ui` to browse the runs)")
    return 1 if failures else 0


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


def _summary(settings: ProjectSettings, units: list[str], elapsed: float) -> str:
    header = f"{'former unit':<12}{'files':>6}{'archived':>9}{'dup.':>5}{'quar.':>6}{'pages':>6}{'text':>5}{'OCR':>5}{'conf.':>7}"
    lines = ["Summary", header, "-" * len(header)]
    quarantined: list[str] = []
    totals = [0] * 7
    confs: list[float] = []
    for unit in units:
        files = _read(settings, "dossier_files", unit)
        pages = _read(settings, "ocr_pages", unit)
        if files.empty:
            lines.append(f"{unit:<12}{'no files':>6}")
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
        lines.append(
            f"{unit:<12}"
            + "".join(f"{v:>{w}}" for v, w in zip(row, (6, 9, 5, 6, 6, 5, 5), strict=True))
            + f"{mean:>7}"
        )
        for r in files[files["status"] == "quarantined"].itertuples():
            quarantined.append(f"  {r.original_path}: {r.quarantine_reason} — {r.detail}")
    lines.append("-" * len(header))
    mean_all = f"{sum(confs) / len(confs):.1f}" if confs else "-"
    lines.append(
        f"{'total':<12}"
        + "".join(f"{v:>{w}}" for v, w in zip(totals, (6, 9, 5, 6, 6, 5, 5), strict=True))
        + f"{mean_all:>7}"
    )
    lines.append("")
    lines.append("Quarantined files:" if quarantined else "Quarantined files: none")
    lines.extend(quarantined)
    lines.append(f"Elapsed: {elapsed:.0f} s")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
