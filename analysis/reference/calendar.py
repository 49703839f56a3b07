"""The mainland-China public holidays and adjusted working days (调休), as data.

Transcribed from the State Council General Office's annual notices,
国务院办公厅关于<year>年部分节假日安排的通知; the calendar logic is
:mod:`analysis.steps.workdays`.

========  ======================  =========================================================
year      notice                  confirmed against
========  ======================  =========================================================
2023      国办发明电〔2022〕16号   full text (Xinhua 2022-12-08, mirrored on china.com.cn
          (2022-12-08)            and zh.wikisource.org, 国务院公报 2023 第1号)
2024      国办发明电〔2023〕7号    full text (国务院公报 2023 第31号 via zh.wikisource.org)
          (2023-10-25)
2025      国办发明电〔2024〕12号   full text (Xinhua 2024-11-12)
          (2024-11-12)
2026      (2025-11-04)            full text (Xinhua 2025-11-04, politics.gmw.cn)
2027      not confirmed           PROVISIONAL — see below
========  ======================  =========================================================

**2027 is provisional.** The 2027 notice could not be confirmed when this data was written,
so 2027 carries only the statutory holiday days of 《全国年节及纪念日放假办法》 (2024
revision: 元旦 1 day, 春节 除夕–初三 4 days, 清明 1, 劳动节 5-1/5-2, 端午 1, 中秋 1, 国庆 10-1–10-3)
on their 2027 dates, and **no 调休** days. The lunar dates (除夕 2-05, 春节 2-06, 端午 6-09,
中秋 9-15; 清明 4-05) are almanac dates, checked only against public almanac pages and Hong
Kong's 2027 holiday list (端午 6-09, 中秋翌日 9-16), not against a notice. A fabricated-looking
third-party "2027 arrangement" (春节 2-14–2-22) circulates; it is not used. When the notice
is out, add its extra days off and its 调休 working days through params ``strategy.holidays``
and ``strategy.extra_workdays`` or update the data here.

The ``source`` lines name each notice in its own (Chinese) title: they are citations, the same
whatever the report's language.
"""

from __future__ import annotations

__all__ = ["HOLIDAY_NOTICES", "PROVISIONAL_YEARS"]

# Per year: days off as inclusive (first, last) ranges, and the weekend days that are working
# days. Ranges copy the notices' own wording ("1月28日至2月4日放假调休"), so each line can be
# checked against its notice.
HOLIDAY_NOTICES: dict[int, dict] = {
    2023: {
        "source": "国务院办公厅关于2023年部分节假日安排的通知（国办发明电〔2022〕16号，2022-12-08）",
        "holidays": [("2022-12-31", "2023-01-02"),   # 元旦
                     ("2023-01-21", "2023-01-27"),   # 春节
                     ("2023-04-05", "2023-04-05"),   # 清明节
                     ("2023-04-29", "2023-05-03"),   # 劳动节
                     ("2023-06-22", "2023-06-24"),   # 端午节
                     ("2023-09-29", "2023-10-06")],  # 中秋节、国庆节
        "workdays": ["2023-01-28", "2023-01-29", "2023-04-23", "2023-05-06", "2023-06-25",
                     "2023-10-07", "2023-10-08"],
    },
    2024: {
        "source": "国务院办公厅关于2024年部分节假日安排的通知（国办发明电〔2023〕7号，2023-10-25）",
        "holidays": [("2024-01-01", "2024-01-01"),   # 元旦
                     ("2024-02-10", "2024-02-17"),   # 春节
                     ("2024-04-04", "2024-04-06"),   # 清明节
                     ("2024-05-01", "2024-05-05"),   # 劳动节
                     ("2024-06-10", "2024-06-10"),   # 端午节
                     ("2024-09-15", "2024-09-17"),   # 中秋节
                     ("2024-10-01", "2024-10-07")],  # 国庆节
        "workdays": ["2024-02-04", "2024-02-18", "2024-04-07", "2024-04-28", "2024-05-11",
                     "2024-09-14", "2024-09-29", "2024-10-12"],
    },
    2025: {
        "source": "国务院办公厅关于2025年部分节假日安排的通知（国办发明电〔2024〕12号，2024-11-12）",
        "holidays": [("2025-01-01", "2025-01-01"),   # 元旦
                     ("2025-01-28", "2025-02-04"),   # 春节
                     ("2025-04-04", "2025-04-06"),   # 清明节
                     ("2025-05-01", "2025-05-05"),   # 劳动节
                     ("2025-05-31", "2025-06-02"),   # 端午节
                     ("2025-10-01", "2025-10-08")],  # 国庆节、中秋节
        "workdays": ["2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"],
    },
    2026: {
        "source": "国务院办公厅关于2026年部分节假日安排的通知（2025-11-04，新华社）",
        "holidays": [("2026-01-01", "2026-01-03"),   # 元旦
                     ("2026-02-15", "2026-02-23"),   # 春节
                     ("2026-04-04", "2026-04-06"),   # 清明节
                     ("2026-05-01", "2026-05-05"),   # 劳动节
                     ("2026-06-19", "2026-06-21"),   # 端午节
                     ("2026-09-25", "2026-09-27"),   # 中秋节
                     ("2026-10-01", "2026-10-07")],  # 国庆节
        "workdays": ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20",
                     "2026-10-10"],
    },
    2027: {
        "source": "PROVISIONAL：未确认2027年通知；仅《全国年节及纪念日放假办法》法定假日，无调休",
        "holidays": [("2027-01-01", "2027-01-01"),   # 元旦
                     ("2027-02-05", "2027-02-08"),   # 春节 除夕–初三
                     ("2027-04-05", "2027-04-05"),   # 清明节
                     ("2027-05-01", "2027-05-02"),   # 劳动节
                     ("2027-06-09", "2027-06-09"),   # 端午节
                     ("2027-09-15", "2027-09-15"),   # 中秋节
                     ("2027-10-01", "2027-10-03")],  # 国庆节
        "workdays": [],
    },
}
# Years whose data is not from a confirmed notice (see above).
PROVISIONAL_YEARS = (2027,)
