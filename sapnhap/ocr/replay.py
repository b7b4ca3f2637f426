"""Recorded page results, replayed instead of reading pages: the OCR stage's twin.

A recording is a folder holding one JSON file per page, `<file SHA-256>/<page number>.json` (the
`PageResult` as `to_row` gives it). Files are named by content, so a recording serves any inbox that
holds the same files, on any machine, whatever its Tesseract version. Uses: pipeline tests that check
the later stages without running Tesseract (`resources.ReplayOcrEngine`, the fast test lane), and
re-running extraction and loading on a machine without Tesseract.

- `record_pages(results, folder)` writes results (atomically, one file per page);
- `replay_pages(tasks, folder)` yields the recorded result of each task, marked `cached`; a page
  with no recording raises `MissingRecording`, never a silent gap;
- `python -m sapnhap.ocr.replay FILE... --out FOLDER` reads the files' pages for real (text layer or
  Tesseract, `process_page`) and records them.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from sapnhap.ocr.page import PageResult
from sapnhap.ocr.pages import OcrSettings, PageTask, process_page


class MissingRecording(LookupError):
    """A page the recording does not hold: record it (`python -m sapnhap.ocr.replay`) or read it for real."""


def recording_path(folder: Path, file_sha256: str, page_number: int) -> Path:
    """Where the recording of page `page_number` (1-based) of the file `file_sha256` is kept."""
    return Path(folder) / file_sha256 / f"{page_number}.json"


def record_pages(results: Iterable[PageResult], folder: Path) -> int:
    """Write each result into the recording `folder` (replacing an older recording of the page);
    returns how many were written."""
    written = 0
    for result in results:
        path = recording_path(folder, result.file_sha256, result.page_number)
        path.parent.mkdir(parents=True, exist_ok=True)
        row = result.to_row()
        row["seconds"], row["cached"] = 0.0, False
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(row, handle, ensure_ascii=False, sort_keys=True)
        os.replace(tmp, path)
        written += 1
    return written


def replay_pages(tasks: Iterable[PageTask], folder: Path) -> Iterator[PageResult]:
    """The recorded result of each task, in order, marked `cached`.

    Raises:
        MissingRecording: a task's page is not in the recording (the message names the file's hash
            prefix and the page, and how to record it).
    """
    for task in tasks:
        number = task.page_index + 1
        path = recording_path(folder, task.file_sha256, number)
        if not path.is_file():
            raise MissingRecording(
                f"no recorded page {number} of file {task.file_sha256[:16]} in {folder}: record it with "
                f"`python -m sapnhap.ocr.replay <file> --out {folder}`"
            )
        result = PageResult.from_row(json.loads(path.read_text(encoding="utf-8")))
        yield dataclasses.replace(result, cached=True)


def main(argv: list[str] | None = None) -> int:
    """Record the pages of the given files (read for real) into `--out`; prints what it wrote."""
    from sapnhap.intake.files import inspect_file

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--languages", default="vie")
    args = parser.parse_args(argv)
    settings = OcrSettings(languages=args.languages)
    total = 0
    for path in args.files:
        inspection = inspect_file(path)
        if inspection.quarantine_reason is not None:
            print(f"{path}: not recorded ({inspection.quarantine_reason})", file=sys.stderr)
            continue
        tasks = [
            PageTask(inspection.sha256, str(path), inspection.kind.value, i)
            for i in range(inspection.page_count)
        ]
        total += record_pages((process_page(t, settings) for t in tasks), args.out)
        print(f"{path}: {inspection.page_count} pages recorded")
    print(f"{total} pages in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
