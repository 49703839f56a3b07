"""Profiling tables and statements (analysis/steps/profile.py)."""

import pandas as pd

from analysis.steps.profile import concentration_statements, customer_behaviour, share_table


def test_share_table_counts_blanks_and_groups_the_tail():
    values = pd.Series(["华东"] * 5 + ["华北"] * 3 + ["西南", "东北", None], name="region")
    table = share_table(values, top_n=2)
    assert table.index.tolist() == ["华东", "华北", "其他"]
    assert table["客户数"].tolist() == [5, 3, 3]       # 西南 + 东北 + 未填写
    assert table["占比"].round(4).tolist() == [round(5 / 11, 4), round(3 / 11, 4), round(3 / 11, 4)]


def test_concentration_statement_shares_are_of_all_customers_like_the_chart():
    customers = pd.DataFrame({"region": ["华东", "华东", "华北", None],
                              "industry": ["制造业", "未识别", None, None]})
    lines = concentration_statements(customers, {"region": "大区", "industry": "行业"})
    # 2 of all 4 customers (the 未填写 bar is in the chart's total too): 50.0%, not 2 of 3
    assert lines[0] == "大区：华东地区客户最多，2 位，占全部 4 位客户的 50.0%（1 位未填写或未识别大区）"
    # 未识别 is not a group, but it is a customer: 1 of 4
    assert lines[1] == "行业：制造业客户最多，1 位，占全部 4 位客户的 25.0%（3 位未填写或未识别行业）"
    chart = share_table(customers["region"])
    assert chart.loc["华东", "占比"] == 0.5  # the table and chart beside the sentence say the same


def test_a_value_ending_in_the_customer_word_gets_no_second_one():
    customers = pd.DataFrame({"company_size": ["中小企业客户", "中小企业客户", "个人"]})
    assert concentration_statements(customers, {"company_size": "企业规模"}) == [
        "企业规模：中小企业客户最多，2 位，占全部 3 位客户的 66.7%"]


def test_customer_behaviour_by_hand():
    orders = pd.DataFrame({
        "customer_id": ["A", "A", "A", "B"], "order_id": ["1", "2", "3", "4"],
        "order_date": pd.to_datetime(["2026-01-01", "2026-07-01", "2026-10-01", "2026-10-30"]),
        "amount": [100.0, 300.0, -50.0, 80.0], "is_purchase": [True, True, False, True],
    })
    got = customer_behaviour(orders, pd.Timestamp("2026-10-31")).loc["A"]
    # the return is not a purchase: 2 orders averaging 200; last purchase 07-01 -> 122 days
    assert got["orders"] == 2 and got["avg_order_value"] == 200.0
    assert got["recency_days"] == 122 and got["tenure_days"] == 303


def test_statements_and_tables_follow_the_run_language():
    from analysis.steps.profile import profile_dimensions, value_counts
    from analysis.vocab import language

    assert list(profile_dimensions()) == ["region", "province", "industry", "company_size",
                                          "preferred_channel", "owner"]
    customers = pd.DataFrame({"region": ["华东", "华东", "华北"], "owner": ["王", None, "王"],
                              "company_size": ["中小企业", "个人", "中小企业"]})
    assert concentration_statements(customers)[1] == "企业规模：中小企业客户最多，2 位，占全部 3 位客户的 66.7%"
    with language("en"):
        lines = concentration_statements(customers)
        assert lines[0] == "Region: customers in 华东 are the largest group, 2 or 66.7% of all 3 customers"
        assert lines[2] == ("Account manager: customers of 王 are the largest group, 2 or 66.7% of all 3 customers"
                            " (1 without a recognised Account manager)")
        assert concentration_statements(customers, {"region": "Area"})[0].startswith("Area: customers in 华东")
        table = share_table(customers["owner"], top_n=1)
        assert list(table.columns) == ["Customers", "Share"] and table.index.tolist() == ["王", "Other"]
        assert share_table(None)["Customers"].index.tolist() == ["(no such column in the data)"]
        assert value_counts(customers, "owner").index.tolist() == ["王", "Not given"]
