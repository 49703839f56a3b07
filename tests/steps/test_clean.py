"""Cleaning rules on small hand-made fixtures (analysis/steps/clean.py)."""

import weakref

import pandas as pd
import pytest

from analysis.intake.read import RawData
from analysis.steps.clean import (
    clean_all, clean_customers, clean_interactions, clean_orders, clean_surveys, normalise_company_names,
    normalise_phones, region_of_province, row_accounting, standardise_company_size, standardise_industry,
)

AS_OF = pd.Timestamp("2026-10-31")


def _raw(rows, columns, file="f.csv"):
    frame = pd.DataFrame(rows, columns=columns, dtype="string")
    frame["_source_file"] = file
    frame["_source_row"] = range(2, len(frame) + 2)
    return frame


def test_phones_standardised_and_invalid_flagged():
    got = normalise_phones(pd.Series(["+86 138-1234-5678", "0086 13912345678", "8613912345678",
                                      "021-62345678", "0571 88886666", "010 62781234", "12345",
                                      "1381234567a", None, "23812345678"]))
    assert got["phone"].tolist() == ["13812345678", "13912345678", "13912345678", "021-62345678",
                                     "0571-88886666", "010-62781234", pd.NA, pd.NA, pd.NA, pd.NA]
    assert got["phone_kind"].tolist() == ["mobile", "mobile", "mobile", "landline", "landline", "landline",
                                          "invalid", "invalid", "missing", "invalid"]


def test_placeholder_numbers_are_not_phones():
    # Each one has a phone's shape but was typed to fill the field.
    placeholders = ["0000-0000000", "00000000000", "13800000000", "139 1111 1111", "021-88888888",
                    "010-12345678", "0571-87654321", "0755-7890123"]
    got = normalise_phones(pd.Series(placeholders + ["13812345678", "0571-88886666", "1380000", ""]))
    assert got["phone_kind"].tolist() == ["placeholder"] * 8 + ["mobile", "landline", "invalid", "missing"]
    assert got["phone"].isna().tolist() == [True] * 8 + [False, False, True, True]


def test_contact_and_money_checks_count_customers_and_keep_their_rows():
    customers = _raw([("C1", "甲公司", "0000-0000000", None, None, None, None),        # placeholder, no e-mail
                      ("C2", "乙", None, "yi@example.com", None, None, None),          # e-mail only: reachable
                      ("C3", "丙", "13800000000", "bad-address", None, None, None),    # placeholder, bad e-mail
                      ("C4", "丁", "13912345678", None, None, None, None),
                      ("C5", "戊", "12345", None, None, None, None)], CUSTOMER_COLS)    # too short
    orders = _raw([("1", "C1", "2026-01-05", "100", None), ("2", "C1", "2026-02-05", "-250", "退货"),
                   ("3", "C4", "2026-02-05", "80", None), ("4", "C4", "2026-03-01", "-80", "退货"),
                   ("5", "C5", "2026-03-01", "-10", "退货")], ORDER_COLS)
    result = clean_all({"customers": customers, "orders": orders}, AS_OF, {})
    # by hand: placeholders C1, C3; invalid C5 too; nobody to contact C1, C3, C5;
    # net spend C1 100 − 250 = −150, C4 80 − 80 = 0 (not negative), C5 −10
    assert result.checks["placeholder_phones"] == 2 and result.checks["invalid_phones"] == 3
    assert result.checks["no_contact"] == 3 and result.examples["no_contact"] == ["C1", "C3", "C5"]
    assert result.checks["net_negative_spend"] == 2 and result.examples["net_negative_spend"] == ["C1", "C5"]
    assert len(result.customers) == 5 and len(result.orders) == 5 and result.accounting["closes"].all()
    # phone and e-mail stay two fields
    kept = result.customers.set_index("customer_id")
    assert kept.loc["C2", "email"] == "yi@example.com" and pd.isna(kept.loc["C2", "phone"])
    assert kept.loc["C4", "phone"] == "13912345678" and pd.isna(kept.loc["C4", "email"])


