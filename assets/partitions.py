"""Partitions shared by the assets: one dynamic partition per former unit (its official code)."""

from dagster import DynamicPartitionsDefinition

former_units = DynamicPartitionsDefinition(name="former_units")
