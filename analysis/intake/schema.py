"""Canonical tables and columns the kit works on.

Every input file is mapped onto these names by :mod:`analysis.intake.read`. Only ``orders`` with
``customer_id``, ``order_date`` and ``amount`` is required; each optional column lists
what the kit cannot do without it, so intake can say what it skipped and why.
"""

from __future__ import annotations

import functools
import re
import unicodedata

__all__ = [
    "TABLES", "DERIVED_FROM", "REQUIRED", "ALTERNATIVES", "MONEY_COLUMNS", "ORDER_PARTS",
    "NOT_REPORTED", "TABLE_LABELS", "TABLE_DISABLES", "optional_columns",
    "ALIASES", "normalise_header", "alias_index", "canonical_for",
]

# table -> column -> (中文说明, what is disabled when the column is absent; "" = required)
TABLES: dict[str, dict[str, tuple[str, str]]] = {
    "orders": {
        "customer_id": ("客户ID", ""),
        "order_date": ("下单日期", ""),
        "amount": ("金额(元)", ""),
        "order_id": ("订单号", "按订单号去重；F 以行数计"),
        "category": ("产品类别", "交叉销售与按品类触达内容"),
        "channel": ("渠道", "渠道偏好分析"),
        "profit": ("利润", "利润贡献分析"),
        "status": ("订单状态", "退货/取消识别（仅按负金额识别）"),
        "quantity": ("数量", "按 数量×单价 计算金额（无金额列时）"),
        "unit_price": ("单价", "按 数量×单价 计算金额（无金额列时）"),
        "discount": ("折扣金额", "明细金额扣除折扣"),
        "product_id": ("商品编码", "商品级明细"),
        "product_name": ("商品名称", "商品级明细"),
        "country": ("国家/地区", "国家/地区画像"),
    },
    # Order lines of an ERP export whose header (客户、日期) is in another file: joined to the
    # orders table by order number.
    "order_lines": {
        "order_id": ("订单号", ""),
        "amount": ("金额(元)", "按 数量×单价 计算金额"),
        "quantity": ("数量", "按 数量×单价 计算金额"),
        "unit_price": ("单价", "按 数量×单价 计算金额"),
        "discount": ("折扣金额", "明细金额扣除折扣"),
        "category": ("产品类别", "交叉销售与按品类触达内容"),
        "product_id": ("商品编码", "商品级明细"),
        "product_name": ("商品名称", "商品级明细"),
        "status": ("状态", "明细行的退货/取消识别"),
    },
    # Payments per order (orders + order items + payments exports): the amount actually paid.
    "payments": {
        "order_id": ("订单号", ""),
        "amount": ("支付金额(元)", ""),
        "channel": ("支付方式", "支付方式分析"),
    },
    "customers": {
        "customer_id": ("客户ID", ""),
        "name": ("客户名称", "客户名称展示与按名称去重"),
        "phone": ("联系电话", "按手机号去重与电话触达"),
        "email": ("邮箱", "按邮箱去重与邮件触达"),
        "industry": ("所属行业", "行业画像与行业均值分类"),
        "province": ("省份", "地域画像"),
        "city": ("城市", "地域画像（城市级）"),
        "region": ("大区", "大区画像（可由省份推出）"),
        "company_size": ("企业规模", "规模画像"),
        "customer_type": ("客户类型", "客户类型画像"),
        "owner": ("客户经理", "按客户经理分配任务（改用层级默认负责人）"),
        "register_date": ("注册日期", "新客欢迎名单与客龄"),
        "birthday": ("生日", "生日关怀名单"),
        "preferred_channel": ("偏好渠道", "按偏好渠道触达（改用历史渠道）"),
        "marketing_consent": ("营销授权", "授权检查（视为未授权，不做营销触达）"),
        "unsubscribed": ("是否退订", "退订检查"),
        "referrals": ("推荐人数", "战略客户推荐率条件"),
        "stated_total_spend": ("累计消费(元)", "累计消费与订单合计一致性核对"),
    },
    "interactions": {
        "customer_id": ("客户ID", ""),
        "date": ("互动日期", ""),
        "type": ("互动类型", ""),
        "channel": ("触达渠道", "按渠道统计打开/点击"),
        "campaign_id": ("活动编号", "按活动统计效果"),
    },
    "surveys": {
        "customer_id": ("客户ID", ""),
        "date": ("调查日期", ""),
        "score": ("满意度", ""),
        "comment": ("评价", "评价文本"),
        "churn_reason": ("流失原因", "流失原因统计"),
    },
}

