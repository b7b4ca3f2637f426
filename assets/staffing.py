"""The new commune's staffing picture: headcount against the quota, positions, retirements."""

from dagster import AssetDep, AssetExecutionContext, MaterializeResult, MetadataValue, asset
from sqlalchemy import select

from assets.metadata import metadata_table
from assets.operations import COMMUNE_OFFICE
from assets.partitions import new_units
from resources import CommuneOffice, UnifiedDatabase
from sapnhap.db.models import PersonRecord
from sapnhap.reference.units import find_unit, new_unit_label
from sapnhap.staffing.picture import (
    STAFF_TYPES,
    employers_of,
    held_staff_records,
    placement_of,
    province_balance,
    staff_records,
    staffing_picture,
)
from sapnhap.staffing.report import (
    PEOPLE_HEADERS,
    people_rows,
    positions_markdown,
    staffing_markdown,
    write_staffing_chart,
    write_staffing_xlsx,
)


def _province_units(database: UnifiedDatabase, unit: str) -> list[str]:
    """The new units of `unit`'s province that take staff from a former unit merged whole into them
    (for the province balance), `unit` included."""
    province = getattr(find_unit(unit, "post2025"), "province_name", None)
    with database.engine.connect() as conn:
        formers = conn.execute(
            select(PersonRecord.former_unit_code).where(PersonRecord.doc_type.in_(STAFF_TYPES)).distinct()
        ).scalars()
        targets = {placement_of(code)[0] for code in formers if len(placement_of(code)) == 1}
    return sorted(
        {unit} | {c for c in targets if getattr(find_unit(c, "post2025"), "province_name", None) == province}
    )


@asset(
    partitions_def=new_units,
    group_name="staffing",
    kinds={"excel", "pandas"},
    owners=[COMMUNE_OFFICE],
    deps=[AssetDep("entities")],
)
def staffing(
    context: AssetExecutionContext, database: UnifiedDatabase, office: CommuneOffice
) -> MaterializeResult:
    """The staffing picture of one new unit (`sapnhap.staffing.picture`): every staff member of the
    former units merged whole into it counted once (their golden person record; staff of split former
    communes and former districts listed as awaiting the province's placement), the catalogue position their former
    title maps to, headcount against the quota of Official Dispatch 09/CV-BCĐ, per position planned /
    assigned / gap, who reaches retirement age within 1 and 5 years (Labour Code 2019, Decree
    135/2020), and across the province where one unit has a surplus and another a shortage.

    Writes `<reports>/<unit>/staffing.xlsx` (for the commune's office, names in full) and
    `staffing.png` (headcount vs quota, by position group); the UI shows the summary with names
    masked. A CV without a birth date, an unknown title or rank is a reason in the report and an item
    of the review sheet, never dropped from the headcount.
    """
    unit = context.partition_key
    day = office.day()
    pictures = {}
    for code in _province_units(database, unit):
        pending = employers_of(database.engine, code)[1]
        pictures[code] = staffing_picture(
            staff_records(database.engine, code),
            code,
            day,
            office.population(code),
            held=held_staff_records(database.engine, code),
            awaiting=staff_records(database.engine, code, former_units=pending) if pending else None,
        )
    picture = pictures[unit]
    if picture.summary["quota"] is None:
        context.log.warning(
            f"staffing of new unit {unit}: quota unknown, no population figure ({picture.summary['population_source']}); "
            "set SAPNHAP_POPULATION or put reference/population.csv beside the inbox (README 'For the commune office')"
        )
    folder = office.report_dir(unit)
    xlsx = write_staffing_xlsx(picture, folder / "staffing.xlsx")
    chart = write_staffing_chart(picture, folder / "staffing.png")
    balance = province_balance(pictures)
    s = picture.summary
    context.log.info(
        f"staffing of new unit {unit}: {s['headcount']} staff, quota {s['quota'] if s['quota'] is not None else 'unknown'}, "
        f"{s['people_without_position']} without a position, {s['problems']} problems; report {xlsx}"
    )
    balance_md = (
        "\n".join(
            ["| position | surplus in | shortage in |", "|---|---|---|"]
            + [f"| {r.position} | {r.surplus_units} | {r.shortage_units} |" for r in balance.itertuples()]
        )
        if len(balance)
        else "No position has a surplus in one unit of the province and a shortage in another."
    )
    return MaterializeResult(
        metadata={
            "new_unit": new_unit_label(unit),
            "summary": MetadataValue.md(staffing_markdown(picture, new_unit_label(unit))),
            "positions": MetadataValue.md(positions_markdown(picture)),
            "people": metadata_table(PEOPLE_HEADERS, people_rows(picture)),
            "headcount": s["headcount"],
            "quota": MetadataValue.text(str(s["quota"]) if s["quota"] is not None else "unknown"),
            "quota_rule": s["quota_rule"],
            "over_quota": MetadataValue.text("unknown" if s["over_quota"] is None else str(s["over_quota"])),
            "staff_records": s["staff_records"],
            "staff_records_held_in_quarantine": s["staff_records_held_in_quarantine"],
            "people_without_position": s["people_without_position"],
            "staff_awaiting_placement": s["staff_awaiting_placement"],
            "retiring_within_1y": s["retiring_within_1y"],
            "retiring_within_5y": s["retiring_within_5y"],
            "problems": s["problems"],
            "catalogue_version": s["catalogue_version"],
            "as_of": s["as_of"],
            "province_balance": MetadataValue.md(balance_md),
            "report": MetadataValue.path(str(xlsx)),
            "chart": MetadataValue.path(str(chart)),
        }
    )
