"""The control group (SPEC §8): a stable hold-out, so each action can be compared with customers
who were left alone.

* :func:`control_group` — which customers are held out this month (the same ones every month).
* :func:`control_summary` — how many were held out per tier, in the run's tier order.
* :func:`customer_key` — a customer ID as the kit compares it (``1001.0`` read back from Excel
  is customer ``"1001"``); the closed loop and the staff-file merge match on it too.

Examples
--------
>>> control_group(pd.Series(["C001", "C002"]), pd.Series(["普通客户", "普通客户"]),
...               share=0.10, salt="insight-kit").dtype
dtype('bool')
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from analysis.errors import KitError
from analysis.tiers import TierRoles
from analysis.vocab import text

__all__ = ["control_group", "control_summary", "customer_key"]


def customer_key(value) -> str:
    """A customer ID as text, the way every comparison of the kit sees it: stripped, and a
    whole float (an ID Excel read back as a number) without its ``.0``.

    Examples
    --------
    >>> customer_key(1001.0), customer_key(" C01 "), customer_key(7)
    ('1001', 'C01', '7')
    """
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # an ID read back from Excel as 1001.0 is customer "1001"
    return str(value).strip()


def control_group(customer_ids: pd.Series, tiers: pd.Series, *, share: float, salt: str,
                  exempt_tiers: tuple[str, ...] = ()) -> pd.Series:
    """True for the customers held out as the control group (no outreach this month).

    Each ID is hashed with SHA-256 (``salt + ":" + id``) and the first 8 bytes read as a
    number in [0, 1); a customer is in the control group when it is below ``share``. The
    draw depends on nothing but the salt and the ID, so a customer stays in (or out) month
    after month, whatever their tier or the rest of the file; change ``salt`` to draw anew.
    Within every tier the share is ``share`` up to binomial noise (sd ≈ √(share·(1−share)/n)).

    Parameters
    ----------
    customer_ids : the IDs (any type; compared as text, so 1001 and "1001" are the same).
    tiers : each customer's tier, aligned with ``customer_ids`` (checked, and the name of the
        stratum the share holds in).
    share : the fraction held out, 0 ≤ share < 1 (params ``automation.control_share``).
    salt : params ``automation.control_salt``.
    exempt_tiers : tiers never held out (params ``automation.control_exempt_tiers``, e.g. the
        key-account tier whose dedicated account manager must not skip anyone); their
        customers are all False.

    Returns
    -------
    Series of bool, named ``control``, with the index of ``customer_ids``.

    Examples
    --------
    >>> ids = pd.Series([f"C{i:04d}" for i in range(1000)])
    >>> held = control_group(ids, pd.Series(["普通客户"] * 1000), share=0.10, salt="insight-kit")
    >>> int(held.sum())
    115
    """
    if not 0 <= share < 1:
        raise KitError(text("control_group.error.share", share=share))
    ids = pd.Series(customer_ids)
    if len(pd.Series(tiers)) != len(ids):
        raise KitError(text("control_group.error.lengths"))
    held = _draws(ids, salt) < share
    if exempt_tiers:
        held &= ~pd.Series(tiers).isin(list(exempt_tiers)).to_numpy()
    return pd.Series(held, index=ids.index, name="control")


def _draws(ids: pd.Series, salt: str) -> np.ndarray:
    """Each ID's number in [0, 1): the first 8 bytes of SHA-256(``salt:id``), big-endian, / 2**64.

    Each distinct ID is hashed once; the bytes are read as numbers all at once.

    >>> _draws(pd.Series(["C001", "C001"]), "insight-kit").round(6).tolist()
    [0.618785, 0.618785]
    """
    values = ids.astype(object)
    if pd.api.types.infer_dtype(values, skipna=False) != "string":
        values = values.map(customer_key)  # numbers or mixed: 1001 and 1001.0 are "1001"
    codes, distinct = pd.factorize(values, use_na_sentinel=False)
    prefix = f"{salt}:".encode("utf-8")
    digests = b"".join(hashlib.sha256(prefix + customer_key(v).encode("utf-8")).digest()[:8]
                       for v in distinct.tolist())
    # uint64 -> float64 rounds to nearest, as Python's int / float does; / 2**64 is exact.
    draws = np.frombuffer(digests, dtype=">u8").astype("float64") / 2.0 ** 64
    return draws[codes]


def control_summary(tiers: pd.Series, control: pd.Series, roles: TierRoles) -> pd.DataFrame:
    """Customers and hold-outs per tier: 客户数, 对照组, 对照组占比 (a fraction), indexed by
    客户层级 in the run's tier order (tiers no rule names last).

    Parameters
    ----------
    tiers : each customer's tier.
    control : :func:`control_group`, aligned with ``tiers``.
    roles : the run's :class:`~analysis.tiers.TierRoles` (the order of the rows).

    Examples
    --------
    >>> roles = TierRoles(("A", "B"), "B", ("A",), None, ("B",))
    >>> summary = control_summary(pd.Series(["B", "A", "B"]), pd.Series([True, False, False]), roles)
    >>> summary.columns.tolist(), summary.to_numpy().tolist()
    (['客户数', '对照组', '对照组占比'], [[1.0, 0.0, 0.0], [2.0, 1.0, 0.5]])
    """
    held = pd.Series(np.asarray(control, dtype=bool), index=pd.Series(tiers).index)
    table = held.groupby(pd.Series(tiers).to_numpy()).agg(["size", "sum", "mean"])
    table = table.loc[sorted(table.index, key=lambda t: (roles.rank(t), str(t)))]
    table.columns = [text("control_group.column.customers"), text("control_group.column.held_out"),
                     text("control_group.column.share")]
    return table.rename_axis(text("control_group.column.tier"))
