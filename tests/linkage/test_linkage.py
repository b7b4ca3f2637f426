"""Record linkage building blocks: DuckDB string distances on Vietnamese, features, blocking, a model."""

import itertools
import json
import logging
import unicodedata

import duckdb
import pandas as pd
import pytest
from rapidfuzz.distance import JaroWinkler

from sapnhap.evaluation.scores import pairwise_linkage_scores
from sapnhap.linkage.clusters import cluster_records, dates_agree, relatives_of
from sapnhap.linkage.features import FEATURE_COLUMNS, NAME_ONLY_BLOCK_MAX, linkage_features
from sapnhap.linkage.model import (
    DEFAULT_MODEL_PATH,
    DEFAULT_THRESHOLDS,
    Thresholds,
    blocking_rules,
    calibrate_prior,
    choose_thresholds,
    load_linker,
    model_version,
    save_model,
    scaled_thresholds,
    settings,
    train_linker,
)
from sapnhap.reference.personal_id import check_personal_id
from sapnhap.samples.records import RecordsConfig, write_records


def test_duckdb_string_distances_count_characters_not_utf8_bytes():
    con = duckdb.connect()
    row = con.execute(
        "SELECT length('Nguyễn'), strlen('Nguyễn'), levenshtein('Hùng', 'Hưng'), levenshtein('ễ', 'e'),"
        " jaro_winkler_similarity('Nguyễn', 'Nguyen'), damerau_levenshtein('Đặng', 'Đăng')"
    ).fetchone()
    length, octets, hung, e, jw, dang = row
    assert (length, octets) == (6, 8)  # 6 characters, 8 UTF-8 bytes
    assert (hung, e, dang) == (1, 1, 1)  # one character apart, although 2-3 bytes differ
    assert jw == pytest.approx(JaroWinkler.similarity("Nguyễn", "Nguyen"))  # rapidfuzz counts characters
    # The same text decomposed (NFD) is longer: features are NFC so distances mean what they say.
    assert con.execute("SELECT length(?)", [unicodedata.normalize("NFD", "Nguyễn")]).fetchone()[0] == 8


def test_features_fold_names_and_read_sex_and_year_from_the_id():
    records = pd.DataFrame(
        [
            ("u1:a", "14479", "NGUYỄN VĂN HÙNG", "1960-04-12", "1960", "male", "", "child", ""),
            ("u2:b", "14488", "Nguyen Van Hung", "", "", "", "037060001234", "father", "Thôn 3, Xã Gia Vân"),
            ("u2:c", "14488", "Đặng Thị Mai", "", "1955", "", "", "mother", ""),
        ],
        columns=["record_id", "source", "full_name", "birth_date", "birth_year", "sex", "personal_id", "role",
                 "residence"],
    )  # fmt: skip
    features = linkage_features(records)
    assert list(features.columns) == FEATURE_COLUMNS
    first, second, third = features.to_dict("records")
    assert (first["full_name"], first["family"], first["middle"], first["given"]) == (
        "Nguyễn Văn Hùng", "Nguyễn", "Văn", "Hùng",
    )  # fmt: skip
    assert first["name_folded"] == second["name_folded"] == "nguyen van hung"
    assert (first["birth_month"], first["birth_day"]) == ("04", "12")
    # The ID number 037 0 60 …: a man born in 1960 (century digit 0, year 60), kept as text.
    assert (second["personal_id"], second["birth_year"], second["sex"]) == ("037060001234", "1960", "male")
    assert (second["residence_folded"], second["commune_folded"]) == ("thon 3, xa gia van", "xa gia van")
    assert (third["family_folded"], third["sex"], third["birth_year"]) == ("dang", "female", "1955")


BASE = {
    "full_name": "Nguyễn Văn Hùng",
    "birth_date": "1960-04-12",
    "personal_id": "037060001234",
    "residence": "Thôn 3, Xã Gia Vân, Tỉnh Ninh Bình",
}


