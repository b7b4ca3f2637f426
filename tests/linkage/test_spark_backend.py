"""The Spark backend of the linkage (`SAPNHAP_LINKAGE_BACKEND=spark`) gives DuckDB's pairs.

The slow test starts a local SparkSession (`sapnhap.linkage.backends.spark_session`): it needs Java
(skipped without it, failed without it when CI=true) and pyspark (a dev dependency).
"""

import logging
import os
import shutil
import subprocess
import sys
import time

import duckdb
import pandas as pd
import pytest
import sqlglot
from sqlglot import exp

from sapnhap.linkage.backends import BACKENDS, check_backend, db_api
from sapnhap.linkage.features import linkage_features
from sapnhap.linkage.model import (
    ANAGRAM_KEY,
    DEFAULT_MODEL_PATH,
    DEFAULT_THRESHOLDS,
    blocking_rules,
    calibrate_prior,
    load_linker,
    model_in_dialect,
    model_version,
    settings,
)
from sapnhap.samples.records import RecordsConfig, write_records

TOLERANCE = 1e-12
"""Match probabilities (and the calibrated prior) of one pair on the two backends differ by at most
this. Measured: 2.2e-16 to 4.4e-16, the last bits of a double (the engines add the match weights in
another order); the pairs, their comparison levels and blocking rule are identical."""


def _conditions(dialect: str) -> list[str]:
    model = settings("link_and_dedupe", dialect).create_settings_dict(dialect)
    levels = [level["sql_condition"] for c in model["comparisons"] for level in c["comparison_levels"]]
    return levels + [r["blocking_rule"] for r in model["blocking_rules_to_generate_predictions"]]


def test_duckdb_settings_keep_the_shipped_models_version():
    # The Spark forms are added beside the DuckDB SQL, which stays as the shipped model was trained with.
    shipped = pd.read_json(DEFAULT_MODEL_PATH, typ="series")
    assert model_version(settings().create_settings_dict("duckdb")) == shipped["sapnhap"]["version"]
    assert settings().create_settings_dict("duckdb") == settings(
        "link_and_dedupe", "duckdb"
    ).create_settings_dict("duckdb")


def test_every_hand_written_condition_has_a_spark_form():
    duck, spark = _conditions("duckdb"), _conditions("spark")
    assert len(duck) == len(spark)
    columns = {
        column.name
        for sql in duck
        if sql != "ELSE"
        for column in sqlglot.parse_one(sql, read="duckdb").find_all(exp.Column)
    }
    assert {"birth_year_l", "birth_day_r", "personal_id_l", "name_only_key"} <= columns
    for sql in spark:
        if sql == "ELSE":
            continue
        tree = sqlglot.parse_one(sql, read="spark")  # Splink reads the Spark SQL as sqlglot's spark dialect
        # A double-quoted "birth_year_l" would be a string literal in Spark SQL: every column of the
        # DuckDB form is a column (backquoted or bare) in the Spark form, never a string.
        strings = {s.this for s in tree.find_all(exp.Literal) if s.is_string}
        assert not strings & columns, sql
        assert '"' not in sql, sql
        # DuckDB-only functions have no place in Spark SQL.
        for duckdb_only in (
            "list_sort",
            "string_split",
            "str_split",
            "array_to_string",
            "jaro_winkler_similarity",
        ):
            assert duckdb_only not in sql.lower(), sql
    # The day/month swap, one-digit-off and same-year levels are the DuckDB ones, translated.
    assert "`birth_day_l` = `birth_month_r` AND `birth_month_l` = `birth_day_r`" in " ".join(spark)
    assert any(s.upper().startswith("LEVENSHTEIN(`PERSONAL_ID_L`") for s in spark)


def test_the_anagram_key_has_a_spark_form():
    names = ["anh", "nah", "thanh", "", "hung"]
    frame = pd.DataFrame({"given_folded": names})
    con = duckdb.connect()
    con.register("t", frame)
    got = [r[0] for r in con.execute(f"SELECT {ANAGRAM_KEY['duckdb']} FROM t").fetchall()]
    assert got == ["ahn", "ahn", "ahhnt", "", "ghnu"]
    # The Spark form is array_join(array_sort(split(…))) (run on Spark by the slow test: Anh/Nah).
    tree = sqlglot.parse_one(ANAGRAM_KEY["spark"], read="spark")
    assert isinstance(tree, exp.ArrayToString) and isinstance(tree.this, exp.ArraySort), tree
    assert set(ANAGRAM_KEY) == set(BACKENDS)


