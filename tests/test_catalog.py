"""The interim-table catalogue (analysis/catalog.py) and the notebooks' use of it."""

import json
import re

import pandas as pd
import pytest

from analysis.catalog import DATASETS, read_interim, write_interim
from analysis.config import NOTEBOOK_ORDER, NOTEBOOKS_DIR, PROJECT_ROOT
from analysis.errors import KitError

QUALITY = pd.DataFrame({"table": ["orders"], "field": ["order_id"], "filled": [1], "total": [2],
                        "completeness": [0.5]})


def test_interim_round_trip(tmp_path):
    paths = write_interim({"quality": QUALITY}, tmp_path / "interim")
    assert paths == [tmp_path / "interim" / "quality.parquet"]
    back = read_interim(tmp_path / "interim", "quality")
    pd.testing.assert_frame_equal(back, QUALITY, check_dtype=False)
    assert not list((tmp_path / "interim").glob(".*tmp"))


def test_read_interim_reads_only_the_columns_asked_for_that_the_table_has(tmp_path):
    frame = pd.DataFrame({"customer_id": ["C1", "C2"], "order_id": ["O1", "O2"],
                          "order_date": pd.to_datetime(["2026-01-01", "2026-01-02"]), "amount": [10.0, 2.5],
                          "net_amount": [10.0, -2.5], "is_purchase": [True, False], "is_cancelled": [False, False],
                          "is_return": [False, True], "channel": ["线上", "门店"]})
    write_interim({"orders": frame}, tmp_path)
    # "category" is absent (an optional input column): asked for but not there, not an error
    got = read_interim(tmp_path, "orders", columns=["net_amount", "customer_id", "category"])
    assert list(got.columns) == ["customer_id", "net_amount"]   # the table's order
    assert got["net_amount"].tolist() == [10.0, -2.5]
    assert read_interim(tmp_path, "surveys", optional=True, columns=["customer_id"]) is None


def test_read_interim_missing_names_file_and_notebook(tmp_path):
    write_interim({"quality": QUALITY}, tmp_path)
    with pytest.raises(KitError) as err:
        read_interim(tmp_path, "segments")
    msg = str(err.value)
    assert "segments.parquet" in msg and "03_segmentation" in msg and "01_cleaning" in msg
    assert "quality" in msg  # what is there
    assert read_interim(tmp_path, "surveys", optional=True) is None


def test_read_interim_missing_in_english(tmp_path):
    from analysis.vocab import language

    write_interim({"quality": QUALITY}, tmp_path)
    with language("en"), pytest.raises(KitError) as err:
        read_interim(tmp_path, "segments")
    assert str(err.value).endswith("notebook 03_segmentation writes it, so run 01_cleaning → "
                                   "02_profiling → 03_segmentation in order first (the folder has: "
                                   "quality)")


def test_a_table_missing_a_catalogued_column_is_refused_where_it_is_written(tmp_path):
    with pytest.raises(ValueError, match=r"'quality' lacks the catalogued columns \['total'"):
        write_interim({"quality": QUALITY.drop(columns=["total", "completeness"])}, tmp_path)
    with pytest.raises(KeyError, match="not in analysis/catalog.py"):
        write_interim({"scratch": QUALITY}, tmp_path)


def _notebook_source(name):
    cells = json.loads((NOTEBOOKS_DIR / f"{name}.ipynb").read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


def _top_level_keys(text, start):
    """The string keys of the dict literal whose body starts at ``text[start]``."""
    depth, keys = 0, []
    for m in re.finditer(r'[{}()\[\]]|"(\w+)"\s*:', text[start:]):
        token = m.group(0)
        if token in "{([":
            depth += 1
        elif token in "})]":
            if depth == 0:
                return keys
            depth -= 1
        elif depth == 0:
            keys.append(m.group(1))
    return keys


def _uses():
    """{table: (writers, readers)} from the notebooks and the analysis package's source."""
    written, read = {}, {}
    sources = {name: _notebook_source(name) for name in NOTEBOOK_ORDER}
    sources["report"] = "\n".join(p.read_text(encoding="utf-8")
                                  for p in (PROJECT_ROOT / "analysis" / "outputs").glob("*.py"))
    for who, text in sources.items():
        for start in (m.end() for m in re.finditer(r"write_interim\(\{", text)):
            for name in _top_level_keys(text, start):
                written.setdefault(name, set()).add(who)
        if "result.interim_tables()" in text:
            for name in ("customers", "orders", "interactions", "surveys", "quarantine", "merge_log",
                         "row_accounting", "quality", "quality_checks"):
                written.setdefault(name, set()).add(who)
        for name in re.findall(r'read_interim\([^,]+,\s*"(\w+)"', text):
            read.setdefault(name, set()).add(who)
        for block in re.findall(r"read_interim\([^,]+,\s*name\)\s*for name in\s*\[(.*?)\]", text, re.S):
            for name in re.findall(r'"(\w+)"', block):
                read.setdefault(name, set()).add(who)
    return written, read


def test_every_table_written_is_read_and_catalogued_with_its_producer():
    written, read = _uses()
    assert set(written) == set(DATASETS), "tables written vs catalogued differ"
    never_read = sorted(set(written) - set(read))
    assert never_read == [], f"written and never read: {never_read}"
    for name, writers in written.items():
        assert writers == {DATASETS[name].producer}, name
    for name, readers in read.items():
        assert name in DATASETS, f"{name} is read but not catalogued"
        assert readers <= set(DATASETS[name].consumers) | {DATASETS[name].producer}, (name, readers)
