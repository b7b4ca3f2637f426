"""Record linkage of person records across the former units merged into a new unit (Splink 5 on DuckDB,
or on Spark: `sapnhap.linkage.backends`).

Dagster-free. The pieces, each usable alone:

- `linkage_features(records)`: the table Splink reads, one row per person record: name (NFC, with
  diacritics) and its parts, the same folded (`Đ` → `D`, marks dropped, lower case: both tone-mark
  placements `Hòa`/`Hoà` give one key), date of birth and its parts, year of birth, ID number, sex,
  parents' folded names, and the former unit as the source dataset.
- `comparisons()`: comparisons built for Vietnamese records — names exact with diacritics, equal once
  folded (both term-frequency adjusted: a third of people are called Nguyễn), close by Jaro-Winkler
  or one edit apart on folded text; date of birth exact, day and month swapped, one digit off, both
  printed in the same year but another day (against), year only; ID number exact, one digit off
  (missing is its own null level); sex; parents' and spouse's names exact, close, different; residence by village
  (the same in the former and the new address form) and commune.
- `blocking_rules()`: several rules whose union finds a pair that differs in any one field, with
  blocks that stay small at a million records.
- `train_linker(features)`: a `splink.Linker` trained without labels (u by random sampling, m by
  expectation maximisation on two blockings, the prior calibrated on the model's own scores,
  `calibrate_prior`), on a sample of at most 200,000 records, for `predict` and clustering.
- `DEFAULT_MODEL_PATH`, `DEFAULT_THRESHOLDS`: the shipped model (`scripts/train_linkage_model.py`,
  200,000 generated records) for batches too small to train on, and its thresholds chosen from
  measured precision: `load_linker(features, DEFAULT_MODEL_PATH)`, then `calibrate_prior`.
- `RecordGroups`: the union-find that keeps the hard rules (one ID number per person, an archivist's
  cannot-link) for a whole group; `cluster_records`: persons from scored pairs with it, under the
  ID rule, cannot-link and must-link.

Backends: every function that builds a Linker takes `backend` (`"duckdb"`, the default, or
`"spark"`, `sapnhap.linkage.backends.db_api`). The SQL is written for DuckDB (a saved model's structure
version, `model_version`, is that of the DuckDB settings); the hand-written levels and rules are
translated to Spark SQL by sqlglot (`base_dialect_str`/`sql_dialect="duckdb"`: `"col"` becomes
`` `col` ``, which Spark would otherwise read as a string literal), and the anagram blocking key has
its own Spark form (`ANAGRAM_KEY`). `tests/linkage/test_spark_backend.py` checks both backends give
the same pairs and probabilities.

DuckDB's string functions count characters, not UTF-8 bytes, on NFC text (`tests/linkage/test_linkage.py`
pins it): `levenshtein('Hùng', 'Hưng') = 1`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import Linker, SettingsCreator, block_on
from splink.blocking_rule_library import CustomRule
from splink.internals.exceptions import EMTrainingException

from sapnhap.linkage.backends import check_backend, db_api

logger = logging.getLogger(__name__)
# Splink's Linker sets its own logger to INFO and prints every training step and, on a small batch, a
# warning per untrained level: only its errors are shown (our own log line says what training left out).
SPLINK_LOG_LEVEL = logging.ERROR

# Fixed m-probabilities (share of true matches at the level), where unsupervised training is
# unreliable: within blocks of people who share a name, EM takes namesakes for matches and learns that
# a different year of birth or ID number hardly counts against a match. Set from what the levels mean:
# a date or number misread or mistyped in one digit (about 2% of true pairs), a year of birth that
# differs beyond that (0.5%), and two different ID numbers (0.05%: one of them is wrong).
M_ONE_DIGIT_OFF = 0.02
M_BIRTH_DIFFERS = 0.005
M_ID_DIFFERS = 0.0005
# Both dates printed, same year, another day and month beyond one digit (an OCR misreading of two
# digits); a parent's name close but not equal (a typo, an OCR error), or different (another person
# named as the parent: rare, a wrong extract).
M_DATE_DIFFERS = 0.01
M_PARENT_CLOSE = 0.05
M_PARENT_DIFFERS = 0.01
# The spouse named beside a person (the other parent of a birth extract, the other party of a
# marriage): different in about 3% of the generated people's pairs of documents that name one (a second
# marriage, a child with another partner), and in life too; close but not equal, a typo or OCR error.
M_SPOUSE_CLOSE = 0.05
M_SPOUSE_DIFFERS = 0.03


def _middle_comparison() -> cl.CustomComparison:
    """The middle name (chữ đệm): with diacritics, folded (both term-frequency adjusted: Văn and Thị
    are half of all middle names), one edit apart once folded (`Và` read for `Văn`), else different."""
    return cl.CustomComparison(
        output_column_name="middle",
        comparison_levels=[
            cll.NullLevel("middle_folded"),
            cll.ExactMatchLevel("middle", term_frequency_adjustments=True),
            cll.ExactMatchLevel("middle_folded", term_frequency_adjustments=True),
            cll.DamerauLevenshteinLevel("middle_folded", 1),
            cll.ElseLevel(),
        ],
        comparison_description="middle name: with diacritics, folded",
    )


def _part_comparison(column: str, folded: str) -> cl.CustomComparison:
    """A name part (family or given): exact with diacritics, equal once folded (both term-frequency
    adjusted, so `Nguyen` for `Nguyễn` counts as little as `Nguyễn` does), Jaro-Winkler ≥ 0.9 on
    folded text, one edit apart (Damerau-Levenshtein: short given names a typo or OCR error puts below
    Jaro-Winkler 0.9, `Hùnh`/`Hùng`, `Nah`/`Anh`), else different."""
    return cl.CustomComparison(
        output_column_name=column,
        comparison_levels=[
            cll.NullLevel(folded),
            cll.ExactMatchLevel(column, term_frequency_adjustments=True),
            cll.ExactMatchLevel(folded, term_frequency_adjustments=True),
            cll.JaroWinklerLevel(folded, 0.9),
            cll.DamerauLevenshteinLevel(folded, 1),
            cll.ElseLevel(),
        ],
        comparison_description=f"{column} name, term-frequency adjusted",
    )


def _birth_comparison() -> cl.CustomComparison:
    """Date of birth: exact, day and month swapped, one digit off, both dates printed in the same
    year but different (counts against: fixed m), the same year where one record gives only the
    year (from the record or its ID number), else different."""
    both = '"birth_date_l" IS NOT NULL AND "birth_date_r" IS NOT NULL'
    return cl.CustomComparison(
        output_column_name="birth_date",
        comparison_levels=[
            cll.CustomLevel(
                '"birth_year_l" IS NULL OR "birth_year_r" IS NULL',
                label_for_charts="birth unknown",
                base_dialect_str="duckdb",
            ).configure(is_null_level=True),
            cll.ExactMatchLevel("birth_date"),
            cll.CustomLevel(
                '"birth_day_l" = "birth_month_r" AND "birth_month_l" = "birth_day_r" '
                'AND "birth_year_l" = "birth_year_r"',
                label_for_charts="day and month swapped",
                base_dialect_str="duckdb",
            ),
            cll.CustomLevel(
                'levenshtein("birth_date_l", "birth_date_r") = 1',
                label_for_charts="one digit off",
                base_dialect_str="duckdb",
            ).configure(m_probability=M_ONE_DIGIT_OFF, fix_m_probability=True),
            cll.CustomLevel(
                f'{both} AND "birth_year_l" = "birth_year_r"',
                label_for_charts="same year, other day",
                base_dialect_str="duckdb",
            ).configure(m_probability=M_DATE_DIFFERS, fix_m_probability=True),
            cll.CustomLevel(
                '"birth_year_l" = "birth_year_r"',
                label_for_charts="same year, one year only",
                base_dialect_str="duckdb",
            ),
            cll.ElseLevel().configure(m_probability=M_BIRTH_DIFFERS, fix_m_probability=True),
        ],
        comparison_description="date of birth: exact, day/month swapped, one digit off, year only",
    )


def _id_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="personal_id",
        comparison_levels=[
            cll.NullLevel("personal_id"),
            cll.ExactMatchLevel("personal_id"),
            cll.CustomLevel(
                'levenshtein("personal_id_l", "personal_id_r") = 1',
                label_for_charts="one digit off",
                base_dialect_str="duckdb",
            ).configure(m_probability=M_ONE_DIGIT_OFF, fix_m_probability=True),
            cll.ElseLevel().configure(m_probability=M_ID_DIFFERS, fix_m_probability=True),
        ],
        comparison_description="personal ID number: exact, one digit off, different (missing: null)",
    )


def _relative_comparison(relative: str, m_close: float, m_differs: float) -> cl.CustomComparison:
    """A relative's folded name (`father`, `mother`: a child's birth extract names both; `spouse`: the
    other parent named beside a parent, the other party of a marriage): exact, close (at most two
    characters apart: a typing or OCR error), else different. Few pairs have both, so m is fixed for
    the close (`m_close`) and different (`m_differs`) levels (training on them would learn that
    relatives never differ). Two namesakes of one village and year are told apart by them."""
    column = f"{relative}_folded"
    return cl.CustomComparison(
        output_column_name=column,
        comparison_levels=[
            cll.NullLevel(column),
            cll.ExactMatchLevel(column),
            cll.LevenshteinLevel(column, 2).configure(m_probability=m_close, fix_m_probability=True),
            cll.ElseLevel().configure(m_probability=m_differs, fix_m_probability=True),
        ],
        comparison_description=f"{relative}'s name: exact, close, different",
    )


def comparisons() -> list[cl.CustomComparison | cl.ExactMatch]:
    """The project's comparisons (see the module docstring), in the order Splink scores them."""
    return [
        _part_comparison("family", "family_folded"),
        _middle_comparison(),
        _part_comparison("given", "given_folded"),
        _birth_comparison(),
        _id_comparison(),
        cl.ExactMatch("sex"),
        _relative_comparison("father", M_PARENT_CLOSE, M_PARENT_DIFFERS),
        _relative_comparison("mother", M_PARENT_CLOSE, M_PARENT_DIFFERS),
        _relative_comparison("spouse", M_SPOUSE_CLOSE, M_SPOUSE_DIFFERS),
        cl.CustomComparison(
            output_column_name="residence",
            comparison_levels=[
                cll.NullLevel("residence_unit"),
                cll.ExactMatchLevel("residence_key"),
                cll.ExactMatchLevel("residence_village"),
                cll.ExactMatchLevel("residence_unit"),
                cll.ElseLevel(),
            ],
            comparison_description="residence: same village of the same commune (either address form), "
            "same village name, same commune, different",
        ),
    ]


