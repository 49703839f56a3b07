"""Contact channels: the words exports and params use for a way to reach a customer.

A customer's stated preference (``customers.preferred_channel``) and a tier's channel in params
(``strategy.tiers.<tier>.channel``, e.g. 电话) are recognised by these words; what the kit then
writes is the channel's label in the run's language (``clean.channel.*`` and
``automation.channel.*`` in analysis/vocab). What users' files say, so these stay the same
whatever the report's language.
"""

from __future__ import annotations

__all__ = ["TOUCH_CHANNEL_WORDS"]

# Channel kind -> the words that name it (regular expression, case-insensitive), in the order
# they are tried: the first match wins, so 企业微信 is 企微, not 微信. Exports often put the
# purchase channel (线上/线下) in the preference column; it matches none: not a way to reach anyone.
TOUCH_CHANNEL_WORDS = {
    "wecom": "企微|企业微信|wecom",
    "wechat": "微信|wechat",
    "sms": "短信|sms",
    "email": "邮件|邮箱|e-?mail|mail",
    "phone": "电话|手机|phone|call",
}
