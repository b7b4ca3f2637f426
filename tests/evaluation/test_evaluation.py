"""The scoreboard: scorers on hand-computed cases, and a generated sample run through the whole job."""

import json
import unicodedata
from pathlib import Path

import pandas as pd
import pytest
from dagster import DagsterInstance
from sqlalchemy import create_engine, text

from sapnhap.evaluation.report import main, summary_lines, write_report
from sapnhap.evaluation.scores import (
    NOT_YET,
    evaluate,
    field_accuracy,
    pairwise_linkage_scores,
    routing_accuracy,
)
from sapnhap.samples.generator import GeneratorConfig, generate
from sapnhap.text import cer_counts
from tests.runs import project


def test_cer_counts_characters_not_bytes_and_ignores_layout():
    nfd = unicodedata.normalize("NFD", "Nguyễn Văn A")
    assert cer_counts("Nguyễn Văn A", "Nguyen Van A") == (2, 12)
    assert cer_counts(nfd, "Nguyễn  Văn\nA") == (0, 12)
    assert cer_counts("abc", "") == (3, 3)


def test_pairwise_and_cluster_scores_by_hand():
    truth = {"a": "1", "b": "1", "c": "2", "d": "2", "e": "3"}
    predicted = {"a": "x", "b": "x", "c": "x", "d": "y", "e": "z"}
    scores = pairwise_linkage_scores(truth, predicted)
    # True pairs ab, cd; predicted pairs ab, ac, bc; shared: ab.
    assert scores["pairwise"]["tp"] == 1 and scores["pairwise"]["fp"] == 2 and scores["pairwise"]["fn"] == 1
    assert scores["pairwise"]["precision"] == pytest.approx(1 / 3)
    assert scores["pairwise"]["recall"] == pytest.approx(1 / 2)
    assert scores["pairwise"]["f1"] == pytest.approx(0.4)
    # Only {e} is reproduced exactly, of 3 predicted and 3 true clusters.
    assert scores["cluster"]["precision"] == pytest.approx(1 / 3)
    assert scores["cluster"]["recall"] == pytest.approx(1 / 3)
    perfect = pairwise_linkage_scores(truth, {r: "c" + e for r, e in truth.items()})
    assert perfect["pairwise"]["f1"] == 1.0 and perfect["cluster"]["f1"] == 1.0
    # A record the linker never saw is a singleton: the pair it belongs to is missed.
    missing = pairwise_linkage_scores(truth, {"a": "1", "c": "2", "d": "2", "e": "3"})
    assert missing["pairwise"]["recall"] == pytest.approx(1 / 2) and missing["pairwise"]["precision"] == 1.0


def test_field_accuracy_per_type_and_field():
    truth = pd.DataFrame(
        [
            ("D1", "birth_registration", "child", "full_name", "Nguyễn Văn An"),
            ("D1", "birth_registration", "child", "personal_id", ""),
            ("D2", "birth_registration", "child", "full_name", "Lê Thị Bình"),
            ("D3", "staff_cv", "staff", "full_name", "Trần Hùng"),
        ],
        columns=["doc_id", "doc_type", "role", "field", "value"],
    )
    predicted = pd.DataFrame(
        [
            ("D1", "child", "full_name", unicodedata.normalize("NFD", "Nguyễn Văn An")),
            ("D2", "child", "full_name", "Lê Thị Binh"),
            ("D3", "staff", "full_name", "Trần  Hùng"),
        ],
        columns=["doc_id", "role", "field", "value"],
    )
    table = field_accuracy(truth, predicted).set_index(["doc_type", "field"])
    assert table.loc[("birth_registration", "full_name"), "accuracy"] == 0.5
    assert (
        table.loc[("birth_registration", "personal_id"), "accuracy"] == 1.0
    )  # blank expected, none returned
    assert table.loc[("staff_cv", "full_name"), "accuracy"] == 1.0


