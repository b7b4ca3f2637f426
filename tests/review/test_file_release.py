"""Releasing a quarantined file through the review sheet, end to end on SQLite and PostgreSQL: the
ingest job quarantines a PDF cut before its %%EOF; the linkage job of its former unit's review unit
puts it on the review sheet; an archivist releases it; the reviews sensor stores the release and asks
for the former unit's ingest run, which reads the file and keeps the balance."""

import json

import pytest
from dagster import DagsterInstance
from sqlalchemy import select

from sapnhap.db.models import File, FileRelease, FileSource, Page, ProvenanceEvent, ReviewItem
from sapnhap.db.session import make_engine
from sapnhap.reference.units import review_unit_of
from tests import badfiles
from tests.review.handover import project, read_sheet, take_in_sheets, write_sheet
from tests.runs import check_evaluations

FORMER = "21058"
REVIEW_UNIT = review_unit_of(FORMER)


@pytest.mark.slow
def test_a_released_file_is_read_by_the_next_ingest(db_url, tmp_path):
    assert REVIEW_UNIT == "21085"  # Xã Bình Khương was merged whole into Xã Bình Minh
    inbox = tmp_path / "inbox" / FORMER
    inbox.mkdir(parents=True)
    cut = badfiles.pdf_without_eof(inbox)
    badfiles.zero_byte(inbox)
    defs, home = project(tmp_path, inbox.parent, db_url)
    ingest, link = defs.resolve_job_def("ingest_former_unit"), defs.resolve_job_def("link_new_unit")
    engine = make_engine(db_url)
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("former_units", [FORMER])
        first = ingest.execute_in_process(partition_key=FORMER, instance=instance)
        assert first.success
        register = first.asset_materializations_for_node("record_register")[0]
        # No record was read, but the quarantined files need the review unit's sheet.
        assert register.metadata["new_units"].value == [REVIEW_UNIT]
        assert instance.has_dynamic_partition("new_units", REVIEW_UNIT)
        assert link.execute_in_process(partition_key=REVIEW_UNIT, instance=instance).success

        rows = read_sheet(home, REVIEW_UNIT)
        with engine.connect() as conn:
            shas = dict(conn.execute(select(FileSource.original_path, FileSource.file_sha256)).all())
        cut_item, empty_item = f"file:{shas[f'{FORMER}/{cut.name}']}", f"file:{shas[f'{FORMER}/empty.pdf']}"
        assert set(rows) == {cut_item, empty_item}
        assert rows[cut_item]["kind"] == "validation_failure"
        assert rows[cut_item]["question"].startswith("Quarantined file: pdf_damaged. release")
        assert rows[cut_item]["details"].startswith("pdf, 2 pages,")
        assert rows[cut_item]["where"].startswith(f"{FORMER}/{cut.name} — archive ")
        assert "reject" in rows[empty_item]["question"] and "release" not in rows[empty_item]["question"]

        reviews = home / "reviews"
        assert reviews.is_dir()  # made by the review run, for the archivist to drop the sheet into
        # An empty file cannot be released, nor can a file take a corrected value: refused whole.
        bad = [
            dict(rows[cut_item], corrected_value="full_name = Lê Văn A", reviewer="Lan"),
            dict(rows[empty_item], release="x", reviewer="Lan"),
        ]
        write_sheet(reviews / "bad.csv", bad)
        desk = defs.resources["reviews"]
        assert take_in_sheets(instance, desk, defs.resources["database"]) == []
        problems = next((reviews / "rejected").glob("*.problems.txt")).read_text(encoding="utf-8")
        assert "corrected_value does not apply" in problems and "(release or reject)" in problems
        assert (
            "release does not apply to a file with no page that can be read (empty_file) (reject)" in problems
        )
        with engine.connect() as conn:
            assert conn.execute(select(FileRelease)).all() == []

        good = [
            dict(rows[cut_item], release="x", note="checked against the paper copy: 2 pages", reviewer="Lan"),
            dict(rows[empty_item], reject="x", note="asked the commune for the file again", reviewer="Lan"),
        ]
        write_sheet(reviews / "good.csv", good)
        requests = take_in_sheets(instance, desk, defs.resources["database"])
        assert [(r.job_name, r.partition_key) for r in requests] == [("ingest_former_unit", FORMER)]
        with engine.connect() as conn:
            released = conn.execute(
                select(FileRelease.sha256, FileRelease.reviewer, FileRelease.item_id)
            ).all()
            assert [tuple(r) for r in released] == [(cut_item[5:], "Lan", cut_item)]
            decided = dict(conn.execute(select(ReviewItem.item_id, ReviewItem.status)).all())
            assert decided == {cut_item: "decided", empty_item: "decided"}

        second = ingest.execute_in_process(partition_key=FORMER, instance=instance)
        assert second.success
        files = second.asset_materializations_for_node("dossier_files")[0].metadata
        assert (
            files["archived"].value,
            files["quarantined"].value,
            files["released_by_archivist"].value,
        ) == (1, 1, 1)
        assert check_evaluations(second)["balanced"].passed is True
        with engine.connect() as conn:
            file = conn.execute(select(File).where(File.sha256 == cut_item[5:])).mappings().one()
            assert (file["status"], file["quarantine_reason"]) == ("archived", None)
            assert file["detail"].startswith(
                "released by Lan (checked against the paper copy: 2 pages) despite pdf_damaged"
            )
            source = conn.execute(
                select(FileSource.status, FileSource.note).where(FileSource.file_sha256 == cut_item[5:])
            ).one()
            assert tuple(source) == ("archived", "")
            pages = conn.execute(select(Page.method).where(Page.file_sha256 == cut_item[5:])).scalars().all()
            assert pages == ["text_layer", "text_layer"]
            events = conn.execute(
                select(ProvenanceEvent.action, ProvenanceEvent.agent, ProvenanceEvent.detail).where(
                    ProvenanceEvent.subject_id.in_([cut_item, cut_item[5:]]),
                    ProvenanceEvent.action.in_(("review_decision", "release")),
                )
            ).all()
            decision = next(e for e in events if e.action == "review_decision")
            assert decision.agent == "Lan"
            assert json.loads(decision.detail)["note"] == "checked against the paper copy: 2 pages"
            assert [(e.action, e.agent, e.detail) for e in events if e.action == "release"] == [
                ("release", "Lan", "read despite pdf_damaged")
            ]
        # The next sheet asks neither again: one released and read, one kept in quarantine by decision.
        # The released file, now read, holds a document without any person: that is asked instead.
        assert link.execute_in_process(partition_key=REVIEW_UNIT, instance=instance).success
        assert list(read_sheet(home, REVIEW_UNIT)) == [f"document:{cut_item[5:]}:1"]
    engine.dispose()
