"""Deterministic synthetic sample: a Chinese SME's raw CRM exports, dirt included.

The sample stands in for a real company's exports so that every notebook, test and
benchmark has data to run on. It is generated, never hand-edited: the same arguments give
byte-identical files (no wall-clock anything; the workbook's creation time is ``end``).

The business
------------
About 60% companies (B2B, names such as ``苏州恒泰机械有限公司``) and 40% individuals; nine
industries (制造业 ≈ 35%); all 34 provincial divisions with real cities, 华东 ≈ 40%;
企业规模 个人 / 中小企业 (≈ 60% of all customers) / 大型企业; eight 客户经理. Orders span the
four years up to ``end``: customers are acquired throughout (≈ 5% in the last 90 days),
and each is active, slipping (buying less and less) or churned (stops at a random date,
at least 45 days before ``end``), so the 90-day rule fires for a sizeable minority. Spend
per customer is heavy-tailed (lognormal order values × lognormal order rates); at least
five strategic accounts each net more than 500,000 元. Seasonality: a 春节 dip around the
real Spring Festival dates, peaks on 618 (June 1–18) and 双11 (Nov 1–11). Customers have a
preferred category and often its partner (办公设备+办公耗材, 数码电子+软件服务,
工业配件+维修保养, 家居日用+礼品定制), so cross-sell has signal; valuable customers lean
线下. Complaints cluster before churn; campaign messages reach only customers who consent
and have not unsubscribed; survey churn reasons sit mostly on low scores.

Files (``dirty=True``, the committed sample in ``data/raw/``)
--------------------------------------------------------------
``客户档案.csv`` (GBK, CRLF)
    客户编号 (``C0001``; ids follow registration order), 客户名称, 联系电话 (11-digit mobile;
    some companies a landline ``0512-68123456``), 电子邮箱, 所属行业, 省份, 城市, 企业规模
    (个人/中小企业/大型企业), 客户类型 (终端客户/经销商/代理商/个人客户), 客户经理, 注册日期
    (``YYYY-MM-DD``, on or before the id's first order), 生日 (``YYYY-MM-DD``; most
    individuals, some companies' contacts), 偏好渠道 (线上/线下), 是否同意营销 (是/否),
    是否退订 (是/否), 推荐人数 (integer), 累计消费(元) (plain number).
``订单明细.csv`` (UTF-8, no BOM, LF)
    订单编号 (``SO00001``, in time order), 客户编号, 下单时间, 实付金额 (元), 产品类别,
    购买渠道 (线上/线下), 毛利 (元), 订单状态 (已完成/退货/已取消). A return is its own row
    with a negative 实付金额 and 毛利; a cancellation keeps its amount and has 毛利 0.
    The last row is a totals row: 订单编号 ``合计``, sums in 实付金额 and 毛利.
``互动记录.xlsx`` (one sheet ``互动记录``; above Excel's 1,048,576 rows, as at 10M orders,
  further sheets ``互动记录2``, ``互动记录3`` … laid out the same way, never truncated)
    Row 1 a merged title ``互动记录导出（<start> 至 <end>）``, row 2 blank, row 3 the header
    客户ID, 互动日期 (Excel dates), 互动类型 (咨询/投诉/活动参与/浏览/发送/打开/点击), 触达渠道
    (电话/企微/门店/官网/小程序/线下活动/直播 for contacts; 邮件/短信/企微 for campaign
    messages), 活动编号 (``CMP-2026-06-618``; only on 发送/打开/点击 rows).
``满意度调查.csv`` (UTF-8 with BOM, LF)
    客户编号, 调查日期 (``YYYY-MM-DD``), 满意度评分 (1–5), 评价内容, 流失原因
    (产品质量/服务响应慢/价格竞争/需求变化/交付延迟/其他; mostly on scores ≤ 3).

At the default size (3,000 customers, 60,000 orders) the files hold 3,093 customer rows
(93 duplicate ids), 60,301 order rows (300 exact duplicates and the totals row),
≈ 12,000 interactions (fewer than a real CRM would log, to keep ``data/raw/`` under 5 MB)
and ≈ 2,800 survey answers.

With ``dirty=False`` the same four tables and headers are written as UTF-8 CSV
(``互动记录.csv`` instead of the workbook), with ISO dates (orders ``YYYY-MM-DD HH:MM:SS``),
plain numbers and none of the dirt below; returns and cancellations stay (they are
business, not dirt), as do empty e-mails and birthdays (not everyone gives one).

Dirt (``dirty=True``) at stated rates
-------------------------------------
Each rate is applied as an exact count, ``round(rate × rows)``, on rows drawn at random;
the kinds of bad order rows never overlap.

Customers (rate of customer rows, duplicates included):

- :data:`DUPLICATE_CUSTOMER_RATE` 3% — a second id for an existing customer (who has a
  mobile and ≥ 2 orders): same mobile written differently (``+86 138 1234 5678``,
  ``138-1234-5678``, ``(+86)13812345678`` …), a name variant (companies: 有限公司 ↔
  有限责任公司 / (集团)有限公司, ``(集团)`` → ``（集团）``, or the city dropped; individuals:
  ``张 伟`` or a trailing space), the same e-mail half the time, registered on the date
  of the first order moved to it; from then on each order goes to the new id with
  probability 0.8.
- :data:`INVALID_PHONE_RATE` 2% — too short, letters inside, ``00000000000``, 12 digits.
- :data:`MISSING_INDUSTRY_RATE` 5%, :data:`MISSING_CITY_RATE` 3%,
  :data:`MISSING_OWNER_RATE` 5% empty; e-mail is empty for ≈ 40% in both modes
  (:data:`EMAIL_RATE`).
- :data:`INDUSTRY_ALIAS_RATE` 25% of the filled 所属行业 use an alias from
  :data:`INDUSTRY_ALIASES` (``IT``, ``工业制造``, ``C 制造业``, ``批发和零售业`` …).
- :data:`PROVINCE_SHORT_NAME_RATE` 10% of 省份 without its suffix (``江苏`` for ``江苏省``).
- :data:`STATED_SPEND_MISMATCH_RATE` 2% — 累计消费(元) off by 10–50% (or a positive value
  where the id has no valid orders). Otherwise it equals, to the fen, the net 实付金额
  of the id's own orders that survive cleaning: 已完成 and 退货 rows, not 已取消, not the
  quarantined rows below, each exact duplicate counted once. Merged ids add up.

Orders (rate of the ``n_orders`` base rows):

- :data:`RETURN_RATE` 3% 退货 (negative), :data:`CANCEL_RATE` 1% 已取消 — never a
  customer's first order; both modes.
- 下单时间: ``2024-03-15 10:22:01`` except :data:`DATE_FORMAT_RATES` — 5% ``2024/3/15``,
  3% ``20240315``, 2% ``2024年3月15日``.
- 实付金额: plain (``1234.5``, ``-89``) except :data:`AMOUNT_YEN_RATE` 5% ``¥1,234.50``
  (``-¥1,234.50`` for returns) and :data:`AMOUNT_YUAN_SUFFIX_RATE` 3% ``1234.5元``.
- To quarantine: :data:`MISSING_CUSTOMER_ID_RATE` 0.2% empty 客户编号,
  :data:`BAD_DATE_RATE` 0.1% 下单时间 ``未知``/``待确认``/``0000-00-00``,
  :data:`FUTURE_DATE_RATE` 0.05% dated 1–365 days after ``end``,
  :data:`BAD_AMOUNT_RATE` 0.1% 实付金额 ``待定``/``面议``/``--``.
- :data:`DUPLICATE_ORDER_ROW_RATE` 0.5% exact duplicate rows, right after the original
  (added rows: the file has ``n_orders`` + duplicates + 1 totals row).

Interactions: :data:`INTERACTION_TEXT_DATE_RATE` 3% of 互动日期 are text ``2024/3/15``
instead of Excel dates.

Examples
--------
>>> tables = generate_sample(n_customers=50, n_orders=500, dirty=False)
>>> sorted(tables)
['customers', 'interactions', 'orders', 'surveys']
>>> len(tables["orders"])
500
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.errors import KitError

__all__ = [
    "generate_sample", "write_sample", "FILE_NAMES", "CLEAN_FILE_NAMES", "COLUMNS",
    "INDUSTRY_ALIASES", "SPRING_FESTIVALS",
    "DUPLICATE_CUSTOMER_RATE", "INVALID_PHONE_RATE", "MISSING_INDUSTRY_RATE",
    "MISSING_CITY_RATE", "MISSING_OWNER_RATE", "EMAIL_RATE", "INDUSTRY_ALIAS_RATE",
    "PROVINCE_SHORT_NAME_RATE", "STATED_SPEND_MISMATCH_RATE", "RETURN_RATE", "CANCEL_RATE",
    "DATE_FORMAT_RATES", "AMOUNT_YEN_RATE", "AMOUNT_YUAN_SUFFIX_RATE",
    "MISSING_CUSTOMER_ID_RATE", "BAD_DATE_RATE", "FUTURE_DATE_RATE", "BAD_AMOUNT_RATE",
    "DUPLICATE_ORDER_ROW_RATE", "INTERACTION_TEXT_DATE_RATE", "STRATEGIC_MIN_SPEND",
]

# ---------------------------------------------------------------------------------------
# Files and headers
# ---------------------------------------------------------------------------------------
FILE_NAMES = {
    "customers": "客户档案.csv",
    "orders": "订单明细.csv",
    "interactions": "互动记录.xlsx",
    "surveys": "满意度调查.csv",
}
CLEAN_FILE_NAMES = {**FILE_NAMES, "interactions": "互动记录.csv"}

COLUMNS = {
    "customers": ["客户编号", "客户名称", "联系电话", "电子邮箱", "所属行业", "省份", "城市",
                  "企业规模", "客户类型", "客户经理", "注册日期", "生日", "偏好渠道",
                  "是否同意营销", "是否退订", "推荐人数", "累计消费(元)"],
    "orders": ["订单编号", "客户编号", "下单时间", "实付金额", "产品类别", "购买渠道", "毛利",
               "订单状态"],
    "interactions": ["客户ID", "互动日期", "互动类型", "触达渠道", "活动编号"],
    "surveys": ["客户编号", "调查日期", "满意度评分", "评价内容", "流失原因"],
}

# ---------------------------------------------------------------------------------------
# Dirt rates (dirty=True). Exact counts: round(rate × rows).
# ---------------------------------------------------------------------------------------
DUPLICATE_CUSTOMER_RATE = 0.03      # of customer rows: second ids of existing customers
INVALID_PHONE_RATE = 0.02           # of customer rows
MISSING_INDUSTRY_RATE = 0.05
MISSING_CITY_RATE = 0.03
MISSING_OWNER_RATE = 0.05
INDUSTRY_ALIAS_RATE = 0.25          # of filled 所属行业 cells
PROVINCE_SHORT_NAME_RATE = 0.10     # 江苏 instead of 江苏省
STATED_SPEND_MISMATCH_RATE = 0.02   # of customer rows
DATE_FORMAT_RATES = {"slash": 0.05, "compact": 0.03, "chinese": 0.02}   # of order rows
AMOUNT_YEN_RATE = 0.05              # ¥1,234.50
AMOUNT_YUAN_SUFFIX_RATE = 0.03      # 1234.5元
MISSING_CUSTOMER_ID_RATE = 0.002
BAD_DATE_RATE = 0.001
FUTURE_DATE_RATE = 0.0005
BAD_AMOUNT_RATE = 0.001
DUPLICATE_ORDER_ROW_RATE = 0.005
INTERACTION_TEXT_DATE_RATE = 0.03

# Business facts (both modes).
RETURN_RATE = 0.03                  # of order rows: 退货, negative amount
CANCEL_RATE = 0.01                  # of order rows: 已取消
EMAIL_RATE = 0.60                   # customers who gave an e-mail address
STRATEGIC_MIN_SPEND = 500_000       # 元; strategic accounts net more than this

_COMPANY_SHARE = 0.63
_LARGE_SHARE_OF_COMPANIES = 0.05    # so 中小企业 ≈ 60% of all customers
_LANDLINE_SHARE_OF_COMPANIES = 0.15
_STRATEGIC_SHARE = 0.003            # of customers, at least _MIN_STRATEGIC
_MIN_STRATEGIC = 5
_PRE_EXISTING_SHARE = 0.35          # customers before the data window
_NEW_SHARE = 0.05                   # acquired in the last 90 days
_CHURNED_SHARE = 0.22
_SLIPPING_SHARE = 0.12
_CONSENT_RATE = 0.80
_UNSUBSCRIBED_RATE = 0.05
_CAMPAIGN_TARGET_RATE = 0.16        # of eligible customers per campaign
_YEARS = 4

# ---------------------------------------------------------------------------------------
# Reference data
# ---------------------------------------------------------------------------------------
# Real Spring Festival (正月初一) dates; years outside this table get no 春节 dip.
SPRING_FESTIVALS = tuple(pd.Timestamp(d) for d in (
    "2015-02-19", "2016-02-08", "2017-01-28", "2018-02-16", "2019-02-05", "2020-01-25",
    "2021-02-12", "2022-02-01", "2023-01-22", "2024-02-10", "2025-01-29", "2026-02-17",
    "2027-02-06", "2028-01-26", "2029-02-13", "2030-02-03",
))

# (full name, short name, weight %, ((city, landline area code or None), ...)).
# Grouped by 大区 for the weights only; the region itself is not written.
_PROVINCES = (
    # 华东 40%
    ("上海市", "上海", 6.0, (("上海市", "021"),)),
    ("江苏省", "江苏", 10.0, (("南京市", "025"), ("苏州市", "0512"), ("无锡市", "0510"),
                          ("常州市", "0519"), ("南通市", "0513"), ("徐州市", "0516"),
                          ("扬州市", "0514"))),
    ("浙江省", "浙江", 10.0, (("杭州市", "0571"), ("宁波市", "0574"), ("温州市", "0577"),
                          ("绍兴市", "0575"), ("嘉兴市", "0573"), ("金华市", "0579"),
                          ("台州市", "0576"))),
    ("安徽省", "安徽", 3.0, (("合肥市", "0551"), ("芜湖市", "0553"), ("蚌埠市", "0552"),
                         ("安庆市", "0556"))),
    ("福建省", "福建", 3.5, (("福州市", "0591"), ("厦门市", "0592"), ("泉州市", "0595"),
                         ("漳州市", "0596"))),
    ("江西省", "江西", 2.0, (("南昌市", "0791"), ("赣州市", "0797"), ("九江市", "0792"))),
    ("山东省", "山东", 5.3, (("济南市", "0531"), ("青岛市", "0532"), ("烟台市", "0535"),
                         ("潍坊市", "0536"), ("临沂市", "0539"))),
    ("台湾省", "台湾", 0.2, (("台北市", None), ("高雄市", None))),
    # 华南 16%
    ("广东省", "广东", 13.0, (("广州市", "020"), ("深圳市", "0755"), ("东莞市", "0769"),
                          ("佛山市", "0757"), ("珠海市", "0756"), ("中山市", "0760"),
                          ("惠州市", "0752"))),
    ("广西壮族自治区", "广西", 1.6, (("南宁市", "0771"), ("柳州市", "0772"), ("桂林市", "0773"))),
    ("海南省", "海南", 0.6, (("海口市", "0898"), ("三亚市", "0898"))),
    ("香港特别行政区", "香港", 0.5, (("香港", None),)),
    ("澳门特别行政区", "澳门", 0.3, (("澳门", None),)),
    # 华北 14%
    ("北京市", "北京", 6.0, (("北京市", "010"),)),
    ("天津市", "天津", 2.0, (("天津市", "022"),)),
    ("河北省", "河北", 3.0, (("石家庄市", "0311"), ("唐山市", "0315"), ("保定市", "0312"),
                         ("廊坊市", "0316"))),
    ("山西省", "山西", 1.5, (("太原市", "0351"), ("大同市", "0352"))),
    ("内蒙古自治区", "内蒙古", 1.5, (("呼和浩特市", "0471"), ("包头市", "0472"))),
    # 华中 11%
    ("河南省", "河南", 4.0, (("郑州市", "0371"), ("洛阳市", "0379"), ("新乡市", "0373"))),
    ("湖北省", "湖北", 4.0, (("武汉市", "027"), ("宜昌市", "0717"), ("襄阳市", "0710"))),
    ("湖南省", "湖南", 3.0, (("长沙市", "0731"), ("株洲市", "0731"), ("岳阳市", "0730"))),
    # 西南 10%
    ("重庆市", "重庆", 3.0, (("重庆市", "023"),)),
    ("四川省", "四川", 4.5, (("成都市", "028"), ("绵阳市", "0816"), ("宜宾市", "0831"))),
    ("贵州省", "贵州", 1.0, (("贵阳市", "0851"), ("遵义市", "0851"))),
    ("云南省", "云南", 1.2, (("昆明市", "0871"), ("曲靖市", "0874"))),
    ("西藏自治区", "西藏", 0.3, (("拉萨市", "0891"),)),
    # 西北 5%
    ("陕西省", "陕西", 2.5, (("西安市", "029"), ("宝鸡市", "0917"), ("咸阳市", "029"))),
    ("甘肃省", "甘肃", 0.8, (("兰州市", "0931"), ("天水市", "0938"))),
    ("青海省", "青海", 0.3, (("西宁市", "0971"),)),
    ("宁夏回族自治区", "宁夏", 0.4, (("银川市", "0951"),)),
    ("新疆维吾尔自治区", "新疆", 1.0, (("乌鲁木齐市", "0991"), ("克拉玛依市", "0990"))),
    # 东北 4%
    ("辽宁省", "辽宁", 2.0, (("沈阳市", "024"), ("大连市", "0411"), ("鞍山市", "0412"))),
    ("吉林省", "吉林", 1.0, (("长春市", "0431"), ("吉林市", "0432"))),
    ("黑龙江省", "黑龙江", 1.0, (("哈尔滨市", "0451"), ("大庆市", "0459"))),
)

# (name as the CRM writes it, share, words used in company names)
_INDUSTRIES = (
    ("制造业", 0.35, ("机械", "精密制造", "电气", "模具", "五金", "新材料", "自动化设备")),
    ("信息技术", 0.14, ("科技", "信息技术", "软件", "网络科技", "数据科技")),
    ("批发零售", 0.15, ("贸易", "商贸", "百货", "供应链", "实业")),
    ("建筑业", 0.08, ("建设", "建筑工程", "装饰工程", "建材")),
    ("金融业", 0.06, ("投资", "资产管理", "融资租赁", "保险代理")),
    ("教育", 0.06, ("教育科技", "培训", "文化传播")),
    ("医疗卫生", 0.05, ("医疗器械", "医药", "健康管理", "生物科技")),
    ("住宿餐饮", 0.05, ("餐饮管理", "酒店管理", "食品")),
    ("交通物流", 0.06, ("物流", "运输", "国际货运", "仓储")),
)

# What else staff type into 所属行业 (the intake maps these back).
INDUSTRY_ALIASES = {
    "制造业": ("制造", "工业制造", "C 制造业"),
    "信息技术": ("IT", "软件", "互联网", "信息传输、软件和信息技术服务业"),
    "批发零售": ("零售", "批发", "批发和零售业", "商贸"),
    "建筑业": ("建筑", "建筑施工", "E 建筑业"),
    "金融业": ("金融", "银行", "金融服务"),
    "教育": ("教育培训", "教育行业", "P 教育"),
    "医疗卫生": ("医疗", "医药", "卫生和社会工作"),
    "住宿餐饮": ("餐饮", "酒店", "住宿和餐饮业"),
    "交通物流": ("物流", "运输", "交通运输、仓储和邮政业"),
}

_TRADE_CHARS = "恒泰华信达盛鑫源宏远丰瑞祥和昌隆兴顺安康博创天金宇锦新联德荣亿嘉诚鼎汇腾正海卓越"
_SUFFIXES = ("有限公司", "股份有限公司", "有限责任公司", "(集团)有限公司")
_SUFFIX_WEIGHTS = (0.72, 0.12, 0.10, 0.06)
_SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
             "魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾"
             "毛郝龚邵万钱严覃武戴莫孔向汤")
_GIVEN_CHARS = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰文辉鹏斌宇浩凯健俊帆帅旭宁林晨琳"
                "欣雪婷颖倩梅莉佳博晓红志建国海云峰飞鑫睿哲雨萱子涵思怡梓轩诗然")
_OWNERS = ("王思远", "李静怡", "张浩然", "陈雅婷", "刘子健", "赵晓峰", "周欣然", "孙嘉伟")
_OWNER_WEIGHTS = (0.18, 0.16, 0.14, 0.13, 0.12, 0.10, 0.09, 0.08)
_MOBILE_PREFIXES = ("130 131 132 133 134 135 136 137 138 139 150 151 152 153 155 156 157 158 "
                    "159 166 173 175 176 177 178 180 181 182 183 184 185 186 187 188 189 191 "
                    "198 199").split()

# Categories: price multiplier on the customer's order value, gross margin, partner.
# Two-character names, as an ERP's category codes (they keep the sample under 5 MB).
_CATEGORIES = ("设备", "耗材", "数码", "软件", "配件", "家居", "礼品", "维保")
_CAT_PRICE = np.array([2.2, 0.35, 1.4, 2.0, 1.2, 0.4, 0.8, 0.7])
_CAT_MARGIN = np.array([0.18, 0.32, 0.15, 0.55, 0.25, 0.30, 0.35, 0.45])
_CAT_PARTNER = np.array([1, 0, 3, 2, 7, 6, 5, 4])
# Preferred-category odds by buyer group: 0 heavy industry, 1 office/knowledge, 2 trade &
# hospitality, 3 individuals.
_CAT_PRIMARY = np.array([
    [0.15, 0.10, 0.05, 0.05, 0.45, 0.02, 0.03, 0.15],
    [0.25, 0.15, 0.20, 0.25, 0.03, 0.02, 0.07, 0.03],
    [0.10, 0.20, 0.05, 0.05, 0.05, 0.30, 0.20, 0.05],
    [0.03, 0.05, 0.35, 0.05, 0.02, 0.30, 0.18, 0.02],
])
_INDUSTRY_GROUP = np.array([0, 1, 2, 0, 1, 1, 1, 2, 0])

# Hour-of-day weights for order times.
_HOUR_WEIGHTS = np.array([0.3, 0.15, 0.1, 0.1, 0.1, 0.2, 0.5, 1.0, 2.0, 3.5, 4.5, 4.2, 2.5,
                          3.0, 4.0, 4.2, 3.8, 3.0, 2.2, 2.5, 3.0, 3.0, 2.0, 1.0])

_CONTACT_TYPES = {   # type -> (channels, weights)
    "咨询": (("电话", "企微", "门店", "官网"), (0.4, 0.35, 0.1, 0.15)),
    "投诉": (("电话", "企微", "官网"), (0.6, 0.3, 0.1)),
    "活动参与": (("线下活动", "直播"), (0.6, 0.4)),
    "浏览": (("官网", "小程序"), (0.5, 0.5)),
}
_MESSAGE_CHANNELS = ("邮件", "短信", "企微")
_OPEN_RATE = np.array([0.17, 0.19, 0.27])     # by message channel, for a customer still active
_CLICK_GIVEN_OPEN = 0.28
# (tag, month, day) of yearly campaigns; CNY is sent three weeks before 春节.
_CAMPAIGNS = (("CNY", None, None), ("NEW", 3, 8), ("618", 6, 1), ("AUT", 9, 5), ("D11", 11, 1))

_REASONS = ("产品质量", "服务响应慢", "价格竞争", "需求变化", "交付延迟", "其他")
_REASON_WEIGHTS = (0.25, 0.22, 0.25, 0.13, 0.10, 0.05)
_REASON_COMMENTS = (("质量问题较多", "产品故障率高"), ("客服响应慢", "售后迟迟不处理"),
                    ("别家更便宜", "价格没有优势"), ("业务调整暂不需要", "需求减少"),
                    ("交货总是延迟", "物流太慢"), ("其他原因", "不方便说"))
_SCORE_COMMENTS = {1: ("很不满意", "问题一直没解决"), 2: ("不太满意", "客服回复太慢"),
                   3: ("一般", "有待改进", "价格偏高"), 4: ("整体满意", "还不错", "响应较快"),
                   5: ("非常满意", "服务很好", "交货及时", "会继续合作")}

_ACTIVE, _SLIPPING, _CHURNED = 0, 1, 2


# ---------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------
def generate_sample(n_customers: int = 3000, n_orders: int = 60000, seed: int = 20240601,
                    end: str = "2026-10-31", dirty: bool = True) -> dict[str, pd.DataFrame]:
    """The raw tables as :func:`write_sample` writes them.

    Parameters
    ----------
    n_customers, n_orders : int
        Size of the customer base and number of order rows before dirt that adds rows
        (``n_orders >= n_customers``: every customer has at least one order).
    seed : int
        Every random draw derives from it; the business underneath is the same for
        ``dirty=True`` and ``dirty=False``.
    end : str
        Last order date ``YYYY-MM-DD``; orders start four years earlier (day after).
    dirty : bool
        Inject the documented dirt and export formats (strings everywhere); otherwise
        typed columns (datetimes, floats) and no dirt.

    Returns
    -------
    dict
        ``customers``, ``orders``, ``interactions``, ``surveys`` with the Chinese headers
        of :data:`COLUMNS`.

    Examples
    --------
    >>> t = generate_sample(n_customers=40, n_orders=400, seed=1, dirty=False)
    >>> list(t["orders"].columns)[:3]
    ['订单编号', '客户编号', '下单时间']
    """
    if n_customers < 1 or n_orders < n_customers:
        raise KitError(f"订单数({n_orders})必须不少于客户数({n_customers})，且客户数至少为1")
    cal = _calendar(end)
    cust = _draw_customers(np.random.default_rng([seed, 1]), n_customers, cal)
    orders = _draw_orders(np.random.default_rng([seed, 2]), cust, n_orders, cal)
    _finish_customers(np.random.default_rng([seed, 3]), cust, orders, cal)
    inter = _draw_interactions(np.random.default_rng([seed, 4]), cust, orders, cal)
    surveys = _draw_surveys(np.random.default_rng([seed, 5]), cust, inter, cal)
    if dirty:
        return _dirty_tables(np.random.default_rng([seed, 6]), cust, orders, inter, surveys,
                             cal)
    return _clean_tables(cust, orders, inter, surveys, cal)


def write_sample(out_dir: Path, n_customers: int = 3000, n_orders: int = 60000,
                 seed: int = 20240601, end: str = "2026-10-31", dirty: bool = True) -> list[Path]:
    """Write the sample files into ``out_dir`` (created) and return their paths.

    Same arguments, byte-identical files. ``dirty=True`` writes :data:`FILE_NAMES`
    (GBK customers, UTF-8 orders, an .xlsx of interactions, UTF-8-BOM surveys);
    ``dirty=False`` writes :data:`CLEAN_FILE_NAMES`, all UTF-8 CSV.

    Examples
    --------
    >>> import tempfile
    >>> paths = write_sample(Path(tempfile.mkdtemp()), n_customers=30, n_orders=300)
    >>> [p.name for p in paths]
    ['客户档案.csv', '订单明细.csv', '互动记录.xlsx', '满意度调查.csv']
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tables = generate_sample(n_customers, n_orders, seed, end, dirty)
    names = FILE_NAMES if dirty else CLEAN_FILE_NAMES
    paths = {key: out_dir / name for key, name in names.items()}
    if dirty:
        _to_csv(tables["customers"], paths["customers"], "gbk", "\r\n")
        _to_csv(tables["orders"], paths["orders"], "utf-8")
        cal = _calendar(end)
        _write_interactions_xlsx(tables["interactions"], paths["interactions"], cal)
        _to_csv(tables["surveys"], paths["surveys"], "utf-8-sig")
    else:
        for key in names:
            _write_clean_csv(tables[key], paths[key], with_time=key == "orders")
    return list(paths.values())