# Columns a table cannot be used without.
REQUIRED: dict[str, tuple[str, ...]] = {
    table: tuple(col for col, (_, disables) in cols.items() if not disables)
    for table, cols in TABLES.items()
}

# A required column that other columns can stand in for: an invoice-line export has no amount
# but quantity × unit price; an order header has no amount when its lines or payments carry it.
ALTERNATIVES: dict[str, dict[str, tuple[tuple[str, ...], ...]]] = {
    "orders": {"amount": (("quantity", "unit_price"),)},
    "order_lines": {},
}

# The money columns of a table, in the order the amount of a row is taken from them.
MONEY_COLUMNS = ("amount", "quantity", "unit_price", "discount")

# Order lines and payments are joined onto the orders table; they never stand alone.
ORDER_PARTS = ("order_lines", "payments")

# Optional columns recognised (so they are not listed as unused) but not worth a note when
# absent: nothing the kit computes depends on them.
NOT_REPORTED = {"orders": {"product_id", "product_name", "country", "quantity", "unit_price",
                           "discount"}}

TABLE_LABELS = {
    "orders": "订单表",
    "customers": "客户表",
    "interactions": "互动记录表",
    "surveys": "满意度调查表",
    "order_lines": "订单明细表",
    "payments": "订单支付表",
}

# Optional columns the cleaning step derives from another column when that one is present
# (大区 from 省份), so their absence is not worth reporting.
DERIVED_FROM = {"customers": {"region": "province"}}

# What the kit loses when a whole optional table is absent.
TABLE_DISABLES = {
    "customers": "客户属性画像、按手机号/邮箱去重、触达名单的授权检查（所有客户视为未授权）",
    "interactions": "互动与活动响应分析、沉睡唤醒名单的“30天未打开”条件",
    "surveys": "满意度分析、差评工单名单、流失原因统计",
    "order_lines": "",
    "payments": "",
}


def optional_columns(table: str) -> list[str]:
    """Columns of ``table`` that may be absent."""
    return [c for c in TABLES[table] if c not in REQUIRED[table]]


# ----------------------------------------------------------------------------- header aliases

