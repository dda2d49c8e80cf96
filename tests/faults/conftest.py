"""The fault suite: each scenario reports sent / delivered / lost / duplicated, and the
table is printed at the end of the run (and written to var/faults.md for the README)."""

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import BASE_DIR

REPORT_FILE = Path(BASE_DIR) / "var" / "faults.md"
_rows: list["FaultRow"] = []


@dataclass
class FaultRow:
    scenario: str
    sent: int
    delivered: int
    lost: int
    duplicated: int
    note: str = ""

    def markdown(self) -> str:
        cells = (self.scenario, self.sent, self.delivered, self.lost, self.duplicated, self.note)
        return "| " + " | ".join(str(cell) for cell in cells) + " |"


@pytest.fixture
def fault_report():
    """Call it with the scenario's counts; the row shows up in the run's summary."""

    def report(
        scenario: str, *, sent: int, delivered: int, lost: int, duplicated: int, note: str = ""
    ) -> FaultRow:
        row = FaultRow(scenario, sent, delivered, lost, duplicated, note)
        _rows.append(row)
        print(row.markdown(), flush=True)
        return row

    return report


def table() -> str:
    header = [
        "| scenario | sent | delivered | lost | duplicated | note |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    return "\n".join([*header, *(row.markdown() for row in _rows)])


def pytest_terminal_summary(terminalreporter) -> None:
    if not _rows:
        return
    terminalreporter.section("fault suite")
    terminalreporter.write_line(table())
    REPORT_FILE.parent.mkdir(parents=True, exist_ok=True)
    REPORT_FILE.write_text(table() + "\n", encoding="utf-8")