ANAGRAM_KEY = {
    "duckdb": "array_to_string(list_sort(string_split(given_folded, '')), '')",
    "spark": "array_join(array_sort(split(given_folded, '')), '')",
}
"""The folded given name's letters in sorted order (rule 8 of `blocking_rules`), per SQL dialect:
sqlglot would translate DuckDB's `string_split` into a Spark regular expression split, written here
directly (`given_folded` is ASCII once folded, so both sort alike)."""


def blocking_rules(dialect: str = "duckdb") -> list:
    """Blocking rules whose union still finds a pair that differs in any one field (a typo in one name
    part, another date, a missing or different ID number), with blocks small enough for a million
    records (never a name alone, nor a family name and a year: a third of people are Nguyễn):

    1. the same ID number;
    2. and 3. the same folded name where the left (right) record gives no year of birth (a
       receipt's applicant without a date or ID number; `name_only_key`, set only on records without
       a year and a name at most NAME_ONLY_BLOCK_MAX records of the batch carry without one; one rule
       per side so that DuckDB joins only those records: 0.2 s at a million records instead of 11 s);
    4. the same date of birth and folded given name;
    5. the same year of birth, folded given and middle names (a typo in the family name);
    6. the same year of birth, folded family and middle names and first letter of the given name;
    7. the same year of birth, folded family and middle names and given name but its first letter
       (a typo or OCR error in the first letter: `Yhành` for `Thành`);
    8. the same year of birth, folded family and middle names and the letters of the given name in
       any order (two letters swapped: `Nah` for `Anh`);
    9. the same year of birth, folded family and given names (a typo in the middle name);
    10. the same folded name, day and month of birth (a typo in the year).

    `Nguyễn Văn Hùng` born 12/04/1960 with an ID and `Nguyễn Văn Hưng` born the same day without one
    meet on rules 4 to 10 (`tests/linkage/test_linkage.py`). The year of birth is read from the ID number
    where no date is printed (`linkage_features`). Not found: the same name with two different years
    (neither a typo of the year nor of the day and month): such a pair scores as two people anyway.
    Candidate pairs at 1,000,000 generated records, summed over the rules: 73 million (rules 5, 6 and
    9: 20.7, 25.1 and 11.8 million); a rule on the folded name and village added 10.8 million pairs
    and no true pair on the OCR sample.

    dialect: the SQL dialect of the rules (`"duckdb"` or `"spark"`); only rule 8 differs.

    Raises:
        ValueError: for another dialect.
    """
    anagram = ANAGRAM_KEY[check_backend(dialect)]
    return [
        block_on("personal_id"),
        CustomRule('"l"."name_only_key" = "r"."name_folded"', sql_dialect="duckdb"),
        CustomRule('"l"."name_folded" = "r"."name_only_key"', sql_dialect="duckdb"),
        block_on("birth_date", "given_folded"),
        block_on("birth_year", "given_folded", "middle_folded"),
        block_on("birth_year", "family_folded", "middle_folded", "substr(given_folded, 1, 1)"),
        block_on("birth_year", "family_folded", "middle_folded", "substr(given_folded, 2)"),
        block_on("birth_year", "family_folded", "middle_folded", anagram),
        block_on("birth_year", "family_folded", "given_folded"),
        block_on("name_folded", "birth_month", "birth_day"),
    ]


