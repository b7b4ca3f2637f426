"""Scaling out with the deployment profile: the same four former units through the queue on 1 Celery
worker and on 2 (each worker one Tesseract process, `SAPNHAP_OCR_WORKERS=1`), side by side in one
run, fresh instance, database and OCR cache each time. Writes docs/scaling.md and docs/scaling.json.

    python -m scripts.scale_out [--dossiers 100] [--workers 1 2]    # make scaling

Needs PostgreSQL and RabbitMQ on loopback, as the profile does.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import shutil
import socket
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select, text

from pipelines.profile import ensure_database, launch, profile_from_env, start, stop, wait_for_runs
from resources.settings import REPO_ROOT
from sapnhap.db.session import make_engine
from sapnhap.db.sql import PAGES
from sapnhap.samples.generator import PROFILES, GeneratorConfig, generate

ADMIN_URL = os.environ.get("SAPNHAP_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _sample(root: Path, dossiers: int) -> Path:
    """A batch of scans only (every page goes through Tesseract) over the default new unit's former
    units."""
    profile = {
        **dataclasses.asdict(PROFILES["clean"]),
        "name": "scans",
        "format_weights": {"png": 0.6, "tiff": 0.4},
    }
    (root / "scans.json").write_text(json.dumps(profile), encoding="utf-8")
    config = GeneratorConfig(dossiers=dossiers, seed=20250701, profile=str(root / "scans.json"), workers=1)
    generate(config, root / "sample")
    return root / "sample" / "inbox"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure(inbox: Path, workers: int, root: Path) -> dict:
    """One profile with `workers` workers over `inbox`: every former unit launched at once; wall
    time from the first submission to the last run's end, pages loaded, pages/s."""
    tag = uuid.uuid4().hex[:8]
    names = {"dagster": f"sapnhap_scale_dagster_{tag}", "unified": f"sapnhap_scale_{tag}"}
    instance_url = f"postgresql+psycopg2://postgres@127.0.0.1:5432/{names['dagster']}"
    unified_url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{names['unified']}"
    for url in (instance_url, unified_url):
        ensure_database(url)
    home = root / f"home-{workers}"
    environ = {
        **os.environ,
        "SAPNHAP_HOME": str(home),
        "SAPNHAP_INBOX": str(inbox),
        "SAPNHAP_DAGSTER_PG_URL": instance_url,
        "SAPNHAP_DATABASE_URL": unified_url,
        "SAPNHAP_CELERY_QUEUE": f"sapnhap-scale-{tag}",
        "SAPNHAP_OCR_WORKERS": "1",
    }
    units = sorted(p.name for p in inbox.iterdir() if p.is_dir())
    profile = profile_from_env(
        environ, state_dir=root / f"profile-{workers}", workers=workers, port=_free_port()
    )
    start(profile)
    try:
        began = time.perf_counter()
        run_ids = launch(profile, units)
        statuses = wait_for_runs(profile, run_ids, timeout=3600)
        seconds = time.perf_counter() - began
    finally:
        stop(profile)
    engine = make_engine(unified_url)
    with engine.connect() as conn:
        pages = conn.execute(select(func.count()).select_from(PAGES)).scalar_one()
    engine.dispose()
    admin = make_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in names.values():
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
    shutil.rmtree(home, ignore_errors=True)
    return {
        "workers": workers,
        "former_units": len(units),
        "runs_succeeded": sum(s == "SUCCESS" for s in statuses.values()),
        "pages": pages,
        "seconds": round(seconds, 1),
        "pages_per_second": round(pages / seconds, 3) if seconds else None,
    }


def report(rows: list[dict], dossiers: int) -> str:
    """docs/scaling.md."""
    base = rows[0]["pages_per_second"] or 0
    lines = [
        "# Scaling out: the deployment profile on 1 and 2 Celery workers",
        "",
        f"Written by `make scaling` (`scripts/scale_out.py`) on {datetime.now(UTC):%Y-%m-%d}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}. One run, side by side: the same "
        f"{dossiers} generated scanned dossiers (PNG and TIFF, every page through Tesseract) over "
        f"{rows[0]['former_units']} former units, all launched at once through the queue; each worker takes one "
        "step at a time with one Tesseract process; a fresh Dagster instance, unified database and OCR cache "
        "each time. Time runs from the first submission to the end of the last run.",
        "",
        "| workers | runs succeeded | pages | seconds | pages/s | vs 1 worker |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        ratio = f"{row['pages_per_second'] / base:.2f}×" if base else "n/a"
        lines.append(
            f"| {row['workers']} | {row['runs_succeeded']}/{row['former_units']} | {row['pages']} | "
            f"{row['seconds']} | {row['pages_per_second']} | {ratio} |"
        )
    lines += [
        "",
        "On this machine every worker, run process, the daemon and the webserver share its cores, so the "
        "second worker can at best double the OCR throughput and the orchestration takes its share; on "
        "worker machines of their own the workers add their cores. What must be shared between machines is "
        'in the README, section "Scaling out".',
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    """Measure and write docs/scaling.md and docs/scaling.json."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dossiers", type=int, default=100)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sapnhap-scale-") as tmp:
        root = Path(tmp)
        inbox = _sample(root, args.dossiers)
        rows = []
        for workers in args.workers:
            rows.append(measure(inbox, workers, root))
            print(json.dumps(rows[-1]))
    docs = REPO_ROOT / "docs"
    (docs / "scaling.json").write_text(json.dumps({"dossiers": args.dossiers, "runs": rows}, indent=2) + "\n")
    (docs / "scaling.md").write_text(report(rows, args.dossiers), encoding="utf-8")
    print(f"wrote {docs / 'scaling.md'}")


if __name__ == "__main__":
    main()
