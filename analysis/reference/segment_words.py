"""Words the segmentation and cross-analysis steps recognise in the cleaned interaction log.

The ``kind`` column of the interactions table says what each contact was; cleaning
(:func:`analysis.steps.clean.clean_interactions`) writes it from the type words of users'
exports. :mod:`analysis.steps.cross` counts contacts by these words, so they must stay the
ones cleaning writes, whatever the report's language.
"""

from __future__ import annotations

__all__ = ["KIND_COUNTS", "MESSAGE_KIND", "COMPLAINT_KIND"]

# A contact's kind -> the per-customer count it adds to (interaction_features).
KIND_COUNTS = {"咨询": "inquiries", "投诉": "complaints", "活动参与": "events", "浏览": "page_views"}
# Campaign messages: counted by their ``event`` (sent / opened / clicked) instead.
MESSAGE_KIND = "消息"
# Complaints, counted per tier next to the churn reasons.
COMPLAINT_KIND = "投诉"
