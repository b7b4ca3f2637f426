"""Administrative units: the official old → new mapping, cross-checked against a second source."""

from dagster import AssetExecutionContext, MetadataValue, Output, asset

from assets.metadata import markdown_table
from assets.operations import DATA_ENGINEERS
from sapnhap.reference.units import crosscheck_mapping, mapping_table, units_table


@asset(
    group_name="reference",
    kinds={"python"},
    owners=[DATA_ENGINEERS],
    io_manager_key="warehouse",
)
def admin_units(context: AssetExecutionContext):
    """The official mapping of every former commune (before 1 July 2025) to the new commune(s) that
    received it, from the National Statistics Office's conversion table, with the unit lists of both
    vintages. One row per (former commune, new commune) pair; codes are strings and always travel with
    their side (`old_*` = pre2025, `new_*` = post2025): 3,316 new codes reuse a former code with
    another meaning. Cross-checked against the `vietnamadminunits` package; where the two disagree,
    the metadata lists it (the official table is kept).
    """
    mapping = mapping_table()
    old, new = units_table("pre2025"), units_table("post2025")
    check = crosscheck_mapping()
    disagree = check[~check["agrees"]]
    split = mapping[mapping["n_new_wards"].astype(int) > 1]["old_ward_code"].nunique()
    context.log.info(
        f"{mapping['old_ward_code'].nunique()} former communes → {mapping['new_ward_code'].nunique()} new; "
        f"{split} split; vietnamadminunits disagrees on {len(disagree)}"
    )
    yield Output(
        mapping,
        metadata={
            "summary": MetadataValue.md(
                f"**{len(old):,} former communes** (before 1 July 2025) map to **{len(new):,} new communes**; "
                f"{int(split)} former communes were split between new ones. The official NSO table is used; "
                f"the `vietnamadminunits` package disagrees on {len(disagree)} of them (listed below)."
            ),
            "former_communes": len(old),
            "new_communes": len(new),
            "mapping_rows": len(mapping),
            "split_former_communes": int(split),
            "vietnamadminunits_disagreements": len(disagree),
            "disagreements": MetadataValue.md(
                markdown_table(
                    ["former commune", "name", "district", "official targets", "vietnamadminunits", "error"],
                    disagree[
                        [
                            "old_ward_code",
                            "old_ward_name",
                            "old_district_name",
                            "targets",
                            "package_target",
                            "package_error",
                        ]
                    ].values.tolist(),
                )
            ),
            "source": "NSO Bảng chuyển đổi ĐVHC mới – cũ (sapnhap/reference/admin_units/README.md)",
        },
    )