def test_clean_all_walks_its_tables_through_the_given_loop():
    customers = _raw([("C1", "甲", "13912345678", None, None, None, None)], CUSTOMER_COLS)
    orders = _raw([("1", "C1", "2026-01-05", "100", None)], ORDER_COLS)
    seen = []

    def each(names):
        for name in names:
            seen.append(name)
            yield name

    result = clean_all({"orders": orders, "customers": customers}, AS_OF, {}, each_table=each)
    assert seen == ["customers", "orders"] and len(result.orders) == 1   # in cleaning order


def test_clean_all_leaves_the_callers_tables_and_gives_back_handed_over_ones():
    customers = _raw([("C1", "甲", "13912345678", None, None, None, None)], CUSTOMER_COLS)
    orders = _raw([("1", "C1", "2026-01-05", "100", None)], ORDER_COLS)
    kept = {"customers": customers, "orders": orders}
    before = {name: frame.copy() for name, frame in kept.items()}
    clean_all(kept, AS_OF, {})
    assert list(kept) == ["customers", "orders"]   # the caller's dict and frames untouched
    for name, frame in kept.items():
        pd.testing.assert_frame_equal(frame, before[name])
    kept_result = clean_all(kept, AS_OF, {})
    raw = RawData(tables={"customers": customers.copy(), "orders": orders.copy()}, sources=[])
    given = weakref.ref(raw.tables["orders"])
    result = clean_all(raw.take_tables(), AS_OF, {})
    assert raw.tables == {} and given() is None           # nothing holds the raw orders any more
    pd.testing.assert_frame_equal(result.orders, kept_result.orders)   # and the result is the same
    pd.testing.assert_frame_equal(result.customers, kept_result.customers)
    # clean_orders told it may consume its input drops each raw column once used
    frame = orders.copy()
    consumed = clean_orders(frame, AS_OF, consume=True)[0]
    assert list(frame.columns) == []
    pd.testing.assert_frame_equal(consumed, clean_orders(orders, AS_OF)[0])


def test_company_names_fold_brackets_and_suffixes():
    names = pd.Series(["恒泰机械有限公司", "恒泰机械（集团）有限公司", "恒泰机械有限责任公司",
                       "恒泰机械股份有限公司", "ＡＢＣ科技有限公司"])
    assert normalise_company_names(names).tolist() == ["恒泰机械"] * 4 + ["abc科技"]


def test_industry_aliases_map_to_gbt4754_sections():
    got = standardise_industry(pd.Series(["制造", "C 制造业", "IT", "互联网", "批发和零售业", "零售",
                                          "火星殖民", "", "教育培训"]))
    assert got.tolist() == ["制造业", "制造业", "信息传输、软件和信息技术服务业",
                            "信息传输、软件和信息技术服务业", "批发和零售业", "批发和零售业",
                            "未识别", pd.NA, "教育"]
    # params can add an alias
    assert standardise_industry(pd.Series(["火星殖民"]), {"火星殖民": "建筑业"}).tolist() == ["建筑业"]


def test_all_34_provinces_have_a_region():
    from analysis.reference.geography import REGION_OF_PROVINCE

    assert len(REGION_OF_PROVINCE) == 34
    assert set(REGION_OF_PROVINCE.values()) == {"华东", "华北", "华南", "华中", "西南", "西北", "东北"}
    got = region_of_province(pd.Series(["新疆维吾尔自治区", "广西壮族自治区", "北京市", "浙江省", "香港特别行政区", "火星"]))
    assert got["region"].tolist() == ["西北", "华南", "华北", "华东", "华南", pd.NA]
    assert got["province"].tolist() == ["新疆", "广西", "北京", "浙江", "香港", pd.NA]


def test_company_size():
    got = standardise_company_size(pd.Series(["个人", "中小企业", "小微企业", "大型企业", "集团", "?"]))
    assert got.tolist() == ["个人", "中小企业", "中小企业", "大型企业", "大型企业", pd.NA]


ORDER_COLS = ["order_id", "customer_id", "order_date", "amount", "status"]


