"""Train the shipped record-linkage model: `sapnhap/reference/linkage_model.json`.

A new unit's batch (a few hundred to a few thousand person records) is too small to train a Splink
model on without labels, so the pipeline scores it with a model trained once on a large generated
records-only batch (`sapnhap.samples.records`, fixed seed, not the evaluation's seed): one frame per
former unit (link and dedupe), trained by `sapnhap.linkage.model.train_linker` (u by random sampling, m by
expectation maximisation, the prior calibrated on the batch's own scores).

The prior (the probability that two records drawn at random are the same person) falls with the
batch size: with a fixed share of records naming an already-seen person, true pairs grow with the
records and all pairs with their square. The saved prior is the calibrated one scaled to a batch of
`REFERENCE_RECORDS` records; on a batch of another size call `sapnhap.linkage.model.calibrate_prior` after
`load_linker`.

    .venv/bin/python -m scripts.train_linkage_model            # ~1 min on 2 cores
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from pathlib import Path

TRAIN_RECORDS = 200_000
TRAIN_SEED = 101  # the evaluation and the benchmarks use 20250701 (the default) and 7
REFERENCE_RECORDS = 1_000


def train(records: int, seed: int, out: Path, reference_records: int = REFERENCE_RECORDS) -> dict:
    """Generate `records` records-only records with `seed`, train, scale the prior to a batch of
    `reference_records` records and save the model at `out`; returns its metadata (version, sizes,
    priors, seconds). Raises ValueError when `records` or `reference_records` < 2."""
    import pandas as pd

    from sapnhap.linkage.features import linkage_features
    from sapnhap.linkage.model import save_model, set_prior, train_linker
    from sapnhap.samples.records import RecordsConfig, write_records

    if records < 2 or reference_records < 2:
        raise ValueError("records and reference_records must be at least 2")
    logging.getLogger("splink").setLevel(logging.ERROR)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        write_records(RecordsConfig(records=records, seed=seed), Path(tmp))
        batch = pd.read_parquet(Path(tmp) / "records.parquet")
    features = linkage_features(batch)
    frames = [frame.reset_index(drop=True) for _, frame in features.groupby("source_dataset", sort=True)]
    linker = train_linker(frames, seed=1, max_training_records=len(features))
    calibrated = linker.misc.save_model_to_json()["probability_two_random_records_match"]
    n = len(features)
    scaled = calibrated * (n - 1) / (reference_records - 1)
    set_prior(linker, min(scaled, 0.5))
    training = {
        "generator": "sapnhap.samples.records",
        "records": n,
        "former_units": len(frames),
        "seed": seed,
        "calibrated_prior": calibrated,
        "prior_scaled_to_records": reference_records,
    }
    version = save_model(linker, out, training)
    return {"version": version, **training, "seconds": round(time.perf_counter() - started, 1)}


def main(argv: list[str] | None = None) -> int:
    """Train and save; prints the model's metadata as JSON. Returns the exit code."""
    from sapnhap.linkage.model import DEFAULT_MODEL_PATH

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=TRAIN_RECORDS)
    parser.add_argument("--seed", type=int, default=TRAIN_SEED)
    parser.add_argument("--reference-records", type=int, default=REFERENCE_RECORDS)
    parser.add_argument("--out", type=Path, default=DEFAULT_MODEL_PATH)
    args = parser.parse_args(argv)
    meta = train(args.records, args.seed, args.out, args.reference_records)
    print(json.dumps(meta, indent=1))
    print(f"Model: {args.out} ({args.out.stat().st_size // 1024} kB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