# ---------------------------------------------------------------------------------------
# The business
# ---------------------------------------------------------------------------------------
class _Calendar:
    """Day grid of the data window and the seasonal order intensity on it."""

    def __init__(self, end: str):
        try:
            self.end = pd.Timestamp(end).normalize()
        except (ValueError, TypeError) as err:
            raise KitError(f"结束日期无法解析: {end!r}（应为 YYYY-MM-DD）") from err
        self.start = self.end - pd.DateOffset(years=_YEARS) + pd.Timedelta(days=1)
        self.days = pd.date_range(self.start, self.end, freq="D")
        self.n_days = len(self.days)
        self.start64 = np.datetime64(self.start.date(), "s")
        f = np.ones(self.n_days)
        dow, month, dom = (self.days.day_of_week.to_numpy(), self.days.month.to_numpy(),
                           self.days.day.to_numpy())
        f[dow == 5] *= 0.8
        f[dow == 6] *= 0.7
        f[(month == 6) & (dom <= 17)] *= 1.6        # 618 pre-sales
        f[(month == 6) & (dom == 18)] *= 3.0
        f[(month == 11) & (dom <= 10)] *= 1.8       # 双11
        f[(month == 11) & (dom == 11)] *= 4.0
        f[(month == 12) & (dom >= 15)] *= 1.15      # year-end budgets
        for sf in SPRING_FESTIVALS:
            off = (sf - self.start).days
            for lo, hi, factor in ((-7, 0, 0.6), (0, 8, 0.2), (8, 15, 0.6)):
                a, b = max(off + lo, 0), min(off + hi, self.n_days)
                if a < b:
                    f[a:b] *= factor
        self.intensity = f
        self.cum = np.concatenate([[0.0], np.cumsum(f)])
        self.grid = np.arange(self.n_days + 1, dtype=float)

    def seasonal_days(self, lo, hi, u):
        """Days in ``[lo, hi)`` (floats) at quantiles ``u`` of the seasonal intensity."""
        a = np.interp(lo, self.grid, self.cum)
        b = np.interp(hi, self.grid, self.cum)
        return np.interp(a + u * (b - a), self.cum, self.grid)

    def to_datetime(self, day):
        return self.start64 + (np.asarray(day, dtype=np.int64) * 86400).astype("m8[s]")


