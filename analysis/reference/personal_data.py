"""How personal data shows in users' customer files: the words that tell an organisation from
a person, and a man from a woman — reference data for :mod:`analysis.outputs.privacy`, which
masks names by them.

What users' files say, not what the kit says: these stay the same whatever the report's
language (the masked labels themselves, ``A公司`` / ``*先生`` …, are in analysis/vocab/privacy.yml).
"""

from __future__ import annotations

__all__ = ["COMPANY_MARKERS", "MALE_MARKERS", "FEMALE_MARKERS"]

# A customer name containing one of these is an organisation: masked as a lettered company.
COMPANY_MARKERS = r"公司|集团|厂|店|中心|研究院|事务所|工作室|合作社|银行|医院|学校"

# A salutation or gender field (or the name itself, 王先生) that says the customer is a man …
MALE_MARKERS = r"男|先生"
# … or a woman (女, 女士). Checked after MALE_MARKERS, so it wins where both match.
FEMALE_MARKERS = r"女"
