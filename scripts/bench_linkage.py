"""Record-linkage benchmark: the project's linkage against a plain Splink model, side by side.

For each size (default 100,000 records; `--records 100000 1000000`), generated records-only batches
(`sapnhap.samples.records`, with planted duplicates and their truth) are linked three times, each in a
fresh process so peak memory is its own:

- **project**: `sapnhap.linkage.model` (features, Vietnamese comparisons, the blocking rules, training on
  the batch or a 200,000-record sample of it, prediction from the review threshold, clustering under
  the ID rule);
- **shipped**: the same with the shipped model (`DEFAULT_MODEL_PATH`), no training, the prior
  calibrated on the batch;
- **plain**: Splink with default comparisons (`NameComparison` on the full name,
  `DateOfBirthComparison`, exact ID number and sex), the same blocking rules on the same features,
  the same training steps and Splink's own clustering.

Reported per run: wall time (s), peak resident memory of the process (MiB) and pairwise precision,
recall and F1 against the truth at 0.8 (and at the auto-merge threshold for the project's models).
Written to docs/benchmarks_linkage.md and .json.

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
KINDS = ("project", "shipped", "plain")
PLAIN_THRESHOLD = 0.8  # where every model is scored side by side (Splink's clustering of the plain model)


def _run_one(kind: str, records_path: str, extra_thresholds: tuple[float, ...] = ()) -> dict:
    """Link one batch in this process with `kind` ("project", "shipped" or "plain"); returns seconds,
    peak MiB and the pairwise scores at 0.8 and (project, shipped) at the auto-merge threshold."""
    import logging

    import pandas as pd
    from splink import Linker, block_on
    from splink.backends.duckdb import DuckDBAPI

    from sapnhap.evaluation.scores import pairwise_linkage_scores
    from sapnhap.linkage.clusters import cluster_records, relatives_of
    from sapnhap.linkage.features import linkage_features
    from sapnhap.linkage.model import (
        DEFAULT_MODEL_PATH,
        DEFAULT_THRESHOLDS,
        EM_BLOCKINGS,
        calibrate_prior,
        load_linker,
        plain_settings,
        scaled_thresholds,
        train_linker,
    )

    logging.getLogger("splink").setLevel(logging.ERROR)
    logging.getLogger("sapnhap").setLevel(logging.ERROR)
    records = pd.read_parquet(records_path)
    truth = dict(zip(records["record_id"], records["entity_id"], strict=True))
    del records["variations"]
    started = time.perf_counter()
    features = linkage_features(records)
    del records
    phases = {"features": time.perf_counter() - started}
    scores = {}
    review_band = {}
    auto = None
    if kind in ("project", "shipped"):
        mark = time.perf_counter()
        if kind == "project":
            linker = train_linker(features)
        else:
            linker = load_linker(features, DEFAULT_MODEL_PATH, link_type="dedupe_only")
            calibrate_prior(linker)
        phases["training"] = time.perf_counter() - mark
        mark = time.perf_counter()
        pairs = linker.inference.predict(
            threshold_match_probability=DEFAULT_THRESHOLDS.review
        ).as_pandas_dataframe()[["unique_id_l", "unique_id_r", "match_probability"]]
        phases["prediction"] = time.perf_counter() - mark
        mark = time.perf_counter()
        ids = dict(zip(features["unique_id"].tolist(), features["personal_id"].tolist(), strict=True))
        record_ids = features["unique_id"].tolist()
        born = dict(zip(features["unique_id"].tolist(), features["birth_date"].tolist(), strict=True))
        relatives = relatives_of(features)
        auto = scaled_thresholds(DEFAULT_THRESHOLDS, len(record_ids)).auto_merge
        for threshold in dict.fromkeys(
            (PLAIN_THRESHOLD, auto, DEFAULT_THRESHOLDS.auto_merge, *extra_thresholds)
        ):
            persons = cluster_records(
                record_ids, pairs, threshold, ids, birth_dates=born, relatives=relatives
            )
            scores[str(threshold)] = persons
            if threshold >= DEFAULT_THRESHOLDS.auto_merge:
                # What an archivist reviews: scored pairs whose records the automatic merge left apart.
                left = pairs["unique_id_l"].map(persons) != pairs["unique_id_r"].map(persons)
                review_band[str(threshold)] = int(left.sum())
            if threshold == PLAIN_THRESHOLD:
                phases["clustering"] = time.perf_counter() - mark
    else:
        settings = plain_settings("dedupe_only")
        db = DuckDBAPI()
        linker = Linker(db.register(features, table_name="records"), settings, log_level=logging.ERROR)
        linker.training.estimate_probability_two_random_records_match(
            [block_on("personal_id"), block_on("name_folded", "birth_date")], recall=0.7
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
        for columns in EM_BLOCKINGS:
            try:
                linker.training.estimate_parameters_using_expectation_maximisation(block_on(*columns))
            except Exception:  # noqa: BLE001 - the plain model is trained as far as Splink lets it
                pass
        predictions = linker.inference.predict(threshold_match_probability=DEFAULT_THRESHOLDS.review)
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, PLAIN_THRESHOLD)
        frame = clusters.as_pandas_dataframe()
        scores[str(PLAIN_THRESHOLD)] = dict(zip(frame["unique_id"], frame["cluster_id"], strict=True))
    seconds = time.perf_counter() - started
    if kind in ("project", "shipped"):
        # The wall time counts one clustering (at PLAIN_THRESHOLD), as the pipeline runs one.
        seconds = sum(phases.values())
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "seconds": round(seconds, 1),
        "peak_mib": round(peak_mib),
        "auto_merge": auto if kind != "plain" else None,
        "phases": {k: round(v, 1) for k, v in phases.items()},
        "review_band": review_band,
        "by_threshold": {
            t: pairwise_linkage_scores(truth, persons)["pairwise"] for t, persons in scores.items()
        },
    }


def render(results: list[dict]) -> str:
    """The Markdown report of `results` (one dict per size and model, as written to the JSON)."""
    from sapnhap.linkage.model import DEFAULT_THRESHOLDS, SCALE_RECORDS

    auto = str(DEFAULT_THRESHOLDS.auto_merge)
    lines = [
        "# Record-linkage benchmark",
        "",
        "`make bench` (`scripts/bench_linkage.py`): generated records-only batches with planted duplicates",
        "(seed 20250701), each linked in its own process, side by side in one run on this machine:",
        "",
        "- **project**: `sapnhap.linkage.model` trained on the batch (on a 200,000-record sample above that,",
        "  its prior calibrated on a 50,000-record sample), pairs predicted from the review threshold",
        f"  ({DEFAULT_THRESHOLDS.review}), persons under the ID rule; DuckDB held to the pipeline's memory limit",
        "  (`SAPNHAP_DUCKDB_MEMORY_LIMIT`, default `DUCKDB_MEMORY_LIMIT`);",
        "- **shipped**: the same with the shipped model (`sapnhap/reference/linkage_model.json`, no training)",
        "  and its prior calibrated on the batch (`calibrate_prior`);",
        "- **plain**: Splink with default comparisons (`NameComparison` on the full name,",
        "  `DateOfBirthComparison`, exact ID number and sex), the same features, blocking rules and training",
        "  steps, Splink's own clustering, DuckDB's defaults (no memory limit of ours).",
        "",
        f"Pairwise scores at match probability {PLAIN_THRESHOLD} for every model, and at the auto-merge",
        f"threshold the pipeline applies to a batch of that size for the project's ({auto} up to",
        f"{SCALE_RECORDS:,} records, its odds growing with the records above: `scaled_thresholds`), where",
        "persons are formed under the ID, date-of-birth and relatives' names rules",
        "(`sapnhap.linkage.clusters.RecordGroups.auto_blocked`). Wall time includes features, training,",
        "prediction and one clustering (the pipeline clusters once); peak memory is the process's maximum",
        "resident set. The review band is the number of scored pairs (match probability",
        f"≥ {DEFAULT_THRESHOLDS.review}) whose records the automatic merge left in different persons: the pairs",
        "an archivist is asked about.",
        "",
        "| records | model | wall time (s) | × plain | peak memory (MiB) | P | R | F1 | auto-merge threshold "
        "| P there | R there | review band there |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    plain_seconds = {r["records"]: r["seconds"] for r in results if r["kind"] == "plain"}
    for r in results:
        pw = r["by_threshold"][str(PLAIN_THRESHOLD)]
        at = str(r["auto_merge"]) if r.get("auto_merge") else None
        high = r["by_threshold"].get(at) if at else None
        ratio = r["seconds"] / plain_seconds[r["records"]] if plain_seconds.get(r["records"]) else None
        band = r.get("review_band", {}).get(at) if at else None
        lines.append(
            f"| {r['records']:,} | {r['kind']} | {r['seconds']} | "
            + (f"{ratio:.2f}" if ratio else "")
            + f" | {r['peak_mib']} | {pw['precision']:.3f} | {pw['recall']:.3f} | {pw['f1']:.3f} | "
            + (f"{at} | {high['precision']:.4f} | {high['recall']:.3f} |" if high else " | | |")
            + (f" {band:,} |" if band is not None else " |")
        )
    lines += [
        "",
        "Where the project's models spend their time (s):",
        "",
        "| records | model | features | training | prediction | clustering |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for r in results:
        if r.get("phases") and r["kind"] != "plain":
            ph = r["phases"]
            lines.append(
                f"| {r['records']:,} | {r['kind']} | {ph['features']} | {ph['training']} | "
                f"{ph['prediction']} | {ph['clustering']} |"
            )
    others = sorted({t for r in results for t in r.get("review_band", {})}, key=float)
    if others:
        lines += [
            "",
            "Other auto-merge thresholds (the same scored pairs, clustered again): precision, recall and review band.",
            "",
            "| records | model | threshold | P | R | review band |",
            "|---:|---|---:|---:|---:|---:|",
        ]
        for r in results:
            for t in others:
                if t in r.get("review_band", {}):
                    pw = r["by_threshold"][t]
                    lines.append(
                        f"| {r['records']:,} | {r['kind']} | {t} | {pw['precision']:.4f} | {pw['recall']:.3f} "
                        f"| {r['review_band'][t]:,} |"
                    )
    lines += [
        "",
        "Targets (issue 17): time ≤ 1.3× plain Splink, peak ≤ 6 GiB (6,144 MiB), pairwise precision ≥ 0.995 at",
        "the auto-merge threshold.",
        "",
        "| records | model | time ≤ 1.3× | peak ≤ 6 GiB | precision ≥ 0.995 |",
        "|---:|---|---|---|---|",
    ]
    for r in results:
        if r["kind"] == "plain":
            continue
        ratio = r["seconds"] / plain_seconds[r["records"]] if plain_seconds.get(r["records"]) else None
        at = r["by_threshold"].get(str(r.get("auto_merge")))
        precision = at["precision"] if at else None
        lines.append(
            f"| {r['records']:,} | {r['kind']} | "
            + (
                "met"
                if ratio is not None and round(ratio, 2) <= 1.3
                else f"not met ({ratio:.2f}×)"
                if ratio
                else ""
            )
            + " | "
            + ("met" if r["peak_mib"] <= 6144 else f"not met ({r['peak_mib']:,} MiB)")
            + " | "
            + (
                "met"
                if precision is not None and precision >= 0.995
                else f"not met ({precision:.4f})"
                if precision
                else ""
            )
            + " |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Generate, link with both models in child processes, write the report; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, nargs="+", default=[100_000])
    parser.add_argument(
        "--thresholds",
        type=float,
        nargs="*",
        default=[0.995, 0.999],
        help="further auto-merge thresholds at which the project's models are scored (besides the shipped one)",
    )
    parser.add_argument("--one", nargs=2, metavar=("KIND", "PARQUET"), help=argparse.SUPPRESS)
    parser.add_argument("--report", type=Path, default=REPO / "docs" / "benchmarks_linkage.md")
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(_run_one(args.one[0], args.one[1], tuple(args.thresholds))))
        return 0
    from sapnhap.samples.records import RecordsConfig, write_records

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.records:
            out = Path(tmp) / f"records-{size}"
            write_records(RecordsConfig(records=size), out)
            for kind in KINDS:
                done = subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "scripts.bench_linkage",
                        "--thresholds",
                        *map(str, args.thresholds),
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
                pw = result["by_threshold"][str(PLAIN_THRESHOLD)]
                print(
                    f"{size:>9} {kind:<8} {result['seconds']:>7.1f} s {result['peak_mib']:>6} MiB  "
                    f"P {pw['precision']:.3f} R {pw['recall']:.3f} F1 {pw['f1']:.3f} (at {PLAIN_THRESHOLD})",
                    flush=True,
                )
    args.report.write_text(render(results), encoding="utf-8")
    args.report.with_suffix(".json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(f"Report: {args.report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
