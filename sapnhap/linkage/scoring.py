"""Scoring a new unit's candidate pairs with the saved model (Splink on DuckDB), and the model a unit
uses: its own, trained on its records when asked and large enough, else the shipped one. Each kept
pair carries the match weight every comparison added (`explain`), the evidence an archivist sees.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from sapnhap.linkage.model import (
    DEFAULT_MODEL_PATH,
    blocking_rules,
    calibrate_prior,
    load_linker,
    save_model,
    set_prior,
    train_linker,
)

logger = logging.getLogger(__name__)


def _level_labels(model: Mapping[str, Any]) -> dict[str, dict[int, str]]:
    """comparison output name → comparison vector value → level label (Splink numbers the levels
    from n-1 (first non-null) down to 0 (else); the null level is -1)."""
    labels: dict[str, dict[int, str]] = {}
    for comparison in model["comparisons"]:
        levels = comparison["comparison_levels"]
        non_null = [lv for lv in levels if not lv.get("is_null_level")]
        mapping = {-1: "missing"}
        for i, level in enumerate(non_null):
            mapping[len(non_null) - 1 - i] = level.get("label_for_charts") or level.get("sql_condition", "")
        labels[comparison["output_column_name"]] = mapping
    return labels


def explain(pairs: pd.DataFrame, model: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per pair, comparison → {"level", "weight"}: the level reached and the match weight it added
    (Splink's `mw_<comparison>` plus its term-frequency adjustment `mw_tf_adj_<comparison>`); with
    the prior's weight they add up to the pair's match weight."""
    labels = _level_labels(model)
    out = []
    for row in pairs.to_dict("records"):
        explained = {}
        for name, levels in labels.items():
            gamma, weight = row.get(f"gamma_{name}"), row.get(f"mw_{name}")
            if gamma is None or weight is None:
                continue
            tf = row.get(f"mw_tf_adj_{name}")
            total = float(weight) + (float(tf) if tf is not None and tf == tf else 0.0)
            explained[name] = {"level": levels.get(int(gamma), str(gamma)), "weight": round(total, 2)}
        out.append(explained)
    return out


MIN_CALIBRATION_RECORDS = 1000
"""Units with fewer records keep the saved model's prior instead of calibrating their own."""


def _saved_prior(model_path: Path) -> float:
    return float(json.loads(model_path.read_text(encoding="utf-8"))["probability_two_random_records_match"])


def score_pairs(
    features: pd.DataFrame,
    new_ids: set[str],
    model_path: Path,
    threshold: float,
    counts: dict[str, int],
    backend: str = "duckdb",
) -> tuple[pd.DataFrame, float]:
    """Pairs involving at least one new record with a match probability of at least `threshold`, every
    candidate pair of the blocking rules scored:
    new against already linked ("link_only"), new among themselves across and within former units.
    Adds the candidate pairs per blocking rule (its SQL) to `counts`. Returns (pairs, the prior used:
    the unit's calibrated one, or the saved model's for a small unit); pairs' columns unique_id_l,
    unique_id_r, match_probability, match_weight, match_key, gamma_*, mw_*. backend: where Splink runs
    (`sapnhap.linkage.backends`); the rules in `counts` are named by their DuckDB SQL on either."""
    new = features[features["unique_id"].isin(new_ids)]
    old = features[~features["unique_id"].isin(new_ids)]
    frames = []
    runs: list[tuple[list[pd.DataFrame], str]] = []
    if len(new) > 1:
        units = [g for _, g in new.groupby("source_dataset", sort=True)]
        runs.append((units, "link_and_dedupe" if len(units) > 1 else "dedupe_only"))
    if len(new) and len(old):
        runs.append(([old.assign(source_dataset="linked"), new.assign(source_dataset="new")], "link_only"))
    rules = [r.get_blocking_rule("duckdb").blocking_rule_sql for r in blocking_rules()]
    # The saved model's prior is for a batch of about 1,000 records. The probability that two records
    # of a unit this size or larger are one person is calibrated on all the unit's records
    # (`calibrate_prior`); a smaller unit keeps the model's prior, lower than its own would be: on a
    # handful of records the calibration is unstable and would merge namesakes.
    calibrate = len(features) >= MIN_CALIBRATION_RECORDS
    prior = (
        calibrate_prior(load_linker(features, model_path, "dedupe_only", backend=backend))
        if calibrate
        else None
    )
    used_prior = prior if calibrate else _saved_prior(model_path)
    for tables, link_type in runs:
        linker = load_linker(
            tables if len(tables) > 1 else tables[0], model_path, link_type, explain=True, backend=backend
        )
        if prior is not None:
            set_prior(linker, prior)
        predicted = linker.inference.predict()
        # Counted and filtered in DuckDB: only pairs at or above `threshold` come into memory. Pulling
        # every candidate pair into pandas took 3,000 look-alike register rows (parents named by name
        # only, no year) past the machine's memory.
        table = predicted.physical_name
        by_key = linker.misc.query_sql(
            f"SELECT match_key, count(*) AS n FROM {table} GROUP BY match_key", output_type="pandas"
        )
        for key, n in zip(by_key["match_key"].astype(int), by_key["n"], strict=True):
            counts[rules[key]] = counts.get(rules[key], 0) + int(n)
        frames.append(
            linker.misc.query_sql(
                f"SELECT * FROM {table} WHERE match_probability >= {float(threshold)!r}", output_type="pandas"
            )
        )
        predicted.drop_table_from_database_and_remove_from_cache()
    if not frames:
        return pd.DataFrame(
            columns=["unique_id_l", "unique_id_r", "match_probability", "match_weight"]
        ), used_prior
    return pd.concat(frames, ignore_index=True), used_prior


MIN_TRAINING_RECORDS = 2000
"""Below this many records a unit is too small to train on (too few pairs for expectation
maximisation): it starts from the shipped model instead (`DEFAULT_MODEL_PATH`, trained by
`scripts/train_linkage_model.py` on 200,000 generated records)."""


def unit_model(
    model_path: Path, features: pd.DataFrame, retrain: bool, backend: str = "duckdb"
) -> tuple[dict[str, Any], bool]:
    """The model at `model_path`, trained on the unit's records (one frame per former unit) and saved
    there first when it is missing or `retrain` is asked for; a unit with fewer than
    MIN_TRAINING_RECORDS records gets a copy of the shipped model there instead. Returns (model
    JSON, trained now). backend: where a training runs (`sapnhap.linkage.backends`)."""
    trained = False
    if retrain or not model_path.exists():
        if len(features) < MIN_TRAINING_RECORDS:
            logger.info(
                "linkage: %d records are too few to train on; starting from the shipped model", len(features)
            )
            model_path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(DEFAULT_MODEL_PATH, model_path)
        else:
            frames = [g for _, g in features.groupby("source_dataset", sort=True)]
            save_model(train_linker(frames if len(frames) > 1 else features, backend=backend), model_path)
            trained = True
    return json.loads(model_path.read_text(encoding="utf-8")), trained
