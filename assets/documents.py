"""Documents: pages grouped into documents, each with its recognised type."""

import pandas as pd
from dagster import AssetExecutionContext, MetadataValue, Output, asset

from assets.metadata import markdown_table
from assets.operations import DATA_ENGINEERS
from assets.partitions import former_units
from resources import UnifiedDatabase
from sapnhap.documents.titles import group_pages
from sapnhap.ocr.sheets import EMPTY_SHEET_REASON
from sapnhap.reference.units import former_unit_label
from sapnhap.review.decisions import document_types_for, retype_documents

DOCUMENT_COLUMNS = ["file_sha256", "first_page", "last_page", "doc_type", "type_rule", "title"]


@asset(
    partitions_def=former_units,
    group_name="ocr",
    kinds={"python"},
    owners=[DATA_ENGINEERS],
    io_manager_key="warehouse",
)
def documents(context: AssetExecutionContext, ocr_pages: pd.DataFrame, database: UnifiedDatabase):
    """The documents found in each file: a page with the national motto at its head starts a new
    document; the type (birth, marriage or death registration, staff CV, procedure receipt, the
    administrative document types of Decree 30/2020/NĐ-CP — decision, resolution, directive, notice,
    report, plan, submission, official letter — the other titles of the civil-status and personal-paper
    catalogue, or unknown) is read from the title, with the rule that matched. A type an archivist
    gave a document in a review sheet (a document that yielded no person record) replaces the
    recognised one (rule `archivist: was <type>`).
    """
    rows: list[dict] = []
    for sha, pages in ocr_pages.groupby("file_sha256", sort=True):
        numbers = pages["page_number"].astype(int)
        empty = numbers[pages["reason"].fillna("").str.contains(EMPTY_SHEET_REASON, regex=False)]
        spans = group_pages(
            list(zip(numbers, pages["text"].fillna(""), strict=True)), empty_sheets=set(empty)
        )
        rows.extend({"file_sha256": sha, **span.__dict__} for span in spans)
    table = pd.DataFrame(rows, columns=DOCUMENT_COLUMNS)
    table = retype_documents(table, document_types_for(database.engine, context.partition_key))
    by_type = table["doc_type"].value_counts().to_dict()
    context.log.info(f"{len(table)} documents: " + ", ".join(f"{k} {v}" for k, v in sorted(by_type.items())))
    yield Output(
        table,
        metadata={
            "documents": len(table),
            **{f"type_{k}": int(v) for k, v in sorted(by_type.items())},
            "summary": MetadataValue.md(
                f"**{former_unit_label(context.partition_key)}: {len(table)} documents** found in its pages: "
                + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(by_type.items()))
                + "\n\n"
                + markdown_table(
                    ["type", "pages", "title", "rule"],
                    [
                        [r.doc_type, f"{r.first_page}-{r.last_page}", r.title, r.type_rule]
                        for r in table.itertuples()
                    ],
                )
            ),
        },
    )
