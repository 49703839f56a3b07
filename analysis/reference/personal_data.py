"""How personal data shows in users' customer files: the words that tell an organisation from
a person, and a man from a woman — reference data for :mod:`analysis.outputs.privacy`, which
masks names by them.

What users' files say, not what the kit says: these stay the same whatever the report's
language (the masked labels themselves, ``A公司`` / ``*先生`` …, are in analysis/vocab/privacy.yml).
"""

from __future__ import annotations

__all__ = ["COMPANY_MARKERS", "MALE_MARKERS", "FEMALE_MARKERS", "MALE_TITLES", "FEMALE_TITLES"]

# A customer name containing one of these is an organisation; the last one found is kept in
# its alias (大**公司).
COMPANY_MARKERS = r"公司|集团|厂|店|中心|研究院|事务所|工作室|合作社|银行|医院|学校"

# A salutation or gender field that says the customer is a man …
MALE_MARKERS = r"男|先生"
# … or a woman (女, 女士). Checked after MALE_MARKERS, so it wins where both match.
FEMALE_MARKERS = r"女"

# A name that is a surname and a title (王先生, 李女士, 陈小姐): the title says the gender. Only
# at the end, so that a given name such as 志男 is not read as one.
MALE_TITLES = r"先生$"
FEMALE_TITLES = r"(?:女士|小姐)$"