def plain_settings(link_type: str = "dedupe_only") -> SettingsCreator:
    """A plain Splink model to measure the project's against: Splink's default comparisons
    (`NameComparison` on the full name, `DateOfBirthComparison`, exact ID number and sex) on the same
    features, with the same blocking rules (`scripts/bench_linkage.py`, `scripts/evaluate_febrl.py`)."""
    return SettingsCreator(
        link_type=link_type,
        comparisons=[
            cl.NameComparison("full_name"),
            cl.DateOfBirthComparison("birth_date", input_is_string=True),
            cl.ExactMatch("personal_id"),
            cl.ExactMatch("sex"),
        ],
        blocking_rules_to_generate_predictions=blocking_rules(),
    )


def settings(link_type: str = "link_and_dedupe", dialect: str = "duckdb") -> SettingsCreator:
    """Splink settings: the project's comparisons and blocking rules (in `dialect`, `"duckdb"` or
    `"spark"`: see `blocking_rules`); records keyed by unique_id, each former unit a source dataset."""
    return SettingsCreator(
        link_type=link_type,
        comparisons=comparisons(),
        blocking_rules_to_generate_predictions=blocking_rules(dialect),
        retain_intermediate_calculation_columns=False,
    )


EM_BLOCKINGS = (("personal_id",), ("birth_date", "given_folded"))
"""Expectation-maximisation sessions: pairs sharing an ID number teach every other comparison; pairs
sharing year of birth, given and middle names teach the ID number, the family name, the date within
the year, sex, parents and residence. (Blocking on family and given names alone gave 9.4 million
pairs at 100,000 records, two minutes and 3.5 GiB of EM; these give 0.2 million.)"""


