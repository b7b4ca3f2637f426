"""Page images beside review items, on SQLite and PostgreSQL: the review_queue asset renders the page
of a quarantined record's document and of each side of a merge candidate into `<archive>/review/`
(an OCR'd scan as the OCR saw it, a born-digital PDF from its text layer), names them in the items'
evidence and on the sheet, shares them with the uncertain fields' page images, skips failed and
missing pages with a log line that names no one, and writes nothing new when run again."""

from __future__ import annotations

import csv
import json
import logging

import pytest
from dagster import DagsterInstance, materialize
from PIL import Image, ImageDraw
from sqlalchemy import select

from assets.review import review_queue
from resources import CommuneOffice, DossierStore, OcrEngine, ReviewDesk, UnifiedDatabase
from sapnhap.db import load_documents, load_files, load_pages, load_records, upsert_former_units
from sapnhap.db.models import ReviewItem
from sapnhap.linkage.model import Thresholds
from sapnhap.linkage.persons import link_unit
from sapnhap.ocr.page import PageResult
from sapnhap.review.images import PAGE_WIDTH, render_page_images
from sapnhap.review.queue import attach_images, review_pages
from tests import badfiles
from tests.db.test_db import UNITS, file_row
from tests.linkage.test_persons import (
    DOC_TYPE,
    FIRST_BATCH,
    HUNG,
    HUNG_ID,
    HUNG_LATER,
    LATER_BATCH,
    MAI,
    MAI_LATER,
    NEW_UNIT,
    UNDERAGE_WIFE,
    people_frames,
    rid,
    sha,
)

EVERYTHING_IN_REVIEW = Thresholds(review=0.01, auto_merge=1.01)
A4_PT = (595.2755905511812, 841.8897637795277)


def scan(path) -> None:
    """A white A4 scan at 300 dpi with a black bar (an OCR'd page)."""
    image = Image.new("RGB", (2480, 3508), "white")
    ImageDraw.Draw(image).rectangle((400, 600, 1000, 660), fill="black")
    image.save(path, dpi=(300, 300))


def hand_over(engine, archive, unit: str, people: list[dict], how: dict[str, str]) -> None:
    """Load one former unit's batch with its files in `archive` and their pages as read: `how` maps a
    document to "ocr" (a PNG scan), "text_layer" (a born-digital PDF), "failed" (a PDF no page of
    which was read) or "gone" (an OCR'd scan no longer in the archive)."""
    docs = sorted({p["doc"] for p in people})
    files, pages = [], []
    for d in docs:
        method = how[d]
        kind = "png" if method in ("ocr", "gone") else "pdf"
        path = archive / f"{sha(d)}.{kind}"
        if method in ("ocr", "gone"):
            scan(path)
            if method == "gone":
                path.unlink()
            page = dict(method="ocr", reason="image_file", width=2480, height=3508, dpi=300)
        elif method == "text_layer":
            badfiles.text_pdf(archive, badfiles.HEADER_LINES, name=path.name)
            page = dict(
                method="text_layer", reason="text_layer_ok", width=A4_PT[0], height=A4_PT[1], box_unit="pt"
            )
        else:
            path.write_bytes(b"%PDF-1.4 nothing readable")
            page = dict(method="failed", reason="unreadable", error="PdfiumError")
        files.append(file_row(sha(d), unit, f"{d}.pdf", kind=kind, archive_path=str(path), page_count=1))
        pages.append(PageResult(file_sha256=sha(d), page_number=1, **page).to_row())
    load_files(engine, files)
    load_pages(engine, pages)
    role_of = {p["doc"]: p["role"] for p in people}
    load_documents(
        engine,
        [
            {"file_sha256": sha(d), "first_page": 1, "last_page": 1, "doc_type": DOC_TYPE[role_of[d]]}
            for d in docs
        ],
    )
    load_records(engine, *people_frames(people))


def evidence(engine) -> dict[str, dict]:
    with engine.connect() as conn:
        return {i: json.loads(e) for i, e in conn.execute(select(ReviewItem.item_id, ReviewItem.evidence))}