def test_layout_families_score_recall_fields_and_silent_documents_apart():
    from sapnhap.evaluation.scores import layout_families, table_of_fields

    documents = pd.DataFrame(
        {"doc_id": ["D1", "D2", "D3"], "layout": ["standard", "variant", "variant"], "doc_type": ["x"] * 3}
    )
    records = pd.DataFrame(
        {"doc_id": ["D1", "D2", "D2", "D3"], "role": ["child", "husband", "wife", "deceased"]}
    )
    truth = pd.DataFrame(
        {
            "doc_id": ["D1", "D2", "D2", "D3"],
            "role": ["child", "husband", "wife", "deceased"],
            "field": ["full_name"] * 4,
            "value": ["An", "Bình", "Chi", "Dũng"],
        }
    )
    source = pd.DataFrame(
        {
            "doc_id": ["D1", "D2", "D2", None],
            "role": ["child", "husband", "wife", "person"],
            "field": ["full_name"] * 4,
            "value": ["An", "Bình", "Chỉ", "Dũng"],  # the wife's name misread; D3 not matched to a document
            "status": ["found", "found", "found", "found"],
        }
    )
    scored = table_of_fields(truth, source)
    assert scored["ok"].tolist() == [True, True, False, False]
    families = layout_families(documents, truth, records, source, scored)
    assert families["standard"] == {
        "documents": 1, "documents_without_records": 0, "share_without_records": 0.0, "records": 1,
        "records_found": 1, "record_recall": 1.0, "fields": 1, "fields_correct": 1, "field_accuracy": 1.0,
    }  # fmt: skip
    variant = families["variant"]
    assert (variant["documents"], variant["documents_without_records"], variant["share_without_records"]) == (
        2,
        1,
        0.5,
    )
    assert (variant["records_found"], variant["records"], variant["record_recall"]) == (2, 3, 2 / 3)
    assert (variant["fields_correct"], variant["fields"], variant["field_accuracy"]) == (1, 3, 1 / 3)
    # A truth without the layout column is all standard.
    assert set(layout_families(documents.drop(columns="layout"), truth, records, source, scored)) == {
        "standard"
    }


def test_routing_accuracy_counts_review_for_undecidable_records():
    truth = pd.DataFrame(
        {
            "record_id": ["r1", "r2", "r3", "r4"],
            "new_unit_code": ["14488", "14533", "14488", "14488"],
            "routing_decidable": ["True", "True", "False", "False"],
        }
    )
    predicted = pd.DataFrame({"record_id": ["r1", "r2", "r3"], "new_unit_code": ["14488", "14488", ""]})
    scores = routing_accuracy(truth, predicted)
    assert scores["decidable"] == 2 and scores["routed_right"] == 1 and scores["accuracy"] == 0.5
    assert scores["undecidable"] == 2 and scores["sent_to_review"] == 2


