"""The demo's staged inbox: real scans plus a generated batch, made once and reused."""

import pytest

from pipelines.demo import stage_demo_inbox
from resources.settings import REPO_ROOT
from sapnhap.samples.generator import GeneratorConfig


@pytest.mark.slow
def test_demo_inbox_holds_real_scans_and_a_generated_batch_made_once(tmp_path):
    config = GeneratorConfig(dossiers=3, seed=9, exact_duplicates=0, broken_files=1, workers=1)
    inbox = stage_demo_inbox(tmp_path / "sample", config)
    folders = sorted(p.name for p in inbox.iterdir())
    real = sorted(p.name for p in (REPO_ROOT / "samples" / "inbox").iterdir() if p.is_dir())
    assert set(real) <= set(folders) and "373" in folders and "14503" in folders
    for path in (REPO_ROOT / "samples" / "inbox").rglob("*"):
        if path.is_file():
            copied = inbox / path.relative_to(REPO_ROOT / "samples" / "inbox")
            assert copied.read_bytes() == path.read_bytes()
    manifest = tmp_path / "sample" / "ground_truth" / "manifest.json"
    stamp = manifest.stat().st_mtime_ns
    stage_demo_inbox(tmp_path / "sample", config)
    assert manifest.stat().st_mtime_ns == stamp  # same configuration: not generated again
    stage_demo_inbox(
        tmp_path / "sample", GeneratorConfig(dossiers=4, seed=9, exact_duplicates=0, broken_files=1)
    )
    assert manifest.stat().st_mtime_ns != stamp  # another configuration: generated afresh
    assert set(real) <= {p.name for p in inbox.iterdir()}


def test_a_bad_setting_stops_the_demo_with_one_line(monkeypatch, capsys):
    from pipelines import demo

    monkeypatch.setenv("SAPNHAP_OCR_WORKERS", "0")
    assert demo.main() == 2
    err = capsys.readouterr().err
    assert err == "sapnhap demo: cannot start: SAPNHAP_OCR_WORKERS='0' must be positive\n"


def test_the_summary_counts_and_lists_documents_without_person_records(tmp_path):
    """A typed document with a person and an untemplated extract without one: the summary counts one
    document without records for the unit and names its file, pages, type and why."""
    import pandas as pd

    from pipelines.demo import _summary
    from resources.settings import ProjectSettings

    settings = ProjectSettings.from_env({"SAPNHAP_HOME": str(tmp_path)})
    tables = {
        "dossier_files": pd.DataFrame(
            {
                "sha256": ["a" * 64, "b" * 64],
                "original_path": ["20001/khai_sinh.pdf", "20001/trich_luc.pdf"],
                "status": ["archived", "archived"],
                "quarantine_reason": [None, None],
                "detail": [None, None],
            }
        ),
        "ocr_pages": pd.DataFrame({"method": ["ocr", "ocr"], "mean_confidence": [90.0, 80.0]}),
        "documents": pd.DataFrame(
            {
                "file_sha256": ["a" * 64, "b" * 64],
                "first_page": [1, 1],
                "last_page": [1, 1],
                "doc_type": ["birth_registration", "civil_status_extract"],
                "type_rule": ["title", "catalogue title"],
                "title": ["TRÍCH LỤC KHAI SINH", "TRÍCH LỤC HỘ TỊCH"],
            }
        ),
        "source_records": pd.DataFrame(
            {"file_sha256": ["a" * 64], "first_page": [1], "role": ["child"], "status": ["found"]}
        ),
        "validated_records": pd.DataFrame({"status": ["valid"]}),
    }
    for asset, frame in tables.items():
        (tmp_path / "warehouse" / asset).mkdir(parents=True)
        frame.to_parquet(tmp_path / "warehouse" / asset / "20001.parquet")
    text = _summary(settings, ["20001"], {}, [], 1.0)
    unit_row = next(line for line in text.splitlines() if line.startswith("20001"))
    # records 1, quarantined 0, documents without records 1
    assert unit_row.split()[-5:-2] == ["1", "0", "1"]
    assert "Documents without person records: 1 " in text
    assert (
        "  20001/trich_luc.pdf p. 1-1 (civil_status_extract, TRÍCH LỤC HỘ TỊCH): "
        "no person label found (type civil_status_extract read by the generic reader)"
    ) in text
    assert "khai_sinh.pdf p." not in text