@pytest.mark.parametrize(
    ("other", "found_by"),
    [
        # The example: Hưng for Hùng and no ID; equal once folded, same date and given name.
        ({"full_name": "Nguyễn Văn Hưng", "personal_id": ""}, [0, 0, 0, 1, 1, 1, 1, 1, 1, 1]),
        ({"full_name": "Nguyễn Văn Hùg"}, [1, 0, 0, 0, 0, 1, 0, 0, 0, 0]),  # a typo in the given name
        ({"full_name": "Ngyễn Văn Hùng", "personal_id": ""}, [0, 0, 0, 1, 1, 0, 0, 0, 0, 0]),  # family name
        ({"full_name": "Nguyễn Vn Hùng", "personal_id": ""}, [0, 0, 0, 1, 0, 0, 0, 0, 1, 0]),  # middle name
        ({"full_name": "Nguyễn Văn Kùng", "personal_id": ""}, [0, 0, 0, 0, 0, 0, 1, 0, 0, 0]),  # first letter
        ({"full_name": "Nguyễn Văn Ùhng", "personal_id": ""}, [0, 0, 0, 0, 0, 0, 0, 1, 0, 0]),  # two swapped
        ({"birth_date": "1960-04-21", "personal_id": ""}, [0, 0, 0, 0, 1, 1, 1, 1, 1, 0]),  # another date
        ({"birth_date": "", "personal_id": "", "residence": ""}, [0, 0, 1, 0, 0, 0, 0, 0, 0, 0]),  # no year
        ({"birth_date": "1950-04-12", "personal_id": "", "residence": ""}, [0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
        # Another ID and year, the address in its former form (Xã Gia Lập became part of Xã Gia Vân).
        (
            {
                "personal_id": "037060001235",
                "birth_date": "1961-04-12",
                "residence": "Thôn 3, Xã Gia Lập, Huyện Gia Viễn, Tỉnh Ninh Bình",
            },
            [0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
        ),
    ],
)
@pytest.mark.slow
def test_blocking_union_finds_a_pair_that_differs_in_one_field(other, found_by):
    rows = [BASE, {**BASE, **other}]
    records = pd.DataFrame(
        {
            "record_id": ["a", "b"],
            "source": ["14479", "14488"],
            "full_name": [r["full_name"] for r in rows],
            "birth_date": [r["birth_date"] for r in rows],
            "birth_year": [r["birth_date"][:4] for r in rows],
            "sex": ["male", "male"],
            "personal_id": [r["personal_id"] for r in rows],
            "residence": [r["residence"] for r in rows],
        }
    )
    con = duckdb.connect()
    con.register("f", linkage_features(records))
    hits = []
    for rule in blocking_rules():
        condition = rule.get_blocking_rule("duckdb").blocking_rule_sql
        query = f"SELECT count(*) FROM f AS l JOIN f AS r ON l.unique_id < r.unique_id AND {condition}"
        hits.append(con.execute(query).fetchall()[0][0])
    assert hits == found_by  # rules in the order of blocking_rules()'s docstring


def test_a_name_carried_by_many_records_without_a_year_is_not_a_block_by_itself():
    """A register names parents by name only: past NAME_ONLY_BLOCK_MAX namesakes without a year, the
    name alone pairs no one (3,000 such rows made 1.1 million candidate pairs); a rarer name still does."""
    many = NAME_ONLY_BLOCK_MAX + 1
    names = ["Nguyễn Văn An"] * many + ["Trần Thị Bình"] * 3 + ["Nguyễn Văn An", "Trần Thị Bình"]
    years = [""] * (many + 3) + ["1970", "1972"]
    records = pd.DataFrame(
        {
            "record_id": [f"r{i}" for i in range(len(names))],
            "source": ["14479"] * len(names),
            "full_name": names,
            "birth_date": [""] * len(names),
            "birth_year": years,
        }
    )
    features = linkage_features(records)
    keys = [k if isinstance(k, str) else None for k in features["name_only_key"]]
    assert keys[:many] == [None] * many
    assert keys[many : many + 3] == ["tran thi binh"] * 3
    assert keys[-2:] == [None, None]  # a record with a year has no name-only key
    con = duckdb.connect()
    con.register("f", features)
    pairs = set()
    for rule in blocking_rules()[1:3]:
        condition = rule.get_blocking_rule("duckdb").blocking_rule_sql
        query = f"SELECT l.unique_id, r.unique_id FROM f AS l JOIN f AS r ON l.unique_id < r.unique_id AND {condition}"
        pairs |= set(con.execute(query).fetchall())
    binh = [f"r{i}" for i in range(many, many + 3)] + [f"r{len(names) - 1}"]
    assert pairs == set(itertools.combinations(sorted(binh), 2))


@pytest.fixture(scope="module")
def generated_records(tmp_path_factory):
    out = tmp_path_factory.mktemp("linkage-records")
    write_records(RecordsConfig(records=5000), out)
    return pd.read_parquet(out / "records.parquet")


@pytest.mark.slow
def test_trained_model_links_the_generated_duplicates(generated_records):
    logging.getLogger("splink").setLevel(logging.WARNING)
    records = generated_records
    linker = train_linker(linkage_features(records))
    predictions = linker.inference.predict(threshold_match_probability=0.01)
    truth = dict(zip(records["record_id"], records["entity_id"], strict=True))
    scores = {}
    for threshold in (0.8, 0.99):
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, threshold)
        frame = clusters.as_pandas_dataframe()
        scores[threshold] = pairwise_linkage_scores(
            truth, dict(zip(frame["unique_id"], frame["cluster_id"], strict=True))
        )
    true_pairs = sum(
        len(list(itertools.combinations(g, 2))) for _, g in records.groupby("entity_id")["record_id"]
    )
    assert scores[0.8]["pairwise"]["tp"] + scores[0.8]["pairwise"]["fn"] == true_pairs > 500
    # Measured on this batch: F1 0.934 at 0.8, precision 0.992 at 0.99 (Splink's own clustering).
    assert scores[0.8]["pairwise"]["f1"] >= 0.9
    assert scores[0.99]["pairwise"]["precision"] >= 0.98
    # The project's clustering keeps the hard rule: no person holds two different well-formed ID numbers.
    features = linkage_features(records)
    personal_ids = dict(zip(features["unique_id"], features["personal_id"], strict=True))
    persons = cluster_records(
        list(features["unique_id"]), predictions.as_pandas_dataframe(), 0.8, personal_ids
    )
    held: dict[str, set[str]] = {}
    for record, person in persons.items():
        if isinstance(personal_ids[record], str) and not check_personal_id(personal_ids[record]):
            held.setdefault(person, set()).add(personal_ids[record])
    assert max(len(v) for v in held.values()) == 1
    assert pairwise_linkage_scores(truth, persons)["pairwise"]["f1"] >= 0.9


def test_clusters_never_join_two_id_holders_even_through_a_third_record():
    ids = {"a": "037060001234", "b": None, "c": "037060005678", "d": None, "e": None}
    pairs = pd.DataFrame(
        [("a", "b", 0.99), ("b", "c", 0.98), ("d", "e", 0.5), ("a", "d", 0.2)],
        columns=["unique_id_l", "unique_id_r", "match_probability"],
    )
    clusters = cluster_records(list(ids), pairs, 0.9, ids)
    # a-b merged first; b-c would chain c's ID to a's: refused. d-e is below the threshold.
    assert clusters == {"a": "a", "b": "a", "c": "c", "d": "d", "e": "e"}
    # Without IDs the chain is formed; an archivist's cannot-link keeps a and c apart again.
    plain = cluster_records(list(ids), pairs, 0.9)
    assert plain["c"] == plain["a"] == "a"
    assert cluster_records(list(ids), pairs, 0.9, cannot_link=[("c", "a")])["c"] == "c"
    # An accepted pair is merged whatever its score; the ID rule still holds for it.
    accepted = cluster_records(list(ids), pairs, 0.9, ids, must_link=[("d", "e"), ("a", "c")])
    assert accepted["e"] == "d" and accepted["c"] == "c"
    # A malformed number (11 digits) is no ID holder for the rule.
    assert cluster_records(["x", "y"], pairs.iloc[0:0], 0.9, {"x": "03706000123", "y": None}) == {
        "x": "x",
        "y": "y",
    }


def test_automatic_merges_keep_one_date_of_birth_per_person():
    # b prints no date: a-b and b-c both score high, but a and c print other days of birth.
    born = {"a": "1976-05-14", "b": None, "c": "1976-07-31", "d": "1976-05-19", "e": "1976-14-05"}
    pairs = pd.DataFrame(
        [("a", "b", 0.999), ("b", "c", 0.998), ("a", "d", 0.995), ("a", "e", 0.994)],
        columns=["unique_id_l", "unique_id_r", "match_probability"],
    )
    clusters = cluster_records(list(born), pairs, 0.99, birth_dates=born)
    # d is a one-digit slip of a's date and joins it; e swaps a's day and month but agrees with
    # none of d's: every date of a person must agree with one of the other's, so e waits for review.
    assert clusters == {"a": "a", "b": "a", "c": "c", "d": "a", "e": "e"}
    assert cluster_records(["a", "e"], pairs.tail(1), 0.99, birth_dates=born) == {"a": "a", "e": "a"}
    # Without the dates the record without one chains the two namesakes together.
    assert cluster_records(list(born), pairs, 0.99)["c"] == "a"
    # An archivist's accepted pair is merged although the dates differ (the archivist saw the pages).
    assert cluster_records(list(born), pairs, 0.99, must_link=[("a", "c")], birth_dates=born)["c"] == "a"
    assert (dates_agree("1960-04-12", "1960-12-04"), dates_agree("1960-04-12", "1961-05-12")) == (True, False)
    # One identity number printed in both (any scheme of six digits or more): the date is a slip.
    one = pd.DataFrame([("a", "c", 0.999)], columns=["unique_id_l", "unique_id_r", "match_probability"])
    same_number = {"a": "5033334", "c": "5033334"}
    assert cluster_records(["a", "c"], one, 0.99, same_number, birth_dates=born) == {"a": "a", "c": "a"}
    other_number = {"a": "5033334", "c": "5033335"}
    assert cluster_records(["a", "c"], one, 0.99, other_number, birth_dates=born) == {"a": "a", "c": "c"}


def test_auto_merge_threshold_rises_with_the_batch():
    base = Thresholds(review=0.5, auto_merge=0.99)
    assert scaled_thresholds(base, 100_000) == base
    assert scaled_thresholds(base, 200_000) == Thresholds(review=0.5, auto_merge=0.995)
    assert scaled_thresholds(base, 500_000).auto_merge == 0.998
    assert scaled_thresholds(base, 1_000_000).auto_merge == 0.999
    assert scaled_thresholds(Thresholds(review=0.5, auto_merge=1.0), 10**7).auto_merge == 1.0


def test_automatic_merges_keep_one_name_per_relative():
    # Namesakes of one year and village: p and q name other spouses, r names p's spouse with a slip
    # and s names no relative; the father of t is one character off p's, u's is another man.
    features = pd.DataFrame(
        {
            "unique_id": ["p", "q", "r", "s", "t", "u"],
            "spouse_folded": ["do thi hanh", "vu thi nga", "do thi hahn", None, "", None],
            "father_folded": ["pham van tu", None, None, None, "pham van tuu", "le van tam"],
        }
    )
    relatives = relatives_of(features)
    assert relatives["r"] == {"spouse": "do thi hahn"} and "s" not in relatives
    assert relatives["t"] == {"father": "pham van tuu"}  # a blank spouse is no spouse
    pairs = pd.DataFrame(
        [("p", "q", 0.999), ("p", "r", 0.998), ("q", "s", 0.997), ("p", "t", 0.996), ("p", "u", 0.995)],
        columns=["unique_id_l", "unique_id_r", "match_probability"],
    )
    clusters = cluster_records(list(features["unique_id"]), pairs, 0.99, relatives=relatives)
    assert clusters == {"p": "p", "q": "q", "r": "p", "s": "q", "t": "p", "u": "u"}
    # Without the rule every record is one person; an archivist's pair still merges across it.
    assert set(cluster_records(list(features["unique_id"]), pairs, 0.99).values()) == {"p"}
    accepted = cluster_records(["p", "q"], pairs.head(1), 0.99, must_link=[("p", "q")], relatives=relatives)
    assert accepted == {"p": "p", "q": "p"}


@pytest.mark.slow
def test_saved_model_is_reused_and_refused_when_edited(generated_records, tmp_path):
    logging.getLogger("splink").setLevel(logging.WARNING)
    features = linkage_features(generated_records.head(2000))  # a small batch trains too
    linker = train_linker(features)
    path = tmp_path / "models" / "linkage.json"
    version = save_model(linker, path)
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["sapnhap"]["version"] == version and len(version) == 12
    assert len(saved["comparisons"]) == 10  # a session Splink refused on this small batch left none out
    before = linker.inference.predict(threshold_match_probability=0.5).as_pandas_dataframe()
    after = (
        load_linker(features, path).inference.predict(threshold_match_probability=0.5).as_pandas_dataframe()
    )
    merged = before.merge(after, on=["unique_id_l", "unique_id_r"], suffixes=("_trained", "_loaded"))
    assert len(merged) == len(before) == len(after) > 0
    assert (merged["match_probability_trained"] - merged["match_probability_loaded"]).abs().max() < 1e-12
    # A model whose comparisons were edited by hand is refused, not silently used.
    saved["comparisons"][0]["comparison_levels"][1]["sql_condition"] = "1 = 1"
    path.write_text(json.dumps(saved), encoding="utf-8")
    with pytest.raises(ValueError, match="edited after training"):
        load_linker(features, path)
    path.write_text("{}", encoding="utf-8")
    with pytest.raises(ValueError, match="not a sapnhap linkage model"):
        load_linker(features, path)


@pytest.mark.slow
def test_a_tiny_batch_still_trains_and_scores(generated_records):
    logging.getLogger("splink").setLevel(logging.ERROR)
    features = linkage_features(generated_records.head(15))
    linker = train_linker(features)  # no pair for some sessions, none for the prior: no failure
    pairs = linker.inference.predict(threshold_match_probability=0.0).as_pandas_dataframe()
    assert len(pairs) >= 1 and pairs["match_probability"].between(0.0, 1.0).all()
    assert len(linker.misc.save_model_to_json()["comparisons"]) == 10


def test_thresholds_are_chosen_from_measured_precision():
    def scores(precision: float | None) -> dict:
        return {"pairwise": {"precision": precision}}

    measured = {0.5: scores(0.4), 0.8: scores(0.97), 0.95: scores(0.996), 0.99: scores(1.0)}
    assert choose_thresholds(measured) == Thresholds(review=0.8, auto_merge=0.95)
    # No threshold precise enough: auto-merge only at the highest measured, review from the first useful.
    assert choose_thresholds({0.5: scores(0.6), 0.9: scores(0.9)}) == Thresholds(review=0.5, auto_merge=0.9)
    assert choose_thresholds({0.9: scores(None)}) == Thresholds(review=0.9, auto_merge=0.9)
    with pytest.raises(ValueError, match="no measured thresholds"):
        choose_thresholds({})


def test_shipped_model_matches_this_code_and_thresholds():
    model = json.loads(DEFAULT_MODEL_PATH.read_text(encoding="utf-8"))
    # A change to the comparisons or blocking rules without retraining (scripts/train_linkage_model.py)
    # fails here: the shipped model's structure version is that of this code's settings.
    assert model["sapnhap"]["version"] == model_version(settings().create_settings_dict("duckdb"))
    assert model["sapnhap"]["training"]["records"] >= 100_000
    assert DEFAULT_MODEL_PATH.stat().st_size < 300_000
    assert 0.0 < DEFAULT_THRESHOLDS.review < DEFAULT_THRESHOLDS.auto_merge < 1.0


def _person(record_id, source, name, born, **extra):
    return {
        "record_id": record_id,
        "source": source,
        "full_name": name,
        "birth_date": born if len(born) == 10 else "",
        "birth_year": born[:4],
        "sex": "",
        "personal_id": "",
        **extra,
    }


@pytest.mark.slow
def test_shipped_model_merges_a_true_pair_and_not_namesakes(generated_records):
    logging.getLogger("splink").setLevel(logging.ERROR)
    planted = pd.DataFrame(
        [
            # One man: his ID and date on a receipt, his marriage extract without the ID, names
            # typed without diacritics, the address in its former and its new form.
            _person("t:1", "14479", "Nguyễn Văn Thưởng", "1961-04-12", personal_id="037061004321",
                    residence="Thôn Hạ Phú, Xã Gia Lập, Huyện Gia Viễn, Tỉnh Ninh Bình", role="applicant"),
            _person("t:2", "14488", "Nguyen Van Thuong", "1961-04-12",
                    residence="Thôn Hạ Phú, Xã Gia Vân, Tỉnh Ninh Bình", role="husband"),
            # Two girls of one name born the same year to other parents, no ID number.
            _person("n:1", "14479", "Trần Thị Lụa", "1990-05-01", role="child",
                    father_name="Trần Văn Khánh", mother_name="Lê Thị Hoa"),
            _person("n:2", "14503", "Trần Thị Lụa", "1990-11-23", role="child",
                    father_name="Trần Quốc Bảo", mother_name="Phạm Thị Mai"),
            # Two fathers of one name, year and village, no date or ID: their children's mothers differ.
            _person("f:1", "14479", "Phạm Văn Quân", "", birth_year="1962", role="father",
                    residence="Thôn 10, Xã Gia Tân", spouse_name="Đỗ Thị Hạnh"),
            _person("f:2", "14503", "Phạm Văn Quân", "", birth_year="1962", role="father",
                    residence="Thôn 10, Xã Gia Tân", spouse_name="Vũ Thị Nga"),
            # One father named on two birth extracts, beside the same mother.
            _person("g:1", "14479", "Lê Văn Thành", "", birth_year="1958", role="father",
                    residence="Thôn 2, Xã Gia Vân", spouse_name="Hoàng Thị Yến"),
            _person("g:2", "14503", "Lê Văn Thành", "", birth_year="1958", role="father",
                    residence="Thôn 2, Xã Gia Vân", spouse_name="Hoàng Thị Yến"),
        ]
    )  # fmt: skip
    batch = pd.concat([generated_records.head(1000), planted], ignore_index=True)
    features = linkage_features(batch)
    frames = [frame.reset_index(drop=True) for _, frame in features.groupby("source_dataset")]
    linker = load_linker(frames, DEFAULT_MODEL_PATH)
    prior = calibrate_prior(linker)
    assert 1e-5 < prior < 1e-2  # a batch of a thousand records: a few hundred true pairs in half a million
    pairs = linker.inference.predict(threshold_match_probability=0.0).as_pandas_dataframe()
    score = {
        frozenset((a, b)): p
        for a, b, p in zip(
            pairs["unique_id_l"], pairs["unique_id_r"], pairs["match_probability"], strict=True
        )
    }
    true_pair, namesakes = score[frozenset(("t:1", "t:2"))], score[frozenset(("n:1", "n:2"))]
    assert true_pair >= DEFAULT_THRESHOLDS.auto_merge
    assert namesakes < DEFAULT_THRESHOLDS.review
    # The spouse named beside a father counts against two namesakes and for one man's two records;
    # the score alone still clears the auto-merge threshold for the namesakes (same name, year and
    # village outweigh one differing spouse), so the relatives rule of the clustering holds them apart.
    fathers, one_father = score[frozenset(("f:1", "f:2"))], score[frozenset(("g:1", "g:2"))]
    assert fathers < one_father
    assert DEFAULT_THRESHOLDS.auto_merge <= one_father
    ids = [str(u) for u in features["unique_id"]]
    clusters = cluster_records(ids, pairs, DEFAULT_THRESHOLDS.auto_merge, relatives=relatives_of(features))
    assert clusters["g:1"] == clusters["g:2"]
    assert clusters["t:1"] == clusters["t:2"]
    assert clusters["f:1"] != clusters["f:2"]


@pytest.mark.slow
def test_calibrated_prior_is_the_share_of_true_pairs(generated_records):
    logging.getLogger("splink").setLevel(logging.ERROR)
    records = generated_records
    linker = train_linker(linkage_features(records))
    sizes = records.groupby("entity_id").size()
    true_share = float((sizes * (sizes - 1) / 2).sum()) / (len(records) * (len(records) - 1) / 2)
    prior = linker.misc.save_model_to_json()["probability_two_random_records_match"]
    # Measured: 8.2e-5 against 8.4e-5 on this batch; the rules-and-recall estimate alone gave 4.1e-5.
    assert prior == pytest.approx(true_share, rel=0.15)


def test_features_are_arrow_backed_text_with_missing_values_as_na(generated_records):
    features = linkage_features(generated_records.head(500))
    assert list(features.columns) == FEATURE_COLUMNS
    assert all(
        str(features[c].dtype) == "string" and features[c].dtype.storage == "pyarrow" for c in features
    )
    # Arrow-backed: a few bytes per value, not a Python object each (about 60 bytes for short text).
    deep = features.memory_usage(deep=True).sum()
    assert deep < 0.5 * features.astype(object).memory_usage(deep=True).sum()
    # Unknown is NA (a record of the batch without a father's name), never the text "None" or "".
    father = features["father_folded"]
    assert father.isna().any() and not father.isin(["None", "", "nan"]).any()


def test_duckdb_linkage_connection_holds_the_memory_limit(monkeypatch):
    from sapnhap.linkage.backends import DUCKDB_MEMORY_LIMIT, db_api

    def limit() -> str:
        con = db_api("duckdb")._con  # noqa: SLF001 - the connection Splink runs its SQL on
        return con.execute("select current_setting('memory_limit')").fetchone()[0]

    monkeypatch.delenv("SAPNHAP_DUCKDB_MEMORY_LIMIT", raising=False)
    assert DUCKDB_MEMORY_LIMIT == "4GB"
    assert limit() == "3.7 GiB"  # DuckDB prints 4 GB (4 x 10^9 bytes) in GiB
    monkeypatch.setenv("SAPNHAP_DUCKDB_MEMORY_LIMIT", "512MB")
    assert limit() == "488.2 MiB"


@pytest.mark.parametrize("raw", ["lots", "0", "0GB", "-1", "2 gigabytes", "150%"])
def test_a_bad_duckdb_memory_limit_is_refused_when_the_settings_are_read(raw):
    from resources import ProjectSettings

    with pytest.raises(ValueError, match=r"SAPNHAP_DUCKDB_MEMORY_LIMIT='.*' is not a memory size"):
        ProjectSettings.from_env({"SAPNHAP_DUCKDB_MEMORY_LIMIT": raw})


@pytest.mark.parametrize("raw", ["4GB", "512mb", "1.5GiB", "75%", "2 GB"])
def test_a_duckdb_memory_limit_duckdb_reads_is_kept(raw):
    from resources import ProjectSettings

    assert ProjectSettings.from_env({"SAPNHAP_DUCKDB_MEMORY_LIMIT": raw}).duckdb_memory_limit == raw
    assert ProjectSettings.from_env({}).duckdb_memory_limit == "4GB"
    con = duckdb.connect(config={"memory_limit": raw})  # DuckDB itself takes every accepted value
    assert con.execute("select current_setting('memory_limit')").fetchone()[0]
