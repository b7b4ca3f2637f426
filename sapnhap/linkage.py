"""Record linkage of person records across the former units merged into a new unit (Splink 5 on DuckDB).

Dagster-free. The pieces, each usable alone:

- `linkage_features(records)`: the table Splink reads, one row per person record: name (NFC, with
  diacritics) and its parts, the same folded (`Đ` → `D`, marks dropped, lower case: both tone-mark
  placements `Hòa`/`Hoà` give one key), date of birth and its parts, year of birth, ID number, sex,
  parents' folded names, and the former unit as the source dataset.
- `comparisons()`: comparisons built for Vietnamese records — names exact with diacritics, equal once
  folded, close by Jaro-Winkler on folded text (term-frequency adjusted on family and given names:
  a third of people are called Nguyễn); date of birth exact, day and month swapped, one digit off,
  year only; ID number exact, one digit off (missing is its own null level); sex; parents' names.
- `blocking_rules()`: several rules whose union finds a pair that differs in any one field.
- `train_linker(features)`: a `splink.Linker` trained without labels (u by random sampling, m by
  expectation maximisation on two blockings), for `predict` and clustering.

DuckDB's string functions count characters, not UTF-8 bytes, on NFC text (`tests/test_linkage.py`
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
from splink.backends.duckdb import DuckDBAPI
from splink.internals.exceptions import EMTrainingException

from sapnhap.normalise import split_name, title_case_name
from sapnhap.personal_id import decode_personal_id
from sapnhap.text import fold_diacritics

logger = logging.getLogger(__name__)
# Splink's Linker sets its own logger to INFO and prints every training step and, on a small batch, a
# warning per untrained level: only its errors are shown (our own log line says what training left out).
SPLINK_LOG_LEVEL = logging.ERROR

FEATURE_COLUMNS = [
    "unique_id", "source_dataset", "full_name", "family", "middle", "given", "name_folded",
    "family_folded", "middle_folded", "given_folded", "birth_date", "birth_year", "birth_month", "birth_day", "sex",
    "personal_id", "father_folded", "mother_folded", "residence_folded", "commune_folded",
]  # fmt: skip
# Fixed m-probabilities (share of true matches at the level), where unsupervised training is
# unreliable: within blocks of people who share a name, EM takes namesakes for matches and learns that
# a different year of birth or ID number hardly counts against a match. Set from what the levels mean:
# a date or number misread or mistyped in one digit (about 2% of true pairs), a year of birth that
# differs beyond that (0.5%), and two different ID numbers (0.05%: one of them is wrong).
M_ONE_DIGIT_OFF = 0.02
M_BIRTH_DIFFERS = 0.005
M_ID_DIFFERS = 0.0005
_ROLE_SEX = {"mother": "female", "wife": "female", "father": "male", "husband": "male"}
_MIDDLE_SEX = {"van": "male", "thi": "female"}


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value) or str(value).strip() == ""


def _folded(name: Any) -> str | None:
    return None if _blank(name) else " ".join(fold_diacritics(str(name)).lower().split()) or None


@dataclass(frozen=True)
class _Decoded:
    sex: str
    birth_year_text: str


def _decode(number: str | None) -> _Decoded | None:
    """Sex and year of birth of a well-formed 12-digit personal ID number; None otherwise."""
    if not isinstance(number, str) or len(number) != 12 or not number.isdigit():
        return None
    try:
        parts = decode_personal_id(number)
    except ValueError:
        return None
    return _Decoded(parts.sex, str(parts.birth_year))


def linkage_features(records: pd.DataFrame) -> pd.DataFrame:
    """One row per person record, columns FEATURE_COLUMNS (text; None where unknown).

    records: columns record_id, source (the former unit's code: the source dataset), full_name,
    birth_date (ISO text or blank), birth_year, sex ("male"/"female"/blank), personal_id (text),
    father_name and mother_name (optional). Names are title-cased NFC and split family / middle /
    given (`sapnhap.normalise.split_name`); folded names drop every mark (`Đặng` → `dang`).

    Raises:
        KeyError: when a required column is missing.
    """
    parts = [split_name(title_case_name(str(n))) if not _blank(n) else None for n in records["full_name"]]
    out = pd.DataFrame(
        {"unique_id": records["record_id"].astype(str), "source_dataset": records["source"].astype(str)}
    )
    out["full_name"] = [
        " ".join(x for x in (p.family, p.middle, p.given) if x) or None if p else None for p in parts
    ]
    out["family"] = [p.family or None if p else None for p in parts]
    out["middle"] = [p.middle or None if p else None for p in parts]
    out["given"] = [p.given or None if p else None for p in parts]
    out["name_folded"] = [_folded(n) for n in out["full_name"]]
    out["family_folded"] = [_folded(n) for n in out["family"]]
    out["middle_folded"] = [_folded(n) for n in out["middle"]]
    out["given_folded"] = [_folded(n) for n in out["given"]]
    dates = [None if _blank(d) else str(d) for d in records["birth_date"]]
    out["birth_date"] = dates
    years = records["birth_year"] if "birth_year" in records else pd.Series([None] * len(records))
    out["birth_year"] = [
        d[:4] if d else (None if _blank(y) else str(y)[:4]) for d, y in zip(dates, years, strict=True)
    ]
    out["birth_month"] = [d[5:7] if d else None for d in dates]
    out["birth_day"] = [d[8:10] if d else None for d in dates]
    out["sex"] = [None if _blank(s) else str(s) for s in records["sex"]]
    out["personal_id"] = [None if _blank(i) else str(i) for i in records["personal_id"]]
    # A well-formed 12-digit number carries the sex and the year of birth (Decree 137/2015/NĐ-CP
    # Art. 13): they fill in a record that prints the number but not the date.
    decoded = [_decode(i) for i in out["personal_id"]]
    out["birth_year"] = [
        y if isinstance(y, str) else (d.birth_year_text if d else None)
        for y, d in zip(out["birth_year"], decoded, strict=True)
    ]
    out["sex"] = [
        s if isinstance(s, str) else (d.sex if d else None) for s, d in zip(out["sex"], decoded, strict=True)
    ]
    # The role says the sex of a parent or spouse; so does the middle name Văn (men) or Thị (women).
    roles = records["role"] if "role" in records else pd.Series([None] * len(records))
    out["sex"] = [
        s if isinstance(s, str) else _ROLE_SEX.get(str(role)) or _MIDDLE_SEX.get(_folded(m) or "")
        for s, role, m in zip(out["sex"], roles, out["middle"], strict=True)
    ]
    # Where the person lives: village and commune, folded (`thon 3, xa gia van`), and the commune alone.
    residences = records["residence"] if "residence" in records else pd.Series([None] * len(records))
    places = [[p.strip() for p in (_folded(r) or "").split(",") if p.strip()] for r in residences]
    out["residence_folded"] = [", ".join(p[:2]) or None for p in places]
    out["commune_folded"] = [
        next((x for x in p if x.split(" ", 1)[0] in ("xa", "phuong", "thi")), None) for p in places
    ]
    for parent in ("father", "mother"):
        column = f"{parent}_name"
        values = records[column] if column in records else pd.Series([None] * len(records))
        out[f"{parent}_folded"] = [_folded(v) for v in values]
    return out[FEATURE_COLUMNS]


def _middle_comparison() -> cl.CustomComparison:
    """The middle name (chữ đệm): with diacritics, folded, else different."""
    return cl.CustomComparison(
        output_column_name="middle",
        comparison_levels=[
            cll.NullLevel("middle"),
            cll.ExactMatchLevel("middle"),
            cll.CustomLevel('"middle_folded_l" = "middle_folded_r"', label_for_charts="same once folded"),
            cll.ElseLevel(),
        ],
        comparison_description="middle name: with diacritics, folded",
    )


def _part_comparison(column: str, folded: str) -> cl.CustomComparison:
    """A name part (family or given) with term-frequency adjustment on its exact value."""
    return cl.CustomComparison(
        output_column_name=column,
        comparison_levels=[
            cll.NullLevel(folded),
            cll.ExactMatchLevel(column, term_frequency_adjustments=True),
            cll.ExactMatchLevel(folded),
            cll.JaroWinklerLevel(folded, 0.9),
            cll.ElseLevel(),
        ],
        comparison_description=f"{column} name, term-frequency adjusted",
    )


def _birth_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="birth_date",
        comparison_levels=[
            cll.CustomLevel(
                '"birth_year_l" IS NULL OR "birth_year_r" IS NULL', label_for_charts="birth unknown"
            ).configure(is_null_level=True),
            cll.ExactMatchLevel("birth_date"),
            cll.CustomLevel(
                '"birth_day_l" = "birth_month_r" AND "birth_month_l" = "birth_day_r" '
                'AND "birth_year_l" = "birth_year_r"',
                label_for_charts="day and month swapped",
            ),
            cll.CustomLevel(
                'levenshtein("birth_date_l", "birth_date_r") = 1', label_for_charts="one digit off"
            ).configure(m_probability=M_ONE_DIGIT_OFF, fix_m_probability=True),
            cll.CustomLevel('"birth_year_l" = "birth_year_r"', label_for_charts="same year only"),
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
                'levenshtein("personal_id_l", "personal_id_r") = 1', label_for_charts="one digit off"
            ).configure(m_probability=M_ONE_DIGIT_OFF, fix_m_probability=True),
            cll.ElseLevel().configure(m_probability=M_ID_DIFFERS, fix_m_probability=True),
        ],
        comparison_description="personal ID number: exact, one digit off, different (missing: null)",
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
        cl.ExactMatch("father_folded"),
        cl.ExactMatch("mother_folded"),
        cl.CustomComparison(
            output_column_name="residence",
            comparison_levels=[
                cll.NullLevel("residence_folded"),
                cll.ExactMatchLevel("residence_folded"),
                cll.ExactMatchLevel("commune_folded"),
                cll.ElseLevel(),
            ],
            comparison_description="residence: same village and commune, same commune, different",
        ),
    ]


def blocking_rules() -> list:
    """Blocking rules whose union still finds a pair that differs in any one field (a typo in one name
    part, another date, a missing or different ID number), with blocks small enough for a million
    records (never a family name and a year alone: a third of people are Nguyễn):

    1. the same ID number;
    2. the same folded name;
    3. the same date of birth and folded given name;
    4. the same year of birth, folded given and middle names (a typo in the family name);
    5. the same year of birth, folded family and middle names and first letter of the given name;
    6. the same year of birth, folded family and given names (a typo in the middle name).

    `Nguyễn Văn Hùng` born 12/04/1960 with an ID and `Nguyễn Văn Hưng` born the same day without one
    meet on rules 2, 3, 4 and 6 (`tests/test_linkage.py`). The year of birth is read from the ID
    number where no date is printed (`linkage_features`).
    """
    return [
        block_on("personal_id"),
        block_on("name_folded"),
        block_on("birth_date", "given_folded"),
        block_on("birth_year", "given_folded", "middle_folded"),
        block_on("birth_year", "family_folded", "middle_folded", "substr(given_folded, 1, 1)"),
        block_on("birth_year", "family_folded", "given_folded"),
    ]


def settings(link_type: str = "link_and_dedupe") -> SettingsCreator:
    """Splink settings: the project's comparisons and blocking rules; records keyed by unique_id,
    each former unit a source dataset."""
    return SettingsCreator(
        link_type=link_type,
        comparisons=comparisons(),
        blocking_rules_to_generate_predictions=blocking_rules(),
        retain_intermediate_calculation_columns=False,
    )


EM_BLOCKINGS = (("personal_id",), ("family_folded", "given_folded"))
"""Expectation-maximisation sessions: pairs sharing an ID number teach every other comparison; pairs
sharing family and given names teach the ID number and the date of birth."""


def train_linker(features: pd.DataFrame | Sequence[pd.DataFrame], seed: int = 1) -> Linker:
    """A Linker over `features` (one frame for a dedupe of one table, or one frame per former unit
    for link-and-dedupe), trained without labels: the prior from rules that almost only pair the same
    person, u by random sampling (seeded), m by expectation maximisation on `EM_BLOCKINGS`.

    On a small batch a session can have no pair at all, or Splink 5 reaches an m of 0.0 (a level no
    pair of the session shows) or a probability of exactly 0 or 1 and fails, leaving the linker half
    changed: training then starts again without that session. With no session left, the levels keep Splink's default m values and
    the fixed ones.
    """
    frames = [features] if isinstance(features, pd.DataFrame) else list(features)
    sessions = list(EM_BLOCKINGS)
    while True:
        linker = _untrained(frames, seed)
        try:
            for columns in sessions:
                failed = columns
                linker.training.estimate_parameters_using_expectation_maximisation(block_on(*columns))
            return linker
        except (ValueError, EMTrainingException) as exc:
            # Too few pairs for this session on this batch: none at all, a level none shows (m 0.0),
            # or probabilities of exactly 0 or 1 (a math domain error in Splink's weights).
            logger.warning(
                "linkage training: EM on %s left out on this batch (%s)", "+".join(failed), type(exc).__name__
            )
            sessions.remove(failed)


def _untrained(frames: list[pd.DataFrame], seed: int) -> Linker:
    """A new Linker with its prior and u probabilities estimated (no m yet)."""

    def fresh() -> Linker:
        db = DuckDBAPI()
        tables = [db.register(frame, table_name=f"records_{i}") for i, frame in enumerate(frames)]
        return Linker(
            tables if len(tables) > 1 else tables[0],
            settings("link_and_dedupe" if len(tables) > 1 else "dedupe_only"),
            log_level=SPLINK_LOG_LEVEL,
        )

    linker = fresh()
    linker.training.estimate_probability_two_random_records_match(
        [block_on("personal_id"), block_on("name_folded", "birth_date")], recall=0.7
    )
    prior = linker.misc.save_model_to_json()["probability_two_random_records_match"]
    if not 0.0 < prior < 1.0:
        linker = fresh()  # no pair at all on a tiny batch: Splink's default prior instead of 0
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=seed)
    return linker


def cluster_records(
    record_ids: Sequence[str],
    pairs: pd.DataFrame,
    threshold: float,
    personal_ids: dict[str, str | None] | None = None,
    cannot_link: Sequence[tuple[str, str]] = (),
    must_link: Sequence[tuple[str, str]] = (),
) -> dict[str, str]:
    """Persons from scored pairs: record id → cluster id (the smallest record id of the cluster).

    pairs: columns unique_id_l, unique_id_r, match_probability (0..1), e.g. Splink's predictions.
    Pairs at or above `threshold` are merged strongest first (union-find), except when the merge would
    put two different well-formed 12-digit ID numbers in one person (`personal_ids`: record id → ID or
    None) or join two records an archivist said are different (`cannot_link`): the hard rule holds for
    the whole cluster, so a third record can never chain two ID holders together. `must_link` pairs (an
    archivist's accepted matches) are merged first, whatever their score, under the same rule. Every
    record of `record_ids` ends in exactly one cluster (a record without a pair is its own person).
    """
    parent = {r: r for r in record_ids}
    ids: dict[str, set[str]] = {
        r: ({personal_ids[r]} if personal_ids and _well_formed(personal_ids.get(r)) else set())
        for r in record_ids
    }
    apart: dict[str, set[str]] = {r: set() for r in record_ids}
    for a, b in cannot_link:
        if a in apart and b in apart:
            apart[a].add(b)
            apart[b].add(a)
    members: dict[str, set[str]] = {r: {r} for r in record_ids}

    def find(r: str) -> str:
        while parent[r] != r:
            parent[r] = parent[parent[r]]
            r = parent[r]
        return r

    def merge(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra == rb or (ids[ra] and ids[rb] and ids[ra] != ids[rb]):
            return
        if apart[ra] & members[rb] or apart[rb] & members[ra]:
            return
        if len(members[ra]) < len(members[rb]):
            ra, rb = rb, ra
        parent[rb] = ra
        members[ra] |= members.pop(rb)
        ids[ra] |= ids.pop(rb)
        apart[ra] |= apart.pop(rb)

    for a, b in must_link:
        if a in parent and b in parent:
            merge(a, b)
    strong = pairs[pairs["match_probability"] >= threshold].sort_values(
        ["match_probability", "unique_id_l", "unique_id_r"], ascending=[False, True, True]
    )
    for a, b in zip(strong["unique_id_l"], strong["unique_id_r"], strict=True):
        if a in parent and b in parent:
            merge(str(a), str(b))
    return {r: min(members[find(r)]) for r in record_ids}


def _well_formed(number: str | None) -> bool:
    """A 12-digit number that passes the structure rules (`sapnhap.personal_id`)."""
    return isinstance(number, str) and len(number) == 12 and number.isdigit() and _decode(number) is not None


MODEL_FORMAT = "sapnhap-linkage/1"
DEFAULT_MODEL_PATH = Path(__file__).resolve().parent / "reference" / "linkage_model.json"
"""The model shipped with the code (trained on generated records); absent until one is shipped."""
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


def save_model(linker: Linker, path: str | Path) -> str:
    """Write the trained model as JSON (Splink's model with `sapnhap` metadata: format, structure
    version, when trained); returns the version. The folder is created if needed. An m or u
    probability of 0.0 (a level never seen in training) is written as `NEVER`."""
    import json
    from datetime import UTC, datetime

    model = linker.misc.save_model_to_json()
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
) -> Linker:
    """A Linker over `features` with the model saved at `path` (no training).

    link_type: Splink's link type for this use of the model ("dedupe_only", "link_only",
    "link_and_dedupe"); default the one it was trained with. Incremental linkage scores a new batch
    against the records already linked with "link_only" and within itself with "dedupe_only".
    explain: predictions also carry each comparison's match weight (`mw_<comparison>`, and
    `mw_tf_adj_<comparison>` where term frequencies adjust it), for an archivist's evidence.

    Raises:
        FileNotFoundError: when there is no model at `path`.
        ValueError: when the file is not a sapnhap model, or its structure differs from this code's
            (`model_version` of `settings()`): retrain it (`train_linker`, `save_model`).
    """
    import json

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
    if link_type is not None:
        model["link_type"] = link_type
    if explain:
        model["retain_intermediate_calculation_columns"] = True
    frames = [features] if isinstance(features, pd.DataFrame) else list(features)
    db = DuckDBAPI()
    tables = [db.register(frame, table_name=f"records_{i}") for i, frame in enumerate(frames)]
    return Linker(tables if len(tables) > 1 else tables[0], model, log_level=SPLINK_LOG_LEVEL)


RECORD_INPUT_COLUMNS = [
    "record_id", "source", "role", "full_name", "birth_date", "birth_year", "sex", "personal_id",
    "residence", "father_name", "mother_name",
]  # fmt: skip


def records_from_source(source: pd.DataFrame) -> pd.DataFrame:
    """Person records for `linkage_features` from the `source_records` table (one row per field).

    One row per person record (role not empty) with the values read for it: full name, date and year
    of birth, sex, ID number, residence, and for a child of a birth extract the names of the father
    and mother named in the same document. `source` is the former unit's code. Columns
    RECORD_INPUT_COLUMNS; a value not found is None.
    """
    found = source[(source["role"] != "") & (source["status"] == "found")]
    wide = found.pivot_table(index="record_id", columns="field", values="value", aggfunc="first")
    people = (
        source[source["role"] != ""][["record_id", "former_unit_code", "file_sha256", "first_page", "role"]]
        .drop_duplicates("record_id")
        .set_index("record_id")
    )
    out = pd.DataFrame(index=people.index)
    out["source"] = people["former_unit_code"]
    out["role"] = people["role"]
    for field in ("full_name", "birth_date", "birth_year", "sex", "personal_id", "residence"):
        out[field] = wide[field].reindex(out.index) if field in wide else None
    names = out["full_name"].to_dict()
    document = {r: rid.rsplit(":", 1)[0] for r, rid in zip(out.index, out.index, strict=True)}
    for parent in ("father", "mother"):
        out[f"{parent}_name"] = [
            names.get(f"{document[r]}:{parent}") if role == "child" else None
            for r, role in zip(out.index, out["role"], strict=True)
        ]
    out = out.reset_index()
    return out[RECORD_INPUT_COLUMNS].astype(object).where(out[RECORD_INPUT_COLUMNS].notna(), None)


@dataclass(frozen=True)
class Thresholds:
    """Match-probability thresholds (0..1): pairs at or above `auto_merge` are merged without review,
    pairs from `review` up to `auto_merge` go to an archivist, pairs below `review` are distinct."""

    review: float
    auto_merge: float


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
