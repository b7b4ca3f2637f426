"""The dossier generator end to end: determinism, geography, valid values, planted duplicates, effects."""

import hashlib
import json
import random
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from sapnhap.intake.files import inspect_file
from sapnhap.reference.personal_id import check_personal_id
from sapnhap.reference.units import find_unit, mapping_table
from sapnhap.samples.generator import GeneratorConfig, generate
from sapnhap.samples.geography import ScenarioError, build_scenario
from sapnhap.samples.plan import PlanConfig, make_plan
from sapnhap.samples.records import RecordsConfig, write_records
from sapnhap.text import fold_diacritics, nfc

CONFIG = GeneratorConfig(dossiers=14, seed=7, workers=2, exact_duplicates=2, broken_files=5)


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("gen") / "sample"
    generate(CONFIG, out)
    return out


def _read(out: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(out / "ground_truth" / name, dtype=str, keep_default_na=False)


def _tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.mark.slow
def test_same_seed_same_bytes_and_truth(generated, tmp_path):
    again = tmp_path / "again"
    generate(CONFIG, again)
    assert _tree_digest(generated) == _tree_digest(again)
    other = tmp_path / "other"
    generate(GeneratorConfig(dossiers=14, seed=8, workers=1, exact_duplicates=2, broken_files=5), other)
    assert _tree_digest(generated) != _tree_digest(other)


@pytest.mark.slow
def test_worker_count_does_not_change_bytes(generated, tmp_path):
    single = tmp_path / "single"
    generate(GeneratorConfig(**{**CONFIG.__dict__, "workers": 1}), single)
    assert _tree_digest(generated) == _tree_digest(single)


def test_geography_is_the_official_merger():
    scenario = build_scenario("14488", random.Random(1))
    mapping = mapping_table()
    merged = set(mapping.loc[mapping["new_ward_code"] == "14488", "old_ward_code"])
    assert set(scenario.merged) == merged == {"14479", "14488", "14503"}
    assert scenario.new_unit_name == "Xã Gia Vân"
    assert scenario.district_code == "373" and scenario.district_name == "Huyện Gia Viễn"
    gia_tan = scenario.commune("14503")
    assert gia_tan.split and set(gia_tan.targets) == {"14488", "14533"}
    # Each target of the split commune receives at least one village; the district spans 7 new communes.
    assert {t for _, t in gia_tan.villages} == {"14488", "14533"}
    assert len(set(scenario.new_unit_names)) == 7
    with pytest.raises(ScenarioError, match="not the code of a new"):
        build_scenario("99999", random.Random(1))


def test_inbox_folders_and_file_outcomes(generated):
    files = _read(generated, "files.csv")
    assert sorted(p.name for p in (generated / "inbox").iterdir()) == ["14479", "14488", "14503", "373"]
    on_disk = {
        str(p.relative_to(generated / "inbox")) for p in (generated / "inbox").rglob("*") if p.is_file()
    }
    assert on_disk == set(files["path"])
    for row in files.itertuples():
        data = (generated / "inbox" / row.path).read_bytes()
        assert hashlib.sha256(data).hexdigest() == row.sha256
    counts = files["expected_outcome"].value_counts().to_dict()
    assert counts["duplicate"] == 2 and counts["quarantined"] == 5
    for row in files[files["expected_outcome"] == "duplicate"].itertuples():
        source = files[files["path"] == row.duplicate_of].iloc[0]
        assert source.sha256 == row.sha256 and source.folder != row.folder
    # The quarantine reason in the truth is what intake really reports.
    for row in files[files["expected_outcome"] == "quarantined"].itertuples():
        inspection = inspect_file(generated / "inbox" / row.path)
        assert inspection.quarantine_reason == row.expected_reason, row.path
    manifest = json.loads((generated / "ground_truth" / "manifest.json").read_text())
    assert manifest["counts"]["files"] == len(files) and manifest["scenario"]["split_former_communes"] == [
        "14503"
    ]


def test_generated_values_are_valid_by_the_project_rules():
    scenario = build_scenario("14488", random.Random(3))
    plan = make_plan(scenario, PlanConfig(documents=400, seed=3))
    assert len(plan.persons) > 400
    for person in plan.persons.values():
        if person.birth_date.year < 1900:  # the century digit cannot express it: no number
            assert person.personal_id is None
        else:
            assert check_personal_id(person.personal_id, person.sex, person.birth_date.year) == []
        assert person.birth_date <= date(2025, 11, 28)
        assert nfc(person.full_name) == person.full_name
        unit = find_unit(person.address.former_commune_code, "pre2025")
        assert unit is not None and unit.name == person.address.former_commune_name
        new = find_unit(person.address.new_commune_code, "post2025")
        assert new is not None and new.name == person.address.new_commune_name
        assert person.address.new_commune_code in scenario.commune(person.address.former_commune_code).targets
    for doc in plan.documents:
        for p in doc.people:
            truth = plan.persons[p.entity_id]
            if doc.doc_type == "marriage_registration":
                age = (doc.issued - truth.birth_date).days / 365.25
                assert age >= (20 if truth.sex == "male" else 18) - 0.01
            if p.role == "child":
                father = plan.persons[truth.father_id]
                mother = plan.persons[truth.mother_id]
                assert father.family_name == truth.family_name
                assert 18 <= truth.birth_date.year - mother.birth_date.year <= 45
    # The printed address form follows the document's date (before / from 1 July 2025) unless a variation says so.
    for doc in plan.documents:
        for p in doc.people:
            residence = p.printed("residence")
            if not residence or "other_address_form" in p.variations:
                continue
            assert ("Huyện" in residence) == (doc.issued < date(2025, 7, 1)), (doc.doc_id, residence)


def test_planted_duplicates_carry_their_variations():
    scenario = build_scenario("14488", random.Random(5))
    plan = make_plan(scenario, PlanConfig(documents=400, duplicate_share=0.4, seed=5))
    records = pd.DataFrame([r.__dict__ for r in plan.records])
    folders = records.groupby("entity_id")["folder"].nunique()
    # At most the three former communes and the district archive.
    assert folders.max() <= 4 and (folders >= 2).sum() >= 60
    seen: set[str] = set()
    checked = 0
    for doc in plan.documents:
        for p in doc.people:
            truth = plan.persons[p.entity_id]
            name_printed = p.fields["full_name"][1]
            if "strip_diacritics" in p.variations and not {"typo", "change_tone"} & set(p.variations):
                assert name_printed == fold_diacritics(truth.full_name) != truth.full_name
                checked += 1
            if p.variations == ("id_one_digit_wrong",) and p.printed("personal_id"):
                diff = sum(a != b for a, b in zip(p.printed("personal_id"), truth.personal_id, strict=True))
                assert diff == 1
                checked += 1
            if p.variations == ("swap_day_month",):
                got = date.fromisoformat(p.fields["birth_date"][1])
                assert (got.month, got.day) == (truth.birth_date.day, truth.birth_date.month)
                checked += 1
            if not p.variations:
                assert name_printed == truth.full_name
            seen.update(p.variations)
    assert {
        "strip_diacritics",
        "change_tone",
        "typo",
        "id_missing",
        "id_one_digit_wrong",
        "other_address_form",
    } <= seen
    assert checked >= 10


def test_rendering_effects_appear_as_recorded(generated):
    pages = _read(generated, "pages.csv")
    for row in pages[pages["format"].isin(["jpeg", "png"])].itertuples():
        with Image.open(generated / "inbox" / row.path) as image:
            landscape = image.width > image.height
            assert landscape == (row.rotation in ("90", "270")), row.path
            assert round(image.info["dpi"][0]) == int(row.dpi)
    assert set(pages["format"]) >= {"jpeg", "pdf_scan"}
    # The true text of every page is NFC; every document's first page opens with the national motto.
    documents = _read(generated, "documents.csv")
    firsts = set(zip(documents["sha256"], documents["first_page"], strict=True))
    for row in pages.itertuples():
        assert nfc(row.text) == row.text
        assert row.text.startswith("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM") == ((row.sha256, row.page) in firsts)


def test_records_only_mode_matches_the_plan_and_keeps_ids_as_strings(tmp_path):
    manifest = write_records(RecordsConfig(records=3000, seed=11), tmp_path / "r")
    records = pd.read_parquet(tmp_path / "r" / "records.parquet")
    persons = pd.read_parquet(tmp_path / "r" / "persons.parquet")
    assert len(records) == manifest["counts"]["records"] >= 3000
    assert records["personal_id"].map(lambda v: v == "" or (len(v) == 12 and v.isdigit())).all()
    assert (records["personal_id"].str.startswith("0")).sum() > 100  # leading zeros kept
    assert set(records["entity_id"]) <= set(persons["entity_id"])
    assert set(records["source"]) == {"14479", "14488", "14503", "373"}
    again = write_records(RecordsConfig(records=3000, seed=11), tmp_path / "r2")
    assert again["counts"] == manifest["counts"]
    assert (tmp_path / "r" / "records.parquet").read_bytes() == (
        tmp_path / "r2" / "records.parquet"
    ).read_bytes()
    # Repeated appearances in records-only mode are the planted duplicates.
    repeated = records[records["variations"] != ""]
    assert repeated["entity_id"].isin(records[records["variations"] == ""]["entity_id"]).mean() > 0.9


def test_refuses_to_overwrite_a_foreign_folder(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="did not generate"):
        generate(GeneratorConfig(dossiers=1), tmp_path / "x")
    with pytest.raises(ValueError, match="profile"):
        generate(GeneratorConfig(dossiers=1, profile="nope"), tmp_path / "y")


@pytest.mark.slow
def test_profile_file_sets_every_effect_and_rotated_pages_really_are_turned(generated, tmp_path):
    manifest = json.loads((generated / "ground_truth" / "manifest.json").read_text())
    profile = manifest["profile"] | {
        "name": "all-turned",
        "rotation_share": 1.0,
        "format_weights": {"jpeg": 1.0},
        "dpi_weights": {"150": 1.0},
        "batch_share": 0.0,
    }
    path = tmp_path / "turned.json"
    path.write_text(json.dumps(profile))
    out = tmp_path / "turned"
    generate(GeneratorConfig(dossiers=6, seed=3, profile=str(path), exact_duplicates=0, broken_files=0), out)
    pages = _read(out, "pages.csv")
    assert len(pages) >= 6 and set(pages["rotation"]) <= {"90", "180", "270"} and set(pages["dpi"]) == {"150"}
    for row in pages[pages["format"] == "jpeg"].itertuples():
        with Image.open(out / "inbox" / row.path) as image:
            gray = image.convert("L")
        pixels = np.asarray(gray)
        ink = [int((pixels[y0:y1, x0:x1] < 128).sum()) for x0, y0, x1, y1 in _edges(gray.size)]
        top, bottom, left, right = ink
        # The motto and title sit at the head of the page: the head is where the sheet was turned to.
        expected = {"90": right, "180": bottom, "270": left}[row.rotation]
        assert expected == max(ink), (row.path, row.rotation, ink)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"name": "x"}))
    with pytest.raises(ValueError, match="not a complete scan profile"):
        generate(GeneratorConfig(dossiers=1, profile=str(bad)), tmp_path / "bad")


