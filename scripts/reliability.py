"""`make reliability`: run the fault tests and write docs/reliability.md from what they record
(`tests.reliability.record`): the faults injected, what was checked, the result, the rows lost (must
be 0) and the kinds of bad input tried. Exits with pytest's status; the report is written only when
every fault test passed."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FAULT_TESTS = (
    "tests/pipelines/test_bad_input.py",
    "tests/intake/test_disk_full.py",
    "tests/ocr/test_ocr.py::test_cache_makes_rerun_skip_ocr_and_parallel_run_keeps_every_page",
    "tests/pipelines/test_security.py",
    "tests/pipelines/test_concurrent_runs.py",
    "tests/pipelines/test_kill.py",
    "tests/pipelines/test_database_outage.py",
    "tests/pipelines/test_profile.py",
)


def report(lines: list[dict], when: str) -> str:
    """The Markdown report of the recorded lines."""
    out = [
        "# Reliability: faults injected and bad input tried",
        "",
        f"Written by `make reliability` ({when}) from the fault tests ({', '.join(f'`{t}`' for t in FAULT_TESTS)}).",
        "Every test runs real processes and files: a real tmpfs, real PostgreSQL, real Tesseract.",
        "",
        "| fault | what was checked | result | rows or files lost |",
        "|---|---|---|---:|",
    ]
    out += [f"| {x['fault']} | {x['checked']} | {x['result']} | {x['rows_lost']} |" for x in lines]
    kinds = [k for x in lines for k in x["kinds"]]
    if kinds:
        out += ["", f"## Kinds of bad input tried at once ({len(kinds)})", ""]
        out += [f"- {k}" for k in kinds]
    out += ["", f"Rows or files lost in all: **{sum(x['rows_lost'] for x in lines)}**.", ""]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    """Run the fault tests, then write the report (default docs/reliability.md)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "reliability.md")
    args = parser.parse_args([] if argv is None else argv)
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "reliability.jsonl"
        env = {**os.environ, "SAPNHAP_RELIABILITY_LOG": str(log)}
        status = subprocess.call(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *FAULT_TESTS], cwd=ROOT, env=env
        )
        if status != 0:
            print("fault tests failed: report not written", file=sys.stderr)
            return status
        lines = (
            [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
            if log.exists()
            else []
        )
    args.out.write_text(report(lines, datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")), encoding="utf-8")
    print(f"{args.out}: {len(lines)} faults")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
