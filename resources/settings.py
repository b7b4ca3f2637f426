"""Where things live, read once from the environment with working defaults for a fresh clone.

| variable | default | what |
|---|---|---|
| SAPNHAP_HOME | `<repo>/var` | working folder: archive, Parquet warehouse, OCR cache, SQLite database |
| SAPNHAP_INBOX | `<repo>/samples/inbox` | inbox: one folder per former unit, named by its official code |
| SAPNHAP_ARCHIVE | `$SAPNHAP_HOME/archive` | content-addressed archive of originals (never modified) |
| SAPNHAP_DATABASE_URL | `sqlite:///$SAPNHAP_HOME/sapnhap.db` | unified database (SQLAlchemy URL; PostgreSQL in production); given to the resource as an `EnvVar`, so the UI shows its name, not its value |
| SAPNHAP_DATABASE_PASSWORD | none | the database password, kept out of the URL (an `EnvVar` too) |
| SAPNHAP_OCR_LANGUAGES | `vie` | Tesseract languages, e.g. `vie+eng` |
| SAPNHAP_OCR_DPI | `300` | resolution at which PDF pages are rendered for OCR |
| SAPNHAP_OCR_WORKERS | number of cores | Tesseract processes run at once |
| SAPNHAP_OCR_REPLAY | none | a recording of read pages (`python -m sapnhap.ocr.replay`): pages are replayed from it, Tesseract is not run |
| SAPNHAP_REPORTS | `$SAPNHAP_HOME/reports` | the commune office's staffing and backlog reports, one folder per new unit |
| SAPNHAP_POPULATION | `reference/population.csv` beside the inbox if there is one (a generated batch's), else the shipped table (empty) | population table of new units for the staffing quota (columns new_unit_code, population, mountain, source) |
| SAPNHAP_AS_OF | today in Vietnam | the day the staffing and backlog reports are made for (ISO date) |
| SAPNHAP_REVIEWS | `$SAPNHAP_HOME/reviews` | where archivists drop filled review sheets (the sheets are written to `$SAPNHAP_HOME/review_queue`) |
| SAPNHAP_EXECUTOR | `multiprocess` | how a run's steps are executed: `multiprocess` (Dagster's default, one machine), `in_process`, or `celery` (the deployment profile's Celery workers, `deploy/`) |
| SAPNHAP_CELERY_BROKER | `pyamqp://guest@127.0.0.1:5672//` | the Celery broker (RabbitMQ) when SAPNHAP_EXECUTOR=celery; given to the executor as an `EnvVar` when set, so a password in it stays out of the UI |
| SAPNHAP_CELERY_QUEUE | `sapnhap` | the Celery queue the steps are sent to and the workers listen on |
| SAPNHAP_LINKAGE_BACKEND | `duckdb` | where Splink runs the record linkage: `duckdb` (in process) or `spark` (needs pyspark, `pip install '.[spark]'`, and Java; `sapnhap.linkage.backends`) |
| SAPNHAP_DUCKDB_MEMORY_LIMIT | `4GB` | DuckDB's memory limit for the record linkage (`2GB`, `512MB`, `1.5GiB`, `75%`); past it DuckDB spills to a temporary folder; checked here, read by `sapnhap.linkage.backends.db_api` |
| SAPNHAP_SPARK_MASTER | `local[*]` | the Spark master URL when SAPNHAP_LINKAGE_BACKEND=spark: every core of this machine, or a cluster's (`spark://host:7077`, `yarn`); read from the environment by `sapnhap.linkage.backends.spark_session` when the first linkage starts Spark |
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sapnhap.linkage.backends import BACKENDS, DUCKDB_MEMORY_LIMIT, duckdb_memory_limit

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class ProjectSettings:
    """Resolved locations and OCR settings (paths absolute)."""

    home: Path
    inbox: Path
    archive: Path
    database_url: str
    ocr_languages: str
    ocr_dpi: int
    ocr_workers: int
    reviews: Path
    ocr_replay: Path | None = None
    reports: Path | None = None
    population: Path | None = None
    as_of: str = ""
    executor: str = "multiprocess"
    celery_broker: str = "pyamqp://guest@127.0.0.1:5672//"
    celery_queue: str = "sapnhap"
    linkage_backend: str = "duckdb"
    duckdb_memory_limit: str = DUCKDB_MEMORY_LIMIT

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> ProjectSettings:
        """Read the SAPNHAP_* variables (see the module docstring), falling back to the defaults.

        Raises:
            ValueError: when SAPNHAP_OCR_DPI or SAPNHAP_OCR_WORKERS is not a positive integer, or
                SAPNHAP_EXECUTOR is not one of `EXECUTORS`, or SAPNHAP_LINKAGE_BACKEND not one of
                `LINKAGE_BACKENDS`, or SAPNHAP_DUCKDB_MEMORY_LIMIT is not a memory size.
        """
        env = os.environ if environ is None else environ
        home = Path(env.get("SAPNHAP_HOME") or REPO_ROOT / "var").resolve()
        return cls(
            home=home,
            inbox=Path(env.get("SAPNHAP_INBOX") or REPO_ROOT / "samples" / "inbox").resolve(),
            archive=Path(env.get("SAPNHAP_ARCHIVE") or home / "archive").resolve(),
            database_url=env.get("SAPNHAP_DATABASE_URL") or f"sqlite:///{home / 'sapnhap.db'}",
            ocr_languages=env.get("SAPNHAP_OCR_LANGUAGES") or "vie",
            ocr_dpi=_positive_int(env, "SAPNHAP_OCR_DPI", 300),
            ocr_workers=_positive_int(env, "SAPNHAP_OCR_WORKERS", os.cpu_count() or 1),
            reviews=Path(env.get("SAPNHAP_REVIEWS") or home / "reviews").resolve(),
            ocr_replay=Path(env["SAPNHAP_OCR_REPLAY"]).resolve() if env.get("SAPNHAP_OCR_REPLAY") else None,
            reports=Path(env.get("SAPNHAP_REPORTS") or home / "reports").resolve(),
            population=Path(env["SAPNHAP_POPULATION"]).resolve() if env.get("SAPNHAP_POPULATION") else None,
            as_of=_iso_date(env, "SAPNHAP_AS_OF"),
            executor=_choice(env, "SAPNHAP_EXECUTOR", EXECUTORS),
            celery_broker=env.get("SAPNHAP_CELERY_BROKER") or "pyamqp://guest@127.0.0.1:5672//",
            celery_queue=env.get("SAPNHAP_CELERY_QUEUE") or "sapnhap",
            linkage_backend=_choice(env, "SAPNHAP_LINKAGE_BACKEND", LINKAGE_BACKENDS),
            duckdb_memory_limit=duckdb_memory_limit(env),
        )


EXECUTORS = ("multiprocess", "in_process", "celery")
LINKAGE_BACKENDS = BACKENDS  # sapnhap.linkage.backends: duckdb (default), spark


def _choice(env: os._Environ[str] | dict[str, str], name: str, choices: tuple[str, ...]) -> str:
    raw = (env.get(name) or choices[0]).strip()
    if raw not in choices:
        raise ValueError(f"{name}={raw!r} is not one of {', '.join(choices)}")
    return raw


def _iso_date(env: os._Environ[str] | dict[str, str], name: str) -> str:
    raw = (env.get(name) or "").strip()
    if raw:
        try:
            date.fromisoformat(raw)
        except ValueError:
            raise ValueError(f"{name}={raw!r} is not a date YYYY-MM-DD") from None
    return raw


def _positive_int(env: os._Environ[str] | dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not an integer") from None
    if value <= 0:
        raise ValueError(f"{name}={raw!r} must be positive")
    return value
