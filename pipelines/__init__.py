"""Dagster Definitions, jobs, sensors and partitions of sapnhap."""
