"""`make bench` (part 2): throughput of the sample generator.

1. Dossier mode: dossiers generated per minute with every page at 300 dpi (profile `office300`: the
   default profile's effects and formats at 300 dpi), with 1 and with 2 rendering processes.
2. Records-only mode: records per second at 100,000 and 1,000,000 records, and peak memory.
Each measurement runs in its own process (`python -m sapnhap.samples ...`) so that its peak resident
memory (ru_maxrss of that child) is its own. Writes docs/benchmarks_samples.md and .json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"


_WRAPPER = """
import resource, runpy, sys
sys.argv = ["sapnhap.samples", *sys.argv[1:]]
try:
    runpy.run_module("sapnhap.samples", run_name="__main__")
except SystemExit as exit:
    if exit.code:
        raise
peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(f"PEAK_KIB {peak}", file=sys.stderr)
"""


def _run(args: list[str]) -> tuple[float, float]:
    """Run `python -m sapnhap.samples <args>` in a child; return (wall seconds, peak RSS MiB).

    The peak is the child's own maximum resident set, or that of its largest rendering worker if
    larger (ru_maxrss of RUSAGE_SELF and RUSAGE_CHILDREN, read inside the child).
    """
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _WRAPPER, *args], check=True, cwd=REPO, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    peak = next(int(line.split()[1]) for line in done.stderr.splitlines() if line.startswith("PEAK_KIB"))
    return elapsed, peak / 1024


def main() -> None:
    """Run the generator benchmarks and write docs/benchmarks_samples.md/json."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dossiers", type=int, default=40)
    parser.add_argument("--records", type=int, nargs="+", default=[100_000, 1_000_000])
    args = parser.parse_args()
    report: dict = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "dossiers": [],
        "records": [],
    }
    with tempfile.TemporaryDirectory(prefix="sapnhap-bench-samples-") as tmp:
        for workers in (1, 2):
            out = Path(tmp) / f"d{workers}"
            seconds, peak = _run(
                ["dossiers", "--dossiers", str(args.dossiers), "--profile", "office300", "--workers", str(workers),
                 "--out", str(out)]
            )  # fmt: skip
            manifest = json.loads((out / "ground_truth" / "manifest.json").read_text(encoding="utf-8"))
            counts = manifest["counts"]
            size = sum(p.stat().st_size for p in (out / "inbox").rglob("*") if p.is_file())
            row = {
                "workers": workers,
                "dossiers": counts["documents"],
                "pages": counts["pages"],
                "seconds": round(seconds, 1),
                "dossiers_per_minute": round(counts["documents"] / seconds * 60, 1),
                "pages_per_minute": round(counts["pages"] / seconds * 60, 1),
                "inbox_mb": round(size / 1e6, 1),
                "peak_rss_mib": round(peak),
            }
            print(row)
            report["dossiers"].append(row)
        for n in args.records:
            out = Path(tmp) / f"r{n}"
            seconds, peak = _run(["records", "--records", str(n), "--out", str(out)])
            manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
            row = {
                "records": manifest["counts"]["records"],
                "persons": manifest["counts"]["persons"],
                "seconds": round(seconds, 1),
                "records_per_second": round(manifest["counts"]["records"] / seconds),
                "peak_rss_mib": round(peak),
            }
            print(row)
            report["records"].append(row)
    DOCS.mkdir(exist_ok=True)
    (DOCS / "benchmarks_samples.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    lines = [
        "# Sample generator benchmarks",
        "",
        f"Run {report['date']} on {report['machine']} by `make bench` (`scripts/bench_samples.py`).",
        "Wall time of the whole command, process start-up included.",
        "",
        "## Dossier mode, every page at 300 dpi (profile `office300`)",
        "",
        "| processes | dossiers | pages | seconds | dossiers/min | pages/min | inbox MB | peak RSS MiB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
        *[
            f"| {r['workers']} | {r['dossiers']} | {r['pages']} | {r['seconds']} | {r['dossiers_per_minute']} | "
            f"{r['pages_per_minute']} | {r['inbox_mb']} | {r['peak_rss_mib']} |"
            for r in report["dossiers"]
        ],
        "",
        "## Records-only mode",
        "",
        "Peak memory: the largest resident set of the command's process (or of its largest rendering",
        "worker in dossier mode).",
        "",
        "| records | persons | seconds | records/s | peak RSS MiB |",
        "|---:|---:|---:|---:|---:|",
        *[
            f"| {r['records']:,} | {r['persons']:,} | {r['seconds']} | {r['records_per_second']:,} | "
            f"{r['peak_rss_mib']} |"
            for r in report["records"]
        ],
        "",
    ]
    (DOCS / "benchmarks_samples.md").write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main()
