"""The cleaning step's results for people: the data-quality sheets (analysis/outputs/quality.py)."""

import pandas as pd

from analysis.outputs.quality import quality_report, quality_sheets
from analysis.steps.clean import checks_frame, clean_customers, clean_interactions
from tests.steps.test_clean import AS_OF, CUSTOMER_COLS, _raw


def test_quality_report_lines():
    accounting = pd.DataFrame([{"table": "orders", "rows_in": 10, "kept": 7, "quarantined": 2,
                                "merged_or_duplicate": 1, "closes": True}])
    quality = pd.DataFrame([{"table": "customers", "field": "phone", "filled": 19, "total": 20,
                             "completeness": 0.95, "meets_target": True, "note": ""},
                            {"table": "customers", "field": "owner", "filled": 18, "total": 20,
                             "completeness": 0.9, "meets_target": False, "note": ""}])
    checks = checks_frame({"invalid_phones": 3, "stated_spend_mismatch": None})
    quarantine = pd.DataFrame({"table": ["orders", "orders"], "source_file": ["o.csv"] * 2,
                               "source_row": [3, 9], "column": ["amount"] * 2, "value": ["待定", "x"],
                               "reason": ["金额不是数字"] * 2})
    report = quality_report(accounting, quality, checks, quarantine, target=0.95)
    assert report["类别"].tolist() == ["行数核对", "完整率", "完整率", "检查", "隔离"]
    assert report.iloc[0]["数值"] == "10 = 7 + 2 + 1" and report.iloc[0]["是否达标"] == "✔"
    assert report.iloc[1][["数值", "是否达标"]].tolist() == ["95.0%", "✔"]
    assert report.iloc[2][["项目", "数值", "是否达标"]].tolist() == ["客户表·客户经理", "90.0%", "✘"]
    assert report.iloc[3]["数值"] == "3"            # the None check is left out
    assert report.iloc[4][["项目", "数值"]].tolist() == ["订单表·金额不是数字", "2"]
    sheets = quality_sheets(accounting, quality, checks, quarantine, pd.DataFrame(
        columns=["kept_id", "merged_ids", "n_merged", "matched_on"]), target=0.95)
    assert list(sheets) == ["quality_report", "quarantine", "merges"]     # sheet keys (workbooks.py)
    assert list(sheets["quarantine"].columns) == ["表", "来源文件", "来源行号", "列", "原值", "原因"]
    assert sheets["quarantine"]["来源行号"].tolist() == [3, 9]
    assert list(sheets["merges"].columns) == ["保留客户ID", "合并的客户ID", "合并数量", "匹配依据"]


def test_quality_sheets_follow_the_run_language():
    from analysis.vocab import language

    # the quarantine and merge log of an English run, as tests/steps/test_clean.py makes them
    raw = _raw([("C1", "2026-01-01", "邮件点击", None), ("C2", "2026-01-02", "投诉", None),
                ("C3", "2026-01-03", "看直播", "抖音"), (None, "2026-01-03", "咨询", None)],
               ["customer_id", "date", "type", "channel"])
    with language("en"):
        _, quarantine = clean_interactions(raw, AS_OF)
        customers = _raw([("C1", "甲公司", "13812345678", "a@x.cn", None, None, None),
                          ("C2", "甲有限公司", "13812345678", "a@x.cn", None, None, None),
                          ("C3", "乙", None, None, None, None, None)], CUSTOMER_COLS)
        _, _, merge_log, _ = clean_customers(customers)
        accounting = pd.DataFrame([{"table": "orders", "rows_in": 1, "kept": 1, "quarantined": 0,
                                    "merged_or_duplicate": 0, "closes": True}])
        sheets = quality_sheets(accounting, pd.DataFrame(columns=["table", "field"]), checks_frame({}),
                                quarantine, merge_log, target=0.95)
        report = sheets["quality_report"]
        assert list(report.columns) == ["Category", "Item", "Value", "Target", "Met", "Note"]
        assert report.iloc[0][["Category", "Item", "Target"]].tolist() == ["Row count", "Orders", "Adds up"]
        assert sheets["quarantine"]["Table"].tolist() == ["Interactions"]
        assert list(sheets["merges"].columns) == [
            "Kept customer ID", "Merged customer IDs", "Records merged", "Matched on"]
        assert sheets["merges"].iloc[0][["Kept customer ID", "Merged customer IDs"]].tolist() == ["C1", "C2"]


def test_flagged_customers_are_counted_with_a_few_example_ids():
    accounting = pd.DataFrame([{"table": "customers", "rows_in": 9, "kept": 9, "quarantined": 0,
                                "merged_or_duplicate": 0, "closes": True}])
    checks = checks_frame({"placeholder_phones": 2, "no_contact": 7, "net_negative_spend": 0},
                          {"placeholder_phones": ["C1", "C3"], "no_contact": ["C1", "C2", "C3", "C5", "C8"]})
    report = quality_report(accounting, pd.DataFrame(columns=["table", "field"]), checks,
                            pd.DataFrame(columns=["table", "reason"]), target=0.95).set_index("项目")
    placeholder = report.loc["其中占位号码（全是同一数字、连号等填充用号码）"]
    assert placeholder["数值"] == "2" and placeholder["说明"].endswith("；例：C1、C3")
    # seven found, five listed: "等" says there are more
    assert report.loc["无联系方式的客户（无有效电话，也无邮箱）", "说明"].endswith("例：C1、C2、C3、C5、C8 等")
    negative = report.loc["累计消费为负的客户（退货大于购买）"]
    assert negative["数值"] == "0" and "例" not in negative["说明"]
    # flagged rows are not set aside: the customer table's account is unchanged
    assert report.iloc[0]["数值"] == "9 = 9 + 0 + 0"