def test_orders_quarantined_with_reasons_and_duplicates_counted():
    raw = _raw([
        ("1", "C1", "2026-01-05", "100", "已完成"),       # row 2 kept
        ("2", None, "2026-01-05", "100", "已完成"),       # row 3 missing id
        ("3", "C1", "未知", "100", "已完成"),             # row 4 bad date
        ("4", "C1", "2026-01-05", "", "已完成"),          # row 5 missing amount
        ("5", "C1", "2026-01-05", "待定", "已完成"),      # row 6 non-numeric
        ("6", "C1", "2026-11-01", "100", "已完成"),       # row 7 after as-of
        ("1", "C1", "2026-01-05", "100", "已完成"),       # row 8 exact duplicate of row 2
        ("7", "C2", "2026/3/15", "¥1,234.50", "退货"),    # row 9 kept (returned: adds nothing)
        ("8", "C2", "20261031", "-56", "退货"),           # row 10 kept: on the as-of day
        ("9", "C2", "2026-02-01", "300", "已取消"),       # row 11 kept, cancelled
    ], ORDER_COLS)
    orders, quarantine, dup = clean_orders(raw, AS_OF)
    assert quarantine[["source_row", "reason"]].values.tolist() == [
        [3, "缺少客户ID"], [4, "日期无法解析"], [5, "缺少金额"], [6, "金额不是数字"], [7, "日期晚于分析基准日"]]
    assert dup == 1
    assert orders["order_id"].tolist() == ["1", "7", "8", "9"]
    assert orders["amount"].tolist() == [100.0, 1234.5, -56.0, 300.0]
    assert orders["is_return"].tolist() == [False, True, True, False]
    assert orders["is_cancelled"].tolist() == [False, False, False, True]
    # row 9: returned with its original amount -> bought and given back: adds nothing
    assert orders["net_amount"].tolist() == [100.0, 0.0, -56.0, 0.0]
    assert orders["is_purchase"].tolist() == [True, False, False, False]
    assert row_accounting(len(raw), len(orders), len(quarantine), dup, "orders")["closes"]


def test_row_accounting_raises_when_it_does_not_close():
    with pytest.raises(AssertionError, match="行数不平"):
        row_accounting(10, 5, 2, 1, "orders")


CUSTOMER_COLS = ["customer_id", "name", "phone", "email", "industry", "province", "register_date"]


def test_duplicate_customers_merge_into_most_complete_record():
    raw = _raw([
        ("C1", "恒泰机械有限公司", "13812345678", None, None, "浙江", "2023-01-01"),
        ("C2", "恒泰机械（集团）有限公司", "+86 138 1234 5678", "ht@example.com", "制造", "浙江省", "2024-01-01"),
        ("C3", "王芳", "13900000000", "HT@example.com", None, None, None),   # same e-mail as C2
        ("C4", "李雷", "13700000000", None, "零售", "广东", "2024-05-01"),
        (None, "无编号", "13600000000", None, None, None, None),
    ], CUSTOMER_COLS)
    customers, quarantine, merge_log, id_map = clean_customers(raw)
    assert quarantine["reason"].tolist() == ["缺少客户ID"]
    assert sorted(customers["customer_id"]) == ["C2", "C4"]
    assert id_map == {"C1": "C2", "C3": "C2"}
    kept = customers.set_index("customer_id").loc["C2"]
    assert kept["industry"] == "制造业" and kept["region"] == "华东" and kept["phone"] == "13812345678"
    assert merge_log.loc[0, "kept_id"] == "C2" and merge_log.loc[0, "merged_ids"] == "C1、C3"
    assert "手机号相同" in merge_log.loc[0, "matched_on"] and "邮箱相同" in merge_log.loc[0, "matched_on"]
    # 5 in = 2 kept + 1 quarantined + 2 merged
    assert row_accounting(5, len(customers), len(quarantine), len(id_map), "customers")["closes"]


def test_clean_all_rekeys_orders_and_closes_every_account():
    customers = _raw([("C1", "张三", "13812345678", None, None, None, None),
                      ("C2", "张三丰", "13812345678", None, None, None, None)], CUSTOMER_COLS)
    orders = _raw([("1", "C1", "2026-01-05", "100", None), ("2", "C2", "2026-02-05", "50", None),
                   ("3", "C9", "2026-02-05", "70", None)], ORDER_COLS)
    result = clean_all({"customers": customers, "orders": orders}, AS_OF, {})
    kept = result.merge_log.loc[0, "kept_id"]
    assert set(result.orders["customer_id"]) == {kept, "C9"}
    assert result.accounting["closes"].all()
    # C9 is only in the orders: it joins the archive, flagged as not in the customer table
    assert result.customers.set_index("customer_id").loc["C9", "in_customer_table"] == False  # noqa: E712
    assert result.checks["orders_without_customer_record"] == 1