# table -> canonical column -> header spellings seen in real exports. Matching is exact after
# :func:`normalise_header` (so "Customer ID", "customer_id" and "CUSTOMER-ID" are one entry).
# Where two headers of one file map to the same column, the one listed first here wins
# (实付金额 before 订单金额: what was paid is what counts). A spelling may appear in several
# tables ("客户编号", "日期") but never twice within one table.
ALIASES: dict[str, dict[str, list[str]]] = {
    "orders": {
        "customer_id": [
            "客户ID", "客户编号", "客户号", "客户代码", "客户编码", "客户账号", "会员ID", "会员编号",
            "会员号", "会员卡号", "卡号", "会员卡", "会员代码", "用户ID", "用户编号", "买家ID", "买家编号", "顾客编号",
            "顾客ID", "CustomerID", "Customer ID", "customer_id", "cust_id", "cust_no", "custid",
            "customer_no", "customer_code", "customer_number", "client_id", "client_no",
            "buyer_id", "member_id", "member_no", "user_id", "uid",
        ],
        "order_date": [
            "下单日期", "下单时间", "购买日期", "购买时间", "订单日期", "订单时间", "交易日期", "交易时间",
            "成交日期", "成交时间", "付款日期", "付款时间", "支付时间", "支付日期", "销售日期", "消费日期",
            "消费时间", "开票日期", "单据日期", "业务日期", "日期", "时间", "InvoiceDate", "order_date",
            "OrderDate", "order_time", "purchase_date", "transaction_date", "sale_date",
            "sales_date", "paid_at", "created_at", "date", "datetime", "timestamp",
            "order_datetime", "purchase_timestamp", "order_purchase_timestamp",
        ],
        "amount": [
            "实付金额", "实付款", "实收金额", "实际支付金额", "支付金额", "付款金额", "收款金额", "成交金额",
            "交易金额", "订单金额", "订单总额", "消费金额", "消费额", "销售金额", "销售额", "应付金额",
            "总金额", "合计金额", "价税合计", "金额", "营业额", "应收金额", "应收款",
            "Amount", "order_amount", "Sales", "Revenue", "total", "total_amount",
            "paid_amount", "payment", "payment_amount", "payment_value", "sales_amount",
            "order_total", "order_value", "line_total", "line_amount", "gmv",
        ],
        "order_id": [
            "订单编号", "订单号", "订单ID", "订单代码", "单号", "单据编号", "单据号", "交易编号", "交易号",
            "交易单号", "流水号", "发票号", "发票号码", "小票号", "销售单号", "收银单号", "单据号码",
            "order_id", "orderid", "order_no", "order_number", "InvoiceNo", "Invoice",
            "invoice_no", "invoice_number", "invoice_id", "transaction_id", "txn_id",
            "receipt_no", "receipt_id", "bill_no",
        ],
        "category": [
            "产品类别", "产品类型", "产品分类", "产品品类", "商品类别", "商品类型", "商品分类", "商品品类",
            "商品类目", "品类", "类目", "类别", "产品线", "业务类别", "category", "product_category",
            "product_type", "item_category", "product_line",
        ],
        "channel": [
            "购买渠道", "销售渠道", "下单渠道", "订单渠道", "成交渠道", "交易渠道", "订单来源", "渠道",
            "线上线下", "channel", "sales_channel", "order_channel", "order_source",
        ],
        "profit": [
            "毛利", "毛利额", "毛利润", "利润", "利润额", "净利润", "profit", "gross_profit",
            "margin", "gross_margin",
        ],
        "status": [
            "订单状态", "交易状态", "状态", "退货状态", "售后状态", "status", "order_status",
            "transaction_status",
        ],
        "quantity": [
            "数量", "销售数量", "购买数量", "商品数量", "件数", "销量", "订购数量", "出库数量", "Quantity",
            "Qty", "quantity_ordered", "units", "item_count",
        ],
        "unit_price": [
            "成交单价", "成交价", "实际单价", "销售单价", "单价", "售价", "销售价", "零售价", "零售单价",
            "含税单价", "原价", "标准单价", "UnitPrice", "unit_price", "Price", "price_each",
            "sale_price", "item_price",
        ],
        "discount": [
            "折扣金额", "优惠金额", "优惠", "减免金额", "让利金额", "折让金额", "discount",
            "discount_amount",
        ],
        "product_id": [
            "商品编码", "商品编号", "商品代码", "商品ID", "产品编码", "产品编号", "产品代码", "货号", "物料编码",
            "物料编号", "存货编码", "药品编码", "条码", "商品条码", "StockCode", "SKU", "product_id",
            "item_id", "item_code", "product_code", "barcode",
        ],
        "product_name": [
            "商品名称", "商品名", "产品名称", "产品名", "品名", "药品名称", "物料名称", "存货名称",
            "Description", "product_name", "item_name", "product", "item",
        ],
        "country": ["国家", "国家/地区", "国别", "Country", "country_name"],
    },
    "customers": {
        "customer_id": [],  # filled from orders below: the same spellings
        "name": [
            "客户名称", "客户姓名", "客户名", "姓名", "名称", "公司名称", "企业名称", "单位名称", "公司",
            "会员名称", "会员姓名", "顾客姓名", "客户", "name", "customer_name", "client_name",
            "company", "company_name", "full_name",
        ],
        "phone": [
            "联系电话", "手机", "手机号", "手机号码", "电话", "电话号码", "联系方式", "联系手机", "移动电话",
            "联系人电话", "mobile", "phone", "tel", "telephone", "cellphone", "mobile_phone",
            "phone_number", "mobile_no", "contact_phone",
        ],
        "email": [
            "电子邮箱", "邮箱", "电子邮件", "邮件", "邮箱地址", "邮件地址", "email", "e-mail", "mail",
            "email_address",
        ],
        "industry": [
            "所属行业", "行业", "行业类别", "行业分类", "行业类型", "industry", "sector",
        ],
        "province": [
            "省份", "省", "所在省份", "所属省份", "省/直辖市", "省市", "province", "state",
        ],
        "city": ["城市", "所在城市", "所属城市", "市", "地市", "city"],
        "region": [
            "大区", "所属大区", "区域", "所属区域", "地区", "销售大区", "region", "area", "sales_region",
        ],
        "company_size": [
            "企业规模", "公司规模", "客户规模", "规模", "人员规模", "company_size", "size",
            "business_size", "scale",
        ],
        "customer_type": [
            "客户类型", "客户类别", "客户性质", "客户分类", "会员类型", "类型", "customer_type",
            "client_type", "type",
        ],
        "owner": [
            "客户经理", "负责人", "销售负责人", "跟进人", "归属销售", "所属销售", "业务员", "销售代表",
            "销售", "维护人", "owner", "account_manager", "sales_rep", "salesperson",
        ],
        "register_date": [
            "注册日期", "注册时间", "开户日期", "建档日期", "建档时间", "入会日期", "入会时间", "创建日期",
            "创建时间", "签约日期", "register_date", "registration_date", "signup_date",
            "join_date", "created_at", "created", "create_time",
        ],
        "birthday": [
            "生日", "出生日期", "出生年月日", "birthday", "birth_date", "date_of_birth", "dob",
        ],
        "preferred_channel": [
            "偏好渠道", "首选渠道", "常用渠道", "偏好联系方式", "偏好触达渠道", "偏好沟通渠道",
            "preferred_channel", "channel_preference",
        ],
        "marketing_consent": [
            "是否同意营销", "营销授权", "同意接收营销", "同意营销", "营销同意", "是否授权营销", "是否授权",
            "接收营销信息", "是否接收营销", "consent", "marketing_consent", "opt_in", "optin",
            "accepts_marketing",
        ],
        "unsubscribed": [
            "是否退订", "退订", "已退订", "退订状态", "unsubscribed", "unsubscribe", "opt_out",
            "optout",
        ],
        "referrals": [
            "推荐人数", "推荐客户数", "推荐数", "转介绍数", "转介绍人数", "转介绍客户数", "referrals",
            "referral_count", "referred",
        ],
        "stated_total_spend": [
            "累计消费", "累计消费金额", "累计消费额", "历史消费", "历史消费金额", "累计金额",
            "累计购买金额", "累计交易额", "累计交易金额", "消费总额", "total_spend", "total_spent",
            "lifetime_value", "ltv", "cumulative_spend",
        ],
    },
    "interactions": {
        "customer_id": [],
        "date": [
            "互动日期", "互动时间", "发生日期", "发生时间", "记录时间", "记录日期", "触达时间", "触达日期",
            "发送时间", "事件时间", "行为时间", "操作时间", "访问时间", "日期", "时间", "date", "time",
            "datetime", "timestamp", "event_time", "event_date", "interaction_date", "created_at",
        ],
        "type": [
            "互动类型", "行为类型", "事件类型", "操作类型", "记录类型", "互动方式", "行为", "事件", "动作",
            "类型", "type", "event", "event_type", "action", "interaction_type", "activity_type",
        ],
        "channel": [
            "触达渠道", "互动渠道", "沟通渠道", "发送渠道", "渠道", "channel", "medium",
        ],
        "campaign_id": [
            "活动编号", "活动ID", "活动代码", "活动名称", "活动", "营销活动", "campaign", "campaign_id",
            "campaign_name", "activity_id",
        ],
    },
    "surveys": {
        "customer_id": [],
        "date": [
            "调查日期", "调查时间", "回访日期", "回访时间", "提交时间", "提交日期", "填写时间", "评价时间",
            "评价日期", "日期", "时间", "date", "survey_date", "response_date", "submitted_at",
        ],
        "score": [
            "满意度评分", "满意度", "满意度得分", "评分", "星级", "评价星级", "打分", "分数", "得分",
            "满意程度", "score", "rating", "csat", "satisfaction", "stars",
        ],
        "comment": [
            "评价内容", "评价", "意见", "意见建议", "评论", "反馈", "反馈内容", "留言", "备注", "comment",
            "comments", "feedback", "remark", "review",
        ],
        "churn_reason": [
            "流失原因", "不满意原因", "未续约原因", "离开原因", "原因", "churn_reason", "reason",
            "loss_reason",
        ],
    },
}
for _table in ("customers", "interactions", "surveys"):
    ALIASES[_table]["customer_id"] = list(ALIASES["orders"]["customer_id"])
