"""Real geography for generated dossiers: a new commune, the former communes merged into it, their district.

Everything here comes from the official mapping shipped in `sapnhap/reference/admin_units/`
(the NSO conversion table and the GSO registry): the new commune (vintage `post2025`), every former
commune (vintage `pre2025`) merged wholly or partly into it, and the former district that held most of
them, with every former commune of that district and the new communes they went to. Only the villages
(thôn, xóm, tổ dân phố) are invented: no open list of them exists. For a former commune split between
several new communes, the generator decides which village went where and publishes that list in
`reference/villages.csv` beside the inbox, as a province's merger plan does; it is the evidence routing
needs.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from sapnhap.reference.units import mapping_table, population_target, units_table
from sapnhap.samples.model import Address

# Village name parts as they appear across the Red River delta and the north-central coast.
_VILLAGE_WORDS = (
    "Đông", "Tây", "Nam", "Bắc", "Trung", "Thượng", "Hạ", "Yên", "An", "Phú", "Bình", "Tân", "Đồng",
    "Lạc", "Hòa", "Thịnh", "Phúc", "Xuân", "Mỹ", "Hưng", "Lộc", "Thái", "Vân", "Sơn", "Khê", "Lam",
    "Quang", "Long", "Hồng", "Minh", "Thanh", "Đức", "Phong", "Ninh", "Kim", "Đại",
)  # fmt: skip


@dataclass(frozen=True)
class FormerCommune:
    """A former commune (vintage pre2025) and the new communes (post2025) that received it.

    `targets` lists the new commune codes in the NSO table's order; more than one means the commune
    was split. `villages` maps each invented village name to the new commune code it went to.
    `population_target` is set for a split commune whose NSO note sends the whole population to one
    target (the others received land only): every village went there.
    """

    code: str
    name: str
    district_code: str
    district_name: str
    province_code: str
    province_name: str
    targets: tuple[str, ...]
    villages: tuple[tuple[str, str], ...]
    population_target: str | None = None

    @property
    def split(self) -> bool:
        """True when the former commune was divided between several new communes."""
        return len(self.targets) > 1

    @property
    def ward_like(self) -> bool:
        """True for a phường or thị trấn, whose villages are tổ dân phố rather than thôn."""
        return not self.name.startswith("Xã ")


@dataclass(frozen=True)
class Scenario:
    """One merger as the generator stages it.

    `new_unit` is the new commune's code; `merged` are the former communes merged (wholly or partly)
    into it, each of which hands over its own archive folder; `district_*` is the former district
    whose archive folder is handed over too; `district_communes` are all former communes of that
    district (their people appear in the district's archive), keyed by code.
    """

    new_unit: str
    new_unit_name: str
    new_province_name: str
    merged: tuple[str, ...]
    district_code: str
    district_name: str
    province_name: str
    district_communes: dict[str, FormerCommune] = field(default_factory=dict)
    new_unit_names: dict[str, str] = field(default_factory=dict)

    @property
    def folders(self) -> tuple[str, ...]:
        """Inbox folder names: every merged former commune, then the former district."""
        return (*self.merged, self.district_code)

    def commune(self, code: str) -> FormerCommune:
        """A former commune of the district by code.

        Raises:
            KeyError: when the code is not a former commune of the scenario's district.
        """
        return self.district_communes[code]

    def split_communes(self) -> list[FormerCommune]:
        """Former communes of the scenario that were split between several new communes."""
        return [c for c in self.district_communes.values() if c.split]

    def address(self, commune_code: str, village: str | None) -> Address:
        """The full address of a village of a former commune, with its new commune.

        `village` None writes an address without village evidence; for a split commune the new
        commune is then undecided and is given as the first target (the ground truth marks such
        records as not decidable by address).
        """
        commune = self.commune(commune_code)
        new_code = dict(commune.villages).get(village, commune.targets[0]) if village else commune.targets[0]
        return Address(
            village=village or "",
            former_commune_code=commune.code,
            former_commune_name=commune.name,
            former_district_code=commune.district_code,
            former_district_name=commune.district_name,
            former_province_name=commune.province_name,
            new_commune_code=new_code,
            new_commune_name=self.new_unit_names[new_code],
            new_province_name=self.new_province_name,
        )


class ScenarioError(ValueError):
    """The requested new unit cannot stage the sample the generator promises (message says why)."""


def build_scenario(new_unit: str, rng: random.Random) -> Scenario:
    """Stage the merger of `new_unit` (a post2025 commune code) from the official mapping.

    The former district is the one that held most of the former communes merged into the new unit.
    Villages are invented (4–7 per former commune, deterministic from `rng`); a split commune's
    villages are dealt round-robin over its new communes, so every target gets at least one, except
    where the NSO note sends the whole population to one target: all villages go there.

    Raises:
        ScenarioError: when the code is not a new commune, or none of the former communes of its
            district was split (routing by address could then not be exercised).
    """
    mapping = mapping_table()
    rows = mapping[mapping["new_ward_code"] == new_unit]
    if rows.empty:
        raise ScenarioError(f"{new_unit!r} is not the code of a new (post-2025) commune")
    district_code = rows["old_district_code"].value_counts().sort_index().idxmax()
    merged_codes = set(rows["old_ward_code"])
    # The district's communes, plus any commune merged into the new unit from a neighbouring district.
    district_rows = mapping[
        (mapping["old_district_code"] == district_code) | mapping["old_ward_code"].isin(merged_codes)
    ]
    new_names = dict(units_table("post2025")[["ward_code", "ward_name"]].itertuples(index=False, name=None))
    communes: dict[str, FormerCommune] = {}
    for code, group in district_rows.groupby("old_ward_code", sort=True):
        first = group.iloc[0]
        targets = tuple(group["new_ward_code"])
        ward_like = not first["old_ward_name"].startswith("Xã ")
        population = population_target(code) if len(targets) > 1 else None
        villages = _villages(rng, ward_like, 1 if population else len(targets))
        dealt = (population,) if population else targets
        communes[code] = FormerCommune(
            code=code,
            name=first["old_ward_name"],
            district_code=first["old_district_code"],
            district_name=first["old_district_name"],
            province_code=first["old_province_code"],
            province_name=first["old_province_name"],
            targets=targets,
            villages=tuple((v, dealt[i % len(dealt)]) for i, v in enumerate(villages)),
            population_target=population,
        )
    merged = tuple(sorted(c for c in rows["old_ward_code"].unique() if c in communes))
    if not any(c.split for c in communes.values()):
        raise ScenarioError(
            f"no former commune of district {district_code} was split; choose a new unit whose "
            "district had a split commune (e.g. 14488 Xã Gia Vân, Ninh Bình)"
        )
    first = district_rows[district_rows["old_district_code"] == district_code].iloc[0]
    return Scenario(
        new_unit=new_unit,
        new_unit_name=new_names[new_unit],
        new_province_name=rows.iloc[0]["new_province_name"],
        merged=merged,
        district_code=district_code,
        district_name=first["old_district_name"],
        province_name=first["old_province_name"],
        district_communes=communes,
        new_unit_names={code: new_names[code] for code in district_rows["new_ward_code"].unique()},
    )


def _villages(rng: random.Random, ward_like: bool, minimum: int) -> list[str]:
    count = max(minimum, rng.randint(4, 7))
    if ward_like:
        return [f"Tổ dân phố {n}" for n in rng.sample(range(1, 16), count)]
    if rng.random() < 0.3:
        return [f"Thôn {n}" for n in sorted(rng.sample(range(1, 13), count))]
    words = rng.sample(_VILLAGE_WORDS, count * 2)
    prefix = "Xóm" if rng.random() < 0.3 else "Thôn"
    return [f"{prefix} {words[2 * i]} {words[2 * i + 1]}" for i in range(count)]
