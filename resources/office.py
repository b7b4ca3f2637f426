"""The commune office's desk: where the staffing and backlog reports are written, the population
table the quota is computed from, and the day the reports are made for."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from dagster import ConfigurableResource

from sapnhap.staffing.positions import Population, load_population

VIETNAM = timezone(timedelta(hours=7))


class CommuneOffice(ConfigurableResource):
    """reports_dir: `<new unit>/staffing.xlsx`, `staffing.png` and `backlog.xlsx` are written under
    it. population_table: a CSV of new_unit_code, population, mountain, source (empty: the shipped
    table, `sapnhap/reference/staffing/population.csv`). as_of: the day of the reports, ISO
    `YYYY-MM-DD` (empty: today in Vietnam, UTC+7), so that a run can be reproduced."""

    reports_dir: str
    population_table: str = ""
    as_of: str = ""

    def report_dir(self, new_unit_code: str) -> Path:
        """The folder of one new unit's reports (made)."""
        folder = Path(self.reports_dir) / new_unit_code
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def day(self) -> date:
        """The day of the reports (`as_of`, or today in Vietnam).

        Raises:
            ValueError: `as_of` is not an ISO date.
        """
        return date.fromisoformat(self.as_of) if self.as_of else datetime.now(VIETNAM).date()

    def population(self, new_unit_code: str) -> Population | None:
        """The unit's population row, or None when the table has none.

        Raises:
            OSError, ValueError: the table cannot be read (`load_population`).
        """
        return load_population(Path(self.population_table) if self.population_table else None).get(
            new_unit_code
        )
