"""Command line: `python -m sapnhap.samples dossiers ...` or `python -m sapnhap.samples records ...`."""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

from sapnhap.samples.generator import PROFILES, GeneratorConfig, SampleConfigError, generate
from sapnhap.samples.geography import ScenarioError
from sapnhap.samples.records import RecordsConfig, write_records


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, generate, print a one-screen summary; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m sapnhap.samples",
        description="Generate a merged unit's hand-over (dossier files + ground truth) or records-only tables.",
    )
    sub = parser.add_subparsers(dest="mode", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--new-unit", default="14488", help="new (post-2025) commune code (default 14488 Xã Gia Vân)"
    )
    common.add_argument(
        "--duplicates", type=float, default=0.3, help="share of documents naming an already-seen person"
    )
    common.add_argument(
        "--district-share",
        type=float,
        default=0.2,
        help="share of documents in the former district's archive",
    )
    common.add_argument("--seed", type=int, default=20250701)
    common.add_argument("--out", type=Path, required=True, help="output folder")
    d = sub.add_parser(
        "dossiers", parents=[common], help="rendered dossier files in an inbox, with ground truth"
    )
    d.add_argument("--dossiers", type=int, default=60, help="documents to generate")
    d.add_argument(
        "--profile",
        default="default",
        help=f"scan quality profile: {', '.join(PROFILES)}, or a JSON file with every ScanProfile field",
    )
    d.add_argument(
        "--exact-duplicates", type=int, default=None, help="extra byte-identical copies (default ~3%%)"
    )
    d.add_argument("--broken", type=int, default=None, help="broken files (default ~5%%)")
    d.add_argument(
        "--variant-share",
        type=float,
        default=0.25,
        help="share of birth, marriage and death extracts in the variant layout family (default 0.25)",
    )
    d.add_argument(
        "--workers", type=int, default=2, help="rendering processes (the bytes do not depend on it)"
    )
    d.add_argument("--overwrite", action="store_true", help="replace a previously generated sample in --out")
    r = sub.add_parser("records", parents=[common], help="records-only tables (Parquet), no images")
    r.add_argument(
        "--records", type=int, default=100_000, help="at least this many (a document's people stay together)"
    )
    r.add_argument("--overwrite", action="store_true", help="replace an earlier records-only output in --out")
    p = sub.add_parser(
        "profile", help="print a scan profile as JSON, to edit and pass back with --profile FILE.json"
    )
    p.add_argument("name", choices=list(PROFILES))
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.mode == "profile":
        print(json.dumps(asdict(PROFILES[args.name]), ensure_ascii=False, indent=2))
        return 0
    try:
        if args.mode == "records":
            manifest = write_records(
                RecordsConfig(args.records, args.new_unit, args.duplicates, args.district_share, args.seed),
                args.out,
                overwrite=args.overwrite,
            )
            counts = manifest["counts"]
            print(
                f"{counts['records']} records of {counts['persons']} persons from {counts['documents']} documents "
                f"in {manifest['seconds']:.1f} s ({manifest['records_per_second']:.0f} records/s) → {args.out}"
            )
            return 0
        config = GeneratorConfig(
            new_unit=args.new_unit, dossiers=args.dossiers, duplicate_share=args.duplicates,
            district_share=args.district_share, profile=args.profile, seed=args.seed,
            exact_duplicates=args.exact_duplicates, broken_files=args.broken, workers=args.workers,
            variant_share=args.variant_share,
        )  # fmt: skip
        result = generate(config, args.out, overwrite=args.overwrite)
    except (ScenarioError, SampleConfigError, FileExistsError) as exc:
        print(f"sapnhap.samples: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # the output folder cannot be written
        print(f"sapnhap.samples: cannot write to {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    s, c = result.scenario, result.counts
    elapsed = time.perf_counter() - started
    print(f"New unit {s.new_unit} {s.new_unit_name}, {s.new_province_name}")
    print(
        f"  former communes merged into it: {', '.join(s.merged)}; former district {s.district_code} {s.district_name}"
    )
    print(
        f"  split former communes in the district: {', '.join(c.code + ' ' + c.name for c in s.split_communes())}"
    )
    print(
        f"{c['documents']} documents, {c['pages']} pages in {c['files']} files "
        f"({c['exact_duplicate_files']} exact duplicates, {c['broken_files']} broken); {c['persons']} persons, "
        f"{c['records']} records ({c['repeated_appearances']} repeated appearances) in {elapsed:.1f} s "
        f"({c['documents'] / elapsed * 60:.0f} dossiers/min)"
    )
    print(f"Inbox: {args.out / 'inbox'}   ground truth: {args.out / 'ground_truth'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
