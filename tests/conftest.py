"""Fixtures shared across tests/: one real monthly run that several test modules read back."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from analysis.vocab import text

# Rows of September's 维护执行记录表 filled in before October runs, so that October's closed
# loop (report section and 效果复盘表) has real results to show and to be checked.
FILLED_ROWS = 6


def _fill_execution_log(path) -> None:
    """Fill a few rows of a 维护执行记录表 as staff would (date, feedback, result)."""
    wb = openpyxl.load_workbook(path)
    ws = wb[text("sheet.execution")]
    headers = [cell.value for cell in ws[1]]
    columns = {key: headers.index(text(key)) + 1
               for key in ("column.executed_on", "column.feedback", "column.result")}
    for row in range(2, 2 + FILLED_ROWS):
        ws.cell(row, columns["column.executed_on"]).value = pd.Timestamp("2026-09-24").to_pydatetime()
        ws.cell(row, columns["column.feedback"]).value = "已回访，客户满意"
        ws.cell(row, columns["column.result"]).value = text("choice.result.success")
    wb.save(path)


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory):
    """The 2026-10 output folder of a real two-month batch on a small generated sample.

    September runs first and staff fill a few rows of its log; October then reads September
    back beside it, so every page of the report and every workbook has content — the closed
    loop included. Built once per session for the tests that open a run's outputs as their
    readers would (tests/outputs/test_browser.py, tests/outputs/test_output_words.py).
    """
    from analysis.cli import main  # imported here: collecting the other tests stays quick
    from analysis.sample.synth import write_sample

    root = tmp_path_factory.mktemp("sample_run")
    data = root / "raw"
    write_sample(data, n_customers=300, n_orders=4000, seed=7)
    outputs = root / "outputs"
    for month in ("2026-09", "2026-10"):
        code = main(["run", "--month", month, "--data", str(data), "--out", str(outputs / month)])
        if code != 0:
            pytest.fail(f"the sample batch for {month} exited with {code}; see {outputs / month / 'run.log'}")
        if month == "2026-09":
            _fill_execution_log(outputs / month / f"{text('workbook.execution_log')}_{month}.xlsx")
    return outputs / "2026-10"