def test_interactions_split_channel_and_event():
    raw = _raw([("C1", "2026-01-01", "邮件打开", None), ("C1", "2026-01-01", "发送", "短信"),
                ("C2", "2026-01-02", "投诉", None), ("C2", "bad", "咨询", None)],
               ["customer_id", "date", "type", "channel"])
    got, quarantine = clean_interactions(raw, AS_OF)
    assert got["kind"].tolist() == ["消息", "消息", "投诉"]
    assert got["event"].tolist()[:2] == ["opened", "sent"]
    assert got["channel"].tolist()[:2] == ["邮件", "短信"]
    assert quarantine["source_row"].tolist() == [5]


def test_survey_scores_on_100_scale_become_stars():
    raw = _raw([("C1", "2026-01-01", "80"), ("C2", "2026-01-01", "100"), ("C3", "2026-01-01", "abc")],
               ["customer_id", "date", "score"])
    got, quarantine = clean_surveys(raw, AS_OF)
    assert got["stars"].tolist() == [4.0, 5.0]
    assert quarantine["reason"].tolist() == ["评分缺失或不是数字"]


def test_city_recovers_missing_province_and_region():
    raw = _raw([("C1", "甲", None, None, None, None, None), ("C2", "乙", None, None, None, "广东省", None),
                ("C3", "丙", None, None, None, None, None)], CUSTOMER_COLS)
    raw["city"] = pd.array(["杭州市", "深圳", "火星市"], dtype="string")
    customers, *_ = clean_customers(raw)
    got = customers.set_index("customer_id")
    assert got["province"].tolist() == ["浙江", "广东", pd.NA]
    assert got["region"].tolist() == ["华东", "华南", pd.NA]


def test_totals_row_quarantined_as_such():
    raw = _raw([("1", "C1", "2026-01-05", "100", None), ("合计", None, None, "100", None)], ORDER_COLS)
    orders, quarantine, _ = clean_orders(raw, AS_OF)
    assert len(orders) == 1
    assert quarantine[["source_row", "reason"]].values.tolist() == [[3, "合计行"]]


def test_totals_words_found_in_any_case_and_spacing_never_in_ids_or_numbers():
    from analysis.steps.clean import totals_rows

    first = ["合计", " 小计： ", "TOTAL", "Grand  Total:", "ſum", "合计1", "合计１", "总计额", "C1", None, ""]
    frame = pd.DataFrame({"_first_cell": first, "customer_id": ["C1"] * len(first)}, dtype="str")
    found = totals_rows(frame)
    # ſ (long s) is an s to Python's case-insensitive match, as before; a digit, ASCII or
    # full-width, or another word after the totals word makes it data.
    assert found["_first_cell"].tolist() == [True, True, True, True, True, False, False, False,
                                             False, False, False]
    assert not found["customer_id"].any()


def test_dayfirst_param_decides_ambiguous_slash_dates():
    raw = _raw([("1", "C1", "03/04/2026", "100", None)], ORDER_COLS)
    assert clean_orders(raw, AS_OF, {"dayfirst": True})[0]["order_date"].iloc[0] == pd.Timestamp("2026-04-03")
    assert clean_orders(raw, AS_OF, {"dayfirst": False})[0]["order_date"].iloc[0] == pd.Timestamp("2026-03-04")


def test_merged_customers_add_up_stated_spend():
    raw = _raw([("C1", "张三", "13812345678", None, None, None, None),
                ("C2", "张三", "138-1234-5678", None, None, None, None)], CUSTOMER_COLS)
    raw["stated_total_spend"] = pd.array(["100", "250.5"], dtype="string")
    customers, *_ = clean_customers(raw)
    assert customers["stated_total_spend"].tolist() == [350.5]


