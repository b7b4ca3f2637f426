"""The archive's volume fills while a file is copied (a real 1 MiB tmpfs): the run stops with a clear
error naming the archive and the file, the original is untouched, no partial copy is left and nothing
is recorded as archived; on a volume with room the same run archives and records it."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import DagsterInstance
from PIL import Image
from sqlalchemy import func, select

from sapnhap.db.models import File, FileSource
from sapnhap.db.session import make_engine
from sapnhap.intake.files import sha256_file
from tests.reliability import record
from tests.runs import project

FORMER = "14479"


def _mount(volume: Path, size: str) -> None:
    """A tmpfs of `size` at `volume`; skips the test (with why) where mounting is not allowed."""
    try:
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(volume)],
            check=True,
            capture_output=True,
            text=True,
        )
    except FileNotFoundError:
        pytest.skip("no mount command: a small tmpfs is needed to fill a volume for real")
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"cannot mount a tmpfs here ({exc.stderr.strip()}): the test needs root")


@pytest.fixture
def small_volume(tmp_path: Path) -> Iterator[Path]:
    volume = tmp_path / "archive"
    volume.mkdir()
    _mount(volume, "1m")
    try:
        yield volume
    finally:
        subprocess.run(["umount", "-l", str(volume)], check=False, capture_output=True)


@pytest.mark.slow
def test_a_full_archive_volume_stops_the_run_clearly_and_records_nothing(small_volume: Path, tmp_path: Path):
    inbox = tmp_path / "inbox" / FORMER
    inbox.mkdir(parents=True)
    big = inbox / "big_scan.png"
    Image.frombytes("L", (1600, 1600), os.urandom(1600 * 1600)).save(big)  # 2.5 MB, incompressible
    assert big.stat().st_size > 2 * 1024 * 1024
    before = sha256_file(big)
    home = tmp_path / "home"
    defs = project(home, inbox.parent, archive=small_volume)
    ingest = defs.resolve_job_def("ingest_former_unit")
    engine = make_engine(f"sqlite:///{home / 'sapnhap.db'}")
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("former_units", [FORMER])
        result = ingest.execute_in_process(partition_key=FORMER, instance=instance, raise_on_error=False)
    assert not result.success
    failures = [e for e in result.all_events if e.is_step_failure]
    assert [e.step_key for e in failures] == ["dossier_files"]
    error = failures[0].step_failure_data.error.to_string()
    assert f"the archive at {small_volume} is full: copying big_scan.png (" in error
    assert "nothing of it was archived and the original is untouched" in error
    assert sha256_file(big) == before
    assert [p for p in small_volume.rglob("*") if p.is_file()] == []  # no partial copy left
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(File)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(FileSource)).scalar_one() == 0
    # Room made (a larger volume at the same place): the same run archives and records the file.
    subprocess.run(["umount", "-l", str(small_volume)], check=True)
    _mount(small_volume, "16m")
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("former_units", [FORMER])
        again = ingest.execute_in_process(partition_key=FORMER, instance=instance, raise_on_error=False)
    assert again.success
    archived = small_volume / "sha256" / before[:2] / before[2:4] / before
    assert archived.is_file() and sha256_file(archived) == before
    with engine.connect() as conn:
        assert conn.execute(select(File.sha256)).scalars().all() == [before]
    engine.dispose()
    record(
        "archive volume full while copying (a real 1 MiB tmpfs, a 2.5 MB scan)",
        "the run fails at dossier_files with ArchiveFull naming the archive and file; original unchanged; no partial copy; no file recorded; re-run on a larger volume",
        "clear error, nothing recorded, re-run archives and records the file",
        0,
    )
