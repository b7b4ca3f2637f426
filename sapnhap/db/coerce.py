"""The loaders' one family of value coercers: a table cell checked and turned into what a column stores.

Every loader (`sapnhap.db.load`, `sapnhap.db.load_records`) reads its rows through these (files,
pages, documents, provenance events, person records and their fields alike). Each takes the value and `where` (the table, row,
record and column, for the message) and returns the value to store, or raises ValueError.

Messages name where and what was expected and the value's type, **never the value**: the same
loaders take names, ID numbers and dates of birth, and exceptions end in logs. pandas' missing values
(NaN, NA, NaT) count as missing; numpy scalars as their Python values; text is stored NFC.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sapnhap.text import nfc as nfc_text

SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
UNIT_CODE = re.compile(r"^[0-9]{2,5}$")
COMMUNE_CODE = re.compile(r"^[0-9]{5}$")


def py_value(value: Any) -> Any:
    """NaN/NA/NaT as None, numpy and pandas scalars as Python ones; containers and text as they are."""
    if value is None or isinstance(value, (str, list, tuple, dict, np.ndarray)):
        return value
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.generic):
        value = value.item()
        if isinstance(value, float) and math.isnan(value):
            return None
    return value


def rows_of(data: pd.DataFrame | Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """A table (DataFrame or mappings) as a list of dicts with string keys and `py_value` values."""
    rows = data.to_dict(orient="records") if isinstance(data, pd.DataFrame) else [dict(r) for r in data]
    return [{str(k): py_value(v) for k, v in row.items()} for row in rows]


def as_text(value: Any, where: str, *, default: str | None = None, text: bool = False) -> str:
    """Text, NFC (`text=True`: the register's human-language normaliser `sapnhap.text.nfc`, `Ð`→`Đ`);
    `default` for a missing value, else ValueError. A number is refused: IDs and codes are text."""
    value = py_value(value)
    if value is None:
        if default is None:
            raise ValueError(f"{where}: a value is required")
        return default
    if not isinstance(value, str):
        raise ValueError(
            f"{where}: expected text (str), got {type(value).__name__}"
            " (read IDs and codes as text: a number loses its leading zeros)"
        )
    return nfc_text(value) if text else unicodedata.normalize("NFC", value)


def as_opt_text(value: Any, where: str, *, text: bool = False) -> str | None:
    """`as_text`, or None for a missing value."""
    return None if py_value(value) is None else as_text(value, where, text=text)


def as_int(value: Any, where: str, *, default: int | None = None, minimum: int | None = None) -> int:
    """An integer (a whole float, as pandas makes ints next to NaN, too); not a bool; at least
    `minimum` when given."""
    value = py_value(value)
    if value is None:
        if default is None:
            raise ValueError(f"{where}: a value is required")
        return default
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{where}: expected an integer, got {type(value).__name__}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{where}: must be at least {minimum}")
    return value


def as_opt_int(value: Any, where: str, *, minimum: int | None = None) -> int | None:
    """`as_int`, or None for a missing value."""
    return None if py_value(value) is None else as_int(value, where, minimum=minimum)


def as_float(value: Any, where: str, *, default: float | None = None) -> float:
    """A number as float; not a bool."""
    value = py_value(value)
    if value is None:
        if default is None:
            raise ValueError(f"{where}: a value is required")
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{where}: expected a number, got {type(value).__name__}")
    return float(value)


def as_opt_float(
    value: Any, where: str, *, low: float | None = None, high: float | None = None
) -> float | None:
    """`as_float` within [low, high] when given, or None for a missing value."""
    if py_value(value) is None:
        return None
    number = as_float(value, where)
    if (low is not None and number < low) or (high is not None and number > high):
        raise ValueError(f"{where}: out of range {low}..{high}")
    return number


def as_bool(value: Any, where: str) -> bool:
    """A boolean (or 0/1); a missing value is False."""
    value = py_value(value)
    if value is None:
        return False
    if isinstance(value, (bool, int)) and value in (0, 1):
        return bool(value)
    raise ValueError(f"{where}: expected a boolean, got {type(value).__name__}")


def as_code(value: Any, where: str, pattern: re.Pattern[str], what: str) -> str:
    """Text matching `pattern` (stripped), `what` naming it in the message."""
    code = as_text(value, where).strip()
    if not pattern.match(code):
        raise ValueError(f"{where}: not {what}")
    return code


def as_sha256(value: Any, where: str) -> str:
    """A SHA-256 hex digest, lower case."""
    return as_code(as_text(value, where).lower(), where, SHA256_HEX, "a SHA-256 hex digest")


def as_opt_sha256(value: Any, where: str) -> str | None:
    """`as_sha256`, or None for a missing value."""
    return None if py_value(value) is None else as_sha256(value, where)


def as_unit_code(value: Any, where: str) -> str:
    """An official unit code: text of 2-5 digits (a number has lost its leading zeros: refused)."""
    value = py_value(value)
    if not isinstance(value, str):
        raise ValueError(
            f"{where}: a unit code must be a string of digits with its leading zeros, got "
            f"{type(value).__name__} (read codes with dtype=str)"
        )
    return as_code(value, where, UNIT_CODE, "an official unit code (2-5 digits)")


def as_opt_commune_code(value: Any, where: str) -> str | None:
    """A 5-digit commune code, or None for a missing or empty value."""
    value = py_value(value)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return as_code(value, where, COMMUNE_CODE, "a commune code of 5 digits (as text)")


def as_choice(value: Any, where: str, allowed: Sequence[str]) -> str:
    """Text that is one of `allowed`."""
    choice = as_text(value, where)
    if choice not in allowed:
        raise ValueError(f"{where}: not one of {', '.join(allowed)}")
    return choice


def as_detail(value: Any, where: str) -> str:
    """Free text, or any JSON-serialisable value stored as canonical JSON text; "" when missing."""
    value = py_value(value)
    if value is None:
        return ""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    try:
        return unicodedata.normalize(
            "NFC", json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
        )
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: cannot store a {type(value).__name__} as text") from exc


def as_candidates(value: Any, where: str) -> str:
    """Route candidates (a JSON list of 5-digit codes as text, or a list) as canonical JSON text."""
    value = py_value(value)
    if value is None or (isinstance(value, str) and not value.strip()):
        return "[]"
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise ValueError(f"{where}: not a JSON list") from exc
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"{where}: not a list of unit codes")
    return json.dumps(
        [
            as_code(c, f"{where}[{j}]", COMMUNE_CODE, "a commune code of 5 digits (as text)")
            for j, c in enumerate(value)
        ]
    )
