"""Record-linkage benchmark: the project's linkage against a plain Splink model, side by side.

For each size (default 100,000 records; `--records 100000 1000000`), generated records-only batches
(`sapnhap.samples.records`, with planted duplicates and their truth) are linked twice, each in a fresh
process so peak memory is its own:

- **project**: `sapnhap.linkage` (features, Vietnamese comparisons, six blocking rules, training,
  prediction, clustering under the ID rule at match probability 0.8);
- **plain**: Splink with default comparisons (`NameComparison` on the full name,
  `DateOfBirthComparison`, exact ID number and sex), the same blocking rules on the same features,
  the same training steps and Splink's own clustering at 0.8.

Reported per run: wall time (s), peak resident memory of the process (MiB) and pairwise precision,
recall and F1 against the truth. Written to docs/benchmarks_linkage.md and .json.

    .venv/bin/python -m scripts.bench_linkage --records 100000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _run_one(kind: str, records_path: str) -> dict:
    """Link one batch in this process; returns seconds, peak MiB and the pairwise scores."""
    import logging

    import pandas as pd
    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on
    from splink.backends.duckdb import DuckDBAPI

    from sapnhap.evaluation import pairwise_linkage_scores
    from sapnhap.linkage import blocking_rules, cluster_records, linkage_features, train_linker

    logging.getLogger("splink").setLevel(logging.ERROR)
    records = pd.read_parquet(records_path)
    truth = dict(zip(records["record_id"], records["entity_id"], strict=True))
    started = time.perf_counter()
    features = linkage_features(records)
    if kind == "project":
        linker = train_linker(features)
        pairs = linker.inference.predict(threshold_match_probability=0.01).as_pandas_dataframe()
        ids = dict(zip(features["unique_id"], features["personal_id"], strict=True))
        persons = cluster_records(list(features["unique_id"]), pairs, 0.8, ids)
    else:
        settings = SettingsCreator(
            link_type="dedupe_only",
            comparisons=[
                cl.NameComparison("full_name"),
                cl.DateOfBirthComparison("birth_date", input_is_string=True),
                cl.ExactMatch("personal_id"),
                cl.ExactMatch("sex"),
            ],
            blocking_rules_to_generate_predictions=blocking_rules(),
        )
        db = DuckDBAPI()
        linker = Linker(db.register(features, table_name="records"), settings, log_level=logging.ERROR)
        linker.training.estimate_probability_two_random_records_match(
            [block_on("personal_id"), block_on("name_folded", "birth_date")], recall=0.7
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
        for columns in (("personal_id",), ("family_folded", "given_folded")):
            try:
                linker.training.estimate_parameters_using_expectation_maximisation(block_on(*columns))
            except Exception:  # noqa: BLE001 - the plain model is trained as far as Splink lets it
                pass
        predictions = linker.inference.predict(threshold_match_probability=0.01)
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, 0.8)
        frame = clusters.as_pandas_dataframe()
        persons = dict(zip(frame["unique_id"], frame["cluster_id"], strict=True))
    seconds = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "seconds": round(seconds, 1),
        "peak_mib": round(peak_mib),
        **pairwise_linkage_scores(truth, persons),
    }


def main(argv: list[str] | None = None) -> int:
    """Generate, link with both models in child processes, write the report; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, nargs="+", default=[100_000])
    parser.add_argument("--one", nargs=2, metavar=("KIND", "PARQUET"), help=argparse.SUPPRESS)
    parser.add_argument("--report", type=Path, default=REPO / "docs" / "benchmarks_linkage.md")
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(_run_one(args.one[0], args.one[1])))
        return 0
    from sapnhap.samples.records import RecordsConfig, write_records

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.records:
            out = Path(tmp) / f"records-{size}"
            write_records(RecordsConfig(records=size), out)
            for kind in ("project", "plain"):
                done = subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "scripts.bench_linkage",
                        "--one",
                        kind,
                        str(out / "records.parquet"),
                    ],
                    cwd=REPO,
                    capture_output=True,
                    text=True,
                    check=True,
                )
                result = json.loads(done.stdout.strip().splitlines()[-1])
                result.update(kind=kind, records=size)
                results.append(result)
                pw = result["pairwise"]
                print(
                    f"{size:>9} {kind:<8} {result['seconds']:>7.1f} s {result['peak_mib']:>6} MiB  "
                    f"P {pw['precision']:.3f} R {pw['recall']:.3f} F1 {pw['f1']:.3f}",
                    flush=True,
                )
    lines = [
        "# Record-linkage benchmark",
        "",
        "`make bench` (`scripts/bench_linkage.py`): generated records-only batches with planted duplicates,",
        "linked by the project's linkage and by a plain Splink model (default comparisons, the same blocking",
        "rules and training steps), each in its own process, side by side in one run on this machine.",
        "",
        "| records | model | wall time (s) | peak memory (MiB) | precision | recall | F1 |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        pw = r["pairwise"]
        lines.append(
            f"| {r['records']:,} | {r['kind']} | {r['seconds']} | {r['peak_mib']} | "
            f"{pw['precision']:.3f} | {pw['recall']:.3f} | {pw['f1']:.3f} |"
        )
    args.report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    args.report.with_suffix(".json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(f"Report: {args.report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
