"""Words the cleaning step recognises in users' exports: order statuses, totals rows, company
names and sizes, interaction types and channels.

These are what users' files say, not what the kit says (its labels are in analysis/vocab/), so
they stay the same whatever the report's language. Patterns are regular expressions; the
``(code, pattern)`` lists are tried in order and name the kit's own category by a code whose
label is ``clean.<area>.<code>`` in analysis/vocab/clean.yml — except the interaction kinds,
which are stored words (:data:`INTERACTION_KINDS`).
"""

from __future__ import annotations

__all__ = [
    "CANCELLED_STATUS", "RETURN_STATUS", "CANCELLATION_MARK", "TOTALS_ROW",
    "COMPANY_SUFFIXES", "COMPANY_NAME_PUNCTUATION", "ORGANISATION_WORDS", "LOOKUP_PUNCTUATION",
    "CITY_SUFFIXES", "COMPANY_SIZE_WORDS", "MESSAGE_EVENT_WORDS", "MESSAGE_CHANNEL_WORDS",
    "INTERACTION_KIND_WORDS", "INTERACTION_KINDS",
]

# ---------------------------------------------------------------- orders

# An order status saying the order was cancelled (matched anywhere, any case).
CANCELLED_STATUS = r"取消|作废|撤销|cancel|void"

# An order status saying the order was returned or refunded (退货, 已退款 …).
RETURN_STATUS = r"退|return|refund"

# A cancellation mark in front of an order number: C536379, 退123, 作废-123.
CANCELLATION_MARK = r"^(?:[Cc]|退|作废)-?\d"

# A cell holding only a totals word: the row a spreadsheet added under the data.
TOTALS_ROW = r"^\s*(?:合计|總計|总计|合計|小计|小計|总和|total|grand\s*total|sum|subtotal)\s*[:：]?\s*$"

# ---------------------------------------------------------------- customers

# Legal-form suffixes dropped from a company name before names are compared.
COMPANY_SUFFIXES = r"(集团)?(股份有限公司|有限责任公司|有限公司|股份公司|集团公司|公司|集团)$"

# Brackets, spaces and punctuation dropped from a company name before names are compared.
COMPANY_NAME_PUNCTUATION = r"[()\[\]【】\s·.,，、]"

# A customer name holding one of these is an organisation, so the same name means the same
# customer (two people may share a name; two companies may not).
ORGANISATION_WORDS = r"公司|集团|厂|店|中心|研究院|事务所"

# Spaces and separators ignored when an industry spelling is looked up.
LOOKUP_PUNCTUATION = r"[\s_\-/、,，()（）]"

# Endings dropped from a city name before it is looked up (杭州市 -> 杭州).
CITY_SUFFIXES = r"(市|地区|自治州|盟)$"

# Company-size words -> size code (clean.size.<code>). Every pattern is tried and a later
# match wins: 个人 beats 大型, which beats 中小 (a value such as 大中型 counts as large).
COMPANY_SIZE_WORDS = (
    ("sme", r"小|中|sme|small|medium"),
    ("large", r"大|集团|上市|large|enterprise"),
    ("individual", r"个人|个体|自然人|person|individual"),
)

# ---------------------------------------------------------------- interactions

# Interaction-type words of a campaign message -> event (sent / opened / clicked are codes
# stored as they are). The first listed wins: 点击 in a type also containing 发送 is a click.
MESSAGE_EVENT_WORDS = (
    (r"点击|click", "clicked"),
    (r"打开|阅读|open", "opened"),
    (r"发送|送达|触达|send|deliver", "sent"),
)

# Words in an interaction's type or channel -> message channel code (clean.channel.<code>);
# the first match wins.
MESSAGE_CHANNEL_WORDS = (
    (r"邮件|email|mail", "email"),
    (r"短信|sms", "sms"),
    (r"企微|企业微信|wecom", "wecom"),
)

# The kind of each contact, as stored in the interactions table's ``kind`` column: kind code ->
# word. No one reads these (the cross-analysis counts contacts by them and nothing shows them),
# so they are data, not labels: the same in every language, and every step that compares
# against a kind imports it from here.
INTERACTION_KINDS = {
    "message": "消息",      # a campaign message; its event is sent / opened / clicked
    "complaint": "投诉",
    "inquiry": "咨询",
    "event": "活动参与",
    "browsing": "浏览",
    "other": "其他",
}

# Interaction-type words -> kind code (INTERACTION_KINDS), tried in order after the message
# events; a type matching none is kind "other".
INTERACTION_KIND_WORDS = (
    ("complaint", r"投诉"),
    ("inquiry", r"咨询"),
    ("event", r"活动|参会|参与"),
    ("browsing", r"浏览|访问|查看"),
)
