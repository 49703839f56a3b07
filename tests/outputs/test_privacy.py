"""Masking for shared outputs (analysis/outputs/privacy.py)."""

import openpyxl
import pandas as pd
import pytest

from analysis.errors import KitError
from analysis.outputs.privacy import (
    contains_unmasked_mobile, mask_emails, mask_names, mask_phones, mask_text, mask_workbook_sheets,
    scan_for_personal_data, scan_sheets,
)
from analysis.outputs.tables import top_warnings
from analysis.outputs.workbooks import build_templates, write_workbooks
from analysis.vocab import language, text


def test_phone_masks():
    got = mask_phones(pd.Series(["13812345678", "021-62345678", "0571-88886666", None]))
    assert got.tolist() == ["138****5678", "021-******78", "0571-******66", pd.NA]


def test_alias_carries_the_id_and_a_salutation_where_known():
    names = pd.Series(["恒泰机械有限公司", "张伟", "李娜", "恒泰机械有限公司", "远航物流集团", "王某", "陈小姐", None])
    ids = pd.Series(["C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8"])
    sal = pd.Series([None, "男", "女士", None, None, None, None, None])
    assert mask_names(names, sal, ids=ids).tolist() == [
        "恒**公司（C1）", "张先生（C2）", "李女士（C3）", "恒**公司（C4）", "远**集团（C5）", "王**（C6）",
        "陈女士（C7）", "*客户（C8）"]
    # Without IDs (a table with none), the masked name alone; no name and no ID: nothing.
    assert mask_names(pd.Series(["张伟", None]), pd.Series(["男", None])).tolist() == ["张先生", pd.NA]


def test_alias_depends_on_the_row_not_on_order_or_company():
    names = pd.Series(["王芳", "王磊", "大同博汇五金有限责任公司"])
    ids = pd.Series(["C0001", "C0002", "C0003"])
    forward = mask_names(names, ids=ids).tolist()
    backward = mask_names(names[::-1], ids=ids[::-1]).tolist()[::-1]
    # Two customers with the same surname differ by their ID; shuffling rows changes nothing.
    assert forward == backward == ["王**（C0001）", "王**（C0002）", "大**公司（C0003）"]
    assert mask_names(names.iloc[[1]], ids=ids.iloc[[1]]).tolist() == ["王**（C0002）"]


def test_email_mask_and_leak_scan():
    got = mask_emails(pd.Series(["zhangwei@example.com", "li.na@corp.com.cn", "bad@nodomain"]))
    assert got.tolist() == ["z***@***.com", "l***@***.cn", "b***@***"]
    assert contains_unmasked_mobile("电话 13812345678，已脱敏 138****5678，订单 2013812345678") == ["13812345678"]


# --- shared copies of the workbooks ------------------------------------------------------------

PHONE, EMAIL = text("column.phone"), text("column.email")   # 电话, 邮箱: their own columns


def _sheets():
    info = pd.DataFrame({
        "客户ID": ["C1", "C2", "C3", "C4"],
        "客户名称": ["恒泰机械有限公司", "王先生", "李女士", "张伟"],
        PHONE: ["13812345678", None, "021-62345678", None],
        EMAIL: [None, "zhangwei@example.com", "li.na@corp.com.cn", None],
        "累计消费(元)": [13812345678.5, 1.0, 2.0, 3.0],           # a number, not a phone
        "首次购买时间": pd.to_datetime(["2024-01-05"] * 4),
    })
    quarantine = pd.DataFrame({
        "表": ["customers", "customers"], "来源行号": [5, 9],
        "原值": ["手机 +86 139-1234-5678 / li.na@corp.cn", 15912345678], "原因": ["客户ID为空", "无法解析"],
    })
    merged = pd.DataFrame({"保留客户ID": ["C1"], "合并的客户ID": ["C9"], "匹配依据": ["恒泰机械有限公司 同名"]})
    execution = pd.DataFrame({"客户ID": ["C1"], "客户反馈": ["让回电 13700001111，找恒泰机械有限公司采购部"]})
    # Not a real sheet's columns: any frame with 客户名称 is masked.
    strategy = pd.DataFrame({"客户ID": ["C5"], "客户名称": ["远航物流集团"]})
    return {"customer_info": {"info": info, "quarantine": quarantine, "merges": merged},
            "execution_log": {"execution": execution}, "tier_strategy": {"customer_strategy": strategy}}


