"""Masking for shared outputs (analysis/privacy.py)."""

import pandas as pd

from analysis.privacy import contains_unmasked_mobile, mask_emails, mask_names, mask_phones


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
