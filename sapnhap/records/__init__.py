"""Records of a former unit; `sapnhap.records.vocabulary` holds the shared field vocabulary.

Transitional: this package shadows the sibling module `sapnhap/records.py` (a package wins over a
module of the same name), so until the package restructure moves that module in here, its code is
run in this package's namespace. `from sapnhap.records import SOURCE_COLUMNS` and every other import
of it keep working, and so does patching its names. Drop this once `records.py` has moved.
"""

from pathlib import Path as _Path

_MODULE = _Path(__file__).resolve().parent.parent / "records.py"
if _MODULE.is_file():
    exec(compile(_MODULE.read_text(encoding="utf-8"), str(_MODULE), "exec"))
