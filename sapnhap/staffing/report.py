"""The staffing report of one new unit for the commune's office: an `.xlsx` workbook (summary with
every number's source, positions, people, what needs a decision), a PNG chart (headcount against the
quota, and planned against assigned by position group) and a Markdown summary for the Dagster UI.

The workbook names people in full: it is the commune's own staff list, written into the project's
home for its office (`<home>/reports/<unit>/`). The Markdown for the UI masks names
(`sapnhap.review.masking`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sapnhap.review.masking import mask_name
from sapnhap.staffing.picture import NO_POSITION, StaffingPicture

SOURCES = (
    ("quota", "Official Dispatch 09/CV-BCĐ of the Central Steering Committee (30 May 2025)"),
    (
        "positions",
        "Decree 150/2025/NĐ-CP (three offices); provisional catalogue, see sapnhap/reference/staffing/README.md",
    ),
    ("former titles", "Decree 33/2023/NĐ-CP Arts. 5, 6, 33; former district offices (Decree 37/2014/NĐ-CP)"),
    ("ranks", "Circular 02/2021/TT-BNV; Circular 29/2022/TT-BTC"),
    ("retirement age", "Labour Code 2019 (45/2019/QH14) Art. 169; Decree 135/2020/NĐ-CP"),
)


def write_staffing_xlsx(picture: StaffingPicture, path: Path) -> Path:
    """Write the workbook: sheets `Summary` (figures, rules and sources), `Positions`, `People`,
    `To decide` (problems), `Awaiting placement` (staff of split former communes and former
    districts, for the province to place). Returns `path`.

    Raises:
        OSError: the file cannot be written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    summary = pd.DataFrame(
        [(k, "" if v is None else v) for k, v in picture.summary.items()]
        + [(f"source: {what}", source) for what, source in SOURCES],
        columns=["figure", "value"],
    )
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        summary.to_excel(writer, sheet_name="Summary", index=False)
        picture.positions.to_excel(writer, sheet_name="Positions", index=False)
        picture.people.to_excel(writer, sheet_name="People", index=False)
        picture.problems.to_excel(writer, sheet_name="To decide", index=False)
        picture.awaiting.to_excel(writer, sheet_name="Awaiting placement", index=False)
        for sheet in writer.book.worksheets:
            for column in sheet.columns:
                width = max(len(str(c.value or "")) for c in column)
                sheet.column_dimensions[column[0].column_letter].width = min(max(10, width + 2), 60)
    return path


def group_counts(picture: StaffingPicture) -> pd.DataFrame:
    """Planned and assigned by position group (leadership, professional, no position): columns group,
    planned (sum of the planned numbers set; None when none is set), assigned."""
    rows = []
    table = picture.positions
    for group in ("leadership", "professional"):
        part = table[table["group"] == group]
        planned = part["planned"].dropna()
        rows.append([group, int(planned.sum()) if len(planned) else None, int(part["assigned"].sum())])
    unmapped = table[table["position"] == NO_POSITION]
    rows.append(["no position", None, int(unmapped["assigned"].sum())])
    return pd.DataFrame(rows, columns=["group", "planned", "assigned"])


def write_staffing_chart(picture: StaffingPicture, path: Path) -> Path:
    """A PNG chart: left, headcount against the quota (the quota bar absent, and said, when it is
    unknown); right, assigned against planned by position group. Returns `path`.

    Raises:
        OSError: the file cannot be written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    figure, (left, right) = plt.subplots(
        1, 2, figsize=(9, 3.6), gridspec_kw={"width_ratios": [1, 2]}, layout="constrained"
    )
    quota = picture.quota.positions
    left.bar(["headcount"], [picture.summary["headcount"]], color="#4c72b0")
    if quota is not None:
        left.bar(["quota"], [quota], color="#dd8452")
    else:
        left.bar(["quota"], [0], color="#dd8452")
        left.text(1, 0.05, "unknown", ha="center", va="bottom", transform=left.get_xaxis_transform())
    left.set_title("Headcount vs quota")
    groups = group_counts(picture)
    x = range(len(groups))
    right.bar([i - 0.2 for i in x], groups["assigned"], width=0.4, label="assigned", color="#4c72b0")
    right.bar(
        [i + 0.2 for i in x],
        groups["planned"].fillna(0),
        width=0.4,
        label="planned (where set)",
        color="#dd8452",
    )
    right.set_xticks(list(x), list(groups["group"]))
    right.set_title("By position group")
    right.set_ylim(
        0, max(1.0, float(groups["assigned"].max()), float(groups["planned"].fillna(0).max())) * 1.25
    )
    right.legend(loc="upper center", ncol=2, frameon=False)  # above the bars, never over one
    figure.suptitle(f"Staffing of new unit {picture.unit} on {picture.as_of.isoformat()}")
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def staffing_markdown(picture: StaffingPicture, label: str) -> str:
    """The one-paragraph summary for the UI: headcount vs quota with the rule, retirements, problems,
    staff awaiting placement (no name)."""
    s = picture.summary
    quota = f"{s['quota']}" if s["quota"] is not None else "unknown"
    awaiting = s["staff_awaiting_placement"]
    return (
        f"**{label}** on {s['as_of']}: **{s['headcount']} staff** (from {s['staff_records']} staff records; "
        f"{s['staff_records_held_in_quarantine']} more held in quarantine) against a **quota of {quota}** "
        f"({s['quota_rule']}"
        + (f"; population: {s['population_source']}" if s["quota"] is None else "")
        + f"). Reaching retirement age within 1 year: {s['retiring_within_1y']}, within 5 "
        f"years: {s['retiring_within_5y']}. Without a catalogue position: {s['people_without_position']}; "
        f"problems to decide: {s['problems']}. Awaiting the province's placement (staff of split former "
        f"communes and former districts, not counted): {awaiting}"
        + (f" from {s['former_units_awaiting_placement']}" if awaiting else "")
        + "."
    )


def positions_markdown(picture: StaffingPicture) -> str:
    """The positions with a planned number or someone assigned, as a Markdown table."""
    lines = ["| position | group | planned | assigned | gap | status |", "|---|---|---|---|---|---|"]
    for p in picture.positions.itertuples():
        if p.assigned or (p.planned is not None and not pd.isna(p.planned)):
            planned = "" if p.planned is None or pd.isna(p.planned) else int(p.planned)
            gap = "" if p.gap is None or pd.isna(p.gap) else f"{int(p.gap):+d}"
            lines.append(f"| {p.position} | {p.group} | {planned} | {p.assigned} | {gap} | {p.status} |")
    return "\n".join(lines)


PEOPLE_HEADERS = ("person", "former units", "former title", "position", "age", "retires", "problems")


def people_rows(picture: StaffingPicture) -> list[tuple[str, ...]]:
    """The people as rows under `PEOPLE_HEADERS`: names masked (initials), no birth date (the age
    instead), the year they reach retirement age (not the day: retirement age is fixed by law, so the
    day would give the birth date away) or empty, problems as text. One row per person of
    `picture.people`, in its order."""
    rows = []
    for r in picture.people.itertuples():
        age = "" if r.age is None or pd.isna(r.age) else str(int(r.age))
        # The year only: with the age, the day would give the birth date away.
        retires = (
            "" if r.retirement_date is None or pd.isna(r.retirement_date) else str(r.retirement_date)[:4]
        )
        rows.append(
            (
                mask_name(r.full_name),
                str(r.former_units),
                r.former_title or "",
                str(r.position),
                age,
                retires,
                str(r.problems or ""),
            )
        )
    return rows
