"""Partitions: dynamic partitions keyed by the former unit's official pre-2025 code (`former_units`) and
by the new unit's post-2025 commune code (`new_units`), added in batches (`add_partitions`, or
`partition_requests` from a sensor). Defined in `assets.partitions`, where the assets use them.

A former-unit key is a former commune's 5-digit code ("21058") or a former district's 3-digit code
("373"); the two never collide, and `sapnhap.reference.units.find_unit` tells which unit a key is.
"""

from __future__ import annotations

from assets.partitions import PARTITION_BATCH, add_partitions, former_units, new_units, partition_requests

__all__ = ["PARTITION_BATCH", "add_partitions", "former_units", "new_units", "partition_requests"]
