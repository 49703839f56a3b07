"""The batch's outputs, value for value, against a digest recorded before a refactoring.

Speed work (issue 13) must not move a single number: every interim table and every workbook
cell of the two-month sample run (tests/conftest.py ``sample_run``) is reduced to a digest per
table/sheet and compared with ``tests/fixtures/outputs_digest.json``, recorded from the code
before the speed work. Values are compared, not storage: a column that became categorical or
Arrow-backed digests the same; floats are rounded to 6 decimals (last-bit noise is not a
change). When a change is meant to alter outputs, record the digest again and say why in the
commit::

    .venv/bin/python tests/test_outputs_unchanged.py <the sample_run's outputs folder>
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from datetime import date, datetime, time
from pathlib import Path

import pandas as pd
import pytest

DIGEST = Path(__file__).parent / "fixtures" / "outputs_digest.json"
MONTHS = ("2026-09", "2026-10")


def _canonical(value) -> str:
    if value is None or value is pd.NA or value is pd.NaT:
        return "<NA>"
    if isinstance(value, float):
        if math.isnan(value):
            return "<NA>"
        return repr(round(value, 6) + 0.0)
    if isinstance(value, (pd.Timestamp, datetime, date, time)):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return _canonical(value.item())
    if isinstance(value, (list, tuple)) or hasattr(value, "tolist"):
        return json.dumps([_canonical(v) for v in list(value)], ensure_ascii=False)
    return str(value)


def _hash_rows(header: list, rows) -> str:
    h = hashlib.sha256("\x1f".join(map(str, header)).encode())
    for row in rows:
        h.update(("\x1e" + "\x1f".join(_canonical(v) for v in row)).encode())
    return h.hexdigest()


def digest_run(outputs: Path) -> dict[str, str]:
    """``{"2026-10/interim/plan": sha256, "2026-10/客户基础信息表_2026-10.xlsx/执行记录": …}``."""
    from python_calamine import CalamineWorkbook

    found = {}
    for month in MONTHS:
        folder = Path(outputs) / month
        for path in sorted((folder / "interim").glob("*.parquet")):
            frame = pd.read_parquet(path)
            rows = frame.astype(object).itertuples(index=False, name=None)
            found[f"{month}/interim/{path.stem}"] = _hash_rows(list(frame.columns), rows)
        for path in sorted(folder.glob("*.xlsx")):
            book = CalamineWorkbook.from_path(str(path))
            for sheet in book.sheet_names:
                cells = book.get_sheet_by_name(sheet).to_python()
                found[f"{month}/{path.name}/{sheet}"] = _hash_rows([], cells)
    return found


@pytest.mark.slow
def test_every_output_value_is_as_recorded(sample_run):
    expected = json.loads(DIGEST.read_text(encoding="utf-8"))
    got = digest_run(sample_run.parent)
    changed = sorted(k for k in expected if k in got and got[k] != expected[k])
    missing = sorted(set(expected) - set(got))
    new = sorted(set(got) - set(expected))
    assert not (changed or missing or new), f"changed: {changed}; missing: {missing}; new: {new}"


if __name__ == "__main__":
    DIGEST.write_text(json.dumps(digest_run(Path(sys.argv[1])), ensure_ascii=False, indent=1) + "\n",
                      encoding="utf-8")
    print(f"wrote {DIGEST}")
