"""Masking for shared outputs (analysis/outputs/privacy.py)."""

import openpyxl
import pandas as pd
import pytest

from analysis.errors import KitError
from analysis.outputs.privacy import (
    contains_unmasked_mobile, mask_emails, mask_names, mask_phones, mask_text, mask_workbook_sheets,
    scan_for_personal_data,
)
from analysis.outputs.workbooks import build_templates, write_workbooks
from analysis.vocab import language, text


def test_phone_masks():
    got = mask_phones(pd.Series(["13812345678", "021-62345678", "0571-88886666", None]))
    assert got.tolist() == ["138****5678", "021-******78", "0571-******66", pd.NA]


def test_name_masks_companies_by_letter_and_people_by_salutation():
    names = pd.Series(["恒泰机械有限公司", "张伟", "李娜", "恒泰机械有限公司", "远航物流集团", "王某"])
    sal = pd.Series([None, "男", "女", None, None, None])
    assert mask_names(names, sal).tolist() == ["A公司", "*先生", "*女士", "A公司", "B公司", "*客户"]


def test_company_letters_go_past_z():
    names = pd.Series([f"公司{i}有限公司" for i in range(28)])
    got = mask_names(names)
    assert got.iloc[25] == "Z公司" and got.iloc[26] == "AA公司" and got.iloc[27] == "AB公司"


def test_email_mask_and_leak_scan():
    assert mask_emails(pd.Series(["zhangwei@example.com"])).tolist() == ["z***@example.com"]
    assert contains_unmasked_mobile("电话 13812345678，已脱敏 138****5678，订单 2013812345678") == ["13812345678"]


# --- shared copies of the workbooks ------------------------------------------------------------

def _sheets():
    info = pd.DataFrame({
        "客户ID": ["C1", "C2", "C3", "C4"],
        "客户名称": ["恒泰机械有限公司", "王先生", "李女士", "张伟"],
        "联系方式": ["13812345678", "zhangwei@example.com", "021-62345678", None],
        "累计消费(元)": [13812345678.5, 1.0, 2.0, 3.0],           # a number, not a phone
        "首次购买时间": pd.to_datetime(["2024-01-05"] * 4),
    })
    quarantine = pd.DataFrame({
        "表": ["customers", "customers"], "来源行号": [5, 9],
        "原值": ["手机 +86 139-1234-5678 / li.na@corp.cn", 15912345678], "原因": ["客户ID为空", "无法解析"],
    })
    merged = pd.DataFrame({"保留客户ID": ["C1"], "合并的客户ID": ["C9"], "匹配依据": ["恒泰机械有限公司 同名"]})
    execution = pd.DataFrame({"客户ID": ["C1"], "客户反馈": ["让回电 13700001111，找恒泰机械有限公司采购部"]})
    # Not a real sheet's columns: any frame with 客户名称 is masked, letters shared with the rest.
    strategy = pd.DataFrame({"客户ID": ["C5"], "客户名称": ["远航物流集团"]})
    return {"customer_info": {"info": info, "quarantine": quarantine, "merges": merged},
            "execution_log": {"execution": execution}, "tier_strategy": {"customer_strategy": strategy}}


def test_mask_workbook_sheets_masks_every_personal_column():
    sheets = _sheets()
    masked = mask_workbook_sheets(sheets)
    info = masked["customer_info"]["info"]
    assert info["客户名称"].tolist() == ["A公司", "*先生", "*女士", "*客户"]
    assert info["联系方式"].tolist()[:3] == ["138****5678", "z***@example.com", "021-******78"]
    assert pd.isna(info["联系方式"].iloc[3])
    assert info["累计消费(元)"].iloc[0] == 13812345678.5 and info["首次购买时间"].equals(sheets["customer_info"]["info"]["首次购买时间"])
    q = masked["customer_info"]["quarantine"]
    assert q["原值"].tolist() == ["手机 139****5678 / l***@corp.cn", "159****5678"]
    assert q["来源行号"].tolist() == [5, 9] and q["原因"].tolist() == ["客户ID为空", "无法解析"]
    assert masked["execution_log"]["execution"]["客户反馈"].iloc[0] == "让回电 137****1111，找恒泰机械有限公司采购部"
    # Letters are shared across sheets and workbooks of one call: 远航物流集团 is B everywhere.
    assert masked["tier_strategy"]["customer_strategy"]["客户名称"].tolist() == ["B公司"]
    assert sheets["customer_info"]["info"]["客户名称"].iloc[0] == "恒泰机械有限公司"   # input untouched


def test_salutations_by_customer_id():
    info = pd.DataFrame({"客户ID": ["C1", "C2"], "客户名称": ["张伟", "李娜"]})
    got = mask_workbook_sheets({"customer_info": {"info": info}},
                               salutations=pd.Series({"C1": "男", "C2": "女"}))
    assert got["customer_info"]["info"]["客户名称"].tolist() == ["*先生", "*女士"]


def test_english_run_masks_by_column_key_with_english_labels():
    with language("en"):
        info = pd.DataFrame({text("column.customer_id"): ["C1", "C2", "C3"],
                             text("column.customer_name"): ["恒泰机械有限公司", "王先生", "张伟"],
                             text("column.contact"): ["13812345678", None, "zhangwei@example.com"],
                             text("column.remark"): ["call 13700001111", None, None]})
        got = mask_workbook_sheets({"customer_info": {"info": info}},
                                   salutations=pd.Series({"C3": "女"}))["customer_info"]["info"]
        assert list(got.columns) == ["Customer ID", "Customer name", "Contact", "Remark"]
        assert got["Customer name"].tolist() == ["Company A", "Mr *", "Ms *"]
        assert got["Contact"].tolist()[::2] == ["138****5678", "z***@example.com"]
        assert got["Remark"].iloc[0] == "call 137****1111"
        assert scan_for_personal_data("a\nphone 13812345678") == ["Line 2: 138****5678"]


def test_mask_text_leaves_masked_and_longer_numbers():
    got = mask_text(pd.Series(["138****5678 z***@a.cn 订单2013812345678", "邮箱ab@x.com电话0571 88886666"]))
    assert got.tolist() == ["138****5678 z***@a.cn 订单2013812345678", "邮箱a***@x.com电话0571-******66"]


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
    assert any("C3: z***@example.com" in f for f in found)
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
