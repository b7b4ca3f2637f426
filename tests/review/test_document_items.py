"""A document that yielded no person record goes on the review sheet; an archivist answers "no person in
it" (reject) or types it (corrected value: a type or a title), and the next intake reads it as typed."""

import pytest
from dagster import DagsterInstance
from sqlalchemy import select

from sapnhap.db.models import Document, FieldCorrection, FileSource, ReviewItem
from sapnhap.db.session import make_engine
from sapnhap.reference.units import review_unit_of
from tests import badfiles
from tests.review.handover import project, read_sheet, take_in_sheets, write_sheet

FORMER = "21058"
REVIEW_UNIT = review_unit_of(FORMER)


@pytest.mark.slow
def test_documents_without_people_are_asked_about_and_typed_by_the_archivist(db_url, tmp_path):
    inbox = tmp_path / "inbox" / FORMER
    inbox.mkdir(parents=True)
    letter = badfiles.text_pdf(inbox, ["ỦY BAN NHÂN DÂN XÃ BÌNH KHƯƠNG", "Về việc bàn giao hồ sơ lưu trữ"])
    voters = badfiles.text_pdf(inbox, ["DANH SÁCH CỬ TRI", "Đơn vị bầu cử số 1"], name="cu_tri.pdf")
    defs, home = project(tmp_path, inbox.parent, db_url)
    ingest, link = defs.resolve_job_def("ingest_former_unit"), defs.resolve_job_def("link_new_unit")
    engine = make_engine(db_url)
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("former_units", [FORMER])
        first = ingest.execute_in_process(partition_key=FORMER, instance=instance)
        assert first.success
        register = first.asset_materializations_for_node("record_register")[0]
        # No record was read, but the documents without people need the review unit's sheet.
        assert register.metadata["new_units"].value == [REVIEW_UNIT]
        assert link.execute_in_process(partition_key=REVIEW_UNIT, instance=instance).success
        with engine.connect() as conn:
            shas = dict(conn.execute(select(FileSource.original_path, FileSource.file_sha256)).all())
        letter_item = f"document:{shas[f'{FORMER}/{letter.name}']}:1"
        voters_item = f"document:{shas[f'{FORMER}/{voters.name}']}:1"
        rows = read_sheet(home, REVIEW_UNIT)
        assert set(rows) == {letter_item, voters_item}
        assert rows[voters_item]["question"].startswith(
            "No person record was read from this document (type unknown (no title matched) and no person "
            "label found). reject: there is no person in it; or corrected value: the type"
        )
        assert rows[voters_item]["where"] == f"{FORMER}/{voters.name} p.1-1"

        reviews, desk = home / "reviews", defs.resources["reviews"]
        # A type nobody knows is refused, whole sheet.
        write_sheet(reviews / "bad.csv", [dict(rows[voters_item], corrected_value="sổ tay", reviewer="Lan")])
        assert take_in_sheets(instance, desk, defs.resources["database"]) == []
        problems = next((reviews / "rejected").glob("*.problems.txt")).read_text(encoding="utf-8")
        assert "'sổ tay' is neither a document type nor a title the catalogue knows" in problems

        good = [
            dict(rows[letter_item], reject="x", note="a cover letter: nobody in it", reviewer="Lan"),
            dict(rows[voters_item], corrected_value="DANH SÁCH CÁN BỘ, CÔNG CHỨC, VIÊN CHỨC", reviewer="Lan"),
        ]
        write_sheet(reviews / "good.csv", good)
        requests = take_in_sheets(instance, desk, defs.resources["database"])
        assert [(r.job_name, r.partition_key) for r in requests] == [("ingest_former_unit", FORMER)]
        with engine.connect() as conn:
            typed = conn.execute(select(FieldCorrection.record_id, FieldCorrection.value)).all()
            assert [tuple(t) for t in typed] == [(f"{FORMER}:{voters_item[9:25]}:1:document", "staff_list")]
            decided = dict(conn.execute(select(ReviewItem.item_id, ReviewItem.status)).all())
            assert decided == {letter_item: "decided", voters_item: "decided"}

        assert ingest.execute_in_process(partition_key=FORMER, instance=instance).success
        with engine.connect() as conn:
            types = dict(conn.execute(select(Document.file_sha256, Document.doc_type)).all())
            rules = dict(conn.execute(select(Document.file_sha256, Document.type_rule)).all())
        assert (
            types[voters_item[9:-2]] == "staff_list" and rules[voters_item[9:-2]] == "archivist: was unknown"
        )
        assert types[letter_item[9:-2]] != "staff_list"
        # Decided items are not asked again.
        assert link.execute_in_process(partition_key=REVIEW_UNIT, instance=instance).success
        assert read_sheet(home, REVIEW_UNIT) == {}
    engine.dispose()
