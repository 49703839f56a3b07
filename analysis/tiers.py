"""The tiers of this run and the part each plays, all from params (``tiers.rules`` and
``tiers.roles``): no tier name is spelled in code.

A company may rename, add or drop tiers in params; every table then follows: the order is
the rules' order, the last rule is the catch-all, and the roles say which tiers are served
as high-value accounts, which one holds the win-back (lapsed) customers, and which are
offered the sleeping-customer wake-up list.

Examples
--------
>>> roles = tier_roles({"tiers": {"rules": [{"tier": "A", "min_total_spend": 1}, {"tier": "B"}],
...     "roles": {"high_value": ["A"], "win_back": None, "sleeping": ["B"]}}})
>>> roles.order, roles.default, roles.high_value, roles.win_back
(('A', 'B'), 'B', ('A',), None)
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["TierRoles", "tier_roles"]


@dataclass(frozen=True)
class TierRoles:
    """Tier names in rule order and by role."""

    order: tuple[str, ...]        # how every table lists tiers: tiers.display_order
    default: str                  # the last rule's tier: every customer no rule claims
    high_value: tuple[str, ...]   # keep their tier when lapsed (flagged instead), VIP treatment
    win_back: str | None          # lapsed-customer tier whose win-back rate the loop measures
    sleeping: tuple[str, ...]     # offered the sleeping-customer wake-up list

    def rank(self, tier) -> int:
        """Position of ``tier`` in :attr:`order` (unknown tiers last), for sorting."""
        return self.order.index(tier) if tier in self.order else len(self.order)


def tier_roles(params: dict) -> TierRoles:
    """The :class:`TierRoles` of resolved params (the whole set, or its ``tiers`` section).

    Tables list tiers in ``tiers.display_order`` (most valuable first, as a manager reads
    them); tiers of the rules it does not name follow in rule order. The rules' own order is
    the order they are tested in, which need not read well (流失预警 must be tested before 潜力).
    """
    tiers = params.get("tiers", params)
    rule_order = [rule["tier"] for rule in tiers["rules"]]
    shown = [t for t in tiers.get("display_order", []) if t in rule_order]
    order = tuple(shown + [t for t in rule_order if t not in shown])
    roles = tiers["roles"]
    return TierRoles(order=order, default=rule_order[-1], high_value=tuple(roles["high_value"]),
                     win_back=roles.get("win_back"), sleeping=tuple(roles["sleeping"]))
