"""The gazetteer: former communes (5 digits) and former districts (3 digits), each with its vintage."""

import pytest

from sapnhap.reference.units import (
    AdminUnit,
    districts_table,
    find_unit,
    former_unit_label,
    level_of_code,
    mapping_table,
    population_target,
    review_unit_of,
    targets_by_former,
    units_table,
)


def test_five_digit_code_is_a_commune_with_its_district_and_province():
    assert find_unit("14503") == AdminUnit(
        code="14503",
        vintage="pre2025",
        name="Xã Gia Tân",
        district_name="Huyện Gia Viễn",
        province_name="Tỉnh Ninh Bình",
        level="commune",
    )
    assert find_unit("21058").name == "Xã Bình Khương"  # the sample's unit, in Huyện Bình Sơn
    assert find_unit("21058").district_name == "Huyện Bình Sơn"


def test_three_digit_code_is_a_former_district():
    gia_vien = find_unit("373", "pre2025")
    assert gia_vien == AdminUnit(
        code="373",
        vintage="pre2025",
        name="Huyện Gia Viễn",
        district_name=None,
        province_name="Tỉnh Ninh Bình",
        level="district",
    )
    # 105 is not Gia Viễn: it is Thành phố Lai Châu (a provincial city is a district-level unit).
    assert (find_unit("105").name, find_unit("105").province_name) == ("Thành phố Lai Châu", "Tỉnh Lai Châu")
    assert find_unit("001").name == "Quận Ba Đình" and find_unit("1") is None
    assert find_unit("524").name == "Huyện Bình Sơn"
    # An island district without communes is only in the NSO conversion table, and is known too.
    assert find_unit("755") == AdminUnit(
        "755", "pre2025", "Huyện Côn Đảo", None, "Tỉnh Bà Rịa - Vũng Tàu", "district"
    )


def test_codes_mean_different_units_in_each_vintage():
    assert find_unit("14488", "pre2025").name == "Xã Gia Lập"
    assert find_unit("14488", "post2025").name == "Xã Gia Vân"
    assert find_unit("14488", "post2025").district_name is None
    # There are no districts after 1 July 2025.
    assert find_unit("373", "post2025") is None
    assert find_unit("00000") is None and find_unit("999") is None


def test_unknown_vintage_is_refused():
    with pytest.raises(ValueError, match="unknown vintage"):
        find_unit("373", "2025")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown vintage"):
        units_table("2025")  # type: ignore[arg-type]


def test_districts_table_counts_every_former_district_once():
    table = districts_table()
    assert table["district_code"].is_unique and table["district_code"].str.fullmatch(r"[0-9]{3}").all()
    # 691 districts had communes in old_units.csv; 5 island districts had none.
    assert len(table) == 696
    assert sorted(table.loc[table["n_communes"] == 0, "district_name"]) == [
        "Huyện Bạch Long Vĩ",
        "Huyện Côn Đảo",
        "Huyện Cồn Cỏ",
        "Huyện Hoàng Sa",
        "Huyện Lý Sơn",
    ]
    gia_vien = table[table["district_code"] == "373"].iloc[0]
    assert gia_vien["n_communes"] == (units_table("pre2025")["district_code"] == "373").sum()
    # Every former district of the official mapping is known.
    assert set(mapping_table()["old_district_code"]) <= set(table["district_code"])


@pytest.mark.parametrize(
    ("code", "level"),
    [("21058", "commune"), ("00004", "commune"), ("373", "district"), ("001", "district")]
    + [(bad, None) for bad in ("2105", "210580", "37", "", "３７３", "37a", " 373")],
)
def test_level_of_code_reads_the_shape(code, level):
    assert level_of_code(code) == level


def test_labels():
    assert former_unit_label("373") == "former district 373 Huyện Gia Viễn, Tỉnh Ninh Bình"
    assert former_unit_label("21058") == "former unit 21058 Xã Bình Khương, Huyện Bình Sơn"
    assert former_unit_label("99999") == "former unit 99999 (not a pre-2025 commune or district code)"


def test_population_target_follows_the_nso_note():
    # Phường Thụy Khuê (00112): Phường Ba Đình received land only, Phường Tây Hồ (00103) the people.
    assert population_target("00112") == "00103"
    assert population_target("14503") is None  # Gia Tân: split, no single population target
    assert population_target("14479") is None  # Gia Vân: merged whole
    split = mapping_table()[mapping_table()["n_new_wards"].astype(int) > 1]["old_ward_code"].unique()
    assert sum(population_target(code) is not None for code in split) == 59  # as the data README says


def test_the_review_unit_of_a_former_unit():
    # Merged whole: its one new unit (Xã Bình Khương into Xã Bình Minh).
    assert targets_by_former()["21058"] == ("21085",) and review_unit_of("21058") == "21085"
    # Split, the NSO note names where the population went: that unit, whatever the table's order.
    split = next(code for code in sorted(targets_by_former()) if population_target(code))
    assert review_unit_of(split) == population_target(split)
    # Split without such a note: the first new unit of the NSO table.
    unnoted = next(
        c for c, t in sorted(targets_by_former().items()) if len(t) > 1 and not population_target(c)
    )
    assert review_unit_of(unnoted) == targets_by_former()[unnoted][0]
    # A former district: the new unit that received most of its communes (Huyện Gia Viễn → Xã Gia Hưng).
    assert review_unit_of("373") == "14482"
    assert review_unit_of("99999") is None and review_unit_of("ab") is None
