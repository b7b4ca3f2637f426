"""A former unit's records end to end without OCR: extracted, validated, routed, none lost."""

import dataclasses
import hashlib
import random

import pandas as pd
import pytest

from sapnhap.documents.titles import NATIONAL_MOTTO, classify
from sapnhap.records.routing import Router
from sapnhap.records.tables import (
    SOURCE_COLUMNS,
    VALIDATED_COLUMNS,
    accounting_problems,
    extract_source_records,
    validate_records,
)
from sapnhap.samples.generator import _village_rows
from sapnhap.samples.geography import build_scenario
from sapnhap.samples.plan import PlanConfig, make_plan
from sapnhap.samples.templates import lay_out
from tests.records.test_extraction import text_page

MOTTO = f"{NATIONAL_MOTTO}\nĐộc lập - Tự do - Hạnh phúc\n"


def one_page_documents(texts: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(ocr_pages, documents) tables of one-page text-layer documents, given as text by file hash,
    each typed by `classify` as the documents asset does."""
    pages, docs = [], []
    for sha, text in texts.items():
        pages.append(dataclasses.replace(text_page(text, 1), file_sha256=sha).to_row())
        kind = classify(text)
        docs.append(
            {"file_sha256": sha, "first_page": 1, "last_page": 1, "doc_type": kind.doc_type,
             "type_rule": kind.rule, "title": kind.title}
        )  # fmt: skip
    return pd.DataFrame(pages), pd.DataFrame(docs)


def _unit_tables(plan, folder):
    pages, docs, doc_of = [], [], {}
    for doc in plan.documents:
        if doc.folder != folder:
            continue
        sha = hashlib.sha256(doc.doc_id.encode()).hexdigest()
        specs, _ = lay_out(doc)
        for number, spec in enumerate(specs, 1):
            page = dataclasses.replace(text_page(spec.text, number), file_sha256=sha)
            pages.append(page.to_row())
        docs.append(
            {"file_sha256": sha, "first_page": 1, "last_page": len(specs), "doc_type": doc.doc_type,
             "type_rule": "", "title": ""}
        )  # fmt: skip
        doc_of[sha] = doc.doc_id
    return pd.DataFrame(pages), pd.DataFrame(docs), doc_of


@pytest.mark.slow
def test_every_person_record_is_extracted_validated_and_routed():
    scenario = build_scenario("14488", random.Random(1))
    plan = make_plan(scenario, PlanConfig(documents=160, seed=6))
    router = Router(pd.DataFrame(_village_rows(scenario)))
    truth = {(r.doc_id, r.role): r for r in plan.records}
    checked = decidable = 0
    for folder in scenario.folders:
        ocr_pages, documents, doc_of = _unit_tables(plan, folder)
        source = extract_source_records(ocr_pages, documents, folder)
        assert list(source.columns) == SOURCE_COLUMNS
        assert (source["former_unit_code"] == folder).all()
        validated = validate_records(source, router)
        assert list(validated.columns) == VALIDATED_COLUMNS
        expected = [r for r in plan.records if r.folder == folder]
        # No record lost: one validated row per person named in each document.
        assert len(validated) == len(expected)
        assert set(validated["status"]) <= {"valid", "warning", "quarantined"}
        for row in validated.itertuples():
            record = truth[(doc_of[row.file_sha256], row.role)]
            checked += 1
            if record.routing_decidable:
                decidable += 1
                assert row.route_status == "routed" and row.new_unit_code == record.new_unit_code, (
                    row.record_id
                )
            else:
                assert row.route_status == "review" and record.new_unit_code in row.candidates
            if row.status == "quarantined":
                # Only a planted variation breaks a hard rule on a perfectly read page.
                assert record.variations, (row.record_id, row.reasons)
    assert checked == len(plan.records) and decidable > 100


def test_accounting_problems_name_every_broken_contract():
    scenario = build_scenario("14488", random.Random(1))
    plan = make_plan(scenario, PlanConfig(documents=30, seed=3))
    router = Router(pd.DataFrame(_village_rows(scenario)))
    folder = scenario.folders[0]
    ocr_pages, documents, _ = _unit_tables(plan, folder)
    source = extract_source_records(ocr_pages, documents, folder)
    validated = validate_records(source, router)
    assert accounting_problems(source, validated) == []
    assert accounting_problems(source, validated.iloc[2:]) == ["2 person records extracted but not validated"]
    doubled = pd.concat([validated, validated.iloc[:1]])
    assert accounting_problems(source, doubled) == ["1 person records validated more than once"]
    hard = validated.copy()
    hard.loc[hard.index[0], ["n_errors", "status"]] = [1, "valid"]
    assert accounting_problems(source, hard)[0].startswith(
        "1 records failed a hard rule but are not quarantined"
    )
    silent = validated.copy()
    silent.loc[silent.index[0], ["status", "reasons"]] = ["quarantined", ""]
    assert accounting_problems(source, silent) == [
        f"1 quarantined records without a reason: {silent['record_id'].iloc[0]}"
    ]
    unrouted = validated.copy()
    first_routed = unrouted.index[unrouted["route_status"] == "routed"][0]
    unrouted.loc[first_routed, "new_unit_code"] = ""
    assert accounting_problems(source, unrouted) == [
        f"1 records routed without a new unit: {unrouted.loc[first_routed, 'record_id']}"
    ]


def test_documents_without_records_lists_each_silent_document_with_why():
    from sapnhap.records.tables import WITHOUT_RECORDS_COLUMNS, documents_without_records

    scenario = build_scenario("14488", random.Random(1))
    plan = make_plan(scenario, PlanConfig(documents=40, seed=6))
    birth = next(d for d in plan.documents if d.doc_type == "birth_registration")
    texts = {
        "a" * 64: lay_out(birth)[0][0].text,  # a real birth extract: yields person records
        "b" * 64: MOTTO + "DANH SÁCH CỬ TRI\nĐơn vị bầu cử số 1",  # no title known: unknown
        "c" * 64: MOTTO + "TRÍCH LỤC HỘ TỊCH\nSố: 12/TLHT",  # typed from the catalogue, no template
        "d" * 64: MOTTO + "TRÍCH LỤC KHAI SINH\n(trang mờ, không đọc được)",  # template, no label found
    }
    pages, documents = one_page_documents(texts)
    assert list(documents["doc_type"]) == [
        "birth_registration",
        "unknown",
        "civil_status_extract",
        "birth_registration",
    ]
    source = extract_source_records(pages, documents, "14488")
    files = pd.DataFrame({"sha256": ["b" * 64, "c" * 64], "original_path": ["cu_tri.pdf", "ho_tich/tl.pdf"]})

    silent = documents_without_records(documents, source, files)

    assert list(silent.columns) == WITHOUT_RECORDS_COLUMNS
    assert silent.values.tolist() == [
        [
            "b" * 64,
            "cu_tri.pdf",
            1,
            1,
            "unknown",
            "",
            "type unknown (no title matched) and no person label found",
        ],
        [
            "c" * 64,
            "ho_tich/tl.pdf",
            1,
            1,
            "civil_status_extract",
            "TRÍCH LỤC HỘ TỊCH",
            "no person label found (type civil_status_extract read by the generic reader)",
        ],
        [
            "d" * 64,
            "d" * 16,
            1,
            1,
            "birth_registration",
            "TRÍCH LỤC KHAI SINH",
            "template and generic reader found no person field",
        ],
    ]
    # Every document yields a record: nothing listed; an empty source lists every document.
    assert documents_without_records(documents.iloc[:1], source).empty
    empty = extract_source_records(pd.DataFrame(pages).iloc[0:0], documents.iloc[:1], "14488")
    assert documents_without_records(documents.iloc[:1], empty)["why"].tolist() == [
        "template and generic reader found no person field"
    ]


def test_document_balance_accounts_for_every_document():
    from sapnhap.records.tables import document_balance

    documents = pd.DataFrame(
        {"file_sha256": ["a" * 64, "a" * 64, "b" * 64, "c" * 64], "first_page": [1, 3, 1, 1]}
    )
    validated = pd.DataFrame(
        {
            "file_sha256": ["a" * 64, "a" * 64, "b" * 64, "b" * 64],
            "first_page": [1, 1, 1, 1],
            "status": ["valid", "quarantined", "quarantined", "quarantined"],
        }
    )
    assert document_balance(documents, validated) == {
        "documents": 4,
        "with_records": 1,  # a p.1: one record loaded (another quarantined)
        "only_quarantined": 1,  # b p.1
        "without_records": 2,  # a p.3, c p.1
    }
    assert document_balance(documents, validated.iloc[0:0])["without_records"] == 4