def test_mask_workbook_sheets_masks_every_personal_column():
    sheets = _sheets()
    masked = mask_workbook_sheets(sheets)
    info = masked["customer_info"]["info"]
    assert info["客户名称"].tolist() == ["恒**公司（C1）", "王先生（C2）", "李女士（C3）", "张**（C4）"]
    assert info[PHONE].tolist()[::2] == ["138****5678", "021-******78"]
    assert info[EMAIL].tolist()[1:3] == ["z***@***.com", "l***@***.cn"]
    assert info[[PHONE, EMAIL]].iloc[3].isna().all()
    assert info["累计消费(元)"].iloc[0] == 13812345678.5 and info["首次购买时间"].equals(sheets["customer_info"]["info"]["首次购买时间"])
    q = masked["customer_info"]["quarantine"]
    assert q["原值"].tolist() == ["手机 139****5678 / l***@***.cn", "159****5678"]
    assert q["来源行号"].tolist() == [5, 9] and q["原因"].tolist() == ["客户ID为空", "无法解析"]
    assert masked["execution_log"]["execution"]["客户反馈"].iloc[0] == "让回电 137****1111，找恒泰机械有限公司采购部"
    assert masked["tier_strategy"]["customer_strategy"]["客户名称"].tolist() == ["远**集团（C5）"]
    assert sheets["customer_info"]["info"]["客户名称"].iloc[0] == "恒泰机械有限公司"   # input untouched


def test_salutations_by_customer_id():
    info = pd.DataFrame({"客户ID": ["C1", "C2"], "客户名称": ["张伟", "李娜"]})
    got = mask_workbook_sheets({"customer_info": {"info": info}},
                               salutations=pd.Series({"C1": "男", "C2": "女"}))
    assert got["customer_info"]["info"]["客户名称"].tolist() == ["张先生（C1）", "李女士（C2）"]


def test_english_run_masks_by_column_key_with_english_labels():
    with language("en"):
        info = pd.DataFrame({text("column.customer_id"): ["C1", "C2", "C3"],
                             text("column.customer_name"): ["恒泰机械有限公司", "王先生", "张伟"],
                             text("column.contact"): ["13812345678", None, "zhangwei@example.com"],
                             text("column.remark"): ["call 13700001111", None, None]})
        got = mask_workbook_sheets({"customer_info": {"info": info}},
                                   salutations=pd.Series({"C3": "女"}))["customer_info"]["info"]
        assert list(got.columns) == ["Customer ID", "Customer name", "Contact", "Remark"]
        assert got["Customer name"].tolist() == ["恒** 公司 (C1)", "Mr 王** (C2)", "Ms 张** (C3)"]
        assert got["Contact"].tolist()[::2] == ["138****5678", "z***@***.com"]
        assert got["Remark"].iloc[0] == "call 137****1111"
        assert scan_for_personal_data("a\nphone 13812345678") == ["Line 2: 138****5678"]


def test_mask_text_leaves_masked_and_longer_numbers():
    got = mask_text(pd.Series(["138****5678 z***@a.cn 订单2013812345678", "邮箱ab@x.com电话0571 88886666"]))
    assert got.tolist() == ["138****5678 z***@a.cn 订单2013812345678", "邮箱a***@***.com电话0571-******66"]