TRAINING_SAMPLE = 200_000
"""At most this many records train the model (a seeded random sample of a larger batch): the m and u
probabilities and the prior (share of pairs that match) are the same on a uniform sample, and
training time stops growing with the batch."""


def train_linker(
    features: pd.DataFrame | Sequence[pd.DataFrame],
    seed: int = 1,
    max_training_records: int = TRAINING_SAMPLE,
    calibrate: bool = True,
    backend: str = "duckdb",
) -> Linker:
    """A Linker over `features` (one frame for a dedupe of one table, or one frame per former unit
    for link-and-dedupe), trained without labels: a first prior from rules that almost only pair the
    same person, u by random sampling (seeded), m by expectation maximisation on `EM_BLOCKINGS`, then
    (`calibrate`) the prior estimated again from the trained model's own scores (`calibrate_prior`).

    A batch of more than `max_training_records` records is trained on a seeded random sample of
    that many (the same share of each frame); the returned Linker scores the whole batch.

    On a small batch a session can have no pair at all, or Splink 5 reaches an m of 0.0 (a level no
    pair of the session shows) or a probability of exactly 0 or 1 and fails, leaving the linker half
    changed: training then starts again without that session. With no session left, the levels keep
    Splink's default m values and the fixed ones.

    backend: where Splink runs (`sapnhap.linkage.backends.BACKENDS`); ValueError for another.
    """
    frames = [features] if isinstance(features, pd.DataFrame) else list(features)
    total = sum(len(f) for f in frames)
    share = min(1.0, max_training_records / total) if total else 1.0
    training = [f.sample(frac=share, random_state=seed) if share < 1.0 else f for f in frames]
    sessions = list(EM_BLOCKINGS)
    while True:
        linker = _untrained(training, seed, backend)
        try:
            for columns in sessions:
                failed = columns
                linker.training.estimate_parameters_using_expectation_maximisation(block_on(*columns))
            break
        except (ValueError, EMTrainingException) as exc:
            # Too few pairs for this session on this batch: none at all, a level none shows (m 0.0),
            # or probabilities of exactly 0 or 1 (a math domain error in Splink's weights).
            logger.warning(
                "linkage training: EM on %s left out on this batch (%s)", "+".join(failed), type(exc).__name__
            )
            sessions.remove(failed)
    if calibrate:
        calibrate_prior(linker)
    if share < 1.0:
        linker = _linker(frames, linker.misc.save_model_to_json(), backend)
    return linker


