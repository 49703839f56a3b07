"""Masking personal data for anything meant for sharing (个人信息保护法, SPEC §10).

Full contact data appears only in the internal customer table.
"""

from __future__ import annotations

import re

import pandas as pd

__all__ = ["mask_phones", "mask_names", "mask_emails", "contains_unmasked_mobile", "COMPANY_MARKERS"]

COMPANY_MARKERS = r"公司|集团|厂|店|中心|研究院|事务所|工作室|合作社|银行|医院|学校"


def mask_phones(values: pd.Series) -> pd.Series:
    """``13812345678`` -> ``138****5678``; landlines keep the area code and last 2 digits.

    Examples
    --------
    >>> mask_phones(pd.Series(["13812345678", "021-62345678", None])).tolist()
    ['138****5678', '021-******78', <NA>]
    """
    text = values.astype("string")
    mobile = text.str.replace(r"^(\d{3})\d{4}(\d{4})$", r"\1****\2", regex=True)
    return mobile.str.replace(r"^(0\d{2,3})-(\d+)(\d{2})$",
                              lambda m: f"{m.group(1)}-{'*' * len(m.group(2))}{m.group(3)}", regex=True)


def mask_names(values: pd.Series, salutations: pd.Series | None = None) -> pd.Series:
    """Companies become ``A公司``-style letters, people ``*先生`` / ``*女士`` (``*客户`` if unknown).

    Company letters are assigned in order of first appearance (A, B, …, Z, AA, …), so the
    same company keeps its letter within one output.
    """
    text = values.astype("string")
    is_company = text.str.contains(COMPANY_MARKERS, na=False)
    letters = {}
    for name in text[is_company].unique():
        n = len(letters)
        label = ""
        while True:
            label = chr(ord("A") + n % 26) + label
            n = n // 26 - 1
            if n < 0:
                break
        letters[name] = f"{label}公司"
    out = pd.Series("*客户", index=values.index, dtype="string")
    if salutations is not None:
        sal = salutations.astype("string")
        out[sal.str.contains("男|先生", na=False)] = "*先生"
        out[sal.str.contains("女", na=False)] = "*女士"
    out[is_company] = text[is_company].map(letters)
    out[text.isna()] = pd.NA
    return out


def mask_emails(values: pd.Series) -> pd.Series:
    """``zhangwei@example.com`` -> ``z***@example.com``."""
    return values.astype("string").str.replace(r"^([^@])[^@]*@", r"\1***@", regex=True)


def contains_unmasked_mobile(text: str) -> list[str]:
    """Every full 11-digit mainland mobile number in ``text`` (for leak scans)."""
    return re.findall(r"(?<!\d)1[3-9]\d{9}(?!\d)", text)