_CALENDARS: dict[str, _Calendar] = {}


def _calendar(end) -> _Calendar:
    key = str(end)
    if key not in _CALENDARS:
        _CALENDARS[key] = _Calendar(end)
    return _CALENDARS[key]


def _count(rate: float, n: int) -> int:
    return int(np.floor(rate * n + 0.5))


def _pick(rng, choices, n, p=None) -> np.ndarray:
    return np.asarray(choices, dtype=object)[rng.choice(len(choices), size=n, p=p)]


def _s(values) -> pd.Series:
    """A string Series over 0..n-1 (pandas' default string dtype)."""
    return pd.Series(np.asarray(values)).astype("str")


def _draw_customers(rng, n: int, cal: _Calendar) -> dict:
    c: dict = {"n": n}
    company = rng.random(n) < _COMPANY_SHARE
    large = company & (rng.random(n) < _LARGE_SHARE_OF_COMPANIES)
    c["company"], c["large"] = company, large
    ind_w = np.array([w for _, w, _ in _INDUSTRIES])
    c["industry"] = rng.choice(len(_INDUSTRIES), size=n, p=ind_w / ind_w.sum())

    prov_w = np.array([w for _, _, w, _ in _PROVINCES])
    prov = rng.choice(len(_PROVINCES), size=n, p=prov_w / prov_w.sum())
    n_city = np.array([len(p[3]) for p in _PROVINCES])
    cum = np.ones((len(_PROVINCES), n_city.max()))
    for i, k in enumerate(n_city):      # capital first, then 1/rank
        w = 1.0 / np.arange(1, k + 1)
        w[0] *= 1.5
        cum[i, :k] = np.cumsum(w / w.sum())
    local = np.minimum((rng.random(n)[:, None] > cum[prov]).sum(axis=1), n_city[prov] - 1)
    offsets = np.concatenate([[0], np.cumsum(n_city)[:-1]])
    c["province"], c["city"] = prov, offsets[prov] + local

    # Strategic accounts: large companies first, then SMEs, always pre-existing and active.
    n_strat = min(max(_MIN_STRATEGIC, _count(_STRATEGIC_SHARE, n)), int(company.sum()))
    cand = rng.permutation(np.flatnonzero(company))
    cand = cand[np.argsort(~large[cand], kind="stable")]
    strategic = np.zeros(n, bool)
    strategic[cand[:n_strat]] = True
    c["strategic"] = strategic

    D = cal.n_days
    u = rng.random(n)
    pre = (u < _PRE_EXISTING_SHARE) | strategic
    new = ~pre & (u < _PRE_EXISTING_SHARE + _NEW_SHARE)
    acq = np.where(pre, 0.0, rng.uniform(0, D - 90, n))
    acq[new] = rng.uniform(D - 90, D - 1, int(new.sum()))
    v = rng.random(n)
    life = np.where(v < _CHURNED_SHARE, _CHURNED,
                    np.where(v < _CHURNED_SHARE + _SLIPPING_SHARE, _SLIPPING, _ACTIVE))
    life[new | strategic] = _ACTIVE
    room = (D - 45) - acq
    life[(life == _CHURNED) & (room < 30)] = _ACTIVE
    stop = np.where(life == _CHURNED, acq + room * rng.uniform(0.05, 1.0, n), D)
    c["acq"], c["stop"], c["life"], c["new"] = acq, stop, life, new

    log_rate = rng.normal(0.0, 0.7, n) + 0.5 * company + 0.4 * large
    weight = np.exp(log_rate) * (stop - acq) / 365.25
    weight *= np.where(life == _SLIPPING, 0.55, 1.0) * np.where(strategic, 8.0, 1.0)
    c["weight"] = weight
    c["log_aov"] = rng.normal(np.log(500), 0.6, n) + 1.1 * company + 0.4 * large
    value = np.log(weight) + c["log_aov"]
    c["value_pct"] = (np.argsort(np.argsort(value)) + 0.5) / n
    p_off = 0.2 + 0.55 * c["value_pct"] - 0.1 * ~company + rng.normal(0, 0.1, n)
    c["p_offline"] = np.clip(np.where(strategic, 0.85, p_off), 0.05, 0.95)

    # Category preferences: a primary category by buyer group, often its partner too.
    group = np.where(company, _INDUSTRY_GROUP[c["industry"]], 3)
    pcum = np.cumsum(_CAT_PRIMARY, axis=1)
    primary = np.minimum((rng.random(n)[:, None] > pcum[group]).sum(axis=1), 7)
    pref = rng.gamma(0.3, 1.0, (n, len(_CATEGORIES)))
    pref[np.arange(n), primary] += 3.0
    bundler = rng.random(n) < 0.6
    pref[np.flatnonzero(bundler), _CAT_PARTNER[primary[bundler]]] += 1.5
    c["cat_cum"] = np.cumsum(pref / pref.sum(axis=1, keepdims=True), axis=1)
    return c


