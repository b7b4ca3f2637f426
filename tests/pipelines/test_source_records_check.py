"""The `every_document_yields_records` check of `source_records`: no document is left out silently."""

import random

import pandas as pd
from dagster import AssetCheckResult, AssetCheckSeverity, Output, build_asset_context

from assets.records import source_records
from resources import OcrEngine, UnifiedDatabase
from sapnhap.db.session import migrate
from sapnhap.samples.geography import build_scenario
from sapnhap.samples.plan import PlanConfig, make_plan
from sapnhap.samples.templates import lay_out
from tests.records.test_records import MOTTO, one_page_documents


def _run(texts: dict[str, str], tmp_path) -> tuple[Output, AssetCheckResult]:
    pages, documents = one_page_documents(texts)
    files = pd.DataFrame(
        {
            "sha256": list(texts),
            "original_path": [f"21064/file-{i}.pdf" for i in range(len(texts))],
            "kind": "pdf",
            "archive_path": None,
        }
    )
    url = f"sqlite:///{tmp_path / 'sapnhap.db'}"
    migrate(url)
    database = UnifiedDatabase(url=url)
    with build_asset_context(partition_key="21064") as context:
        events = list(
            source_records(
                context,
                dossier_files=files,
                ocr_pages=pages,
                documents=documents,
                ocr=OcrEngine(),
                database=database,
            )
        )
    output = next(e for e in events if isinstance(e, Output))
    check = next(e for e in events if isinstance(e, AssetCheckResult))
    return output, check


def test_check_warns_and_lists_documents_without_person_records(tmp_path):
    output, check = _run(
        {
            "b" * 64: MOTTO + "DANH SÁCH CỬ TRI\nĐơn vị bầu cử số 1",
            "c" * 64: MOTTO + "GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN\nSố: 5/UBND-XNTTHN",
        },
        tmp_path,
    )
    assert output.metadata["documents_without_records"].value == 2
    summary = output.metadata["summary"].value
    assert "2 of 2 documents yielded no person record" in summary
    assert (
        "| 21064/file-0.pdf | 1-1 | unknown |  | type unknown (no title matched) and no person label found |"
        in summary
    )
    assert check.check_name == "every_document_yields_records"
    assert check.passed is False and check.severity == AssetCheckSeverity.WARN
    assert check.metadata["documents_without_records"].value == 2
    rows = [dict(r.data) for r in check.metadata["documents_listed"].value.records]
    assert rows == [
        {
            "file": "21064/file-0.pdf",
            "pages": "1-1",
            "document type": "unknown",
            "title line": "",
            "why": "type unknown (no title matched) and no person label found",
        },
        {
            "file": "21064/file-1.pdf",
            "pages": "1-1",
            "document type": "marital_status_certificate",
            "title line": "GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN",
            "why": "no person label found (type marital_status_certificate read by the generic reader)",
        },
    ]


def test_check_passes_when_every_document_yields_a_person_record(tmp_path):
    plan = make_plan(build_scenario("14488", random.Random(1)), PlanConfig(documents=40, seed=6))
    birth = next(d for d in plan.documents if d.doc_type == "birth_registration")
    output, check = _run({"a" * 64: lay_out(birth)[0][0].text}, tmp_path)
    assert output.metadata["documents_without_records"].value == 0
    assert output.metadata["person_records"].value > 0
    assert check.passed is True
    assert check.metadata["documents_listed"].value.records == []
