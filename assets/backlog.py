"""The procedure backlog a new commune inherits from its former units."""

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetDep,
    AssetExecutionContext,
    MaterializeResult,
    MetadataValue,
    asset,
)

from assets.metadata import markdown_table
from assets.operations import COMMUNE_OFFICE
from assets.partitions import new_units
from resources import CommuneOffice, UnifiedDatabase
from sapnhap.backlog.classify import BUCKETS, CUT_OVER
from sapnhap.backlog.report import (
    OPEN_STATES,
    backlog_aggregates,
    classify_backlog,
    held_receipts,
    receipts,
    stalled,
    write_backlog_xlsx,
)
from sapnhap.reference.units import new_unit_label


@asset(
    partitions_def=new_units,
    group_name="staffing",
    kinds={"excel", "pandas"},
    owners=[COMMUNE_OFFICE],
    deps=[AssetDep("entities")],
    check_specs=[
        AssetCheckSpec(
            "no_stalled_dossiers",
            asset="procedure_backlog",
            description="No procedure dossier inherited from a former unit is overdue today (Decree "
            "61/2018/NĐ-CP Art. 19; Decree 118/2025/NĐ-CP): WARN, listing the overdue ones.",
        )
    ],
)
def procedure_backlog(
    context: AssetExecutionContext, database: UnifiedDatabase, office: CommuneOffice
) -> MaterializeResult:
    """The procedure dossiers of one new unit's former units (their receipts, `sapnhap.backlog.report`):
    each dossier's state at the cut-over (1 July 2025) and today — returned, not due, overdue by
    working days (weekends and public holidays), waiting for the applicant, or unreadable with the
    reason — aggregated by former unit and procedure field, and the dossiers still open with no later
    document showing them settled. Writes `<reports>/<unit>/backlog.xlsx`; applicants appear by
    person id only.
    """
    unit = context.partition_key
    day = office.day()
    held = held_receipts(database.engine, unit)
    dossiers = classify_backlog(receipts(database.engine, unit), day, held=held)
    xlsx = write_backlog_xlsx(dossiers, office.report_dir(unit) / "backlog.xlsx", day)
    overdue = stalled(dossiers)
    today = backlog_aggregates(dossiers, "today")
    count = lambda column, states: int(dossiers[column].isin(states).sum())  # noqa: E731
    open_today, open_cut = count("state_today", OPEN_STATES), count("state_at_cut_over", OPEN_STATES)
    overdue_cut = count("state_at_cut_over", ("overdue",))
    unreadable = count("state_today", ("unreadable",))
    context.log.info(
        f"backlog of new unit {unit} on {day}: {len(dossiers)} dossiers, {open_today} open, {len(overdue)} overdue, "
        f"{unreadable} unreadable; at the cut-over {open_cut} open, {overdue_cut} overdue; report {xlsx}"
    )
    listed = [
        [
            r.receipt_number or r.record_id,
            r.former_unit_code,
            r.procedure or "",
            r.appointment_date or "",
            r.late_today,
            r.held_in_quarantine or "",
        ]
        for r in overdue.itertuples()
    ]
    pending = int(((dossiers["held_in_quarantine"] > 0) & dossiers["state_today"].isin(OPEN_STATES)).sum())
    check = AssetCheckResult(
        check_name="no_stalled_dossiers",
        passed=len(overdue) == 0,
        severity=AssetCheckSeverity.WARN,
        metadata={
            "overdue_dossiers": len(overdue),
            "overdue": MetadataValue.md(
                markdown_table(
                    ["receipt", "former unit", "procedure", "due", "working days late", "held in quarantine"],
                    listed,
                )
            ),
        },
    )
    return MaterializeResult(
        metadata={
            "new_unit": new_unit_label(unit),
            "summary": MetadataValue.md(
                f"**{new_unit_label(unit)}** on {day}: **{len(dossiers)} dossiers** from its former units' receipts; "
                f"**{open_today} open** today ({len(overdue)} overdue), {unreadable} unreadable (to decide). At the "
                f"cut-over {CUT_OVER}: {open_cut} open, {overdue_cut} overdue. Open with a receipt of their number held "
                f"in quarantine (its review may settle them): {pending}."
            ),
            "dossiers": len(dossiers),
            "open_today": open_today,
            "overdue_today": len(overdue),
            "open_at_cut_over": open_cut,
            "overdue_at_cut_over": overdue_cut,
            "unreadable": unreadable,
            "open_with_a_receipt_in_quarantine": pending,
            "by_former_unit_and_field": MetadataValue.md(
                markdown_table(
                    list(today.columns), [[str(v) for v in row] for row in today.itertuples(index=False)]
                )
            ),
            "buckets": ", ".join(BUCKETS),
            "as_of": day.isoformat(),
            "report": MetadataValue.path(str(xlsx)),
        },
        check_results=[check],
    )
