"""OCR: the text of every page, from the PDF's own text layer when real, else Tesseract."""

import time

import pandas as pd
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    MetadataValue,
    Output,
    asset,
)

from assets.metadata import markdown_table, metadata_table
from assets.operations import DATA_ENGINEERS, OCR_POOL
from assets.partitions import former_units
from resources import OcrEngine, UnifiedDatabase
from sapnhap.db.load import record_events
from sapnhap.ocr import PageTask
from sapnhap.ocr.page import PageResult
from sapnhap.reference.units import former_unit_label

LOW_CONFIDENCE = 70.0
PAGE_COLUMNS = list(PageResult(file_sha256="", page_number=0, method="failed", reason="").to_row())


@asset(
    partitions_def=former_units,
    group_name="ocr",
    kinds={"tesseract", "pdf"},
    pool=OCR_POOL,
    owners=[DATA_ENGINEERS],
    io_manager_key="warehouse",
    check_specs=[
        AssetCheckSpec(
            "pages_readable",
            asset="ocr_pages",
            description="Lists the pages that could not be read, or were read with low OCR confidence, "
            "with their file and page, for an archivist to look at.",
        )
    ],
)
def ocr_pages(
    context: AssetExecutionContext, dossier_files: pd.DataFrame, ocr: OcrEngine, database: UnifiedDatabase
):
    """The text of every page of every archived file, with word boxes and confidences.

    A PDF page keeps its own text layer when that is real text (read with pdfplumber, NFC); a page
    whose text layer is empty, `(cid:NN)` glyph codes, TCVN3/VNI mojibake, scrambled, or an old
    invisible OCR layer over a scan is rendered at 300 dpi and read with Tesseract `vie`, after
    being set upright and straightened. Each page records the method, the reason and the mean OCR
    confidence. Results are cached by page image, so a re-run does not OCR again.
    """
    ocr.check()
    archived = dossier_files[dossier_files["status"] == "archived"].drop_duplicates("sha256")
    tasks = [
        PageTask(file_sha256=row.sha256, path=row.archive_path, kind=row.kind, page_index=i)
        for row in archived.itertuples()
        for i in range(int(row.page_count))
    ]
    total = len(tasks)
    started = time.perf_counter()
    done = 0
    step = max(1, total // 20)

    def progress(result: PageResult) -> None:
        nonlocal done
        done += 1
        if done == total or done % step == 0:
            rate = done / max(time.perf_counter() - started, 1e-9)
            context.log.info(f"pages {done} of {total} read ({rate:.2f} pages/s)")

    results = sorted(ocr.read_pages(tasks, on_result=progress), key=lambda r: (r.file_sha256, r.page_number))
    elapsed = time.perf_counter() - started
    table = pd.DataFrame([r.to_row() for r in results], columns=PAGE_COLUMNS)
    record_events(database.engine, [_event(r, context.run.run_id) for r in results])

    names = dict(zip(archived["sha256"], archived["original_path"], strict=False))
    ocr_rows = table[table["method"] == "ocr"]
    low = ocr_rows[ocr_rows["mean_confidence"].fillna(0) < LOW_CONFIDENCE]
    failed = table[table["method"] == "failed"]
    by_method = table["method"].value_counts().to_dict()
    mean_conf = float(ocr_rows["mean_confidence"].mean()) if not ocr_rows.empty else None
    yield Output(
        table,
        metadata={
            "pages": len(table),
            "pages_text_layer": int(by_method.get("text_layer", 0)),
            "pages_ocr": int(by_method.get("ocr", 0)),
            "pages_failed": int(by_method.get("failed", 0)),
            "pages_from_cache": int(table["cached"].sum()) if len(table) else 0,
            "mean_ocr_confidence": round(mean_conf, 2) if mean_conf is not None else None,
            "seconds": round(elapsed, 1),
            "pages_per_second": round(len(table) / elapsed, 3) if elapsed > 0 else None,
            "engine": f"tesseract {ocr.version()} ({ocr.languages}, {ocr.dpi} dpi)",
            "summary": MetadataValue.md(
                "\n\n".join(
                    [
                        f"### {former_unit_label(context.partition_key)}: {len(table)} pages read in {elapsed:.0f} s",
                        markdown_table(
                            ["method", "reason", "pages"],
                            table.groupby(["method", "reason"]).size().reset_index().values.tolist(),
                        ),
                        f"#### Pages with OCR confidence under {LOW_CONFIDENCE:.0f}",
                        _page_table(low, names),
                    ]
                )
            ),
        },
    )
    yield AssetCheckResult(
        check_name="pages_readable",
        passed=failed.empty and low.empty,
        severity=AssetCheckSeverity.WARN,
        description=f"Pages that failed or whose OCR confidence is under {LOW_CONFIDENCE:.0f}: worth a look.",
        metadata={
            "failed": len(failed),
            "low_confidence": len(low),
            "former_unit": former_unit_label(context.partition_key),
            "items": _page_table(pd.concat([failed, low]), names, table=True),
        },
    )


def _page_table(pages: pd.DataFrame, names: dict[str, str], table: bool = False):
    """The pages as a Markdown table (asset metadata) or a metadata table (`table`: check results)."""
    rows = [
        [
            names.get(r.file_sha256, r.file_sha256[:12]),
            r.page_number,
            r.method,
            r.reason,
            r.mean_confidence,
            r.error,
        ]
        for r in pages.itertuples()
    ]
    headers = ["file", "page", "method", "reason", "confidence", "error"]
    return metadata_table(headers, rows) if table else markdown_table(headers, rows)


def _event(result: PageResult, run_id: str) -> dict:
    return {
        "subject_type": "page",
        "subject_id": f"{result.file_sha256}:{result.page_number}",
        "action": "ocr"
        if result.method == "ocr"
        else "text_layer"
        if result.method == "text_layer"
        else "read",
        "tool": result.engine or "sapnhap.ocr",
        "tool_version": result.engine_version,
        "outcome": result.method,
        "detail": result.reason if not result.error else f"{result.reason}: {result.error}",
        "occurred_at": None,
        "run_id": run_id,
    }
