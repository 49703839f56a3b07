"""The control group (analysis/steps/control.py): a stable, tier-balanced hold-out."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.config import PARAMS_DIR
from analysis.params import load_yaml
from analysis.steps.control import control_group, control_summary, customer_key
from analysis.tiers import tier_roles
from analysis.vocab import language

BASE = load_yaml(PARAMS_DIR / "base.yml")
ROLES = tier_roles(BASE)
SHARE, SALT = BASE["automation"]["control_share"], BASE["automation"]["control_salt"]
TIERS = list(ROLES.order)
KEY_ACCOUNTS = ROLES.order[0]


def _ids(n):
    return pd.Series([f"C{i:05d}" for i in range(n)])


def test_control_group_is_stable_across_calls_months_and_tier_changes():
    ids = _ids(5000)
    tiers = pd.Series(TIERS * 1000)
    first = control_group(ids, tiers, share=SHARE, salt=SALT)
    assert first.dtype == bool and first.index.equals(ids.index)
    assert first.equals(control_group(ids, tiers, share=SHARE, salt=SALT))
    # Next month: other customers around them, some tiers changed, another order.
    later = pd.concat([pd.Series(["N1", "N2"]), ids.iloc[::-1]], ignore_index=True)
    again = control_group(later, pd.Series([ROLES.default] * len(later)), share=SHARE, salt=SALT)
    assert again.iloc[2:].tolist() == first.iloc[::-1].tolist()
    # The salt draws a different group; an ID read back as a float is the same customer.
    assert not first.equals(control_group(ids, tiers, share=SHARE, salt="2027"))
    assert control_group(pd.Series([1001.0]), pd.Series(["x"]), share=SHARE, salt=SALT).iloc[0] == \
        control_group(pd.Series(["1001"]), pd.Series(["x"]), share=SHARE, salt=SALT).iloc[0]


def test_control_group_share_per_tier():
    # 1,000 customers per tier: the share is binomial, sd = sqrt(0.1 * 0.9 / 1000) = 0.0095, so
    # ±0.04 is over 4 sd per tier (and the hash is deterministic: no flaky reruns); overall,
    # 5,000 ids, sd 0.0042, ±0.015 is 3.5 sd.
    ids, tiers = _ids(5000), pd.Series(TIERS * 1000)
    held = control_group(ids, tiers, share=0.10, salt=SALT)
    assert abs(held.mean() - 0.10) < 0.015
    per_tier = held.groupby(tiers).mean()
    assert ((per_tier - 0.10).abs() < 0.04).all(), per_tier
    assert abs(control_group(ids, tiers, share=0.3, salt=SALT).mean() - 0.3) < 0.03
    assert not control_group(ids, tiers, share=0.0, salt=SALT).any()
    exempt = control_group(ids, tiers, share=0.10, salt=SALT, exempt_tiers=(KEY_ACCOUNTS,))
    others = tiers != KEY_ACCOUNTS
    assert not exempt[~others].any() and exempt[others].equals(held[others])


def test_control_group_rejects_a_bad_share_and_misaligned_tiers():
    from analysis.errors import KitError

    with pytest.raises(KitError, match="control_share"):
        control_group(_ids(3), pd.Series(["x"] * 3), share=1.0, salt=SALT)
    with pytest.raises(KitError, match="行数不一致"):
        control_group(_ids(3), pd.Series(["x"] * 2), share=SHARE, salt=SALT)
    with language("en"), pytest.raises(KitError, match="between 0 and 1"):
        control_group(_ids(3), pd.Series(["x"] * 3), share=-0.1, salt=SALT)


def test_customer_key_matches_ids_read_back_from_excel():
    assert [customer_key(v) for v in (1001.0, 1001, " 1001 ", "C01", 1001.5)] == \
        ["1001", "1001", "1001", "C01", "1001.5"]


def test_control_summary_counts_per_tier_in_the_runs_order():
    # 6 customers: the default tier 4 (1 held out), the key-account tier 2 (none), one unknown tier.
    tiers = pd.Series([ROLES.default] * 4 + [KEY_ACCOUNTS] * 2 + ["其他"])
    held = pd.Series([True, False, False, False, False, False, True])
    summary = control_summary(tiers, held, ROLES)
    assert summary.index.name == "客户层级"
    assert summary.index.tolist() == [KEY_ACCOUNTS, ROLES.default, "其他"]    # rule order, unknown last
    assert summary.columns.tolist() == ["客户数", "对照组", "对照组占比"]
    assert summary.loc[ROLES.default].tolist() == [4, 1, 0.25]
    assert summary.loc[KEY_ACCOUNTS].tolist() == [2, 0, 0.0] and summary.loc["其他"].tolist() == [1, 1, 1.0]
    with language("en"):
        english = control_summary(tiers, held, ROLES)
    assert english.columns.tolist() == ["Customers", "Control group", "Control share"]
    assert english.index.name == "Tier"


def test_control_group_draws_the_same_customers_as_the_per_id_hash():
    # Written down from the first implementation (one hashlib call per ID, issue 13 changed it
    # to hash each distinct ID once and read the digests as numbers together): the same
    # customers must stay held out, month after month.
    ids = [f"C{i:04d}" for i in range(1, 41)] + [" C0003 ", 1001.0, 1001, "1001", 77, "A-9", "张三"]
    held = control_group(pd.Series(ids, dtype=object), pd.Series(["x"] * len(ids)), share=0.2, salt="insight-kit")
    assert [i for i, h in zip(ids, held) if h] == ["C0002", "C0011", "C0012", "C0023", "C0027", "C0028", "C0029"]
    held = control_group(pd.Series(ids[:40]), pd.Series(["x"] * 40), share=0.5, salt="2027")
    assert [i for i, h in zip(ids, held) if h] == [
        "C0002", "C0003", "C0006", "C0008", "C0009", "C0011", "C0012", "C0013", "C0014", "C0015", "C0017",
        "C0018", "C0019", "C0021", "C0022", "C0023", "C0025", "C0030", "C0031", "C0033", "C0037"]
    # " C0003 " is C0003 (stripped), and the same draw whatever the ID's type.
    one = control_group(pd.Series([" C0003 ", "C0003"]), pd.Series(["x", "x"]), share=0.5, salt="2027")
    assert one.tolist() == [True, True]
    assert control_group(pd.Series([], dtype=object), pd.Series([], dtype=object), share=0.1, salt="s").empty