def test_scan_finds_leaks_in_workbooks_and_text(tmp_path):
    templates = tmp_path / "templates"
    build_templates(templates)
    sheets = {"customer_info": _sheets()["customer_info"]}
    plain = write_workbooks(sheets, tmp_path, "2026-10", template_dir=templates, only=["customer_info"])[0]
    shared = write_workbooks(mask_workbook_sheets(sheets), tmp_path, "2026-10", template_dir=templates,
                             suffix=text("workbook.masked_suffix"), only=["customer_info"])[0]
    assert shared.name == "客户基础信息表_2026-10_脱敏.xlsx"
    assert scan_for_personal_data(shared) == []
    found = scan_for_personal_data(plain)
    # Findings name the sheet and cell and show the value masked, so the list can be logged.
    assert "客户基础信息表_2026-10.xlsx 工作表「客户基础信息」C2: 138****5678" in found
    assert any("D3: z***@***.com" in f for f in found)    # 邮箱, row of C2
    assert any("工作表「隔离明细」" in f and "159****5678" in f for f in found)
    assert all("13812345678" not in f for f in found)
    # A phone typed as a number by staff is found too.
    wb = openpyxl.load_workbook(shared)
    wb["合并记录"]["D5"] = 13912345678
    wb.save(shared)
    assert scan_for_personal_data(shared) == [f"{shared.name} 工作表「合并记录」D5: 139****5678"]

    html = tmp_path / "report.html"
    html.write_text('<p>联系 13812345678</p>\n<img src="data:image/png;base64,AAAA13812345678BBBB">\n'
                    '<td>138****5678</td><td>2026-10-31</td>', encoding="utf-8")
    assert scan_for_personal_data(html) == ["report.html 第1行: 138****5678"]
    assert scan_for_personal_data(str(html)) == ["report.html 第1行: 138****5678"]
    assert scan_for_personal_data("没有个人信息 2026-10-31 订单 2013812345678") == []
    with pytest.raises(KitError, match="找不到"):
        scan_for_personal_data(tmp_path / "missing.html")


def test_phone_and_email_columns_are_masked_by_key():
    # The execution log and plan sheets carry phone and e-mail as their own columns (keys
    # phone and email), found by their header in the run's language.
    log = pd.DataFrame({"客户ID": ["C1", "C2"], "客户名称": ["王芳", None],
                        PHONE: ["13812345678", "0571-88886666"], EMAIL: ["wangfang@qq.com", None]})
    got = mask_workbook_sheets({"execution_log": {"execution": log}})["execution_log"]["execution"]
    assert got[PHONE].tolist() == ["138****5678", "0571-******66"]
    assert got[EMAIL].iloc[0] == "w***@***.com" and pd.isna(got[EMAIL].iloc[1])
    assert got["客户名称"].iloc[0] == "王**（C1）" and pd.isna(got["客户名称"].iloc[1])  # a blank stays blank


def test_one_alias_per_customer_in_the_report_and_every_masked_workbook():
    # The same two customers in a report table and in two workbooks, in different row orders:
    # each keeps one alias throughout; both are 王 and differ by their ID.
    customers = pd.DataFrame({"customer_id": ["C0123", "C0456"], "name": ["王芳", "王磊"],
                              "phone": ["13812345678", "13987654321"]})
    churn = pd.DataFrame({"customer_id": ["C0123", "C0456"], "churn_warning": [True, True],
                          "risk_value_rank": [2, 1], "warning_reason": ["r", "r"]})
    segments = pd.DataFrame({"customer_id": ["C0123", "C0456"], "tier": ["核心客户", "战略客户"],
                             "total_spend": [100.0, 900.0]})
    report = top_warnings(churn, segments, customers)["客户"].tolist()
    info = pd.DataFrame({"客户ID": ["C0123", "C0456"], "客户名称": ["王芳", "王磊"]})
    log = pd.DataFrame({"客户ID": ["C0456", "C0123", "C0456"], "客户名称": ["王磊", "王芳", "王磊"]})
    masked = mask_workbook_sheets({"customer_info": {"info": info}, "execution_log": {"execution": log}})
    alias = {"C0123": "王**（C0123）", "C0456": "王**（C0456）"}
    assert report == [alias["C0456"], alias["C0123"]]      # the warning list's order: C0456 first
    assert masked["customer_info"]["info"]["客户名称"].tolist() == [alias["C0123"], alias["C0456"]]
    assert masked["execution_log"]["execution"]["客户名称"].tolist() == [alias["C0456"], alias["C0123"], alias["C0456"]]