def test_params_missing_keys_take_base_yml_values():
    from analysis.config import PARAMS_DIR
    from analysis.params import load_yaml
    from analysis.steps.clean import cleaning_params

    base = load_yaml(PARAMS_DIR / "base.yml")["cleaning"]
    assert cleaning_params({}) == base
    assert cleaning_params({"dayfirst": True}) == {**base, "dayfirst": True}
    # base.yml flags single orders above 5,000,000 元 as implausible (kept, counted)
    raw = _raw([("1", "C1", "2026-01-05", "5000001", None), ("2", "C1", "2026-01-06", "5000000", None)],
               ORDER_COLS)
    orders, _, _ = clean_orders(raw, AS_OF)
    assert orders["implausible_amount"].tolist() == [True, False]
    assert clean_orders(raw, AS_OF, {"max_order_amount": 10**7})[0]["implausible_amount"].sum() == 0


def test_labels_and_stored_categories_follow_the_run_language():
    from analysis.steps.clean import quarantine_labels
    from analysis.vocab import language

    assert quarantine_labels() == {"table": "表", "source_file": "来源文件", "source_row": "来源行号",
                                   "column": "列", "value": "原值", "reason": "原因"}
    raw = _raw([("C1", "2026-01-01", "邮件点击", None), ("C2", "2026-01-02", "投诉", None),
                ("C3", "2026-01-03", "看直播", "抖音"), (None, "2026-01-03", "咨询", None)],
               ["customer_id", "date", "type", "channel"])
    with language("en"):
        got, quarantine = clean_interactions(raw, AS_OF)
        assert got["kind"].tolist() == ["消息", "投诉", "其他"]    # stored words, not labels
        assert got["channel"].tolist() == ["Email", pd.NA, "抖音"]      # unrecognised: as written
        assert quarantine["reason"].tolist() == ["Customer ID missing"]
        assert standardise_industry(pd.Series(["火星殖民", "制造"])).tolist() == ["Unrecognised", "制造业"]
        assert standardise_company_size(pd.Series(["个体", "中小企业"])).tolist() == ["Individual", "SME"]
        customers = _raw([("C1", "甲公司", "13812345678", "a@x.cn", None, None, None),
                          ("C2", "甲有限公司", "13812345678", "a@x.cn", None, None, None),
                          ("C3", "乙", None, None, None, None, None)], CUSTOMER_COLS)
        _, _, merge_log, _ = clean_customers(customers)
        assert merge_log.loc[0, "matched_on"] == "Same mobile number, Same e-mail, Same company name"


def test_cancellation_and_return_words_are_recognised():
    raw = _raw([("1", "C1", "2026-01-05", "100", "订单作废"), ("2", "C1", "2026-01-05", "100", "VOID"),
                ("3", "C1", "2026-01-05", "100", "已退款"), ("4", "C1", "2026-01-05", "100", "已完成")],
               ORDER_COLS)
    orders, _, _ = clean_orders(raw, AS_OF)
    assert orders["is_cancelled"].tolist() == [True, True, False, False]
    assert orders["is_return"].tolist() == [False, False, True, False]


def test_interaction_kinds_are_the_words_the_cross_analysis_counts():
    from analysis.reference.order_words import INTERACTION_KINDS
    from analysis.reference.segment_words import COMPLAINT_KIND, KIND_COUNTS, MESSAGE_KIND

    assert set(KIND_COUNTS) | {MESSAGE_KIND, COMPLAINT_KIND} <= set(INTERACTION_KINDS.values())


def test_rekey_replaces_only_exact_merged_ids_and_keeps_index_and_blanks():
    from analysis.steps.clean import rekey

    ids = pd.Series(["C2", None, "C3", "c2", "C2 ", "C4"], index=[5, 3, 9, 0, 1, 2], dtype="string")
    got = rekey(ids, {"C2": "C1", "C3": "C1", "C9": "C4"})
    assert got.index.tolist() == [5, 3, 9, 0, 1, 2] and got.dtype == "string"
    assert got.tolist() == ["C1", pd.NA, "C1", "c2", "C2 ", "C4"]
    assert rekey(ids.iloc[:0], {"C2": "C1"}).tolist() == []
