"""Header spellings users' exports write, and the words in file and sheet names that hint at a
table — reference data for :mod:`analysis.intake.schema` and :mod:`analysis.intake.read`.

What users' files say, not what the kit says: these stay the same whatever the report's
language. Add a spelling here when a real export uses one the kit does not know (or map it
per run with ``input.column_map`` in params).
"""

from __future__ import annotations

import re

__all__ = [
    "ALIASES", "TABLE_NAME_HINTS", "NOTE_IN_BRACKETS", "SCALE_IN_NOTE", "UNIT_SUFFIX",
    "HEADER_PUNCTUATION", "SCALED_HEADER",
]

# table -> canonical column -> header spellings seen in real exports. Matching is exact after
# analysis.intake.schema.normalise_header (so "Customer ID", "customer_id" and "CUSTOMER-ID"
# are one entry).
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
            "订单状态", "交易状态", "单据状态", "状态", "退货状态", "售后状态", "status", "order_status",
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
del _table
# Order lines carry the orders table's spellings for the columns they share.
ALIASES["order_lines"] = {
    column: list(ALIASES["orders"][column])
    for column in ("order_id", "amount", "quantity", "unit_price", "discount", "category",
                   "product_id", "product_name")
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

# ----------------------------------------------------------------------------- normalising

# Bracketed notes are dropped ("累计消费(元)", "满意度（1-5）") unless they change the scale:
# "金额(万元)" must not silently become an amount in 元. Group 1 is the note.
NOTE_IN_BRACKETS = re.compile(r"[(\[【<《{]([^)\]】>》}]*)[)\]】>》}]")
# A note holding one of these scales the values (万元, k, thousand): it is kept in the header.
SCALE_IN_NOTE = re.compile(r"[万千百亿]|^k$|thousand|million")
# A unit written after a slash ("金额/元") says nothing the column name does not.
UNIT_SUFFIX = re.compile(r"/(元|rmb|cny|¥)$")
# Spaces and punctuation (half- and full-width) that headers differ by and mean nothing.
HEADER_PUNCTUATION = re.compile(r"[\s_\-.:：/\\·'\"“”‘’*#?？!！,，;；()\[\]【】<>《》{}]")

# A header naming a scale (金额(万元), 销售额千元): its values are never taken as amounts in 元
# by content alone (analysis.intake.read).
SCALED_HEADER = r"万|千|亿|百万|thousand|million"

# ----------------------------------------------------------------------------- file names

# Words in a file or sheet name that hint at a table. Columns decide; a hint breaks near-ties
# and lets intake say "this looks like the orders table, but …".
TABLE_NAME_HINTS = {
    "orders": ("订单", "销售", "交易", "成交", "流水", "order", "sales", "invoice", "transaction"),
    "customers": ("客户", "会员", "顾客", "档案", "customer", "member", "client", "crm"),
    "interactions": ("互动", "行为", "触达", "日志", "interaction", "event", "activity", "touch"),
    "surveys": ("调查", "满意度", "问卷", "评价", "回访", "survey", "csat", "feedback", "nps"),
    "order_lines": ("明细", "表体", "行项目", "line", "item", "detail"),
    "payments": ("支付", "付款", "收款", "payment"),
}