def _edges(size: tuple[int, int]) -> list[tuple[int, int, int, int]]:
    """Boxes of the outer fifth of an image on each side: top, bottom, left, right."""
    w, h = size
    return [(0, 0, w, h // 5), (0, h - h // 5, w, h), (0, 0, w // 5, h), (w - w // 5, 0, w, h)]


@pytest.mark.slow
def test_long_addresses_wrap_and_units_spanning_districts_get_every_folder(tmp_path):
    # Bình Dương addresses are longer than a line; Phường Hồng Hà took communes of several districts.
    out = tmp_path / "long"
    generate(
        GeneratorConfig(new_unit="25771", dossiers=8, seed=1, workers=1, exact_duplicates=0, broken_files=0),
        out,
    )
    pages = _read(out, "pages.csv")
    assert any("Thành phố Thủ Dầu Một" in text for text in pages["text"])
    scenario = build_scenario("00097", random.Random(1))
    mapping = mapping_table()
    assert set(scenario.merged) == set(mapping.loc[mapping["new_ward_code"] == "00097", "old_ward_code"])
    assert {"00001", "00037", "00268"} <= set(scenario.merged)
    plan = make_plan(scenario, PlanConfig(documents=len(scenario.folders)))
    assert {d.folder for d in plan.documents} == set(scenario.folders)


def test_archives_hold_what_their_unit_could_issue():
    scenario = build_scenario("14488", random.Random(2))
    plan = make_plan(scenario, PlanConfig(documents=3000, duplicate_share=0.5, seed=2))
    district_names = {c.name.upper() for c in scenario.district_communes.values()}
    for doc in plan.documents:
        if doc.folder == scenario.district_code:
            # The district ceased on 1 July 2025; civil status was registered by its communes.
            assert doc.issued < date(2025, 7, 1), doc.doc_id
            if doc.doc_type.endswith("_registration"):
                assert doc.issuer.removeprefix("UBND ") in district_names, doc.issuer
        if doc.issued < date(2016, 1, 1):
            assert not any(p.printed("personal_id") for p in doc.people), doc.doc_id
    born = [p.birth_date.year for p in plan.persons.values()]
    assert min(born) >= 1900 and min(d.issued for d in plan.documents).year >= 1950
    for doc in plan.documents:
        if doc.doc_type == "marriage_registration":
            for p in doc.people:
                age = (doc.issued - plan.persons[p.entity_id].birth_date).days / 365.25
                assert 18 <= age <= 60, (doc.doc_id, age)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["dossiers", "--dossiers", "0"], "dossiers must be ≥ 1"),
        (["dossiers", "--district-share", "2"], "district share must be a share within 0–1"),
        (["dossiers", "--workers", "0"], "workers must be ≥ 1"),
        (["dossiers", "--new-unit", "99999"], "not the code of a new"),
        (["records", "--duplicates", "2"], "duplicate share must be a share within 0–1"),
    ],
)
def test_command_line_gives_one_line_errors(args, message, tmp_path, capsys):
    from sapnhap.samples.__main__ import main

    assert main([*args, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_command_line_refuses_unusable_outputs_and_bad_profiles(tmp_path, capsys):
    from sapnhap.samples.__main__ import main

    a_file = tmp_path / "f"
    a_file.write_text("x")
    assert main(["dossiers", "--out", str(a_file)]) == 2
    assert "is a file" in capsys.readouterr().err
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "x.txt").write_text("keep")
    assert main(["records", "--records", "10", "--out", str(tmp_path / "mine")]) == 2
    assert "did not write" in capsys.readouterr().err
    assert main(["records", "--records", "10", "--out", str(tmp_path / "r")]) == 0
    assert main(["records", "--records", "10", "--out", str(tmp_path / "r")]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert main(["records", "--records", "10", "--out", str(tmp_path / "r"), "--overwrite"]) == 0
    capsys.readouterr()
    assert main(["profile", "default"]) == 0
    profile = json.loads(capsys.readouterr().out)
    for change, words in [
        ({"jpeg_quality": [90, 45]}, "jpeg_quality"),
        ({"format_weights": {}}, "format_weights must be a non-empty mapping"),
        ({"speckle_max": 5}, "speckle_max must be within"),
        ({"rotation_share": 5}, "rotation_share must be a share"),
        ({"dpi_weights": None}, "not a complete scan profile"),
    ]:
        path = tmp_path / "p.json"
        path.write_text(json.dumps(profile | change))
        assert main(["dossiers", "--profile", str(path), "--out", str(tmp_path / "o2")]) == 2
        err = capsys.readouterr().err
        assert words in err and len(err.strip().splitlines()) == 1, err


@pytest.mark.slow
def test_registers_and_variant_layouts_are_handed_over_with_their_truth(tmp_path):
    """Birth extracts written as register rows (a workbook, a scanned page, a born-digital page) and
    extracts in the variant layout family, each with a truth that names its family and row."""
    out = tmp_path / "sample"
    generate(GeneratorConfig(dossiers=90, seed=3, registers=3, broken_files=0, exact_duplicates=0), out)
    documents, files = _read(out, "documents.csv"), _read(out, "files.csv")
    fields, records = _read(out, "fields.csv"), _read(out, "records.csv")
    registers = files[files["path"].str.contains("SO_KS_")]
    assert sorted(registers["format"]) == ["register_pdf", "register_scan", "xlsx"]
    for row in registers.itertuples():
        assert inspect_file(out / "inbox" / row.path).quarantine_reason is None
        rows = documents[documents["sha256"] == row.sha256]
        assert rows["entry"].astype(int).tolist() == list(range(1, len(rows) + 1)) and 5 <= len(rows) <= 12
        assert set(rows["doc_type"]) == {"birth_register_book"} and set(rows["event_type"]) == {
            "birth_registration"
        }
        assert set(rows["doc_id"]) == set(row.doc_ids.split())
    families = documents.groupby("layout")["doc_id"].count().to_dict()
    assert set(families) == {
        "standard",
        "variant",
        "spreadsheet",
        "register_scan",
        "register_pdf",
        "staff_list",
    }
    # A staff list per former commune (90 dossiers ≥ 20): one truth document per person listed.
    assert set(documents.loc[documents["layout"] == "staff_list", "doc_type"]) == {"staff_list"}
    # An appointment decision for one listed civil servant of each former commune not split, dated after
    # the list: its post is the person's current one.
    decisions = documents[documents["doc_type"] == "appointment_decision"]
    assert (
        len(decisions) >= 1
        and set(decisions["issued"]) > set()
        and (decisions["issued"] > "2025-06-20").all()
    )
    appointed = records[records["doc_type"] == "appointment_decision"]
    listed = records[records["doc_type"] == "staff_list"]
    assert set(appointed["entity_id"]) <= set(listed["entity_id"]) and set(appointed["role"]) == {"staff"}
    decision_fields = fields[fields["doc_id"].isin(decisions["doc_id"])]
    assert set(decision_fields["field"]) == {
        "full_name", "birth_date", "decision_number", "position", "employer_unit", "declared_at"
    }  # fmt: skip
    # A register row's truth is its printed columns only: no hometown, no ethnicity.
    register_docs = set(
        documents.loc[
            (documents["entry"] != "0") & (documents["doc_type"] == "birth_register_book"), "doc_id"
        ]
    )
    printed = fields[fields["doc_id"].isin(register_docs)]
    assert set(printed["field"]) <= {
        "row_number", "full_name", "birth_date", "sex", "personal_id", "residence",
        "registration_number", "registration_date",
    }  # fmt: skip
    # Every register record has a name in the truth (no record is expected for a blank parent).
    names = set(
        zip(
            printed.loc[printed["field"] == "full_name", "doc_id"],
            printed.loc[printed["field"] == "full_name", "role"],
            strict=True,
        )
    )
    expected = set(
        zip(
            records.loc[records["doc_id"].isin(register_docs), "doc_id"],
            records.loc[records["doc_id"].isin(register_docs), "role"],
            strict=True,
        )
    )
    assert expected == names
    # The variant family's extracts under the generic title are typed as such in the truth.
    variant = documents[documents["layout"] == "variant"]
    assert set(variant["doc_type"]) <= {"birth_registration", "civil_status_extract"}
    assert set(variant.loc[variant["doc_type"] == "civil_status_extract", "event_type"]) <= {
        "marriage_registration",
        "death_registration",
    }
