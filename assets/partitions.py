"""Partitions shared by the assets: one dynamic partition per former unit (its official pre-2025 code),
and one per new unit (its official post-2025 commune code) for the assets that gather former units."""

from dagster import DynamicPartitionsDefinition

former_units = DynamicPartitionsDefinition(name="former_units")

new_units = DynamicPartitionsDefinition(name="new_units")
