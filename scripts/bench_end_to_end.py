"""End-to-end benchmark (issue 17, item 4): a generated batch through `make evaluate`'s path, timed per stage.

The batch is generated as `make evaluate` generates it (`pipelines.evaluate`: `GeneratorConfig` of new
unit, dossiers, profile and seed, into `<home>/sample`) and run the same way (`pipelines.demo.run_inbox`:
the ingest job per former unit, then the linkage job per new unit, on the Dagster instance in
`<home>/dagster_home`), three times:

1. cold: empty OCR cache, empty database;
2. warm: the same caches (pages and crops) and database, as a second `make evaluate` would run;
3. warm without the crop cache: `<OCR cache>/crops` deleted first, so every crop is read again.

Each stage's (asset step's) seconds come from the instance's event log (STEP_START to STEP_SUCCESS or
STEP_FAILURE of every run of the phase), not from a stopwatch around guesses; pages/s of a stage is the
batch's pages over the stage's seconds; the slowest stage is the one with the most seconds. The
crop counts come from the `source_records` materializations (`crops_read_again`, `crops_from_cache`),
and the batch is scored after each phase (field accuracy), so a cached re-run is seen to read the same.

    python -m scripts.bench_end_to_end [--dossiers 2000] [--home var/bench_e2e]

Writes docs/benchmarks_end_to_end.md and docs/benchmarks_end_to_end.json (or `--report`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"
DOCUMENTED_DOSSIERS = 2000  # the size issue 17 asks for; a smaller run is extrapolated to it
PHASES = ("cold", "warm", "warm_without_crop_cache")
MARKER = ".sapnhap-bench-e2e"
"""The file a run leaves in its `--home`: only such a folder (or an empty or new one) is deleted."""
PHASE_TITLES = {
    "cold": "cold (empty caches and database)",
    "warm": "warm (same page and crop caches, same database)",
    "warm_without_crop_cache": "warm, crop cache deleted",
}


def step_seconds(instance: Any, run_ids: list[str]) -> dict[str, float]:
    """Seconds per step key (one asset's step: `ocr_pages`, `source_records` …) summed over `run_ids`,
    from the event log: each step's STEP_START to its STEP_SUCCESS or STEP_FAILURE."""
    from dagster import DagsterEventType

    kinds = {DagsterEventType.STEP_START, DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE}
    totals: dict[str, float] = {}
    for run_id in run_ids:
        started: dict[str, float] = {}
        for entry in instance.all_logs(run_id, of_type=kinds):
            if entry.step_key is None:
                continue
            if entry.dagster_event_type == DagsterEventType.STEP_START:
                started[entry.step_key] = entry.timestamp
            elif entry.step_key in started:
                seconds = entry.timestamp - started.pop(entry.step_key)
                totals[entry.step_key] = totals.get(entry.step_key, 0.0) + seconds
    return totals


def materialization_metadata(instance: Any, run_ids: list[str], asset: str) -> list[dict[str, Any]]:
    """The metadata (name → plain value) of every materialization of `asset` in `run_ids`."""
    from dagster import DagsterEventType

    out = []
    for run_id in run_ids:
        for entry in instance.all_logs(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION):
            mat = entry.asset_materialization
            if mat is not None and mat.asset_key.path[-1] == asset:
                out.append({name: value.value for name, value in mat.metadata.items()})
    return out


def _total(rows: list[dict[str, Any]], key: str) -> int:
    return int(sum(row.get(key) or 0 for row in rows))


def run_phase(name: str, settings: Any) -> tuple[dict[str, Any], Any]:
    """Run the batch once (`run_inbox`) and return the phase's figures (wall seconds, seconds and
    pages/s per stage, share of wall, pages, crops read again and from the cache, failed units) and
    the unified database resource the run loaded into."""
    from dagster import DagsterInstance

    from pipelines.demo import run_inbox

    instance = DagsterInstance.get()
    before = set(instance.get_run_ids())
    started = time.perf_counter()
    outcome = run_inbox(settings)
    wall = time.perf_counter() - started
    if outcome is None:
        raise SystemExit(f"sapnhap bench: the {name} run could not start (see above)")
    run_ids = [r for r in instance.get_run_ids() if r not in before]
    seconds = step_seconds(instance, run_ids)
    pages = materialization_metadata(instance, run_ids, "ocr_pages")
    records = materialization_metadata(instance, run_ids, "source_records")
    n_pages = _total(pages, "pages")
    stages = {
        step: {
            "seconds": round(s, 2),
            "pages_per_second": round(n_pages / s, 2) if s > 0 else None,
            "share_of_wall": round(s / wall, 4) if wall > 0 else None,
        }
        for step, s in sorted(seconds.items(), key=lambda item: -item[1])
    }
    in_steps = sum(seconds.values())
    figures = {
        "phase": name,
        "wall_seconds": round(wall, 1),
        "seconds_in_steps": round(in_steps, 1),
        "seconds_outside_steps": round(wall - in_steps, 1),
        "runs": len(run_ids),
        "pages": n_pages,
        "pages_ocr": _total(pages, "pages_ocr"),
        "pages_from_cache": _total(pages, "pages_from_cache"),
        "pages_per_second": round(n_pages / wall, 3) if wall > 0 else None,
        "crops_read_again": _total(records, "crops_read_again"),
        "crops_from_cache": _total(records, "crops_from_cache"),
        "person_records": _total(records, "person_records"),
        "stages": stages,
        "slowest_stage": next(iter(stages), None),
        "failed_units": list(outcome.failures),
    }
    return figures, outcome.database


def _scores(home: Path, database: Any) -> dict[str, Any]:
    """Field accuracy of what the phase left in the warehouse (`sapnhap.evaluation.scores.evaluate`)."""
    from sapnhap.evaluation.scores import evaluate

    report = evaluate(home / "sample" / "ground_truth", database.engine, home / "warehouse")
    groups = (report.get("fields") or {}).get("groups") or {}
    return {k: {"n": v["n"], "accuracy": v["accuracy"]} for k, v in groups.items()}


def extrapolate(cold: dict[str, Any], dossiers: int, target: int = DOCUMENTED_DOSSIERS) -> dict[str, Any]:
    """The cold run's seconds scaled linearly from `dossiers` to `target` dossiers (an extrapolation,
    not a measurement: linkage grows faster than linearly with the records of a new unit)."""
    factor = target / dossiers
    return {
        "dossiers": target,
        "factor": round(factor, 3),
        "wall_seconds": round(cold["wall_seconds"] * factor),
        "stages": {step: round(s["seconds"] * factor) for step, s in cold["stages"].items()},
    }


def render_markdown(report: dict[str, Any]) -> str:
    """The report as Markdown: the batch, one table of stages per phase, the slowest stage, the
    crop cache's effect and the extrapolation to the documented size."""
    batch, phases = report["batch"], {p["phase"]: p for p in report["phases"]}
    cold = phases["cold"]
    lines = [
        "# End-to-end benchmark: a generated batch through `make evaluate`'s path",
        "",
        f"Measured {report['measured_at']} on {report['machine']['cpu_count']} cores, "
        f"{report['machine']['ocr_workers']} Tesseract processes "
        f"({report['machine']['platform']}, Python {report['machine']['python']}; load average "
        f"{report['machine']['load_average_before']} before the run: the cores were shared with other "
        "work), by `python -m scripts.bench_end_to_end` (`make bench`). Stage seconds are read from the "
        "Dagster instance's event log (each step's start to its success), summed over the runs of the "
        "phase (one ingest run per former unit, one linkage run per new unit); steps run one after the "
        "other in these runs, so the stages add up to the wall time less the runs' own set-up.",
        "",
        f"**Batch**: {batch['dossiers']} dossiers (new unit {batch['new_unit']}, profile "
        f"`{batch['profile']}`, seed {batch['seed']}): {batch['files']} files, {batch['pages']} pages "
        f"({cold['pages_ocr']} OCR'd), {len(batch['former_units'])} former units; generated in "
        f"{batch['generation_seconds']} s (not counted below).",
        "",
    ]
    if batch["dossiers"] != DOCUMENTED_DOSSIERS:
        lines += [
            f"The documented size is {DOCUMENTED_DOSSIERS:,} dossiers (issue 17); this run used "
            f"**{batch['dossiers']}** (`--dossiers`). The figures for "
            f"{DOCUMENTED_DOSSIERS:,} at the end are an **extrapolation**, not a measurement.",
            "",
        ]
    lines += [
        "| phase | wall s | pages/s | slowest stage | crops read again | from the crop cache | pages from the page cache |",
        "|---|---:|---:|---|---:|---:|---:|",
    ]
    for name in (n for n in PHASES if n in phases):
        p = phases[name]
        lines.append(
            f"| {PHASE_TITLES[name]} | {p['wall_seconds']:.0f} | {p['pages_per_second']:.2f} | "
            f"{p['slowest_stage']} | {p['crops_read_again']} | {p['crops_from_cache']} | "
            f"{p['pages_from_cache']} of {p['pages_ocr']} |"
        )
    lines.append("")
    for name in (n for n in PHASES if n in phases):
        p = phases[name]
        lines += [
            f"## {PHASE_TITLES[name].capitalize()}: {p['wall_seconds']:.0f} s",
            "",
            "| stage (asset step) | seconds | pages/s | % of wall |",
            "|---|---:|---:|---:|",
        ]
        for step, s in p["stages"].items():
            rate = "" if s["pages_per_second"] is None else f"{s['pages_per_second']:.2f}"
            lines.append(f"| {step} | {s['seconds']:.1f} | {rate} | {100 * s['share_of_wall']:.1f} |")
        lines += [
            f"| outside the steps (run set-up, partitions, summary) | {p['seconds_outside_steps']:.1f} | | "
            f"{100 * p['seconds_outside_steps'] / p['wall_seconds']:.1f} |",
            "",
            f"{p['runs']} runs; failed units: {', '.join(p['failed_units']) or 'none'}.",
            "",
        ]
    slowest = cold["slowest_stage"]
    lines += [
        "## Findings",
        "",
        f"- **Slowest stage (measured): `{slowest}`**, {cold['stages'][slowest]['seconds']:.0f} s of the "
        f"cold run's {cold['wall_seconds']:.0f} s ({100 * cold['stages'][slowest]['share_of_wall']:.0f}%), "
        f"{cold['stages'][slowest]['pages_per_second']:.2f} pages/s.",
    ]
    warm, bare = phases.get("warm"), phases.get("warm_without_crop_cache")
    if warm is not None:
        source = warm["stages"].get("source_records", {}).get("seconds", 0)
        lines.append(
            f"- **Crop cache**: the warm run read {warm['crops_from_cache']} of {warm['crops_read_again']} "
            f"crops from the cache and took {warm['wall_seconds']:.0f} s (`source_records` {source:.0f} s)"
            + (
                "; the phase without the crop cache was not run (`--phases`)."
                if bare is None
                else f"; with the crop cache deleted the same warm run took {bare['wall_seconds']:.0f} s "
                f"(`source_records` {bare['stages'].get('source_records', {}).get('seconds', 0):.0f} s, "
                f"{bare['crops_read_again']} crops read by Tesseract)."
            )
        )
    scores = report.get("scores") or {}
    if scores:
        same = len({json.dumps(v, sort_keys=True) for v in scores.values()}) == 1
        overall = scores.get("cold", {}).get("all", {})
        lines.append(
            f"- **Same readings from the cache**: field accuracy {overall.get('accuracy') or 0:.4f} of "
            f"{overall.get('n', 0)} fields after the cold run; "
            + (
                "identical after every phase."
                if same
                else "after each phase: "
                + ", ".join(f"{k} {(v.get('all') or {}).get('accuracy')}" for k, v in scores.items())
                + "."
            )
        )
    if batch["dossiers"] != DOCUMENTED_DOSSIERS:
        ex = report["extrapolation"]
        lines += [
            "",
            f"## Extrapolation to {DOCUMENTED_DOSSIERS:,} dossiers (not measured)",
            "",
            f"The cold run's stage seconds × {ex['factor']} (linear in dossiers; the ingest stages are "
            "per page and per document, so close to linear; linkage grows faster than linearly with a "
            "new unit's records, so its figure is a floor):",
            "",
            "| stage | seconds (extrapolated) |",
            "|---|---:|",
            *[f"| {step} | {s} |" for step, s in ex["stages"].items()],
            f"| **wall** | **{ex['wall_seconds']}** (about {ex['wall_seconds'] / 3600:.1f} h) |",
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Generate the batch, run it cold, warm and warm without the crop cache, write the report;
    returns the exit code (1 when a unit's run failed)."""
    parser = argparse.ArgumentParser(
        prog="python -m scripts.bench_end_to_end", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--dossiers", type=int, default=DOCUMENTED_DOSSIERS)
    parser.add_argument("--profile", default="default")
    parser.add_argument("--seed", type=int, default=20250701)
    parser.add_argument("--new-unit", default="14488")
    parser.add_argument(
        "--home",
        type=Path,
        default=REPO / "var" / "bench_e2e",
        help="the benchmark's own working folder, DELETED and made again at the start (cold means cold); "
        f"a non-empty folder without the {MARKER} file an earlier run left is refused",
    )
    parser.add_argument("--report", type=Path, default=DOCS / "benchmarks_end_to_end.md")
    parser.add_argument("--no-score", action="store_true", help="skip scoring the batch after each phase")
    parser.add_argument(
        "--phases",
        default=",".join(PHASES),
        help=f"comma-separated phases to run, cold among them; they run in the order {','.join(PHASES)} (the default: all)",
    )
    args = parser.parse_args(argv)
    wanted = [name.strip() for name in args.phases.split(",") if name.strip()]
    unknown = [name for name in wanted if name not in PHASES]
    if "cold" not in wanted or unknown:
        parser.error(
            f"--phases {args.phases!r}: a comma-separated subset of {', '.join(PHASES)} including cold"
            + (f" ({', '.join(unknown)} is not a phase)" if unknown else "")
        )
    home = args.home.resolve()
    # The benchmark's own instance and working folder, set before Dagster or the settings are read.
    os.environ["SAPNHAP_HOME"] = str(home)
    os.environ["DAGSTER_HOME"] = str(home / "dagster_home")
    os.environ["SAPNHAP_INBOX"] = str(home / "sample" / "inbox")
    os.environ.pop("SAPNHAP_DATABASE_URL", None)
    os.environ.pop("SAPNHAP_ARCHIVE", None)

    from pipelines.definitions import build_resources
    from pipelines.demo import prepare_dagster_home
    from pipelines.migrate import migrate_database
    from resources import ProjectSettings
    from sapnhap.samples.generator import GeneratorConfig, generate

    load_before = round(os.getloadavg()[0], 2)
    if home.is_dir() and any(home.iterdir()) and not (home / MARKER).exists():
        parser.error(
            f"--home {home} holds files this benchmark did not make (no {MARKER}); it deletes its home "
            "first: give an empty or new folder"
        )
    shutil.rmtree(home, ignore_errors=True)  # cold means cold: no cache, database or instance left over
    home.mkdir(parents=True)
    (home / MARKER).write_text(
        "made by scripts.bench_end_to_end: deleted by its next run\n", encoding="utf-8"
    )
    config = GeneratorConfig(
        new_unit=args.new_unit, dossiers=args.dossiers, profile=args.profile, seed=args.seed
    )
    started = time.perf_counter()
    generated = generate(config, home / "sample")
    generation = time.perf_counter() - started
    print(f"generated {generated.counts['pages']} pages of {args.dossiers} dossiers in {generation:.0f} s")
    prepare_dagster_home(home / "dagster_home")
    settings = ProjectSettings.from_env()
    migrate_database(settings)
    crops = Path(build_resources(settings)["ocr"].cache_dir) / "crops"

    phases, scores = [], {}
    for name in (n for n in PHASES if n in wanted):
        if name == "warm_without_crop_cache":
            shutil.rmtree(crops, ignore_errors=True)
        print(f"\n=== {PHASE_TITLES[name]} ===", flush=True)
        figures, database = run_phase(name, settings)
        phases.append(figures)
        if not args.no_score:
            scores[name] = _scores(home, database)
        print(f"=== {name}: {phases[-1]['wall_seconds']:.0f} s ===", flush=True)

    cold = phases[0]
    report = {
        "measured_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": {
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(terse=True),
            "python": platform.python_version(),
            "load_average_before": load_before,
            "ocr_workers": settings.ocr_workers,
        },
        "batch": {
            "dossiers": args.dossiers,
            "new_unit": args.new_unit,
            "profile": args.profile,
            "seed": args.seed,
            "files": generated.counts.get("files"),
            "pages": cold["pages"],
            "generated_pages": generated.counts.get("pages"),
            "former_units": sorted(p.name for p in (home / "sample" / "inbox").iterdir() if p.is_dir()),
            "generation_seconds": round(generation, 1),
        },
        "phases": phases,
        "scores": scores,
        "extrapolation": extrapolate(cold, args.dossiers),
    }
    markdown = args.report.resolve()
    markdown.parent.mkdir(parents=True, exist_ok=True)
    markdown.write_text(render_markdown(report), encoding="utf-8")
    markdown.with_suffix(".json").write_text(
        json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    print(f"\ncold {cold['wall_seconds']:.0f} s (slowest: {cold['slowest_stage']})")
    for p in phases[1:]:
        print(f"{p['phase']} {p['wall_seconds']:.0f} s ({p['crops_from_cache']}/{p['crops_read_again']} "
              "crops from the cache)")  # fmt: skip
    print(f"Report: {markdown} and {markdown.with_suffix('.json')}")
    return 1 if any(p["failed_units"] for p in phases) else 0


if __name__ == "__main__":
    sys.exit(main())