CALIBRATION_FLOOR = 1e-5
"""Pairs below this match probability are left out of the prior's calibration (they would add less
than one pair per hundred thousand; materialising every candidate pair of a million records took
21 GiB)."""


CALIBRATION_SAMPLE = 50_000
"""At most this many records calibrate the prior (`calibrate_prior`; a seeded random sample of a larger
batch). The calibration scores every candidate pair of its records, the costliest step of training:
at 100,000 records a 50,000-record sample gave the same prior (5.431e-06 against 5.429e-06 from the
whole batch) in two thirds of the time, and the same precision and recall at 0.99 and 0.995."""


def calibrate_prior(linker: Linker, iterations: int = 50, max_records: int = CALIBRATION_SAMPLE) -> float:
    """Set the linker's prior (probability that two random records match) to the share of its own
    candidate pairs' match probabilities among all pairs of its records, by fixed-point iteration:
    p_i = prior-odds × Bayes factor_i, prior = Σ p_i / pairs. Pairs no blocking rule finds, and pairs
    below `CALIBRATION_FLOOR`, count as non-matches. The first prior (from deterministic rules and an
    assumed recall) misses the true pairs those rules do not find; this one is consistent with the
    model's own scores (on generated batches within 5 % of the truth). A batch of more than
    `max_records` records is calibrated on a seeded random sample of that many (a uniform sample keeps
    the share of matching pairs). Returns the prior; unchanged when the batch has no candidate pair or
    the link type is link_only. A saved model keeps the prior of its training batch: on a batch of
    another size call this after `load_linker`. Runs on the linker's own backend.
    """
    import math

    import numpy as np

    model = linker.misc.save_model_to_json()
    prior = float(model["probability_two_random_records_match"])
    if model["link_type"] == "link_only" or not 0.0 < prior < 1.0:
        return prior  # pairs across datasets only: the count of all pairs differs; left as it is

    def run(sql: str, on: Linker = linker) -> pd.DataFrame:
        return on.misc.query_sql(sql, output_type="pandas")

    # Splink names its input tables only privately; the SQL on them goes through its public query_sql.
    tables = [t.physical_name for t in linker._input_tables_dict.values()]  # noqa: SLF001
    counts = [int(run(f"SELECT count(*) AS n FROM {t}")["n"].iloc[0]) for t in tables]
    n, scorer = sum(counts), linker
    if n > max_records:
        percent = 100.0 * max_records / n
        backend = linker._db_api.sql_dialect.sql_dialect_str  # noqa: SLF001
        # A seeded Bernoulli sample; Spark's TABLESAMPLE takes no seed through Splink's SQL (sqlglot
        # writes REPEATABLE as SEED, which Spark refuses): a seeded rand() instead.
        sample = (
            f"WHERE rand(1) < {percent / 100.0:.8f}"
            if backend == "spark"
            else f"USING SAMPLE {percent:.6f}% (bernoulli, 1)"
        )
        frames = [run(f"SELECT * FROM {t} {sample}") for t in tables]
        n, scorer = sum(len(f) for f in frames), _linker(frames, model, backend)
    predictions = scorer.inference.predict(threshold_match_probability=CALIBRATION_FLOOR)
    weights = np.asarray(
        run(f"SELECT match_weight FROM {predictions.physical_name}", scorer)["match_weight"], dtype=float
    )
    predictions.drop_table_from_database_and_remove_from_cache()
    pairs = n * (n - 1) / 2
    if len(weights) == 0 or pairs == 0:
        return prior
    factors = weights - math.log2(prior / (1 - prior))  # log2 Bayes factors
    for _ in range(iterations):
        odds = prior / (1 - prior)
        new = float(np.sum(1.0 / (1.0 + 2.0 ** -(factors + math.log2(odds))))) / pairs
        new = min(max(new, 1e-12), 0.5)
        if abs(new - prior) <= 1e-4 * prior:
            prior = new
            break
        prior = new
    set_prior(linker, prior)
    return prior


