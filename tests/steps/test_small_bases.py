"""The whole monthly batch on tiny or odd CRM exports: every step after cleaning completes.

Each test writes a customers CSV and an orders CSV (Chinese headers, as a small company's CRM
exports them) into ``tmp_path``, runs ``python -m analysis run`` in-process and reads the
outputs back as staff would. The expected numbers are worked out by hand next to the data.
As-of date: 2026-10-31 (the end of --month 2026-10); the RFM window is (2025-10-31, 2026-10-31].
Tier rules (params/base.yml, no 推荐人数 column so 战略 needs only spend): 流失预警 = last purchase
≥ 90 days ago and spend ≥ 2,000 元; 潜力 = first order ≥ 5,000 元 and 1–2 orders; else 普通.
"""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from analysis.cli import main
from analysis.steps.segment import UNCLUSTERED

pytestmark = pytest.mark.slow

MONTH = "2026-10"
CUSTOMER_HEADERS = ["客户编号", "客户名称", "联系电话", "所属行业", "省份", "客户经理", "注册日期"]
ORDER_HEADERS = ["订单编号", "客户编号", "下单日期", "实付金额"]
WORKBOOKS = ["客户基础信息表", "客户分层维护策略表", "维护执行记录表", "营销活动执行表", "效果复盘表"]
NOTEBOOKS = ["01_cleaning", "02_profiling", "03_segmentation", "04_cross_analysis", "05_strategy"]
INDUSTRIES = ["制造业", "批发和零售业", "信息传输、软件和信息技术服务业"]
PROVINCES = ["浙江省", "江苏省", "广东省"]


def _customer(i: int) -> list[str]:
    return [f"C{i:03d}", f"测试{i}号机械有限公司", f"1380013{i:04d}", INDUSTRIES[i % 3], PROVINCES[i % 3],
            f"经理{i % 2}", "2024-01-15"]