@pytest.mark.slow
def test_generated_sample_through_the_job_scores_as_planned(
    db_url, tmp_path, tmp_path_factory, linkage_model, monkeypatch
):
    sample = tmp_path / "sample"
    generate(GeneratorConfig(dossiers=8, seed=42, exact_duplicates=1, broken_files=3, workers=2), sample)
    defs = project(
        tmp_path / "home",
        sample / "inbox",
        db_url,
        tmp_path_factory.getbasetemp() / "eval-ocr-cache",
        ocr_workers=2,
    )
    job = defs.resolve_job_def("ingest_former_unit")
    units = defs.resources["store"].former_units()
    assert units == ["14479", "14488", "14503", "373"]
    (tmp_path / "home" / "models").mkdir(parents=True)
    (tmp_path / "home" / "models" / "linkage_model.json").write_bytes(linkage_model.read_bytes())
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("former_units", units)
        for unit in units:
            assert job.execute_in_process(partition_key=unit, instance=instance).success
        # Every OCR'd field counts as uncertain here, so the review sheet has some on a sample this small.
        monkeypatch.setattr("sapnhap.review.queue.LOW_CONFIDENCE", 101.0)
        link = defs.resolve_job_def("link_new_unit")
        for code in instance.get_dynamic_partitions("new_units"):
            assert link.execute_in_process(partition_key=code, instance=instance).success
    engine = create_engine(db_url)
    # Uncertain OCR fields wait in the review sheet, each with its page image and crop in the archive.
    with engine.connect() as conn:
        uncertain = [
            json.loads(e)
            for (e,) in conn.execute(
                text("SELECT evidence FROM review_queue WHERE kind = 'uncertain_field' AND status = 'open'")
            )
        ]
    assert uncertain
    assert all(Path(e["crop"]).is_file() and Path(e["page_image"]).is_file() for e in uncertain)
    assert all(str(tmp_path / "home" / "archive" / "review") in e["crop"] for e in uncertain)
    report = evaluate(sample / "ground_truth", engine)
    truth_pages = pd.read_csv(sample / "ground_truth" / "pages.csv", dtype=str)
    assert report["ocr"]["pages"] == truth_pages.drop_duplicates(["sha256", "page"]).shape[0]
    assert report["ocr"]["pages_missing"] == 0
    assert report["ocr"]["cer"] < 0.15
    assert report["document_types"]["accuracy"] >= 0.85
    quarantine = report["quarantine"]
    assert quarantine["precision"] == 1.0 and quarantine["recall"] == 1.0 and quarantine["tp"] == 3
    assert quarantine["reason_accuracy"] == 1.0
    assert quarantine["duplicates_found"] == quarantine["duplicates_expected"] == 1
    assert (
        report["linkage"]["status"] == "table present but not scored yet"
    )  # the model analysis needs the warehouse
    # The persons the linkage job built, scored from the database.
    persons = report["persons"]
    assert persons["status"] == "scored" and persons["records_linked"] == persons["records_routed"] > 0
    assert persons["records_scored"] == persons["records_linked"]  # every linked record found in the truth
    assert 0 < persons["persons"] <= persons["records_linked"]
    assert persons["pairwise"]["precision"] in (None, 1.0) or persons["pairwise"]["precision"] >= 0.9
    # Accepting the waiting pairs that are one person joins their persons: true pairs only grow.
    after = persons["after_review"]
    assert after["pairwise"]["tp"] >= persons["pairwise"]["tp"]
    if persons["review_same_person"]:
        assert after["pairwise"]["tp"] > persons["pairwise"]["tp"]
    assert any(line.startswith("Persons (pipeline):") for line in summary_lines(report))
    # Without the warehouse, fields and routing wait for their database tables; with it they are scored.
    assert report["fields"]["status"] == NOT_YET and report["routing"]["status"] == NOT_YET
    scored = evaluate(sample / "ground_truth", engine, tmp_path / "home" / "warehouse")
    fields, routing = scored["fields"], scored["routing"]
    assert fields["status"] == "scored" and fields["documents_scored"] == fields["documents_in_truth"] == 8
    assert fields["groups"]["all"]["accuracy"] >= 0.9 and fields["groups"]["id_numbers"]["accuracy"] >= 0.9
    assert routing["status"] == "scored" and routing["accuracy"] >= 0.9
    assert routing["sent_to_review"] == routing["undecidable"]
    linkage = scored["linkage"]
    assert linkage["status"] == "scored" and linkage["records"] == scored["records"]["extracted"]
    assert set(linkage["by_threshold"]) == {"0.5", "0.8", "0.9", "0.95", "0.99"}
    assert linkage["cluster"]["true_clusters"] <= linkage["records"]
    counts = scored["records"]
    assert (
        counts["extracted"]
        == counts["validated"]
        == counts["valid"] + counts["warning"] + counts["quarantined"]
    )
    assert counts["loaded_in_database"] == counts["valid"] + counts["warning"] > 0
    assert counts["quarantined_in_database"] == counts["quarantined"] and counts["lost"] == 0
    assert any(line.startswith(f"Records: {counts['extracted']} extracted") for line in summary_lines(scored))
    # Extraction scored per layout family; every document counted in one family, none silently.
    families = scored["families"]
    assert sum(f["documents"] for f in families.values()) == 8
    assert families["standard"]["record_recall"] >= 0.9
    assert isinstance(scored["without_records"], list)
    assert any(line.startswith("By layout family: standard: record recall") for line in summary_lines(scored))
    # Losing a page is seen: the page is reported missing and scored as all wrong.
    with engine.begin() as conn:
        victim = conn.execute(text("SELECT id FROM pages ORDER BY id LIMIT 1")).scalar_one()
        conn.execute(text("DELETE FROM words WHERE page_id = :id"), {"id": victim})
        conn.execute(text("DELETE FROM pages WHERE id = :id"), {"id": victim})
    worse = evaluate(sample / "ground_truth", engine)
    engine.dispose()
    assert worse["ocr"]["pages_missing"] == 1 and worse["ocr"]["cer"] > report["ocr"]["cer"]
    write_report(report, tmp_path / "r.md", tmp_path / "r.json")
    markdown = (tmp_path / "r.md").read_text(encoding="utf-8")
    assert "## OCR character error rate" in markdown and "precision 100.0%" in markdown
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["quarantine"]["tp"] == 3
    assert any(line.startswith("Quarantine: precision 100.0%") for line in summary_lines(report))
    # The command line re-scores a loaded database without running the pipeline.
    assert (
        main(
            [
                "--truth",
                str(sample / "ground_truth"),
                "--database",
                db_url,
                "--report",
                str(tmp_path / "again.md"),
            ]
        )
        == 0
    )
    again = json.loads((tmp_path / "again.json").read_text(encoding="utf-8"))
    assert again["ocr"]["pages_missing"] == 1 and again["quarantine"]["tp"] == 3
    assert main(["--truth", str(tmp_path), "--database", db_url, "--report", str(tmp_path / "x.md")]) == 2
