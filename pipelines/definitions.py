"""The one Definitions of sapnhap: assets, checks, resources, jobs and sensors.

Resources are configured from the environment (see `resources.settings`), with defaults that run
the shipped sample on a fresh clone: SQLite in `var/`, inbox `samples/inbox`.
"""

from __future__ import annotations

import os
from pathlib import Path

from dagster import Definitions, EnvVar, ExecutorDefinition, in_process_executor, load_assets_from_modules

from assets import (
    backlog,
    documents,
    intake,
    linkage,
    ocr,
    reconciliation,
    records,
    register,
    review,
    staffing,
    units,
)
from pipelines.jobs import apply_review_sheet, ingest_former_unit, link_new_unit
from pipelines.sensors import entities_sensor, inbox_sensor, review_follow_ups_sensor, reviews_sensor
from resources import (
    CommuneOffice,
    DossierStore,
    LinkageModel,
    OcrEngine,
    ParquetIOManager,
    ProjectSettings,
    ReplayOcrEngine,
    ReviewDesk,
    UnifiedDatabase,
)
from sapnhap.linkage.model import DEFAULT_MODEL_PATH

CELERY_BROKER_VARIABLE = "SAPNHAP_CELERY_BROKER"
DATABASE_URL_VARIABLE = "SAPNHAP_DATABASE_URL"
DATABASE_PASSWORD_VARIABLE = "SAPNHAP_DATABASE_PASSWORD"


def database_resource(settings: ProjectSettings | None = None) -> UnifiedDatabase:
    """The unified database resource. Read from the environment (`settings` None), the URL is the
    `EnvVar` SAPNHAP_DATABASE_URL when it is set, and the password the `EnvVar`
    SAPNHAP_DATABASE_PASSWORD whenever that is set: Dagster resolves them at run time and the UI's
    resource page shows the variables' names, never a password. Given `settings` (tests, scripts),
    their URL is used as is."""
    s = settings or ProjectSettings.from_env()
    url: str | EnvVar = s.database_url
    if settings is None and os.environ.get(DATABASE_URL_VARIABLE):
        url = EnvVar(DATABASE_URL_VARIABLE)
    password: str | EnvVar = (
        EnvVar(DATABASE_PASSWORD_VARIABLE) if os.environ.get(DATABASE_PASSWORD_VARIABLE) else ""
    )
    return UnifiedDatabase(url=url, password=password)


def executor(settings: ProjectSettings | None = None) -> ExecutorDefinition | None:
    """The executor of every job, from SAPNHAP_EXECUTOR: None for `multiprocess` (Dagster's default:
    a process per step on this machine), `in_process_executor`, or for `celery` Dagster's
    `celery_executor` sending each step to the queue SAPNHAP_CELERY_QUEUE of the broker
    SAPNHAP_CELERY_BROKER (an `EnvVar` when read from the environment: a password in the URL stays
    out of the UI), results over RabbitMQ (`rpc://`). The deployment profile (`pipelines.profile`,
    `deploy/`) starts the workers that listen on that queue."""
    s = settings or ProjectSettings.from_env()
    if s.executor == "in_process":
        return in_process_executor
    if s.executor != "celery":
        return None
    from dagster_celery import celery_executor

    broker: str | dict[str, str] = s.celery_broker
    if settings is None and os.environ.get(CELERY_BROKER_VARIABLE):
        broker = {"env": CELERY_BROKER_VARIABLE}
    return celery_executor.configured(
        {"broker": broker, "backend": "rpc://", "config_source": {"task_default_queue": s.celery_queue}},
        name="celery_executor",
    )


def build_resources(
    settings: ProjectSettings | None = None, ocr_cache_dir: Path | None = None
) -> dict[str, object]:
    """The resources for a given configuration (default: from the environment).

    `ocr_cache_dir` overrides the OCR cache folder (default `$SAPNHAP_HOME/cache/ocr`).
    """
    s = settings or ProjectSettings.from_env()
    return {
        "store": DossierStore(inbox_dir=str(s.inbox), archive_dir=str(s.archive)),
        "ocr": (
            ReplayOcrEngine(recordings_dir=str(s.ocr_replay), languages=s.ocr_languages, dpi=s.ocr_dpi)
            if s.ocr_replay
            else OcrEngine(
                languages=s.ocr_languages,
                dpi=s.ocr_dpi,
                workers=s.ocr_workers,
                cache_dir=str(ocr_cache_dir or s.home / "cache" / "ocr"),
            )
        ),
        "database": database_resource(settings),
        "warehouse": ParquetIOManager(base_dir=str(s.home / "warehouse")),
        "reviews": ReviewDesk(sheets_dir=str(s.home / "review_queue"), reviews_dir=str(s.reviews)),
        "office": CommuneOffice(
            reports_dir=str(s.reports or s.home / "reports"),
            population_table=str(s.population or _beside_inbox(s, "population.csv") or ""),
            as_of=s.as_of,
        ),
        "linkage": LinkageModel(
            model_path=str(s.home / "models" / "linkage_model.json"),
            shipped_path=str(DEFAULT_MODEL_PATH),
            backend=s.linkage_backend,
        ),
    }


def _beside_inbox(settings: ProjectSettings, name: str) -> Path | None:
    """`reference/<name>` beside the inbox when it exists (a generated batch's reference tables, as
    `DossierStore.villages` reads its villages), else None."""
    path = settings.inbox.parent / "reference" / name
    return path if path.is_file() else None


def build_definitions(
    settings: ProjectSettings | None = None, ocr_cache_dir: Path | None = None
) -> Definitions:
    """Definitions for a given configuration (tests pass their own temporary folders)."""
    return Definitions(
        assets=load_assets_from_modules(
            [
                intake,
                ocr,
                documents,
                records,
                register,
                reconciliation,
                units,
                linkage,
                review,
                staffing,
                backlog,
            ]
        ),
        jobs=[ingest_former_unit, link_new_unit, apply_review_sheet],
        sensors=[inbox_sensor, entities_sensor, reviews_sensor, review_follow_ups_sensor],
        resources=build_resources(settings, ocr_cache_dir),
        executor=executor(settings),
    )


defs = build_definitions()