ALIASES["order_lines"] = {
    column: list(ALIASES["orders"][column]) for column in TABLES["order_lines"]
    if column != "status"
}
ALIASES["order_lines"]["status"] = ["明细状态", "行状态", "状态", "line_status", "status"]
ALIASES["payments"] = {
    "order_id": list(ALIASES["orders"]["order_id"]),
    "amount": [
        "支付金额", "付款金额", "实付金额", "收款金额", "实收金额", "到账金额", "payment_value",
        "payment_amount", "paid_amount", "amount_paid",
    ],
    "channel": ["支付方式", "付款方式", "收款方式", "支付渠道", "payment_type", "payment_method"],
}

# Bracketed notes are dropped ("累计消费(元)", "满意度（1-5）") unless they change the scale:
# "金额(万元)" must not silently become an amount in 元.
_BRACKETS = re.compile(r"[(\[【<《{]([^)\]】>》}]*)[)\]】>》}]")
_SCALE_WORDS = re.compile(r"[万千百亿]|^k$|thousand|million")
_UNIT_SUFFIX = re.compile(r"/(元|rmb|cny|¥)$")
_PUNCT = re.compile(r"[\s_\-.:：/\\·'\"“”‘’*#?？!！,，;；()\[\]【】<>《》{}]")


def normalise_header(text) -> str:
    """The form headers are compared in: half-width, lower-case, no spaces, punctuation or units.

    Examples
    --------
    >>> normalise_header(" 累计消费（元） "), normalise_header("Customer_ID"), normalise_header("金额¥")
    ('累计消费', 'customerid', '金额')
    >>> normalise_header("金额(万元)")
    '金额万元'
    """
    s = unicodedata.normalize("NFKC", "" if text is None else str(text)).strip().lower()
    dropped = _BRACKETS.sub(lambda m: m.group(0) if _SCALE_WORDS.search(m.group(1)) else "", s)
    s = dropped if dropped.strip() else s  # "【实付金额】": the brackets hold the name itself
    s = _UNIT_SUFFIX.sub("", s)
    s = s.replace("¥", "").replace("$", "")
    return _PUNCT.sub("", s)


