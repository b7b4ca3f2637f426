"""Fixtures shared by the pipeline tests."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from sapnhap.samples.generator import PROFILES, GeneratorConfig, generate


@pytest.fixture(scope="session")
def scanned_inbox(tmp_path_factory) -> Path:
    """A small generated batch of scans (JPEG, PNG, TIFF: every page OCR'd) and born-digital PDFs."""
    root = tmp_path_factory.mktemp("kill-sample")
    profile = {
        **dataclasses.asdict(PROFILES["clean"]),
        "name": "mixed",
        "format_weights": {"png": 0.5, "tiff": 0.3, "pdf_digital": 0.2},
    }
    (root / "mixed.json").write_text(json.dumps(profile), encoding="utf-8")
    config = GeneratorConfig(
        dossiers=10, seed=13, profile=str(root / "mixed.json"), exact_duplicates=1, broken_files=1, workers=1
    )
    generate(config, root / "sample")
    return root / "sample" / "inbox"