# --- the check before the shared copies are written --------------------------------------------

def test_scan_sheets_checks_each_value_as_its_cell_shows_it():
    log = pd.DataFrame({
        "客户ID": ["C1", "C2", "C3"],
        "客户反馈": ["已脱敏 138****5678", "回电 13912345678", None],
        "风险价值(元)": [13812345678.0, 1.0, 2.0],     # a float is written as a number: no phone
        "优先级": [13612345678, 1, 2],                 # a whole number can be a phone typed in
    })
    quarantine = pd.DataFrame({"原值": ["x", 13700001111, 2.5, 15912345678.0, True]})   # mixed
    owner = pd.DataFrame({"客户反馈": [None, "邮箱 li.na@corp.cn"]})
    found = scan_sheets({"execution_log": {"execution": log, "owner_tasks:王思远": owner},
                         "customer_info": {"quarantine": quarantine}})
    assert found == [
        "维护执行记录表 工作表「执行记录」第2条记录 列「客户反馈」: 139****5678",
        "维护执行记录表 工作表「执行记录」第1条记录 列「优先级」: 136****5678",
        "维护执行记录表 工作表「王思远」第2条记录 列「客户反馈」: l***@***.cn",
        "客户基础信息表 工作表「隔离明细」第2条记录 列「原值」: 137****1111",
        "客户基础信息表 工作表「隔离明细」第4条记录 列「原值」: 159****5678",
    ]
    assert scan_sheets({"review": {"review": pd.DataFrame({"问题分析": pd.Series([], dtype=object)})}}) == []


def test_scan_sheets_finds_what_the_file_scan_finds(tmp_path):
    templates = tmp_path / "templates"
    build_templates(templates)
    sheets = {"customer_info": _sheets()["customer_info"]}
    plain = write_workbooks(sheets, tmp_path, "2026-10", template_dir=templates, only=["customer_info"])[0]
    on_file = sorted(f.rsplit(": ", 1)[1] for f in scan_for_personal_data(plain))
    on_frames = sorted(f.rsplit(": ", 1)[1] for f in scan_sheets(sheets))
    assert on_frames == on_file == sorted(["138****5678", "021-******78", "z***@***.com", "l***@***.cn",
                                           "139****5678", "l***@***.cn", "159****5678"])[1:]
    assert scan_sheets(mask_workbook_sheets(sheets)) == []


def test_text_columns_are_masked_value_by_value():
    # Each distinct text is masked once and put back wherever it appears; a column with nothing
    # to mask comes back as it was.
    notes = pd.Series(["回电 13812345678", None, "好", "回电 13812345678", "a@b.cn 或 0571 88886666"],
                      index=[3, 3, 1, 0, 9], dtype=object)
    info = pd.DataFrame({"客户ID": ["C1"] * 5, "备注": notes, "客户层级": ["普通客户"] * 5,
                         "原因": pd.Series(["tel 13900001111", None, "x", "x", "y"], dtype="string",
                                         index=notes.index)})
    got = mask_workbook_sheets({"campaign": {"list_sleeping": info}})["campaign"]["list_sleeping"]
    assert got["备注"].tolist() == ["回电 138****5678", None, "好", "回电 138****5678", "a***@***.cn 或 0571-******66"]
    assert got["原因"].tolist()[0] == "tel 139****1111" and pd.isna(got["原因"].iloc[1])
    assert got.index.equals(notes.index) and got["客户层级"].equals(info["客户层级"])