def alias_index(table: str, column_map: dict | None = None) -> dict[str, tuple[str, int]]:
    """Normalised header -> (canonical column, rank) for ``table``; lower rank wins a tie.

    ``column_map`` maps a user header to a canonical name (rank -1, so it beats every alias),
    to ``"table.column"`` to apply in one table only, or to ``None``/``""`` to ignore the
    header. A target that is not a column of ``table`` leaves the built-in aliases alone.
    """
    index = dict(_builtin_index(table))
    for header, target in (column_map or {}).items():
        key = normalise_header(header)
        if target is None or str(target).strip() == "":
            index.pop(key, None)
            continue
        target_table, _, column = str(target).strip().rpartition(".")
        if target_table in ("", table) and column in TABLES[table]:
            index[key] = (column, -1)
    return index


@functools.cache
def _builtin_index(table: str) -> dict[str, tuple[str, int]]:
    index: dict[str, tuple[str, int]] = {}
    for column, spellings in ALIASES[table].items():
        for rank, spelling in enumerate(spellings):
            index.setdefault(normalise_header(spelling), (column, rank))
    return index


def canonical_for(header, table: str, column_map: dict | None = None) -> str | None:
    """The canonical column of ``table`` a header names, or ``None``.

    Examples
    --------
    >>> canonical_for("实付金额（元）", "orders"), canonical_for("cust_no", "surveys")
    ('amount', 'customer_id')
    >>> canonical_for("成交额", "orders", {"成交额": "amount"})
    'amount'
    """
    return alias_index(table, column_map).get(normalise_header(header), (None, 0))[0]