def _draw_orders(rng, c: dict, n_orders: int, cal: _Calendar) -> dict:
    n = c["n"]
    counts = 1 + rng.multinomial(n_orders - n, c["weight"] / c["weight"].sum())
    ci = np.repeat(np.arange(n), counts)
    # Stratified within each customer's window: B2B buyers reorder at fairly regular
    # intervals, so a frequent buyer is rarely 90 days silent unless churning.
    j = np.arange(n_orders) - np.repeat(np.cumsum(counts) - counts, counts)
    u = (j + rng.random(n_orders)) / counts[ci]
    slipping = c["life"][ci] == _SLIPPING
    u[slipping] = 1.0 - np.sqrt(1.0 - u[slipping])      # density falling to zero at the end
    day = np.floor(cal.seasonal_days(c["acq"][ci], c["stop"][ci], u)).astype(np.int64)
    day = np.clip(day, 0, cal.n_days - 1)
    hour = rng.choice(24, size=n_orders, p=_HOUR_WEIGHTS / _HOUR_WEIGHTS.sum())
    second = day * 86400 + hour * 3600 + rng.integers(0, 3600, n_orders)

    cat = np.minimum((rng.random(n_orders)[:, None] > c["cat_cum"][ci]).sum(axis=1), 7)
    raw = np.exp(c["log_aov"][ci] + rng.normal(0, 0.5, n_orders)) * _CAT_PRICE[cat]
    raw = np.maximum(raw, 5.0)
    amount = np.where(rng.random(n_orders) < 0.8, np.round(raw), np.round(raw, 2))
    offline = rng.random(n_orders) < c["p_offline"][ci]
    margin = np.clip(_CAT_MARGIN[cat] * (1 + rng.normal(0, 0.1, n_orders)), 0.02, 0.9)

    # Time order; order ids follow it.
    order = np.lexsort((ci, second))
    ci, day, second, cat, amount, offline, margin = (
        a[order] for a in (ci, day, second, cat, amount, offline, margin))

    # Strategic accounts: scale to a target net of 0.7–2.5 million 元.
    strat = c["strategic"]
    gross = np.bincount(ci, weights=amount, minlength=n)
    target = np.exp(rng.uniform(np.log(7e5), np.log(2.5e6), n))
    factor = np.where(strat, target / np.maximum(gross, 1.0), 1.0)
    amount = np.where(strat[ci], np.round(amount * factor[ci]), amount)

    # Rank of each order within its customer (0 = first purchase).
    by_cust = np.argsort(ci, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank = np.empty(n_orders, np.int64)
    rank[by_cust] = np.arange(n_orders) - starts[ci[by_cust]]

    status = np.zeros(n_orders, np.int8)        # 0 已完成, 1 退货, 2 已取消
    eligible = np.flatnonzero(rank > 0)
    k_ret = min(_count(RETURN_RATE, n_orders), eligible.size)
    k_can = min(_count(CANCEL_RATE, n_orders), eligible.size - k_ret)
    pick = rng.choice(eligible, size=k_ret + k_can, replace=False)
    status[pick[:k_ret]] = 1
    status[pick[k_ret:]] = 2
    profit = np.round(amount * margin, 2)
    amount = np.where(status == 1, -amount, amount)
    profit = np.where(status == 1, -profit, np.where(status == 2, 0.0, profit))
    return {"n": n_orders, "ci": ci, "day": day, "second": second, "cat": cat,
            "amount": amount, "profit": profit, "offline": offline, "status": status,
            "rank": rank, "counts": counts, "by_cust": by_cust, "starts": starts}


def _finish_customers(rng, c: dict, o: dict, cal: _Calendar) -> None:
    """Attributes that depend on the orders, plus names and contacts."""
    n = c["n"]
    first_day = o["day"][o["by_cust"][o["starts"]]]
    c["first_day"] = first_day
    back = np.where(c["new"], rng.integers(0, 4, n), rng.integers(0, 61, n))
    reg = first_day - back
    pre = c["acq"] == 0
    reg[pre] = np.minimum(reg[pre], -rng.integers(1, 6 * 365, int(pre.sum())))
    c["reg_day"] = reg

    off_share = np.bincount(o["ci"], weights=o["offline"], minlength=n) / o["counts"]
    prefers_off = (off_share > 0.5) ^ (rng.random(n) < 0.15)
    c["pref_channel"] = np.where(prefers_off, "线下", "线上")

    company = c["company"]
    birthday = np.where(rng.random(n) < np.where(company, 0.25, 0.85),
                        rng.integers(0, 43 * 365, n), -1)
    c["birthday"] = np.where(birthday >= 0,
                             np.datetime64("1960-01-01") + birthday.astype("m8[D]"),
                             np.datetime64("NaT"))
    c["owner"] = _pick(rng, _OWNERS, n, np.array(_OWNER_WEIGHTS) / sum(_OWNER_WEIGHTS))
    c["consent"] = rng.random(n) < _CONSENT_RATE
    c["unsub"] = rng.random(n) < _UNSUBSCRIBED_RATE
    lam = np.where(c["strategic"], 5.0, 0.1 + 1.2 * c["value_pct"] ** 4)
    c["referrals"] = rng.poisson(lam)
    kinds = np.where(company, np.minimum(rng.choice(3, n, p=[0.6, 0.25, 0.15]), 2), 3)
    c["type"] = np.array(["终端客户", "经销商", "代理商", "个人客户"], dtype=object)[kinds]
    c["size"] = np.where(c["large"], "大型企业", np.where(company, "中小企业", "个人"))

    # Names: companies unique by construction (city + 字号 + industry word), so name-based
    # dedup never merges two different customers.
    cities = [city for p in _PROVINCES for city, _ in p[3]]
    city_short = np.array([x[:-1] if x.endswith("市") else x for x in cities], dtype=object)
    words = [ws for _, _, ws in _INDUSTRIES]
    n_words = np.array([len(w) for w in words])
    word_tab = np.array([[w[i % len(w)] for i in range(n_words.max())] for w in words],
                        dtype=object)
    word = word_tab[c["industry"], rng.integers(0, 1 << 30, n) % n_words[c["industry"]]]
    trade = _trade_names(rng, n)
    stem = pd.Series(city_short[c["city"]] + trade + word)
    for _ in range(100):
        dup = (stem.duplicated() & company).to_numpy()
        if not dup.any():
            break
        trade[dup] = _trade_names(rng, int(dup.sum()))
        stem = pd.Series(city_short[c["city"]] + trade + word)
    suffix = rng.choice(len(_SUFFIXES), size=n, p=_SUFFIX_WEIGHTS)
    surname_w = 1.0 / np.arange(1, len(_SURNAMES) + 1) ** 0.7
    surname = np.array(list(_SURNAMES), dtype=object)[
        rng.choice(len(_SURNAMES), n, p=surname_w / surname_w.sum())]
    g = np.array(list(_GIVEN_CHARS), dtype=object)
    given = g[rng.integers(0, len(g), n)] + np.where(rng.random(n) < 0.7,
                                                      g[rng.integers(0, len(g), n)], "")
    c["stem"], c["suffix"], c["surname"], c["given"] = stem.to_numpy(object), suffix, surname, given
    c["stem_no_city"] = trade + word
    c["name"] = np.where(company, c["stem"] + np.array(_SUFFIXES, dtype=object)[suffix],
                         surname + given)

    # Phones: unique mobiles; some companies give a landline.
    area = np.array([code for p in _PROVINCES for _, code in p[3]], dtype=object)[c["city"]]
    landline = company & pd.notna(area) & (rng.random(n) < _LANDLINE_SHARE_OF_COMPANIES)
    mobile = (_pick(rng, _MOBILE_PREFIXES, n)
              + _s(rng.choice(10 ** 8, size=n, replace=False)).str.zfill(8).to_numpy(object))
    local = _s(rng.choice(7 * 10 ** 7, size=n, replace=False) + 2 * 10 ** 7).to_numpy(object)
    c["landline"] = landline
    c["phone"] = np.where(landline, area.astype(str) + "-" + local, mobile)

    # E-mails: unique local parts from distinct random integers.
    has_email = rng.random(n) < EMAIL_RATE
    key = rng.choice(26 ** 6 - 26 ** 4, size=n, replace=False) + 26 ** 4
    letters = _base26(key)
    qq = _s(rng.choice(9 * 10 ** 9, size=n, replace=False) + 10 ** 5).to_numpy(object)
    personal = _pick(rng, ("163.com", "126.com", "sina.com", "outlook.com", "foxmail.com"), n)
    role = _pick(rng, ("sales", "info", "service", "admin", "purchase", "contact"), n)
    tld = _pick(rng, (".com", ".cn", ".com.cn"), n)
    use_qq = rng.random(n) < 0.5
    email = np.where(company, role + "@" + letters + tld,
                     np.where(use_qq, qq + "@qq.com",
                              letters + _s(rng.integers(10, 100, n)).to_numpy(object)
                              + "@" + personal))
    c["email"] = np.where(has_email, email, None)
    c["msg_channel"] = np.where(has_email & (rng.random(n) < 0.35), 0,
                                np.where(landline | (rng.random(n) < 0.45), 2, 1))


def _trade_names(rng, k: int) -> np.ndarray:
    chars = np.array(list(_TRADE_CHARS), dtype=object)
    a = rng.integers(0, len(chars), k)
    b = (a + rng.integers(1, len(chars), k)) % len(chars)     # never the same char twice
    return chars[a] + chars[b]


def _base26(values: np.ndarray) -> np.ndarray:
    out = np.full(values.shape, "", dtype=object)
    v = values.copy()
    alphabet = np.array(list("abcdefghijklmnopqrstuvwxyz"), dtype=object)
    while (v > 0).any():
        out = np.where(v > 0, alphabet[v % 26] + out, out)
        v //= 26
    return out


def _events(rng, counts, lo, hi):
    """Repeat customer indices by ``counts`` and draw integer days uniformly in [lo, hi)."""
    ci = np.repeat(np.arange(counts.size), counts)
    span = np.maximum(hi[ci] - lo[ci], 1.0)
    return ci, np.floor(lo[ci] + rng.random(ci.size) * span).astype(np.int64)


def _draw_interactions(rng, c: dict, o: dict, cal: _Calendar) -> pd.DataFrame:
    n, D = c["n"], cal.n_days
    first = c["first_day"].astype(float)
    lo = np.minimum(np.maximum(c["reg_day"], 0), first).astype(float)
    hi = np.minimum(c["stop"] + 30, D).astype(float)
    parts = []

    def add(type_, counts, lo_, hi_):
        ci, day = _events(rng, counts, lo_, hi_)
        channels, w = _CONTACT_TYPES[type_]
        parts.append(pd.DataFrame({"ci": ci, "day": day, "type": type_,
                                   "channel": _pick(rng, channels, ci.size, w), "campaign": None}))

    years = (hi - lo) / 365.25
    add("咨询", rng.poisson(0.2 * years + 0.12 * np.log1p(o["counts"])), lo, hi)
    add("浏览", rng.poisson(0.35 * years * (1.2 - c["p_offline"])), lo, hi)
    add("活动参与", rng.poisson(0.07 * years + 0.15 * c["company"]), lo, hi)
    add("投诉", rng.poisson(np.full(n, 0.12)), lo, hi)
    # Complaints pile up before churn (and, less so, while slipping).
    churned = c["life"] == _CHURNED
    add("投诉", rng.poisson(np.where(churned, 0.8, 0.0)),
        np.maximum(c["stop"] - 120, lo), np.minimum(c["stop"] + 10, D))
    add("投诉", rng.poisson(np.where(c["life"] == _SLIPPING, 0.35, 0.0)),
        np.full(n, D - 240.0), np.full(n, float(D)))

    # Campaigns: only customers who consent and have not unsubscribed.
    eligible = c["consent"] & ~c["unsub"]
    for cid, send in _campaign_days(cal):
        target = np.flatnonzero(eligible & (c["reg_day"] <= send)
                                & (rng.random(n) < _CAMPAIGN_TARGET_RATE))
        ch = c["msg_channel"][target]
        active = send < c["stop"][target]
        p_open = _OPEN_RATE[ch] * np.where(active, 1.2, 0.4)
        opened = rng.random(target.size) < p_open
        clicked = opened & (rng.random(target.size) < _CLICK_GIVEN_OPEN)
        open_day = send + rng.geometric(0.6, target.size) - 1
        for mask, type_, day in ((np.ones(target.size, bool), "发送", np.full(target.size, send)),
                                 (opened, "打开", open_day), (clicked, "点击", open_day)):
            parts.append(pd.DataFrame({
                "ci": target[mask], "day": day[mask], "type": type_,
                "channel": np.array(_MESSAGE_CHANNELS, dtype=object)[ch[mask]],
                "campaign": cid}))
    df = pd.concat(parts, ignore_index=True)
    df = df[(df["day"] >= 0) & (df["day"] < D)]
    type_order = {"发送": 0, "打开": 1, "点击": 2}
    df = df.assign(_t=df["type"].map(type_order).fillna(3))
    return df.sort_values(["day", "ci", "_t"], kind="stable").drop(columns="_t") \
        .reset_index(drop=True)


def _campaign_days(cal: _Calendar) -> list[tuple[str, int]]:
    out = []
    sf_by_year = {d.year: d for d in SPRING_FESTIVALS}
    for year in range(cal.start.year, cal.end.year + 2):
        for tag, month, day in _CAMPAIGNS:
            if tag == "CNY":
                if year not in sf_by_year:
                    continue
                when = sf_by_year[year] - pd.Timedelta(days=21)
            else:
                when = pd.Timestamp(year=year, month=month, day=day)
            off = (when - cal.start).days
            if 0 <= off < cal.n_days:
                out.append((f"CMP-{when.year}-{when.month:02d}-{tag}", off))
    return sorted(out, key=lambda x: x[1])


def _draw_surveys(rng, c: dict, inter: pd.DataFrame, cal: _Calendar) -> pd.DataFrame:
    n, D = c["n"], cal.n_days
    complaints = np.bincount(inter["ci"].to_numpy()[(inter["type"] == "投诉").to_numpy()],
                             minlength=n)
    lo = c["first_day"].astype(float)
    hi = np.minimum(np.maximum(c["stop"], lo + 1) + 30, D).astype(float)
    ci, day = _events(rng, rng.poisson(np.full(n, 0.95)), lo, hi)
    latent = (4.3 - 1.1 * (c["life"] == _CHURNED) - 0.5 * (c["life"] == _SLIPPING)
              - 0.4 * np.minimum(complaints, 3) + rng.normal(0, 0.4, n))
    score = np.clip(np.rint(latent[ci] + rng.normal(0, 0.7, ci.size)), 1, 5).astype(int)
    p_reason = np.select([score <= 2, score == 3], [0.8, 0.3], 0.02)
    has_reason = rng.random(ci.size) < p_reason
    reason = rng.choice(len(_REASONS), ci.size, p=_REASON_WEIGHTS)
    pick2 = rng.integers(0, 1 << 30, ci.size)
    reason_comment = np.array([r[0] for r in _REASON_COMMENTS] + [r[1] for r in _REASON_COMMENTS],
                              dtype=object)[reason + len(_REASONS) * (pick2 % 2)]
    score_comment = np.empty(ci.size, dtype=object)
    for s, pool in _SCORE_COMMENTS.items():        # five score levels, not rows
        m = score == s
        score_comment[m] = np.array(pool, dtype=object)[pick2[m] % len(pool)]
    comment = np.where(has_reason, reason_comment, score_comment)
    comment = np.where(rng.random(ci.size) < 0.35, None, comment)
    df = pd.DataFrame({"ci": ci, "day": day, "score": score, "comment": comment,
                       "reason": np.where(has_reason, np.array(_REASONS, dtype=object)[reason],
                                          None)})
    return df.sort_values(["day", "ci"], kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------------------------------
# Output: clean
# ---------------------------------------------------------------------------------------
def _id_strings(order_of_rows: np.ndarray, prefix: str, width_for: int) -> np.ndarray:
    width = max(4, len(str(width_for)))
    return (prefix + _s(order_of_rows + 1).str.zfill(width)).to_numpy(object)


def _customer_ids(reg_day: np.ndarray) -> np.ndarray:
    """Ids in registration order: row i gets the id of its rank by (reg_day, i)."""
    order = np.lexsort((np.arange(reg_day.size), reg_day))
    rank = np.empty(reg_day.size, np.int64)
    rank[order] = np.arange(reg_day.size)
    return _id_strings(rank, "C", reg_day.size)


def _order_ids(n: int) -> np.ndarray:
    width = max(5, len(str(n)))
    return ("SO" + _s(np.arange(1, n + 1)).str.zfill(width)).to_numpy(object)


def _yes_no(flag) -> np.ndarray:
    return np.where(flag, "是", "否")


def _region_tables():
    cities = np.array([city for p in _PROVINCES for city, _ in p[3]], dtype=object)
    full = np.array([p[0] for p in _PROVINCES], dtype=object)
    short = np.array([p[1] for p in _PROVINCES], dtype=object)
    return cities, full, short


def _clean_tables(c, o, inter, surveys, cal) -> dict[str, pd.DataFrame]:
    ids = _customer_ids(c["reg_day"])
    cities, full, _ = _region_tables()
    valid = o["status"] != 2
    stated = np.round(np.bincount(o["ci"], weights=np.where(valid, o["amount"], 0.0),
                                  minlength=c["n"]), 2)
    customers = pd.DataFrame({
        "客户编号": ids, "客户名称": c["name"], "联系电话": c["phone"], "电子邮箱": c["email"],
        "所属行业": np.array([i[0] for i in _INDUSTRIES], dtype=object)[c["industry"]],
        "省份": full[c["province"]], "城市": cities[c["city"]], "企业规模": c["size"],
        "客户类型": c["type"], "客户经理": c["owner"],
        "注册日期": cal.to_datetime(c["reg_day"]).astype("M8[s]"),
        "生日": c["birthday"].astype("M8[s]"), "偏好渠道": c["pref_channel"],
        "是否同意营销": _yes_no(c["consent"]), "是否退订": _yes_no(c["unsub"]),
        "推荐人数": c["referrals"], "累计消费(元)": stated,
    })
    customers = _sort_customers(customers)
    orders = pd.DataFrame({
        "订单编号": _order_ids(o["n"]), "客户编号": ids[o["ci"]],
        "下单时间": cal.start64 + o["second"].astype("m8[s]"),
        "实付金额": o["amount"], "产品类别": np.array(_CATEGORIES, dtype=object)[o["cat"]],
        "购买渠道": np.where(o["offline"], "线下", "线上"), "毛利": o["profit"],
        "订单状态": np.array(["已完成", "退货", "已取消"], dtype=object)[o["status"]],
    })
    return {"customers": customers, "orders": orders,
            "interactions": _interaction_frame(inter, ids, cal.to_datetime(inter["day"])),
            "surveys": _survey_frame(surveys, ids, cal.to_datetime(surveys["day"]))}


def _sort_customers(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values("客户编号", kind="stable").reset_index(drop=True)


def _interaction_frame(inter, ids, dates) -> pd.DataFrame:
    return pd.DataFrame({"客户ID": ids[inter["ci"].to_numpy()], "互动日期": dates,
                         "互动类型": inter["type"].to_numpy(object),
                         "触达渠道": inter["channel"].to_numpy(object),
                         "活动编号": inter["campaign"].to_numpy(object)})


def _survey_frame(surveys, ids, dates) -> pd.DataFrame:
    return pd.DataFrame({"客户编号": ids[surveys["ci"].to_numpy()], "调查日期": dates,
                         "满意度评分": surveys["score"].to_numpy(),
                         "评价内容": surveys["comment"].to_numpy(object),
                         "流失原因": surveys["reason"].to_numpy(object)})


# ---------------------------------------------------------------------------------------
# Output: dirty
# ---------------------------------------------------------------------------------------
def _date_parts(dt64: np.ndarray):
    d = dt64.astype("M8[D]")
    y = d.astype("M8[Y]").astype(np.int64) + 1970
    m = d.astype("M8[M]").astype(np.int64) % 12 + 1
    day = (d - d.astype("M8[M]")).astype(np.int64) + 1
    return _s(y), _s(m), _s(day)


def _iso_date(dt64) -> pd.Series:
    return _s(np.datetime_as_string(np.asarray(dt64).astype("M8[D]"), unit="D"))


def _iso_datetime(dt64) -> pd.Series:
    return _s(np.datetime_as_string(np.asarray(dt64).astype("M8[s]"), unit="s")).str.replace(
        "T", " ", regex=False)


def _money_parts(x):
    cents = np.rint(np.asarray(x, dtype=float) * 100).astype(np.int64)
    sign = _s(np.where(cents < 0, "-", ""))
    a = np.abs(cents)
    return sign, _s(a // 100), _s(a % 100).str.zfill(2)


def _plain_number(x) -> pd.Series:
    """``1234.5``, ``1234``, ``-89.05``: the shortest form with at most two decimals."""
    sign, ip, frac = _money_parts(x)
    f = frac.str.rstrip("0")
    return sign + ip + ("." + f).where(f != "", "")


def _yen_number(x) -> pd.Series:
    """``¥1,234.50`` (``-¥1,234.50``)."""
    sign, ip, frac = _money_parts(x)
    grouped = ip.str.replace(r"(\d)(?=(\d{3})+(?!\d))", r"\1,", regex=True)
    return sign + "¥" + grouped + "." + frac


def _dirty_tables(rng, c, o, inter, surveys, cal) -> dict[str, pd.DataFrame]:
    n, N = c["n"], o["n"]
    ci = o["ci"].copy()

    # --- Duplicate customers: a second id, orders split from a random later order on. ----
    n_rows_target = n + _count(DUPLICATE_CUSTOMER_RATE / (1 - DUPLICATE_CUSTOMER_RATE), n)
    k_dup = n_rows_target - n
    ok = (~c["landline"]) & (o["counts"] >= 2) & ~c["strategic"]
    src = np.sort(rng.choice(np.flatnonzero(ok), size=min(k_dup, int(ok.sum())), replace=False))
    k_dup = src.size
    dup_of = np.full(n, -1)
    dup_of[src] = n + np.arange(k_dup)
    split_rank = np.zeros(n, np.int64)
    split_rank[src] = 1 + (rng.integers(0, 1 << 30, k_dup) % (o["counts"][src] - 1))
    moved = ((dup_of[ci] >= 0) & (o["rank"] >= split_rank[ci])
             & ((o["rank"] == split_rank[ci]) | (rng.random(N) < 0.8)))
    ci[moved] = dup_of[ci[moved]]
    # The dup registered on the day of its first order.
    split_order = o["by_cust"][o["starts"][src] + split_rank[src]]
    dup_reg = o["day"][split_order]
    rows = n + k_dup
    reg_day = np.concatenate([c["reg_day"], dup_reg])
    base = np.concatenate([np.arange(n), src])          # row -> base customer
    is_dup = np.arange(rows) >= n
    ids = _customer_ids(reg_day)

    # --- Bad order rows (disjoint), duplicates of good rows. ---------------------------
    perm = rng.permutation(N)
    sizes = [_count(r, N) for r in (MISSING_CUSTOMER_ID_RATE, BAD_DATE_RATE, FUTURE_DATE_RATE,
                                    BAD_AMOUNT_RATE, DUPLICATE_ORDER_ROW_RATE)]
    cuts = np.cumsum([0] + sizes)
    no_id, bad_date, future, bad_amount, dup_rows = (perm[cuts[i]:cuts[i + 1]] for i in range(5))
    quarantined = np.zeros(N, bool)
    for idx in (no_id, bad_date, future, bad_amount):
        quarantined[idx] = True

    # 累计消费: net of the id's surviving orders, then 2% made wrong.
    counted = (o["status"] != 2) & ~quarantined
    stated = np.round(np.bincount(ci, weights=np.where(counted, o["amount"], 0.0),
                                  minlength=rows), 2)
    wrong = rng.choice(rows, size=_count(STATED_SPEND_MISMATCH_RATE, rows), replace=False)
    factor = np.where(rng.random(wrong.size) < 0.5, rng.uniform(0.5, 0.9, wrong.size),
                      rng.uniform(1.1, 1.5, wrong.size))
    stated[wrong] = np.where(stated[wrong] > 0, np.round(stated[wrong] * factor, 2),
                             np.round(rng.uniform(1000, 5000, wrong.size), 2))

    customers = _dirty_customers(rng, c, base, is_dup, src, ids, reg_day, stated, cal)
    orders = _dirty_orders(rng, o, ci, ids, no_id, bad_date, future, bad_amount, dup_rows, cal)

    # Interactions and surveys keep the original ids.
    base_ids = ids[:n]
    dates = cal.to_datetime(inter["day"].to_numpy()).astype("M8[s]").astype(object)
    k_text = _count(INTERACTION_TEXT_DATE_RATE, len(inter))
    text_rows = np.sort(rng.choice(len(inter), size=k_text, replace=False))
    y, m, d = _date_parts(cal.to_datetime(inter["day"].to_numpy()[text_rows]))
    dates[text_rows] = (y + "/" + m + "/" + d).to_numpy(object)
    interactions = _interaction_frame(inter, base_ids, dates)
    survey_dates = _iso_date(cal.to_datetime(surveys["day"].to_numpy()))
    out_surveys = _survey_frame(surveys, base_ids, survey_dates.to_numpy(object))
    out_surveys["满意度评分"] = _s(out_surveys["满意度评分"].to_numpy())
    return {"customers": customers, "orders": orders, "interactions": interactions,
            "surveys": out_surveys}


def _dirty_customers(rng, c, base, is_dup, src, ids, reg_day, stated, cal) -> pd.DataFrame:
    rows, k_dup = base.size, src.size
    cities, full, short = _region_tables()

    # Names: dups get a variant.
    name = c["name"][base].copy()
    dup_base = base[is_dup]
    comp = c["company"][dup_base]
    suf = c["suffix"][dup_base]
    stem = c["stem"][dup_base]
    v = rng.integers(0, 3, k_dup)
    no_city = c["stem_no_city"][dup_base]
    # Drop the city only where 字号 + industry word is unique among companies, so the
    # variant can never equal another customer's name.
    shared = pd.Series(c["stem_no_city"][c["company"]]).value_counts()
    v[(v == 2) & (shared.reindex(no_city).to_numpy() > 1)] = 0
    swapped = np.array(["有限责任公司", "有限公司", "有限公司", "（集团）有限公司"],
                       dtype=object)[suf]
    alt = np.array(["(集团)有限公司", "有限公司", "有限公司", "有限公司"], dtype=object)[suf]
    comp_name = np.select([v == 0, v == 1], [stem + swapped, stem + alt],
                          no_city + np.array(_SUFFIXES, dtype=object)[suf])
    person = np.where(v % 2 == 0, c["surname"][dup_base] + " " + c["given"][dup_base],
                      c["surname"][dup_base] + c["given"][dup_base] + " ")
    name[is_dup] = np.where(comp, comp_name, person)

    # Phones: dups reformat the mobile; 2% of the others invalid.
    phone = c["phone"][base].astype(object).copy()
    p = _s(phone[is_dup])
    a, b, d = p.str.slice(0, 3), p.str.slice(3, 7), p.str.slice(7)
    forms = [("+86 " + a + " " + b + " " + d), ("+86-" + p), (a + "-" + b + "-" + d),
             (a + " " + b + " " + d), ("86" + p), ("(+86)" + p)]
    f = rng.integers(0, len(forms), k_dup)
    phone[is_dup] = np.select([f == i for i in range(len(forms))],
                              [x.to_numpy(object) for x in forms])
    mobile_rows = np.flatnonzero(~is_dup & ~c["landline"][base] & ~np.isin(base, src))
    bad = rng.choice(mobile_rows, size=min(_count(INVALID_PHONE_RATE, rows), mobile_rows.size),
                     replace=False)
    q = _s(phone[bad])
    forms = [q.str.slice(0, 7), q.str.slice(0, 5) + "xx" + q.str.slice(7),
             _s(np.full(bad.size, "00000000000")), q + "0"]
    f = rng.integers(0, len(forms), bad.size)
    phone[bad] = np.select([f == i for i in range(len(forms))], [x.to_numpy(object) for x in forms])

    email = c["email"][base].copy()
    email[is_dup] = np.where(rng.random(k_dup) < 0.5, email[is_dup], None)

    canonical = np.array([i[0] for i in _INDUSTRIES], dtype=object)
    industry = canonical[c["industry"][base]]
    alias_pool = [INDUSTRY_ALIASES[x] for x in canonical]
    max_alias = max(len(x) for x in alias_pool)
    alias_tab = np.array([[x[i % len(x)] for i in range(max_alias)] for x in alias_pool],
                         dtype=object)
    n_alias = np.array([len(x) for x in alias_pool])
    k = _count(INDUSTRY_ALIAS_RATE * (1 - MISSING_INDUSTRY_RATE), rows)
    aliased = rng.choice(rows, size=k, replace=False)
    ind = c["industry"][base][aliased]
    industry[aliased] = alias_tab[ind, rng.integers(0, 1 << 30, k) % n_alias[ind]]
    industry[_blank_rows(rng, rows, MISSING_INDUSTRY_RATE, exclude=aliased)] = None

    province = full[c["province"][base]]
    shorts = rng.choice(rows, size=_count(PROVINCE_SHORT_NAME_RATE, rows), replace=False)
    province[shorts] = short[c["province"][base][shorts]]
    city = cities[c["city"][base]]
    city[_blank_rows(rng, rows, MISSING_CITY_RATE)] = None
    owner = c["owner"][base].copy()
    owner[is_dup] = np.where(rng.random(k_dup) < 0.5, owner[is_dup],
                             _pick(rng, _OWNERS, k_dup))
    owner[_blank_rows(rng, rows, MISSING_OWNER_RATE)] = None

    birthday = _iso_date(c["birthday"][base]).to_numpy(object)
    birthday[np.isnat(c["birthday"][base]) | is_dup] = None
    referrals = np.where(is_dup, 0, c["referrals"][base])
    df = pd.DataFrame({
        "客户编号": ids, "客户名称": name, "联系电话": phone, "电子邮箱": email,
        "所属行业": industry, "省份": province, "城市": city, "企业规模": c["size"][base],
        "客户类型": c["type"][base], "客户经理": owner,
        "注册日期": _iso_date(cal.to_datetime(reg_day)).to_numpy(object), "生日": birthday,
        "偏好渠道": c["pref_channel"][base], "是否同意营销": _yes_no(c["consent"][base]),
        "是否退订": _yes_no(c["unsub"][base]), "推荐人数": _s(referrals).to_numpy(object),
        "累计消费(元)": _plain_number(stated).to_numpy(object),
    })
    return _sort_customers(df.astype("str"))


def _blank_rows(rng, rows, rate, exclude=None):
    pool = np.arange(rows) if exclude is None else np.setdiff1d(np.arange(rows), exclude)
    return rng.choice(pool, size=min(_count(rate, rows), pool.size), replace=False)


def _dirty_orders(rng, o, ci, ids, no_id, bad_date, future, bad_amount, dup_rows, cal):
    N = o["n"]
    ts = cal.start64 + o["second"].astype("m8[s]")
    future_days = cal.n_days + rng.integers(0, 365, future.size)
    ts[future] = cal.start64 + (future_days * 86400 + o["second"][future] % 86400).astype("m8[s]")

    # Dates: ISO with time, except the stated shares of other formats.
    date = _iso_datetime(ts)
    others = np.setdiff1d(np.arange(N), bad_date)
    shuffled = rng.permutation(others)
    start = 0
    y, m, d = _date_parts(ts)
    for kind, rate in DATE_FORMAT_RATES.items():
        rows = shuffled[start:start + _count(rate, N)]
        start += rows.size
        yy, mm, dd = y.iloc[rows], m.iloc[rows], d.iloc[rows]
        text = {"slash": yy + "/" + mm + "/" + dd,
                "compact": yy + mm.str.zfill(2) + dd.str.zfill(2),
                "chinese": yy + "年" + mm + "月" + dd + "日"}[kind]
        date.iloc[rows] = text.to_numpy()
    date.iloc[bad_date] = _pick(rng, ("未知", "待确认", "0000-00-00"), bad_date.size)

    # Amounts: plain, except ¥1,234.50 and 1234.5元, and the non-numeric ones.
    amount = _plain_number(o["amount"])
    shuffled = rng.permutation(np.setdiff1d(np.arange(N), bad_amount))
    k_yen, k_yuan = _count(AMOUNT_YEN_RATE, N), _count(AMOUNT_YUAN_SUFFIX_RATE, N)
    yen, yuan = shuffled[:k_yen], shuffled[k_yen:k_yen + k_yuan]
    amount.iloc[yen] = _yen_number(o["amount"][yen]).to_numpy()
    amount.iloc[yuan] = (amount.iloc[yuan] + "元").to_numpy()
    amount.iloc[bad_amount] = _pick(rng, ("待定", "面议", "--"), bad_amount.size)

    cust = ids[ci].astype(object)
    cust[no_id] = None
    df = pd.DataFrame({
        "订单编号": _order_ids(N), "客户编号": cust, "下单时间": date.to_numpy(object),
        "实付金额": amount.to_numpy(object),
        "产品类别": np.array(_CATEGORIES, dtype=object)[o["cat"]],
        "购买渠道": np.where(o["offline"], "线下", "线上"),
        "毛利": _plain_number(o["profit"]).to_numpy(object),
        "订单状态": np.array(["已完成", "退货", "已取消"], dtype=object)[o["status"]],
    })
    # Exact duplicates right after their originals, then the export's totals row.
    take = np.sort(np.concatenate([np.arange(N), dup_rows]), kind="stable")
    df = df.iloc[take].reset_index(drop=True)
    numeric = np.ones(N, bool)
    numeric[bad_amount] = False
    total_amount = o["amount"][take][numeric[take]].sum()
    total_row = pd.DataFrame({"订单编号": ["合计"],
                              "实付金额": [_plain_number([total_amount]).iloc[0]],
                              "毛利": [_plain_number([o["profit"][take].sum()]).iloc[0]]})
    return pd.concat([df, total_row], ignore_index=True).astype("str")


# ---------------------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------------------
def _write_clean_csv(df: pd.DataFrame, path: Path, with_time: bool) -> None:
    """UTF-8 CSV through pyarrow (pandas' writer takes seconds per million rows).

    Clean values never contain a comma, quote or newline, so nothing needs quoting
    (pyarrow raises if one ever does).
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    arrays = []
    for col in df.columns:
        values = df[col].to_numpy()
        if pd.api.types.is_datetime64_any_dtype(df[col]):
            values = values.astype("M8[s]" if with_time else "M8[D]")
        arrays.append(pa.array(values, from_pandas=True))
    table = pa.Table.from_arrays(arrays, names=list(df.columns))
    pacsv.write_csv(table, str(path), pacsv.WriteOptions(quoting_style="none",
                                                          quoting_header="none"))


def _to_csv(df: pd.DataFrame, path: Path, encoding: str, lineterminator: str = "\n",
            **kw) -> None:
    df.to_csv(path, index=False, encoding=encoding, lineterminator=lineterminator, **kw)


_EXCEL_ROWS = 1_048_576   # rows of one worksheet


def _write_interactions_xlsx(df: pd.DataFrame, path: Path, cal: _Calendar) -> None:
    import xlsxwriter

    created = dt.datetime.combine(cal.end.date(), dt.time(18, 0))
    # in_memory: zip members get a fixed timestamp, so the file is byte-reproducible.
    wb = xlsxwriter.Workbook(str(path), {"in_memory": True})
    wb.set_properties({"title": "互动记录导出", "author": "CRM", "created": created})
    title = f"互动记录导出（{cal.start:%Y-%m-%d} 至 {cal.end:%Y-%m-%d}）"
    title_fmt = wb.add_format({"bold": True, "font_size": 14, "align": "center"})
    header_fmt = wb.add_format({"bold": True, "border": 1, "bg_color": "#D9E1F2"})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    first_row = 3                                     # title, blank row, header
    per_sheet = _EXCEL_ROWS - first_row
    sheets = []
    for k in range(max(1, -(-len(df) // per_sheet))):
        ws = wb.add_worksheet("互动记录" + (str(k + 1) if k else ""))
        ws.merge_range(0, 0, 0, 4, title, title_fmt)
        ws.write_row(2, 0, COLUMNS["interactions"], header_fmt)
        ws.set_column(0, 0, 10)
        ws.set_column(1, 1, 12)
        ws.set_column(2, 3, 10)
        ws.set_column(4, 4, 18)
        sheets.append(ws)
    dates = df["互动日期"].to_numpy(object)
    is_text = np.fromiter((isinstance(v, str) for v in dates), bool, dates.size)
    serial = np.zeros(dates.size, np.int64)   # Excel day numbers (1900 system)
    serial[~is_text] = (pd.to_datetime(pd.Series(dates[~is_text], dtype=object))
                        .to_numpy().astype("M8[D]") - np.datetime64("1899-12-30")).astype(np.int64)
    columns = (df["客户ID"].to_numpy(object), dates, serial, is_text,
               df["互动类型"].to_numpy(object), df["触达渠道"].to_numpy(object),
               df["活动编号"].to_numpy(object))
    # xlsxwriter writes cell by cell; this loop is over interaction rows, not orders.
    for i, (cid, when, day, text, type_, ch, cmp) in enumerate(zip(*columns)):
        ws, r = sheets[i // per_sheet], first_row + i % per_sheet
        ws.write_string(r, 0, cid)
        if text:
            ws.write_string(r, 1, when)
        else:
            ws.write_number(r, 1, day, date_fmt)
        ws.write_string(r, 2, type_)
        ws.write_string(r, 3, ch)
        if isinstance(cmp, str):
            ws.write_string(r, 4, cmp)
    wb.close()
