"""Partitions shared by the assets: one dynamic partition per former unit (its official pre-2025 code),
and one per new unit (its official post-2025 commune code) for the assets that gather former units."""

from collections.abc import Iterable, Iterator

from dagster import AddDynamicPartitionsRequest, DagsterInstance, DynamicPartitionsDefinition

former_units = DynamicPartitionsDefinition(name="former_units")

new_units = DynamicPartitionsDefinition(name="new_units")

# Keys per write: adding tens of thousands of keys in one request is slow on the default SQLite
# instance storage; batches keep each write short.
PARTITION_BATCH = 500


def add_partitions(
    instance: DagsterInstance, partitions: DynamicPartitionsDefinition, keys: Iterable[str]
) -> list[str]:
    """Add the keys the instance does not know yet to `partitions`, `PARTITION_BATCH` at a time; the one
    way the demo, the evaluation and the assets add partitions (a sensor returns `partition_requests`
    instead). Returns the keys added, sorted."""
    known = set(instance.get_dynamic_partitions(partitions.name))
    new = sorted(set(keys) - known)
    for start in range(0, len(new), PARTITION_BATCH):
        instance.add_dynamic_partitions(partitions.name, new[start : start + PARTITION_BATCH])
    return new


def partition_requests(
    partitions: DynamicPartitionsDefinition, keys: Iterable[str], batch: int = PARTITION_BATCH
) -> Iterator[AddDynamicPartitionsRequest]:
    """Requests (for a sensor's result) adding `keys` to `partitions`, `batch` keys at a time."""
    keys = list(keys)
    for start in range(0, len(keys), batch):
        yield partitions.build_add_request(keys[start : start + batch])
