"""Sensors: the inbox sensor adds a partition per new former-unit folder (commune or district) and runs
changed ones; the entities sensor links a new unit again when one of its former units was loaded; the
reviews sensor takes in the review sheets archivists drop back."""

import hashlib
import json

from dagster import (
    AssetKey,
    AssetRecordsFilter,
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from pipelines.jobs import ingest_former_unit, link_new_unit
from pipelines.partitions import former_units, partition_requests
from resources import DossierStore, ReviewDesk, UnifiedDatabase
from sapnhap.review.decisions import apply_decisions, item_states
from sapnhap.review.sheet import Problem, read_sheet, validate_sheet


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


@sensor(
    jobs=[link_new_unit, ingest_former_unit],
    minimum_interval_seconds=30,
    default_status=DefaultSensorStatus.RUNNING,
)
def reviews_sensor(
    context: SensorEvaluationContext, reviews: ReviewDesk, database: UnifiedDatabase
) -> SensorResult:
    """Take in the review sheets archivists drop into the reviews folder, one at a time.

    A sheet is checked whole before anything is applied (`sapnhap.review.sheet.validate_sheet`): with any
    problem (unknown item, invalid value, an item already decided, a sheet naming no or several new
    units ...) nothing is applied, the sheet goes to `rejected/` with a `.problems.txt` listing every
    problem, and the log says how many. A valid sheet's decisions are stored, each as a provenance
    event with who decided and why (`sapnhap.review.decisions.apply_decisions`), the sheet goes to
    `applied/`, and the runs that apply them are requested: the ingest run of every former unit whose
    records were corrected or released, or that handed over a released file (intake, extraction and
    validation take the decisions in; the entities sensor then links the new unit again), and the
    linkage run of the new unit for accepted and rejected pairs (or when nothing else is to run).
    The log never shows the sheet's values (names, numbers): only counts and file names.

    Runs by default (like `entities_sensor`): a sheet dropped in is taken in within a minute once a
    Dagster daemon runs (`make ui`); both only act on what arrives.
    """
    runs: list[RunRequest] = []
    for sheet in reviews.pending():
        digest = hashlib.sha256(sheet.read_bytes()).hexdigest()[:16]
        rows, problems = read_sheet(sheet)
        units = sorted({r.get("new_unit", "") for r in rows} - {""})
        decisions = []
        if not problems:
            # Every row is checked, also when the sheet names several units: all problems at once.
            known = {}
            for unit in units:
                known.update(item_states(database.engine, unit))
            decisions, problems = validate_sheet(rows, known)
            if len(units) != 1:
                problems.insert(
                    0,
                    Problem(
                        0, "", f"the sheet must name one new unit in its new_unit column, not {len(units)}"
                    ),
                )
        if problems:
            moved = reviews.file_away(sheet, "rejected", [str(p) for p in problems])
            context.log.warning(
                f"review sheet {sheet.name}: {len(problems)} problem{'s' if len(problems) != 1 else ''}, nothing "
                f"applied; see {moved.name}.problems.txt"
            )
            continue
        applied = apply_decisions(database.engine, units[0], decisions, sheet.name)
        moved = reviews.file_away(sheet, "applied")
        context.log.info(
            f"review sheet {sheet.name}: decisions stored: {applied.decisions} ({applied.accepted_pairs} pairs "
            f"accepted, {applied.rejected_pairs} rejected, {applied.corrections} corrections, {applied.releases} "
            f"records and {applied.file_releases} files released), filed as {moved.name}"
        )
        for former in applied.former_units:
            runs.append(
                RunRequest(
                    run_key=f"review:{former}:{digest}",
                    partition_key=former,
                    job_name=ingest_former_unit.name,
                )
            )
        # Merge decisions are applied by the unit's linkage run; corrections and releases by the
        # ingest runs above (after which the entities sensor links the unit again).
        if applied.accepted_pairs or applied.rejected_pairs or (decisions and not applied.former_units):
            runs.append(
                RunRequest(
                    run_key=f"review:{units[0]}:{digest}", partition_key=units[0], job_name=link_new_unit.name
                )
            )
    return SensorResult(run_requests=runs)
