"""Partitions: dynamic partitions keyed by the former unit's official pre-2025 code, added in batches.

A key is a former commune's 5-digit code ("21058") or a former district's 3-digit code ("373"); the
two never collide, and `sapnhap.reference.units.find_unit` tells which unit a key is.
"""

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
