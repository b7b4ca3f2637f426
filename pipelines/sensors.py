"""Sensors: the inbox sensor adds a partition per new former-unit folder (commune or district) and runs changed ones."""

import json

from dagster import RunRequest, SensorEvaluationContext, SensorResult, sensor

from pipelines.jobs import ingest_former_unit
from pipelines.partitions import former_units, partition_requests
from resources import DossierStore


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
        dynamic_partitions_requests=list(partition_requests(new_keys)),
        cursor=json.dumps(current, sort_keys=True),
    )