@pytest.mark.slow
def test_review_items_get_their_pages_rendered_once(engine, db_url, tmp_path, linkage_model, caplog):
    archive = tmp_path / "archive"
    archive.mkdir()
    upsert_former_units(engine, UNITS)
    hung = {**FIRST_BATCH[0], "confidence": 55.0}  # read badly: his fields are uncertain, on tn-1
    hand_over(
        engine,
        archive,
        "00004",
        [hung, FIRST_BATCH[1], UNDERAGE_WIFE],
        {"tn-1": "ocr", "tn-2": "gone", "kh-7": "ocr"},
    )
    hand_over(engine, archive, "00007", LATER_BATCH, {"kh-1": "text_layer", "tn-9": "failed"})
    link_unit(engine, NEW_UNIT, linkage_model, EVERYTHING_IN_REVIEW)
    desk = ReviewDesk(sheets_dir=str(tmp_path / "review_queue"), reviews_dir=str(tmp_path / "reviews"))
    resources = {
        "database": UnifiedDatabase(url=db_url),
        "reviews": desk,
        "store": DossierStore(inbox_dir=str(tmp_path / "inbox"), archive_dir=str(archive)),
        "ocr": OcrEngine(),
        "office": CommuneOffice(reports_dir=str(tmp_path / "reports")),
    }

    def run():
        with DagsterInstance.ephemeral() as instance:
            instance.add_dynamic_partitions("new_units", [NEW_UNIT])
            result = materialize(
                [review_queue], partition_key=NEW_UNIT, instance=instance, resources=resources
            )
        assert result.success
        return result.asset_materializations_for_node("review_queue")[0].metadata

    caplog.set_level(logging.WARNING)
    metadata = run()
    pages = archive / "review" / "pages"
    ocr_page, text_page, wife_page = (pages / sha(d) / "1.png" for d in ("tn-1", "kh-1", "kh-7"))
    # Three pages have an image: two scans read by OCR and the born-digital PDF; the failed page and
    # the scan gone from the archive have none.
    assert sorted(p.relative_to(pages) for p in pages.rglob("*.png")) == sorted(
        p.relative_to(pages) for p in (ocr_page, text_page, wife_page)
    )
    assert metadata["page_images_rendered"].value == 3
    assert Image.open(ocr_page).size == (PAGE_WIDTH, round(3508 * PAGE_WIDTH / 2480))
    assert Image.open(text_page).size == (1241, 1754) and Image.open(text_page).getextrema()[0] < 60

    found = evidence(engine)
    hung_pair = f"merge:{min(HUNG, HUNG_LATER)}|{max(HUNG, HUNG_LATER)}"
    mai_pair = f"merge:{min(MAI, MAI_LATER)}|{max(MAI, MAI_LATER)}"
    side = {HUNG: ocr_page, HUNG_LATER: text_page, MAI_LATER: text_page}
    assert found[hung_pair]["page_image_left"] == str(side[min(HUNG, HUNG_LATER)])
    assert found[hung_pair]["page_image_right"] == str(side[max(HUNG, HUNG_LATER)])
    # Mai's 00004 scan is gone from the archive: only her 00007 side has a page.
    mai_keys = {k for k in found[mai_pair] if k.startswith("page_image")}
    assert mai_keys == {"page_image_left" if MAI_LATER < MAI else "page_image_right"}
    assert found[mai_pair][mai_keys.pop()] == str(text_page)
    wife_item = f"record:{rid('00004', 'kh-7', 'wife')}"
    assert found[wife_item]["page_image"] == str(wife_page)
    assert found[wife_item]["where"].endswith(f" p.1 — page {wife_page}")
    # Hùng's uncertain fields show the very page his side of the pair shows.
    assert found[f"field:{HUNG}|person|full_name"]["page_image"] == str(ocr_page)
    # A merge candidate of the failed page, if any, shows no image for that side.
    for item, ev in found.items():
        if item.startswith("merge:") and sha("tn-9") in (
            ev["left"]["file_sha256"],
            ev["right"]["file_sha256"],
        ):
            failed_side = "left" if ev["left"]["file_sha256"] == sha("tn-9") else "right"
            assert f"page_image_{failed_side}" not in ev

    with (tmp_path / "review_queue" / f"{NEW_UNIT}.csv").open(encoding="utf-8-sig") as handle:
        where = {r["item_id"]: r["where"] for r in csv.DictReader(handle)}
    assert f"— page {ocr_page}" in where[hung_pair] and f"— page {text_page}" in where[hung_pair]
    assert where[hung_pair].count(" | ") == 1
    assert where[wife_item].endswith(f"— page {wife_page}")

    # Failed and missing pages are logged by file hash and page only, never by what is on them.
    assert f"page image of {sha('tn-2')[:16]} p.1 not rebuilt: FileNotFoundError" in caplog.text
    assert f"page image of {sha('tn-9')[:16]} p.1 not rebuilt: the page was not read (failed)" in caplog.text
    for personal in ("Hùng", "Hung", "Mai", "Lan", HUNG_ID, "1960", "1985", "2009"):
        assert personal not in caplog.text
    assert "Hùng" not in json.dumps({k: str(v.value) for k, v in metadata.items() if k != "items"})

    # Run again: every image is reused, nothing written, nothing recorded twice.
    stamps = {p: p.stat().st_mtime_ns for p in pages.rglob("*.png")}
    again = run()
    assert again["page_images_rendered"].value == 3
    assert {p: p.stat().st_mtime_ns for p in pages.rglob("*.png")} == stamps
    assert evidence(engine) == found
    out = archive / "review"
    assert attach_images(engine, render_page_images(review_pages(engine, NEW_UNIT), out)) == 0