def test_backend_names_are_checked():
    assert check_backend("duckdb") == "duckdb"
    with pytest.raises(ValueError, match="linkage backend 'sqlite'"):
        db_api("sqlite")
    with pytest.raises(ValueError, match="not one of duckdb, spark"):
        blocking_rules("postgres")


def test_the_backend_is_a_setting_of_the_project_and_the_resource():
    from resources import LinkageModel
    from resources.settings import ProjectSettings

    assert ProjectSettings.from_env({}).linkage_backend == "duckdb"
    assert ProjectSettings.from_env({"SAPNHAP_LINKAGE_BACKEND": "spark"}).linkage_backend == "spark"
    with pytest.raises(ValueError, match="SAPNHAP_LINKAGE_BACKEND='Spark' is not one of duckdb, spark"):
        ProjectSettings.from_env({"SAPNHAP_LINKAGE_BACKEND": "Spark"})
    assert LinkageModel(model_path="m.json").linkage_backend() == "duckdb"
    with pytest.raises(ValueError, match="linkage backend 'duck'"):
        LinkageModel(model_path="m.json", backend="duck").linkage_backend()


@pytest.mark.slow
def test_the_linkage_does_not_load_pyspark_on_duckdb():
    # pyspark is loaded only when the Spark backend is used. (pandera, which sapnhap.records uses,
    # imports pyspark.pandas by itself whenever pyspark is installed: that module is left out here.)
    code = (
        "import sys, sapnhap, resources, sapnhap.linkage.model as m, sapnhap.linkage.scoring;"
        "m.db_api('duckdb'); print(sorted(k for k in sys.modules if k.split('.')[0] == 'pyspark'))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"


def test_a_saved_model_in_spark_sql_keeps_its_parameters():
    model = pd.read_json(DEFAULT_MODEL_PATH, typ="series").to_dict()
    model.pop("sapnhap")
    spark = model_in_dialect(model, "spark")
    assert spark["sql_dialect"] == "spark"
    for a, b in zip(model["comparisons"], spark["comparisons"], strict=True):
        for la, lb in zip(a["comparison_levels"], b["comparison_levels"], strict=True):
            assert {k: v for k, v in la.items() if k != "sql_condition"} == {
                k: v for k, v in lb.items() if k != "sql_condition"
            }
    assert spark["probability_two_random_records_match"] == model["probability_two_random_records_match"]
    assert model["sql_dialect"] == "duckdb"  # the input is left as it was


def _person(record_id, source, name, born, **extra):
    return {
        "record_id": record_id,
        "source": source,
        "full_name": name,
        "birth_date": born,
        "birth_year": born[:4],
        "sex": "",
        "personal_id": "",
        **extra,
    }


# Pairs planted for the levels a small generated batch may not show: day and month swapped, a date
# and an ID number one digit off, a given name one letter off (Damerau-Levenshtein 1) and close by
# Jaro-Winkler, parents' names close, the given name's letters swapped (anagram blocking rule).
PLANTED = [
    _person("p:1", "14479", "Lê Văn Thành", "1970-03-11", personal_id="037070001234"),
    _person("p:2", "14488", "Lê Văn Thành", "1970-11-03", personal_id="037070001234"),
    _person("p:3", "14479", "Phạm Thị Hoa", "1985-07-21", personal_id="037185009876"),
    _person("p:4", "14503", "Phạm Thị Hoà", "1985-07-27", personal_id="037185009871"),
    _person("p:5", "14479", "Đỗ Quang Anh", "1992-01-05", father_name="Đỗ Quang Minh", mother_name="Vũ Thị Lan"),
    _person("p:6", "14488", "Đỗ Quang Nah", "1992-01-05", father_name="Đỗ Quang Mính", mother_name="Vũ Thị Lam"),
    _person("p:7", "14479", "Hoàng Văn Khương", "1966-09-30"),
    _person("p:8", "14503", "Hoàng Văn Khươn", "1966-09-30"),
]  # fmt: skip


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    out = tmp_path_factory.mktemp("spark-records")
    write_records(RecordsConfig(records=600, duplicate_share=0.5), out)
    records = pd.read_parquet(out / "records.parquet")
    return pd.concat([records, pd.DataFrame(PLANTED)], ignore_index=True).fillna({"entity_id": ""})


def _need_java():
    if shutil.which("java") is None:
        if os.environ.get("CI") == "true":
            pytest.fail(
                "the Spark backend test needs Java (a JDK 17 or 21 on PATH); CI=true does not skip it"
            )
        pytest.skip("no `java` on PATH: the Spark backend cannot start")


def _scored(frames, backend):
    started = time.perf_counter()
    linker = load_linker(frames, DEFAULT_MODEL_PATH, explain=True, backend=backend)
    prior = calibrate_prior(linker)
    pairs = linker.inference.predict(threshold_match_probability=0.0).as_pandas_dataframe()
    pairs = pairs.set_index(["unique_id_l", "unique_id_r"]).sort_index()
    return prior, pairs, time.perf_counter() - started


@pytest.mark.slow
def test_spark_and_duckdb_give_the_same_pairs(batch):
    _need_java()
    logging.getLogger("splink").setLevel(logging.ERROR)
    features = linkage_features(batch)
    frames = [frame.reset_index(drop=True) for _, frame in features.groupby("source_dataset")]
    duck_prior, duck, duck_seconds = _scored(frames, "duckdb")
    spark_prior, spark, spark_seconds = _scored(frames, "spark")
    print(
        f"{len(batch)} records, {len(duck)} candidate pairs: DuckDB {duck_seconds:.1f} s, Spark {spark_seconds:.1f} s"
    )

    # The prior calibrated on the batch, the candidate pairs, every comparison's level and the match
    # probabilities are the same on both engines.
    assert spark_prior == pytest.approx(duck_prior, rel=TOLERANCE)
    assert list(spark.index) == list(duck.index)
    gammas = [c for c in duck.columns if c.startswith("gamma_")]
    assert len(gammas) == 10
    pd.testing.assert_frame_equal(spark[gammas].astype(int), duck[gammas].astype(int))
    assert (spark["match_key"].astype(int) == duck["match_key"].astype(int)).all()
    difference = (spark["match_probability"] - duck["match_probability"]).abs().max()
    assert difference <= TOLERANCE, difference
    print(f"largest difference of a match probability: {difference:.3g}")

    review = DEFAULT_THRESHOLDS.review
    above = {
        backend: set(frame.index[frame["match_probability"] >= review])
        for backend, frame in (("duckdb", duck), ("spark", spark))
    }
    assert above["spark"] == above["duckdb"]
    assert len(above["duckdb"]) >= 50
    # Every level of the name, date, ID number and parent comparisons is reached by some pair, so
    # each hand-written Spark condition was compared with its DuckDB form above.
    shown = {c: {int(v) for v in duck[c].unique()} for c in gammas}
    print("levels shown:", {c: sorted(v) for c, v in shown.items()})
    assert {0, 1, 2, 3, 4} <= shown["gamma_family"] & shown["gamma_given"]
    assert {-1, 1, 2, 3, 4, 5} <= shown["gamma_birth_date"]
    assert {-1, 0, 1, 2} <= shown["gamma_personal_id"] & shown["gamma_mother_folded"]
    assert _pair(spark, "p:1", "p:2")["gamma_birth_date"] == 4  # day and month swapped
    assert _pair(spark, "p:3", "p:4")["gamma_birth_date"] == 3  # one digit off
    assert _pair(spark, "p:3", "p:4")["gamma_personal_id"] == 1  # one digit off
    # Anh/Nah meet only on the anagram rule (the eighth, match_key 7), in its Spark form here.
    assert int(_pair(spark, "p:5", "p:6")["match_key"]) == 7
    assert frozenset(("p:5", "p:6")) in {frozenset(p) for p in above["spark"]}


def _pair(frame, a, b):
    return frame.loc[(a, b)] if (a, b) in frame.index else frame.loc[(b, a)]