def set_prior(linker: Linker, probability: float) -> None:
    """Set the linker's prior, the probability that two records drawn at random are the same person
    (0 < probability < 1), e.g. a saved model's prior scaled to another batch size.

    Raises:
        ValueError: when `probability` is not strictly between 0 and 1.
    """
    if not 0.0 < probability < 1.0:
        raise ValueError(f"a prior is a probability strictly between 0 and 1, not {probability}")
    linker._settings_obj._probability_two_random_records_match = probability  # noqa: SLF001 - as Splink sets it


def _register(frames: list[pd.DataFrame], backend: str) -> list:
    """`frames` registered as Splink tables on a new database API of `backend`: `records_<i>` on
    DuckDB (one database per linker); on Spark, whose session is shared, names of their own."""
    import uuid

    db = db_api(backend)
    prefix = "records" if backend == "duckdb" else f"records_{uuid.uuid4().hex[:8]}"
    if backend != "duckdb":
        # Spark builds its frame from Python values: Arrow-backed text as plain str, pd.NA as None.
        frames = [f.astype(object).where(f.notna(), None) for f in frames]
    return [db.register(frame, table_name=f"{prefix}_{i}") for i, frame in enumerate(frames)]


def _linker(
    frames: list[pd.DataFrame], model: dict[str, Any] | SettingsCreator, backend: str = "duckdb"
) -> Linker:
    """A Linker over `frames` (one table: dedupe; several: one per source dataset) with `model`
    (its SQL in `backend`'s dialect)."""
    tables = _register(frames, backend)
    return Linker(tables if len(tables) > 1 else tables[0], model, log_level=SPLINK_LOG_LEVEL)


U_SAMPLE_PAIRS = 2e6
"""Random record pairs from which the u probabilities (how often non-matches agree) are estimated."""


def _untrained(frames: list[pd.DataFrame], seed: int, backend: str = "duckdb") -> Linker:
    """A new Linker with its prior and u probabilities estimated (no m yet)."""

    def fresh() -> Linker:
        tables = _register(frames, backend)
        return Linker(
            tables if len(tables) > 1 else tables[0],
            settings("link_and_dedupe" if len(tables) > 1 else "dedupe_only", backend),
            log_level=SPLINK_LOG_LEVEL,
        )

    linker = fresh()
    linker.training.estimate_probability_two_random_records_match(
        [block_on("personal_id"), block_on("name_folded", "birth_date")], recall=0.7
    )
    prior = linker.misc.save_model_to_json()["probability_two_random_records_match"]
    if not 0.0 < prior < 1.0:
        linker = fresh()  # no pair at all on a tiny batch: Splink's default prior instead of 0
    linker.training.estimate_u_using_random_sampling(max_pairs=U_SAMPLE_PAIRS, seed=seed)
    return linker


MODEL_FORMAT = "sapnhap-linkage/1"
NEVER = 1e-300  # Splink's smallest accepted m or u probability


def model_version(model: dict[str, Any]) -> str:
    """A short hash of a model's structure (comparisons, levels, blocking rules): two models with the
    same version can be swapped; a change of features or comparisons gives a new version."""
    import hashlib
    import json

    shape = {
        "comparisons": [
            [level.get("sql_condition") for level in c.get("comparison_levels", [])]
            for c in model["comparisons"]
        ],
        "blocking": [r.get("blocking_rule") for r in model.get("blocking_rules_to_generate_predictions", [])],
    }
    return hashlib.sha256(json.dumps(shape, sort_keys=True).encode()).hexdigest()[:12]


