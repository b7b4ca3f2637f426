"""The review desk: where the review sheets are written for archivists, and where they drop them back."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from dagster import ConfigurableResource


class ReviewDesk(ConfigurableResource):
    """Folders of the review round trip.

    sheets_dir: the `review_queue` asset writes `<new unit>.xlsx` and `<new unit>.csv` here (open
    items with their evidence and empty decision columns). reviews_dir: an archivist drops a filled
    sheet here; the `apply_review_sheet` job (requested by the reviews sensor) files it away into
    `applied/` or, with a `.problems.txt` listing every problem, into `rejected/` (nothing of a
    rejected sheet is applied).
    """

    sheets_dir: str
    reviews_dir: str

    def sheet_paths(self, new_unit_code: str) -> tuple[Path, Path]:
        """(XLSX, CSV) paths of a new unit's review sheet."""
        base = Path(self.sheets_dir)
        return base / f"{new_unit_code}.xlsx", base / f"{new_unit_code}.csv"

    def pending(self) -> list[Path]:
        """Files waiting in reviews_dir, oldest first: filled sheets (XLSX or CSV), and anything else
        dropped there, to be refused with its reason; a spreadsheet program's lock files `~$…` and
        hidden files are left alone."""
        folder = Path(self.reviews_dir)
        if not folder.is_dir():
            return []
        # Any other file is taken too, so that it is refused with a reason ("not a review sheet")
        # instead of lying there unnoticed.
        found = [p for p in folder.iterdir() if p.is_file() and not p.name.startswith(("~$", "."))]
        return sorted(found, key=lambda p: (p.stat().st_mtime, p.name))

    def file_away(self, sheet: Path, outcome: str, problems: list[str] | None = None) -> Path:
        """Move `sheet` into `reviews_dir/<outcome>/` under a UTC time stamp (`.2`, `.3` … after it when
        a sheet of the same name was filed in the same second); for a rejected sheet,
        write the problems beside it (`<name>.problems.txt`, one per line). Returns the new path."""
        target = Path(self.reviews_dir) / outcome
        target.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        moved = target / f"{stamp}-{sheet.name}"
        n = 1
        while moved.exists():  # the same name filed twice within a second: never overwrite a filed sheet
            n += 1
            moved = target / f"{stamp}.{n}-{sheet.name}"
        if problems:  # written first: a sheet is never filed as rejected without its reasons
            moved.with_name(moved.name + ".problems.txt").write_text(
                f"{sheet.name}: nothing was applied. Fix every problem below and drop the sheet again.\n\n"
                + "\n".join(problems)
                + "\n",
                encoding="utf-8",
            )
        shutil.move(str(sheet), moved)
        return moved

    def pending_sheet(self, name: str) -> Path:
        """The file `name` waiting in reviews_dir.

        Raises:
            FileNotFoundError: it is not there (taken in already, or never dropped), or `name` is a path.
        """
        if Path(name).name != name:
            raise FileNotFoundError(f"{name!r} is not a file name in the reviews folder")
        path = Path(self.reviews_dir) / name
        if not path.is_file():
            raise FileNotFoundError(
                f"no review sheet {name!r} waits in {self.reviews_dir} (taken in already?)"
            )
        return path
