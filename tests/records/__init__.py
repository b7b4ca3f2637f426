"""Tests of sapnhap.records."""
