"""Sensors: the inbox sensor adds a partition per new former-unit folder (commune or district) and runs
changed ones; the entities sensor links a new unit again when one of its former units was loaded; the
reviews sensor requests a run that takes in each review sheet archivists drop back, and the follow-ups
sensor the runs its decisions need."""

import datetime
import hashlib
import json

from dagster import (
    AssetKey,
    AssetRecordsFilter,
    DagsterRun,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from pipelines.jobs import (
    FOLLOW_UP_INGEST_TAG,
    FOLLOW_UP_LINK_TAG,
    SHEET_TAG,
    apply_review_sheet,
    ingest_former_unit,
    link_new_unit,
)
from pipelines.partitions import former_units, partition_requests
from resources import DossierStore, ReviewDesk


@sensor(job=ingest_former_unit, minimum_interval_seconds=30)
def inbox_sensor(context: SensorEvaluationContext, store: DossierStore) -> SensorResult:
    """Watch the inbox: each new `<former-unit-code>/` folder (a former commune's 5-digit code or a
    former district's 3-digit code, see `DossierStore.former_units`) becomes a partition (added in batches),
    and a run is requested for every folder whose files are new or changed since the last tick
    (a fingerprint of names, sizes and modification times, kept in the sensor's cursor).
    """
    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    units = store.former_units()
    existing = set(context.instance.get_dynamic_partitions(former_units.name))
    new_keys = [u for u in units if u not in existing]
    runs: list[RunRequest] = []
    current: dict[str, str] = {}
    for unit in units:
        fingerprint = store.fingerprint(unit)
        current[unit] = fingerprint
        if not store.files(unit):
            continue
        if seen.get(unit) != fingerprint:
            runs.append(RunRequest(run_key=f"{unit}:{fingerprint}", partition_key=unit))
    ignored = store.ignored_entries()
    if ignored:
        context.log.warning(
            f"{len(ignored)} inbox entries are not read: "
            + "; ".join(f"{name} ({why})" for name, why in ignored[:20])
        )
    if new_keys:
        context.log.info(
            f"{len(new_keys)} new former-unit folders: adding partitions {', '.join(new_keys[:20])}"
        )
    return SensorResult(
        run_requests=runs,
        dynamic_partitions_requests=list(partition_requests(former_units, new_keys)),
        cursor=json.dumps(current, sort_keys=True),
    )


@sensor(job=link_new_unit, minimum_interval_seconds=60, default_status=DefaultSensorStatus.RUNNING)
def entities_sensor(context: SensorEvaluationContext) -> SensorResult:
    """After a former unit's records are loaded (a `record_register` materialization), request the
    linkage run of every new unit they were routed to (its `new_units` metadata), once per load. The
    cursor is the storage id of the last materialization seen."""
    after = int(context.cursor) if context.cursor else 0
    result = context.instance.fetch_materializations(
        AssetRecordsFilter(asset_key=AssetKey("record_register"), after_storage_id=after),
        limit=1000,
        ascending=True,
    )
    units: dict[str, int] = {}
    last = after
    for record in result.records:
        if record.storage_id <= after:
            continue
        last = max(last, record.storage_id)
        materialization = record.asset_materialization
        routed = materialization.metadata.get("new_units") if materialization else None
        for code in (routed.value if routed is not None else []) or []:
            units[str(code)] = record.storage_id
    return SensorResult(
        run_requests=[
            RunRequest(run_key=f"{code}:{sid}", partition_key=code) for code, sid in sorted(units.items())
        ],
        cursor=str(last),
    )


@sensor(job=apply_review_sheet, minimum_interval_seconds=30, default_status=DefaultSensorStatus.RUNNING)
def reviews_sensor(context: SensorEvaluationContext, reviews: ReviewDesk) -> SensorResult:
    """Request one `apply_review_sheet` run per review sheet archivists drop into the reviews folder.

    The run checks the sheet whole, stores its decisions and files it away in one step, with its own
    run log (`sapnhap.review.intake.take_in_sheet`); `review_follow_ups_sensor` then requests the runs
    its decisions need. The run key is the sheet's name, content hash and modification time: the same
    drop is asked once; if its run fails, the sheet stays in the folder and re-executing that run
    takes it in (decisions already stored are not stored again). The log names files, never values.

    Runs by default (like `entities_sensor`): a sheet dropped in is taken in within a minute once a
    Dagster daemon runs (`make ui`); both only act on what arrives.
    """
    runs: list[RunRequest] = []
    for sheet in reviews.pending():
        digest = hashlib.sha256(sheet.read_bytes()).hexdigest()[:16]
        runs.append(
            RunRequest(
                run_key=f"sheet:{sheet.name}:{digest}:{sheet.stat().st_mtime_ns}",
                run_config={"ops": {"apply_review_sheet_op": {"config": {"sheet": sheet.name}}}},
                tags={"sapnhap/review_sheet": sheet.name[:200]},
            )
        )
        context.log.info(f"review sheet {sheet.name}: apply_review_sheet requested")
    return SensorResult(run_requests=runs)


def follow_up_requests(run: DagsterRun) -> list[RunRequest]:
    """The runs a finished `apply_review_sheet` run asks for, read from its tags (FOLLOW_UP_INGEST_TAG,
    FOLLOW_UP_LINK_TAG): an ingest run per former unit, then the new unit's linkage run; run keys carry
    the sheet's hash, so a sheet's follow-ups are requested once."""
    tags = run.tags
    digest = tags.get(SHEET_TAG, run.run_id)[:16]
    requests = [
        RunRequest(
            run_key=f"review:{former}:{digest}", partition_key=former, job_name=ingest_former_unit.name
        )
        for former in filter(None, tags.get(FOLLOW_UP_INGEST_TAG, "").split(","))
    ]
    unit = tags.get(FOLLOW_UP_LINK_TAG)
    if unit:
        requests.append(
            RunRequest(run_key=f"review:{unit}:{digest}", partition_key=unit, job_name=link_new_unit.name)
        )
    return requests


@sensor(
    jobs=[ingest_former_unit, link_new_unit],
    minimum_interval_seconds=30,
    default_status=DefaultSensorStatus.RUNNING,
)
def review_follow_ups_sensor(context: SensorEvaluationContext) -> SensorResult:
    """After a review sheet was applied, request what its decisions need (`follow_up_requests`): the
    ingest of the former units whose records or files were corrected or released, the linkage of the
    new unit for decided pairs.

    Reads the successful `apply_review_sheet` runs updated since its cursor (an ISO timestamp), oldest
    first, 100 a tick. On its first tick the cursor is empty and every such run is read: a sheet applied
    from the command line before the daemon ever ran is followed up too (a run-status sensor would
    only see runs that end after it started). Run keys carry the sheet's hash, so a run's follow-ups
    are requested once however often it is read.
    """
    after = datetime.datetime.fromisoformat(context.cursor) if context.cursor else None
    records = context.instance.get_run_records(
        filters=RunsFilter(
            job_name=apply_review_sheet.name, statuses=[DagsterRunStatus.SUCCESS], updated_after=after
        ),
        order_by="update_timestamp",
        ascending=True,
        limit=100,
    )
    requests = [request for record in records for request in follow_up_requests(record.dagster_run)]
    cursor = records[-1].update_timestamp.isoformat() if records else context.cursor
    return SensorResult(run_requests=requests, cursor=cursor)
