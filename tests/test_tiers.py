"""Tier names, order and roles come from params only (analysis/tiers.py): a company that
renames or adds a tier in params sees it in every table."""

import openpyxl
import pandas as pd
import pytest

from analysis.cli import main
from analysis.params import resolve_params
from analysis.sample.synth import write_sample
from analysis.tiers import tier_roles


def test_roles_and_display_order_from_params():
    roles = tier_roles(resolve_params("2026-10"))
    assert roles.order == ("战略客户", "核心客户", "潜力客户", "流失预警客户", "普通客户")
    assert roles.default == "普通客户" and roles.win_back == "流失预警客户"
    assert roles.high_value == ("战略客户", "核心客户")
    assert roles.rank("流失预警客户") == 3 and roles.rank("不存在") == 5


PARAMS = """
tiers:
  rules:
    - {tier: 战略客户, min_total_spend: 500000, min_referral_rate: 0.90}
    - {tier: 铂金客户, min_total_spend: 200000}
    - {tier: 核心客户, min_total_spend: 100000, max_total_spend: 500000, min_repurchase_rate: 0.70}
    - {tier: 流失预警客户, min_days_since_last: 90, min_total_spend: 2000}
    - {tier: 潜力客户, min_first_order: 5000, min_orders: 1, max_orders: 2}
    - {tier: 大众客户}
  display_order: [战略客户, 铂金客户, 核心客户, 潜力客户, 流失预警客户, 大众客户]
  roles: {high_value: [战略客户, 铂金客户, 核心客户], win_back: 流失预警客户, sleeping: [大众客户, 流失预警客户]}
strategy:
  tiers:
    铂金客户: {features: 累计消费≥20万, strategy: 专属客户经理季度拜访, owner_role: 客户经理, cycle: 每季度1次,
              next_action: 客户经理上门拜访, due_working_days: 5, kpi: 季度复购率 ≥ 80%, offer: 专属折扣,
              channel: 电话, content_key: "platinum:visit"}
    大众客户: {features: 其余客户, strategy: 标准化服务, owner_role: 运营专员, cycle: 每月1次,
              next_action: 发放本月通用优惠券, due_working_days: 10, kpi: 优惠券核销率 ≥ 10%,
              offer: 月度通用券, channel: 短信, content_key: "standard:monthly_coupon"}
"""


@pytest.mark.slow
def test_a_renamed_and_an_added_tier_appear_in_every_table(tmp_path):
    data, out = tmp_path / "raw", tmp_path / "out"
    write_sample(data, n_customers=300, n_orders=4000, seed=7)
    (tmp_path / "tiers.yml").write_text(PARAMS, encoding="utf-8")
    assert main(["run", "--month", "2026-10", "--data", str(data), "--out", str(out),
                 "--params", str(tmp_path / "tiers.yml")]) == 0
    segments = pd.read_parquet(out / "interim" / "segments.parquet")
    counts = segments["tier"].value_counts()
    assert counts.get("铂金客户", 0) > 0 and counts.get("大众客户", 0) > 0
    assert "普通客户" not in counts
    order = ["战略客户", "铂金客户", "核心客户", "潜力客户", "流失预警客户", "大众客户"]

    wb = openpyxl.load_workbook(out / "客户分层维护策略表_2026-10.xlsx", read_only=True)
    listed = [r[0] for r in wb["分层策略"].iter_rows(min_row=2, values_only=True) if r[0]]
    assert listed == order                           # every tier of the rules, in display order
    customers = {r[0] for r in wb["客户策略"].iter_rows(min_row=2, values_only=True) if r[0]}
    assert {"铂金客户", "大众客户"} <= customers
    review = openpyxl.load_workbook(out / "效果复盘表_2026-10.xlsx", read_only=True)["效果复盘"]
    flows = " ".join(str(r[1]) for r in review.iter_rows(min_row=2, values_only=True))
    assert "铂金客户" in flows and "大众客户" in flows

    html = (out / "客户分析报告_2026-10.html").read_text(encoding="utf-8")
    assert "铂金客户" in html and "大众客户" in html and "普通客户" not in html
