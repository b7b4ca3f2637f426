"""What the fault tests tried and found, for `docs/reliability.md` (`make reliability`).

A fault test calls `record` once its assertions have passed; when the environment variable
SAPNHAP_RELIABILITY_LOG names a file, one JSON line is appended to it (`scripts/reliability.py`
runs the fault tests with it set and writes the report). Otherwise `record` does nothing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence

LOG_VARIABLE = "SAPNHAP_RELIABILITY_LOG"


def record(fault: str, checked: str, result: str, rows_lost: int, kinds: Sequence[str] = ()) -> None:
    """Append what a passed fault test injected (`fault`), what it checked, its result in words, the
    rows or files lost (must be 0) and, for bad input, the kinds tried."""
    path = os.environ.get(LOG_VARIABLE)
    if not path:
        return
    line = {
        "fault": fault,
        "checked": checked,
        "result": result,
        "rows_lost": rows_lost,
        "kinds": list(kinds),
    }
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(line, ensure_ascii=False) + "\n")
