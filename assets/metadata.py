"""Helpers that turn tables into metadata an archivist can read in the Dagster UI."""

import math
from collections.abc import Sequence

from dagster import MetadataValue, TableColumn, TableMetadataValue, TableRecord, TableSchema


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]], limit: int = 50) -> str:
    """A Markdown table of at most `limit` rows (a final line says how many were left out)."""
    if not rows:
        return "_none_"
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for row in rows[:limit]:
        lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
    if len(rows) > limit:
        lines.append(f"\n… and {len(rows) - limit} more")
    return "\n".join(lines)


def _cell(value: object, markdown: bool = True) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.1f}"  # NaN: no value (e.g. a page without words)
    text = str(value).replace("\n", " ")
    # A pipe ends a Markdown cell; a table value shows its text as it is.
    return text.replace("|", "\\|") if markdown else text


def metadata_table(
    headers: Sequence[str], rows: Sequence[Sequence[object]], limit: int = 200
) -> TableMetadataValue:
    """A table the Dagster UI shows as a table everywhere, check results included (Markdown there is
    shown as raw text): text columns, at most `limit` rows (a last row says how many were left out)."""
    columns = [TableColumn(name=h or " ", type="string") for h in headers]
    records = [
        TableRecord({c.name: _cell(v, markdown=False) for c, v in zip(columns, row, strict=True)})
        for row in rows[:limit]
    ]
    if len(rows) > limit:
        records.append(
            TableRecord(
                {columns[0].name: f"… and {len(rows) - limit} more", **{c.name: "" for c in columns[1:]}}
            )
        )
    return MetadataValue.table(records=records, schema=TableSchema(columns=columns))
