"""`make evaluate`: generate an evaluation batch, run the pipeline on it, score it against its ground truth.

Everything lives in its own working folder (`$SAPNHAP_EVAL_HOME`, default `var/evaluate`: archive,
warehouse, SQLite database, Dagster instance), so the evaluation never mixes with the demo's runs.
The report goes to `docs/evaluation.md` and `docs/evaluation.json` (the README links them); later
issues quote its figures.

    python -m pipelines.evaluate --dossiers 500 --profile default --seed 20250701
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import time
from dataclasses import asdict
from pathlib import Path

from resources.settings import REPO_ROOT


def main(argv: list[str] | None = None) -> int:
    """Generate, run, evaluate, write the report; returns the exit code (1 when a unit's run failed)."""
    parser = argparse.ArgumentParser(prog="python -m pipelines.evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=500)
    parser.add_argument("--profile", default="default")
    parser.add_argument("--seed", type=int, default=20250701)
    parser.add_argument("--new-unit", default="14488")
    parser.add_argument(
        "--home", type=Path, default=Path(os.environ.get("SAPNHAP_EVAL_HOME", REPO_ROOT / "var" / "evaluate"))
    )
    parser.add_argument(
        "--report",
        type=Path,
        default=None,
        help="Markdown report (JSON beside it); default: docs/evaluation.md for the documented batch "
        "(500 dossiers, profile default, seed 20250701, new unit 14488), else <home>/evaluation.md",
    )
    args = parser.parse_args(argv)
    home = args.home.resolve()
    # The evaluation's own instance and working folder; set before Dagster or the settings are read.
    os.environ["SAPNHAP_HOME"] = str(home)
    os.environ["DAGSTER_HOME"] = str(home / "dagster_home")
    os.environ["SAPNHAP_INBOX"] = str(home / "sample" / "inbox")
    os.environ.pop("SAPNHAP_DATABASE_URL", None)
    os.environ.pop("SAPNHAP_ARCHIVE", None)

    from pipelines.demo import prepare_dagster_home, run_inbox
    from resources import ProjectSettings
    from sapnhap.evaluation.report import summary_lines, write_report
    from sapnhap.evaluation.scores import evaluate
    from sapnhap.samples.generator import (
        GENERATOR_VERSION,
        GeneratorConfig,
        SampleConfigError,
        check_config,
        generate,
        resolve_profile,
    )
    from sapnhap.samples.geography import ScenarioError, build_scenario

    config = GeneratorConfig(
        new_unit=args.new_unit, dossiers=args.dossiers, profile=args.profile, seed=args.seed
    )
    documented = GeneratorConfig(dossiers=500)
    default_report = (
        REPO_ROOT / "docs" / "evaluation.md"
        if (config.new_unit, config.dossiers, config.profile, config.seed)
        == (documented.new_unit, documented.dossiers, documented.profile, documented.seed)
        else home / "evaluation.md"
    )
    report_path = (args.report or default_report).resolve()
    problems = check_config(config)
    try:
        resolve_profile(config.profile)
        build_scenario(config.new_unit, random.Random(0))
    except (SampleConfigError, ScenarioError) as exc:
        problems.append(str(exc))
    if problems:
        print(f"sapnhap evaluate: {'; '.join(problems)}", file=sys.stderr)
        return 2
    manifest = home / "sample" / "ground_truth" / "manifest.json"
    current = json.loads(manifest.read_text(encoding="utf-8")) if manifest.exists() else {}
    generated_in = None
    if (
        current.get("config") != {**asdict(config), "workers": None}
        or current.get("generator_version") != GENERATOR_VERSION
    ):
        # Another batch was evaluated here before: start from an empty working folder, not a mixed one.
        shutil.rmtree(home, ignore_errors=True)
        started = time.perf_counter()
        result = generate(config, home / "sample")
        generated_in = time.perf_counter() - started
        print(
            f"generated {result.counts['documents']} documents, {result.counts['pages']} pages, "
            f"{result.counts['files']} files in {generated_in:.0f} s "
            f"({result.counts['documents'] / generated_in * 60:.0f} dossiers/min)"
        )
    prepare_dagster_home(home / "dagster_home")
    settings = ProjectSettings.from_env()
    from pipelines.migrate import migrate_database

    print(f"database at revision {migrate_database(settings)}")
    outcome = run_inbox(settings)
    if outcome is None:
        return 2
    report = evaluate(home / "sample" / "ground_truth", outcome.database.engine, home / "warehouse")
    report["run"] = {
        "generation_seconds": round(generated_in, 1) if generated_in else None,
        "pipeline_seconds": round(outcome.elapsed, 1),
        "failed_units": outcome.failures,
    }
    markdown = report_path
    write_report(report, markdown, markdown.with_suffix(".json"))
    print()
    for line in summary_lines(report):
        print(line)
    print(f"Report: {markdown} and {markdown.with_suffix('.json')}")
    return 1 if outcome.failures else 0


if __name__ == "__main__":
    sys.exit(main())
