"""Partitions: dynamic partitions keyed by the former unit's official code, added in batches."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from dagster import AddDynamicPartitionsRequest

from assets.partitions import former_units

# Keys per request: adding tens of thousands of keys in one request is slow on the default SQLite
# instance storage; batches keep each write short.
PARTITION_BATCH = 500

__all__ = ["PARTITION_BATCH", "former_units", "partition_requests"]


def partition_requests(
    keys: Iterable[str], batch: int = PARTITION_BATCH
) -> Iterator[AddDynamicPartitionsRequest]:
    """Requests adding `keys` to the former-unit partitions, `batch` keys at a time."""
    keys = list(keys)
    for start in range(0, len(keys), batch):
        yield former_units.build_add_request(keys[start : start + batch])
