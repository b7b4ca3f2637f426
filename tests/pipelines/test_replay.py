"""The OCR stage's twin: a former unit's hand-over runs through the whole ingest job on pages replayed
from a recording (`sapnhap.ocr.replay`, `resources.ReplayOcrEngine`), without Tesseract; a page the
recording lacks fails the step and names the page."""

from __future__ import annotations

import shutil
from pathlib import Path

from dagster import DagsterInstance
from sqlalchemy import func, select

import resources.ocr
import sapnhap.ocr.pages
from sapnhap.db.models import Page
from sapnhap.db.session import make_engine
from tests import badfiles
from tests.runs import check_evaluations, project

REPO = Path(__file__).resolve().parents[2]
RECORDING = REPO / "tests" / "fixtures" / "ocr_replay"  # python -m sapnhap.ocr.replay samples/inbox/21085/*
UNIT = "21085"


def _no_tesseract(*args, **kwargs):
    raise AssertionError("a replayed run must not read pages")


def _inbox(tmp_path: Path) -> Path:
    inbox = tmp_path / "inbox"
    shutil.copytree(REPO / "samples" / "inbox" / UNIT, inbox / UNIT)
    return inbox


def test_a_hand_over_runs_on_replayed_pages_without_tesseract(tmp_path, monkeypatch):
    monkeypatch.setattr(resources.ocr, "run_pages", _no_tesseract)
    monkeypatch.setattr(sapnhap.ocr.pages, "process_page", _no_tesseract)
    defs = project(tmp_path / "home", _inbox(tmp_path), ocr_replay=RECORDING)
    job = defs.resolve_job_def("ingest_former_unit")
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("former_units", [UNIT])
        result = job.execute_in_process(partition_key=UNIT, instance=instance)
    assert result.success
    checks = check_evaluations(result)
    assert checks["balanced"].passed and checks["pages_readable"].passed
    pages = result.output_for_node("ocr_pages")
    assert len(pages) == 10 and set(pages["method"]) == {"ocr", "text_layer"}
    assert pages["cached"].all()  # every page came from the recording
    engine = make_engine(f"sqlite:///{tmp_path / 'home' / 'sapnhap.db'}")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Page)).scalar_one() == 10
    engine.dispose()


def test_a_page_the_recording_lacks_fails_the_step_and_names_it(tmp_path, monkeypatch):
    monkeypatch.setattr(resources.ocr, "run_pages", _no_tesseract)
    inbox = _inbox(tmp_path)
    badfiles.text_pdf(inbox / UNIT, ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "THÔNG BÁO"], name="moi.pdf")
    defs = project(tmp_path / "home", inbox, ocr_replay=RECORDING)
    job = defs.resolve_job_def("ingest_former_unit")
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("former_units", [UNIT])
        result = job.execute_in_process(partition_key=UNIT, instance=instance, raise_on_error=False)
    assert not result.success
    (failure,) = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert failure.step_key == "ocr_pages"
    message = failure.step_failure_data.error.cause.message if failure.step_failure_data.error.cause else ""
    message += failure.step_failure_data.error.message
    assert "MissingRecording" in message and "no recorded page 1 of file" in message
