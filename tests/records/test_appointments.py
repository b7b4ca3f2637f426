"""Appointment decisions: typed by their subject line, their person and post read from Article 1's
sentence (text layer, OCR slips, a wrapped name, real Tesseract), and nothing invented when the
sentence is not there."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from sapnhap.documents.titles import classify
from sapnhap.records.appointments import FIELDS, read_appointment
from sapnhap.records.tables import read_document
from sapnhap.samples.templates import DocumentPlan, PrintedPerson, lay_out
from tests.records.test_extraction import SHA, text_page


def decision(
    name: str = "Phạm Minh Lộc", sex: str = "male", position: str = "Công chức Văn hóa - Xã hội"
) -> DocumentPlan:
    """An appointment decision as the generator lays it out (`sapnhap.samples.staff.plan_appointments`)."""
    return DocumentPlan(
        "Q00001",
        "14479",
        "appointment_decision",
        "UBND HUYỆN GIA VIỄN",
        date(2025, 6, 25),
        [
            PrintedPerson(
                "staff",
                "P1",
                {"full_name": (name, name), "birth_date": ("03/03/1978", "1978-03-03")},
                {"full_name": name, "birth_date": "1978-03-03", "sex": sex},
            )
        ],
        extra={
            "decision_number": ("401/QĐ-UBND", "401/QĐ-UBND"),
            "position": (position, position),
            "employer_unit": ("Ủy ban nhân dân xã Gia Vân", "Ủy ban nhân dân xã Gia Vân"),
            "declared_at": ("29/06/2025", "2025-06-29"),
        },
    )


def values(fields) -> dict[tuple[str, str], str]:
    return {(f.role, f.field): f.value for f in fields if f.status == "found"}


EXPECTED = {
    ("staff", "full_name"): "Phạm Minh Lộc",
    ("staff", "birth_date"): "1978-03-03",
    ("", "decision_number"): "401/QĐ-UBND",
    ("", "position"): "Công chức Văn hóa - Xã hội",
    ("", "employer_unit"): "Ủy ban nhân dân xã Gia Vân",
    ("", "declared_at"): "2025-06-29",
}


def test_a_decision_is_typed_by_its_subject_and_read_from_its_sentence():
    pages, truths = lay_out(decision())
    text = pages[0].text
    kind = classify(text)
    assert kind.doc_type == "appointment_decision" and "Về việc bổ nhiệm" in kind.rule
    # Another decision stays an official decision; a citing line is no title.
    other = text.replace("Về việc bổ nhiệm công chức cấp xã", "Về việc phê duyệt kế hoạch năm 2025")
    assert classify(other).doc_type == "official_decision"
    page = text_page(text)
    fields, extractor = read_document([page], "appointment_decision")
    assert extractor == "template"
    assert values(fields) == EXPECTED
    assert {(t.role, t.field): t.canonical for t in truths} == EXPECTED  # the truth prints what is read
    assert [(f.role, f.field) for f in fields] == [(r, f) for r, f, _ in FIELDS]
    name = next(f for f in fields if f.field == "full_name")
    assert name.bbox is not None and name.page == 1 and name.method == "text_layer"


def test_ocr_slips_a_wrapped_name_and_a_missing_sentence():
    pages, _ = lay_out(decision(name="Nguyễn Thị Thanh Huyền", sex="female"))
    text = pages[0].text
    assert "Bổ nhiệm bà Nguyễn Thị Thanh Huyền" in text
    # Marks lost on the key words, a comma glued to the name, the name broken over two lines.
    slipped = (
        text.replace("Bổ nhiệm bà", "Bo nhiêm bà")
        .replace("Huyền ,", "Huyền,")
        .replace("kể từ ngày", "kê tư ngày")
        .replace("Thị Thanh", "Thị\nThanh")
    )
    got = values(read_appointment([text_page(slipped)]))
    assert got[("staff", "full_name")] == "Nguyễn Thị Thanh Huyền"
    assert got[("staff", "birth_date")] == "1978-03-03" and got[("", "declared_at")] == "2025-06-29"
    # No Article 1 sentence: every field missing, nothing invented, and no person (no record).
    bare = "\n".join(line for line in text.split("\n") if not line.startswith(("Điều 1", "danh", "kể")))
    fields = read_appointment([text_page(bare)])
    assert all(f.status == "missing" for f in fields if f.field != "decision_number")
    assert [f.note for f in fields if f.field == "full_name"] == ["not_in_sentence"]


@pytest.mark.slow
def test_real_ocr_of_a_scanned_decision(tmp_path: Path):
    """A clean 300 dpi page rendered and OCR'd with Tesseract: measured 6 of 6 fields exact."""
    from sapnhap.ocr import OcrSettings, PageTask, process_page
    from sapnhap.records.reread import PageImageCropReader
    from sapnhap.samples.render import render_clean

    pages, _ = lay_out(decision())
    path = tmp_path / "decision.png"
    render_clean(pages[0], 300).save(path, dpi=(300, 300))
    task = PageTask(SHA, str(path), "png", 0)
    result = process_page(task, OcrSettings())
    assert classify(result.text).doc_type == "appointment_decision"
    fields = read_appointment([result], crop_reader=PageImageCropReader({1: task}, {1: result}))
    got = values(fields)
    assert got[("staff", "full_name")] == "Phạm Minh Lộc"
    assert sum(got.get(k) == v for k, v in EXPECTED.items()) >= 5, got
    assert all(f.method in ("ocr", "ocr_crop") for f in fields if f.status == "found")