def _write_csv(path: Path, headers: list[str], rows: list[list]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(headers)
        writer.writerows(rows)


def _run(tmp_path: Path, customers: list[list], orders: list[list], customer_headers=CUSTOMER_HEADERS,
         options: tuple[str, ...] = ()) -> Path:
    """Write the two exports, run the batch; assert it completed with every output; the out dir."""
    data, out = tmp_path / "raw", tmp_path / "out"
    data.mkdir()
    _write_csv(data / "客户档案.csv", customer_headers, customers)
    _write_csv(data / "订单明细.csv", ORDER_HEADERS, orders)
    # Tiers below are worked out by hand with the template's 元 thresholds (tiers.preset).
    code = main(["run", "--month", MONTH, "--data", str(data), "--out", str(out),
                 "--set", "tiers.preset=template", *options])
    log = (out / "run.log").read_text(encoding="utf-8") if (out / "run.log").is_file() else ""
    assert code == 0, log
    for name in NOTEBOOKS:
        assert (out / f"{name}.ipynb").is_file(), name
    for name in WORKBOOKS:
        assert (out / f"{name}_{MONTH}.xlsx").is_file(), name
        assert (out / f"{name}_{MONTH}_脱敏.xlsx").is_file(), name
    assert (out / f"客户分析报告_{MONTH}.html").is_file()
    return out


def _sheet(out: Path, workbook: str, sheet: str) -> list[dict]:
    """The filled rows of a workbook sheet as dicts by header."""
    ws = openpyxl.load_workbook(out / f"{workbook}_{MONTH}.xlsx")[sheet]
    rows = ws.iter_rows(values_only=True)
    headers = next(rows)
    return [dict(zip(headers, row)) for row in rows if any(value is not None for value in row)]


def _by_customer(rows: list[dict], column: str) -> dict:
    return {row["客户ID"]: row[column] for row in rows}


def _interim(out: Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(out / "interim" / f"{name}.parquet")


def test_one_customer_in_the_control_group(tmp_path):
    # C004 falls in the stable 10% control group (hash of "insight-kit:C004"), so the one
    # customer gets no task: 维护执行记录表 and the campaign sheet are written with no rows.
    out = _run(tmp_path, [_customer(4)], [["O1", "C004", "2026-05-03", "1200.50"],
                                          ["O2", "C004", "2026-09-10", "800"]])
    info = _sheet(out, "客户基础信息表", "客户基础信息")
    assert _by_customer(info, "累计消费(元)") == {"C004": pytest.approx(2000.50)}  # 1,200.50 + 800
    # last purchase 51 days ago, first order 1,200.50 元 < 5,000: 普通客户
    assert _by_customer(info, "客户层级") == {"C004": "普通客户"}
    assert _by_customer(_sheet(out, "客户分层维护策略表", "客户策略"), "当前状态") == {"C004": "对照组"}
    assert _sheet(out, "维护执行记录表", "执行记录") == []
    segments = _interim(out, "segments")
    assert segments["cluster_name"].tolist() == [UNCLUSTERED]
    # a single customer has no top or bottom 20%
    assert segments["value_band"].tolist() == ["中等价值"]


def test_two_customers(tmp_path):
    out = _run(tmp_path, [_customer(1), _customer(2)], [
        ["O1", "C001", "2026-05-03", "1200.50"], ["O2", "C001", "2026-09-10", "800"],
        ["O3", "C002", "2026-03-01", "300"],
    ])
    info = _sheet(out, "客户基础信息表", "客户基础信息")
    assert _by_customer(info, "累计消费(元)") == {"C001": pytest.approx(2000.50), "C002": pytest.approx(300.0)}
    # C002: 244 days without a purchase but only 300 元 spent: 普通, not 流失预警 (a single tier)
    assert set(_by_customer(info, "客户层级").values()) == {"普通客户"}
    assert sorted(row["客户ID"] for row in _sheet(out, "维护执行记录表", "执行记录")) == ["C001", "C002"]


SEVEN_ORDERS = [
    ["O01", "C001", "2026-10-20", "8000"],                                           # 潜力: first order ≥ 5,000
    ["O02", "C002", "2026-05-01", "1500"], ["O03", "C002", "2026-06-01", "1500"],    # 流失预警: 152 days, 3,000 元
    ["O04", "C003", "2026-09-01", "200"], ["O05", "C003", "2026-10-01", "300"], ["O06", "C003", "2026-10-15", "250"],
    ["O07", "C004", "2026-08-08", "600"],                                            # control group
    ["O08", "C005", "2025-12-12", "90"], ["O09", "C005", "2026-02-02", "110"],
    ["O10", "C006", "2026-10-30", "50"],
    ["O11", "C007", "2026-04-04", "2100"],                                           # 流失预警: 210 days, 2,100 元
]
SEVEN_TIERS = {"C001": "潜力客户", "C002": "流失预警客户", "C003": "普通客户", "C004": "普通客户",
               "C005": "普通客户", "C006": "普通客户", "C007": "流失预警客户"}


def test_seven_customers(tmp_path):
    out = _run(tmp_path, [_customer(i) for i in range(1, 8)], SEVEN_ORDERS)
    info = _sheet(out, "客户基础信息表", "客户基础信息")
    assert _by_customer(info, "客户层级") == SEVEN_TIERS
    assert _by_customer(info, "累计消费(元)")["C003"] == pytest.approx(750.0)  # 200 + 300 + 250
    # the 90-day rule warns C002 and C007, and the warning's reason reaches the plan
    churn = _interim(out, "churn").set_index("customer_id")
    assert sorted(churn.index[churn["churn_warning"]]) == ["C002", "C007"]
    features = _by_customer(_sheet(out, "客户分层维护策略表", "客户策略"), "核心特征")
    assert features["C002"].endswith("；预警：152天未购买，历史消费3,000元")
    # C004 is in the control group: six tasks
    assert sorted(row["客户ID"] for row in _sheet(out, "维护执行记录表", "执行记录")) == [
        "C001", "C002", "C003", "C005", "C006", "C007"]
    # seven distinct customers: k-means tries k = 3…6 only, and every customer gets a named cluster
    segments = _interim(out, "segments")
    assert segments["cluster_name"].notna().all() and UNCLUSTERED not in set(segments["cluster_name"])
    assert 3 <= segments["cluster"].nunique() <= 6


def test_all_amounts_negative(tmp_path):
    # Returns only: nobody bought in the window, every spend is negative.
    out = _run(tmp_path, [_customer(i) for i in range(1, 5)],
               [[f"R{i}", f"C{i:03d}", f"2026-0{i + 3}-15", str(-100 * i)] for i in range(1, 5)])
    info = _sheet(out, "客户基础信息表", "客户基础信息")
    assert _by_customer(info, "累计消费(元)") == {"C001": -100.0, "C002": -200.0, "C003": -300.0, "C004": -400.0}
    assert set(_by_customer(info, "客户层级").values()) == {"普通客户"}
    assert not _interim(out, "churn")["churn_warning"].any()


def test_optional_columns_present_but_all_empty(tmp_path):
    headers = CUSTOMER_HEADERS + ["生日", "邮箱", "企业规模"]
    customers = [[f"C{i:03d}", f"测试{i}号机械有限公司", f"1380013{i:04d}", "", PROVINCES[i % 3], "", "", "", "", ""]
                 for i in range(1, 8)]
    # 8-class RFM against industry means, with no industry filled in: the overall mean applies
    out = _run(tmp_path, customers, SEVEN_ORDERS, customer_headers=headers,
               options=("--set", "rfm.high_low_against=industry_mean"))
    assert "high_low_against: industry_mean" in (out / "params_resolved.yml").read_text(encoding="utf-8")
    info = _sheet(out, "客户基础信息表", "客户基础信息")
    assert _by_customer(info, "客户层级") == SEVEN_TIERS
    assert set(_by_customer(info, "所属行业").values()) == {None}
    assert set(_by_customer(info, "客户经理").values()) == {None}
    # without a 客户经理 every task goes to the tier's default owner (params strategy.tiers)
    owners = _by_customer(_sheet(out, "维护执行记录表", "执行记录"), "执行人")
    assert owners == {"C001": "销售代表", "C002": "客户关系专员", "C003": "运营专员", "C005": "运营专员",
                      "C006": "运营专员", "C007": "客户关系专员"}


def test_no_repeat_buyers_and_fewer_distinct_points_than_k(tmp_path):
    # Every customer bought once; C001–C004 alike (2,500 元 on 2026-03-01, 244 days ago) and
    # C005–C007 alike (300 元 on 2026-09-20): two distinct R/F/M points, fewer than k = 3.
    orders = ([[f"O{i}", f"C{i:03d}", "2026-03-01", "2500"] for i in range(1, 5)]
              + [[f"O{i}", f"C{i:03d}", "2026-09-20", "300"] for i in range(5, 8)])
    out = _run(tmp_path, [_customer(i) for i in range(1, 8)], orders)
    info = _sheet(out, "客户基础信息表", "客户基础信息")
    assert _by_customer(info, "累计消费(元)") == {f"C{i:03d}": 2500.0 if i <= 4 else 300.0 for i in range(1, 8)}
    assert _by_customer(info, "客户层级") == {f"C{i:03d}": "流失预警客户" if i <= 4 else "普通客户"
                                          for i in range(1, 8)}
    segments = _interim(out, "segments")
    assert set(segments["cluster_name"]) == {UNCLUSTERED}
    # no repeat buyer: BG/NBD is not fitted, the 90-day rule alone warns (≥ 90 days and ≥ 2,000 元)
    churn = _interim(out, "churn").set_index("customer_id")
    assert churn["p_alive"].isna().all()
    assert sorted(churn.index[churn["churn_warning"]]) == ["C001", "C002", "C003", "C004"]
