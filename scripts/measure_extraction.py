"""Field extraction accuracy on a generated sample, with real OCR.

Generates a sample (`sapnhap.samples.generator.generate`; reused when its manifest is there), reads
every page of every processed file with `sapnhap.ocr.process_page` (PDF text layer or Tesseract;
cached in `<out>/ocr_cache`), groups the pages into documents by `documents.csv`, extracts the
fields (`sapnhap.records.extract.extract_document`, re-reading small or unsure fields from the page image)
and scores them against `fields.csv` (the truth's `value`) with `sapnhap.evaluation.scores.field_accuracy`.

Prints exact-match accuracy per document type and field, overall accuracy for names (with
diacritics), dates and ID numbers, and every wrong field with its page's scan effects.

    .venv/bin/python scripts/measure_extraction.py --out var/extraction_measure --dossiers 60
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from sapnhap.evaluation.scores import field_accuracy  # noqa: E402
from sapnhap.ocr import OcrSettings, PageTask, run_pages  # noqa: E402
from sapnhap.records.extract import extract_document  # noqa: E402
from sapnhap.records.reread import PageImageCropReader  # noqa: E402
from sapnhap.samples.generator import GeneratorConfig, generate  # noqa: E402
from sapnhap.text import normalise_for_cer  # noqa: E402

NAME_FIELDS = ("full_name",)
DATE_FIELDS = (
    "birth_date",
    "registration_date",
    "death_time",
    "recruited_date",
    "received_date",
    "appointment_date",
    "declared_at",
    "birth_year",
)
ID_FIELDS = ("personal_id",)
_KIND = {"jpeg": "jpeg", "png": "png", "tiff": "tiff"}


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def measure(out: Path, dossiers: int, seed: int, profile: str, workers: int, reread: bool) -> int:
    """Generate (if needed), OCR, extract and print the accuracy tables; returns the exit code."""
    if not (out / "ground_truth" / "manifest.json").exists():
        started = time.perf_counter()
        generate(GeneratorConfig(dossiers=dossiers, seed=seed, profile=profile), out)
        print(
            f"generated {dossiers} dossiers (profile {profile}, seed {seed}) in {time.perf_counter() - started:.0f} s"
        )
    truth_dir = out / "ground_truth"
    pages = _read(truth_dir / "pages.csv")
    documents = _read(truth_dir / "documents.csv")
    truth = _read(truth_dir / "fields.csv").merge(documents[["doc_id", "doc_type"]], on="doc_id")

    settings = OcrSettings()
    tasks = {
        (row.sha256, int(row.page)): PageTask(
            row.sha256, str(out / "inbox" / row.path), _KIND.get(row.format, "pdf"), int(row.page) - 1
        )
        for row in pages.itertuples()
    }
    started = time.perf_counter()
    results = {
        (r.file_sha256, r.page_number): r
        for r in run_pages(tasks.values(), settings, cache_dir=out / "ocr_cache", workers=workers)
    }
    print(f"read {len(results)} pages in {time.perf_counter() - started:.0f} s")

    started = time.perf_counter()
    rows = []
    rereads = 0
    for doc in documents.itertuples():
        numbers = range(int(doc.first_page), int(doc.last_page) + 1)
        doc_pages = [results[(doc.sha256, n)] for n in numbers]
        reader = None
        if reread:
            reader = PageImageCropReader(
                {n: tasks[(doc.sha256, n)] for n in numbers},
                {n: results[(doc.sha256, n)] for n in numbers},
                settings,
            )
        for f in extract_document(doc_pages, doc.doc_type, crop_reader=reader):
            if f.status == "found":
                rows.append({"doc_id": doc.doc_id, **f.as_row()})
        rereads += reader.calls if reader else 0
    predicted = pd.DataFrame(rows)
    print(
        f"extracted {len(documents)} documents in {time.perf_counter() - started:.0f} s ({rereads} crops re-read)"
    )

    table = field_accuracy(truth, predicted)
    print("\nExact-match accuracy per document type and field (n = fields in the truth)\n")
    print("| document type | field | n | correct | accuracy |")
    print("|---|---|---:|---:|---:|")
    for row in table.itertuples():
        print(f"| {row.doc_type} | {row.field} | {row.n} | {row.correct} | {row.accuracy:.1%} |")
    print("\n| group | n | correct | accuracy |")
    print("|---|---:|---:|---:|")
    for name, fields in (
        ("names (with diacritics)", NAME_FIELDS),
        ("dates", DATE_FIELDS),
        ("ID numbers", ID_FIELDS),
    ):
        part = table[table["field"].isin(fields)]
        n, correct = int(part["n"].sum()), int(part["correct"].sum())
        print(f"| {name} | {n} | {correct} | {correct / n:.1%} |")
    n, correct = int(table["n"].sum()), int(table["correct"].sum())
    print(f"| all fields | {n} | {correct} | {correct / n:.1%} |")

    merged = truth.merge(predicted, on=["doc_id", "role", "field"], how="left", suffixes=("", "_got"))
    merged["value_got"] = merged["value_got"].fillna("<missing>")
    wrong = merged[
        [
            normalise_for_cer(a) != normalise_for_cer(b)
            for a, b in zip(merged["value"], merged["value_got"], strict=True)
        ]
    ]
    page_info = pages.assign(page=pages["page"].astype(int)).set_index(["sha256", "page"])
    doc_info = documents.set_index("doc_id")
    print(f"\nWrong fields ({len(wrong)}):\n")
    for row in wrong.itertuples():
        doc = doc_info.loc[row.doc_id]
        page_no = (
            int(row.page) if isinstance(row.page, float) and row.page == row.page else int(doc.first_page)
        )
        effects = page_info.loc[(doc.sha256, page_no)]
        how = (
            f"{effects.format} {effects.dpi}dpi"
            + (" grey" if effects.grayscale == "True" else "")
            + (" seal" if effects.seal == "True" else "")
            + (f" blur{effects.blur_radius}" if effects.blur_radius not in ("0.0", "") else "")
            + (f" speckle{effects.speckle}" if effects.speckle not in ("0.0", "") else "")
        )
        print(
            f"- {row.doc_id} {row.doc_type} {row.role or '-'}.{row.field}: truth {row.value!r} got "
            f"{row.value_got!r} [{row.method if isinstance(row.method, str) else ''} "
            f"conf {row.confidence}] ({how}) {row.note if isinstance(row.note, str) else ''}"
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "var" / "extraction_measure")
    parser.add_argument("--dossiers", type=int, default=60)
    parser.add_argument("--seed", type=int, default=20250702)
    parser.add_argument("--profile", default="default")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-reread", action="store_true", help="do not re-read fields from page crops")
    args = parser.parse_args(argv)
    return measure(args.out, args.dossiers, args.seed, args.profile, args.workers, not args.no_reread)


if __name__ == "__main__":
    sys.exit(main())