def save_model(linker: Linker, path: str | Path, training: dict[str, Any] | None = None) -> str:
    """Write the trained model as JSON (Splink's model with `sapnhap` metadata: format, structure
    version, when trained, and `training`: what it was trained on, if given); returns the version.
    The SQL is saved in DuckDB's dialect whichever backend trained the model (`model_in_dialect`).
    The folder is created if needed. An m or u probability of 0.0 (a level never seen in training) is
    written as `NEVER`."""
    import json
    from datetime import UTC, datetime

    model = linker.misc.save_model_to_json()
    if model.get("sql_dialect", "duckdb") != "duckdb":
        # Saved in DuckDB SQL whichever backend trained it: one file, one structure version.
        model = model_in_dialect(model, "duckdb")
    # A level never seen in training gets m (or u) 0.0, which Splink refuses to load again: keep it
    # as the smallest probability Splink accepts to mean "never", so the file loads and scores alike.
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            for key in ("m_probability", "u_probability"):
                if level.get(key) == 0.0:
                    level[key] = NEVER
    version = model_version(model)
    model["sapnhap"] = {
        "format": MODEL_FORMAT,
        "version": version,
        "trained_at": datetime.now(UTC).isoformat(),
        **({"training": training} if training else {}),
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(model, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    return version


def load_linker(
    features: pd.DataFrame | Sequence[pd.DataFrame],
    path: str | Path,
    link_type: str | None = None,
    explain: bool = False,
    backend: str = "duckdb",
) -> Linker:
    """A Linker over `features` with the model saved at `path` (no training).

    link_type: Splink's link type for this use of the model ("dedupe_only", "link_only",
    "link_and_dedupe"); default the one it was trained with. Incremental linkage scores a new batch
    against the records already linked with "link_only" and within itself with "dedupe_only".
    explain: predictions also carry each comparison's match weight (`mw_<comparison>`, and
    `mw_tf_adj_<comparison>` where term frequencies adjust it), for an archivist's evidence.
    backend: where Splink runs (`sapnhap.linkage.backends.BACKENDS`). A model is saved with DuckDB
    SQL; for Spark its conditions and blocking rules are replaced by this code's Spark forms, level by
    level (the structure check below makes them the same comparisons), its parameters kept.

    Raises:
        FileNotFoundError: when there is no model at `path`.
        ValueError: when the file is not a sapnhap model, or its structure differs from this code's
            (`model_version` of `settings()`): retrain it (`train_linker`, `save_model`); or when
            `backend` is not one of `BACKENDS`.
    """
    import json

    check_backend(backend)
    model = json.loads(Path(path).read_text(encoding="utf-8"))
    meta = model.pop("sapnhap", None)
    if not meta or meta.get("format") != MODEL_FORMAT:
        raise ValueError(f"{path} is not a sapnhap linkage model ({MODEL_FORMAT})")
    if meta.get("version") != model_version(model):
        raise ValueError(f"{path}: the model's structure was edited after training; retrain it")
    if model_version(settings(model["link_type"]).create_settings_dict("duckdb")) != meta["version"]:
        raise ValueError(
            f"{path}: trained for other comparisons or blocking rules than this code's; retrain it"
        )
    if backend != model.get("sql_dialect", "duckdb"):
        model = model_in_dialect(model, backend)
    if link_type is not None:
        model["link_type"] = link_type
    if explain:
        model["retain_intermediate_calculation_columns"] = True
    frames = [features] if isinstance(features, pd.DataFrame) else list(features)
    return _linker(frames, model, backend)


def model_in_dialect(model: dict[str, Any], dialect: str) -> dict[str, Any]:
    """A copy of a saved model (Splink's JSON dict, with this code's structure: `model_version` of
    `settings()`) with every level's SQL condition and every blocking rule in `dialect` (`"duckdb"`
    or `"spark"`), taken from `settings(link_type, dialect)`; m and u probabilities, term-frequency
    settings, labels and the prior are kept.

    Raises:
        ValueError: when `dialect` is not a backend, or the model's comparisons or blocking rules
            are not as many, or their levels not as many, as this code's.
    """
    import copy

    target = settings(model["link_type"], check_backend(dialect)).create_settings_dict(dialect)
    out = copy.deepcopy(model)
    ours, theirs = target["comparisons"], out["comparisons"]
    rules = target["blocking_rules_to_generate_predictions"]
    if (
        len(ours) != len(theirs)
        or len(rules) != len(out["blocking_rules_to_generate_predictions"])
        or any(
            len(a["comparison_levels"]) != len(b["comparison_levels"])
            for a, b in zip(ours, theirs, strict=True)
        )
    ):
        raise ValueError("the model's comparisons or blocking rules differ from this code's; retrain it")
    for mine, saved in zip(ours, theirs, strict=True):
        for level, kept in zip(mine["comparison_levels"], saved["comparison_levels"], strict=True):
            kept["sql_condition"] = level["sql_condition"]
    out["blocking_rules_to_generate_predictions"] = rules
    out["sql_dialect"] = dialect
    return out


@dataclass(frozen=True)
class Thresholds:
    """Match-probability thresholds (0..1): pairs at or above `auto_merge` are merged without review,
    pairs from `review` up to `auto_merge` go to an archivist, pairs below `review` are distinct."""

    review: float
    auto_merge: float


DEFAULT_MODEL_PATH = Path(__file__).resolve().parents[1] / "reference" / "linkage_model.json"
"""The shipped model (`scripts/train_linkage_model.py`): trained on a large generated records-only
batch, for batches too small to train on (a new unit's hundreds of records). Load it with
`load_linker(features, DEFAULT_MODEL_PATH)` and set the prior for the batch with `calibrate_prior`."""
DEFAULT_THRESHOLDS = Thresholds(review=0.5, auto_merge=0.99)
"""Thresholds of the shipped model with its prior calibrated on the batch, chosen from measured
pairwise precision (`choose_thresholds`: auto-merge from precision 0.995, review from 0.5).
Auto-merge 0.99 is the lowest threshold reaching 0.995 on both the OCR sample (500 generated
dossiers, 920 records: P 1.000 from 0.5 up; R 0.770 at 0.99) and records-only batches of another
seed (7) of the size a new unit hands over (20 × 1,000 records: P 0.996 at 0.98, 0.998 at 0.99; 20 ×
5,000: P 0.991 at 0.98, 0.998 at 0.99). Review from 0.5: on the OCR sample every pair from 0.5 up
is a true pair (F1 0.980 when the review band is accepted); records-only batches of 1,000 records
give precision 0.966 there. Above 100,000 records namesakes are so many that the auto-merge
threshold is raised with the batch (`scaled_thresholds`)."""


SCALE_RECORDS = 100_000
"""Up to this many person records in one linkage, the auto-merge threshold applies as set."""


def scaled_thresholds(thresholds: Thresholds, records: int) -> Thresholds:
    """The thresholds for a linkage of `records` person records: above `SCALE_RECORDS`, the
    auto-merge threshold's odds p/(1-p) grow in proportion to the records (0.99 → 0.995 at 200,000,
    0.998 at 500,000, 0.999 at 1,000,000), rounded to four decimals; the review threshold stays.

    Why: namesakes (one name, year and village) grow with the batch while the model scores each pair
    alone, so a fixed threshold loses precision at scale. Measured on generated records-only batches
    (docs/benchmarks_linkage.md, the model trained on the batch, with the date and relatives rules):
    at 0.99, pairwise precision 0.996 at 100,000 records but 0.989 at 1,000,000; at 0.999, 0.996 at
    1,000,000 (issue 17's target: 0.995). An auto-merge threshold of 1 or more stays as it is.
    """
    if records <= SCALE_RECORDS or thresholds.auto_merge >= 1.0:
        return thresholds
    odds = thresholds.auto_merge / (1.0 - thresholds.auto_merge) * records / SCALE_RECORDS
    auto = max(thresholds.auto_merge, round(odds / (1.0 + odds), 4))
    return Thresholds(review=min(thresholds.review, auto), auto_merge=auto)


def choose_thresholds(
    scores: dict[float, dict], auto_precision: float = 0.995, review_precision: float = 0.5
) -> Thresholds:
    """Thresholds from measured pairwise scores (threshold → `pairwise_linkage_scores` result).

    auto_merge: the lowest measured threshold whose pairwise precision reaches `auto_precision` (issue
    5's target for automatic merges, 0.995), else the highest measured. review: the lowest measured
    threshold whose precision reaches `review_precision` (below it a pair is more likely two people),
    never above auto_merge. Raises ValueError for an empty `scores`.
    """
    if not scores:
        raise ValueError("no measured thresholds to choose from")
    ordered = sorted(scores)

    def precision(threshold: float) -> float:
        value = scores[threshold]["pairwise"]["precision"]
        return -1.0 if value is None else float(value)

    auto = next((t for t in ordered if precision(t) >= auto_precision), ordered[-1])
    review = next((t for t in ordered if precision(t) >= review_precision and t <= auto), auto)
    return Thresholds(review=review, auto_merge=auto)
