"""Tests of the synthetic sample generator (analysis/sample/synth.py).

Every check parses the generated tables the way an outsider would (regexes, pandas
parsers), never through synth's internals. The dirt rates are implemented as exact counts
(``round(rate × rows)`` rows drawn at random), so where a kind of dirt is detectable
without ambiguity the test asserts that exact count; statistical shapes (seasonality,
churn, open rates) get tolerances several standard errors wide at the size used.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import openpyxl
import pandas as pd
import pytest

from analysis.sample import synth
from analysis.errors import KitError
from analysis.config import DATA_RAW_DIR
from analysis.sample.synth import generate_sample, write_sample

END = pd.Timestamp("2026-10-31")
CANONICAL_INDUSTRIES = {"制造业", "信息技术", "批发零售", "建筑业", "金融业", "教育", "医疗卫生",
                        "住宿餐饮", "交通物流"}
EAST = {"上海市", "江苏省", "浙江省", "安徽省", "福建省", "江西省", "山东省", "台湾省"}
MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-[2-8]\d{6,7}$")


def _n(rate, rows):
    """Exact count the generator promises: rate × rows rounded half up."""
    return int(np.floor(rate * rows + 0.5))


def parse_dates(s: pd.Series) -> pd.Series:
    out = pd.to_datetime(s, format="%Y-%m-%d %H:%M:%S", errors="coerce")
    for fmt in ("%Y/%m/%d", "%Y%m%d", "%Y年%m月%d日"):
        out = out.fillna(pd.to_datetime(s, format=fmt, errors="coerce"))
    return out


def parse_amounts(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s.str.replace(r"[¥,元]", "", regex=True), errors="coerce")


def normalise_phone(s: pd.Series) -> pd.Series:
    digits = s.str.replace(r"\D", "", regex=True)
    return digits.where(~(digits.str.len().eq(13) & digits.str.startswith("86")),
                        digits.str.slice(2))


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def clean_default():
    return generate_sample(dirty=False)


@pytest.fixture(scope="module")
def dirty_medium():
    # Big enough that 0.05% of orders is 10 rows.
    return generate_sample(n_customers=1000, n_orders=20000, seed=7)


@pytest.fixture(scope="module")
def written_small(tmp_path_factory):
    out = tmp_path_factory.mktemp("small")
    return write_sample(out, n_customers=200, n_orders=3000)


def _base_orders(orders: pd.DataFrame) -> pd.DataFrame:
    """The dirty orders without the totals row and the exact duplicate rows."""
    assert orders.iloc[-1]["订单编号"] == "合计"
    return orders.iloc[:-1].drop_duplicates()


# --------------------------------------------------------------------------- determinism
def test_same_arguments_give_byte_identical_files(written_small, tmp_path):
    again = write_sample(tmp_path, n_customers=200, n_orders=3000)
    assert [p.name for p in again] == [p.name for p in written_small]
    for a, b in zip(written_small, again):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_other_seed_gives_other_files(written_small, tmp_path):
    other = write_sample(tmp_path, n_customers=200, n_orders=3000, seed=1)
    for a, b in zip(written_small, other):
        assert a.read_bytes() != b.read_bytes(), a.name


def test_dirty_and_clean_share_the_business():
    clean = generate_sample(200, 3000, seed=3, dirty=False)
    dirty = generate_sample(200, 3000, seed=3, dirty=True)
    base = _base_orders(dirty["orders"])
    # Same categories and channels row for row (order ids follow time in both).
    assert base["产品类别"].tolist() == clean["orders"]["产品类别"].tolist()
    assert base["购买渠道"].tolist() == clean["orders"]["购买渠道"].tolist()


# --------------------------------------------------------------------------- structure
def test_exactly_n_orders_base_rows():
    clean = generate_sample(200, 3000, dirty=False)
    assert len(clean["orders"]) == 3000
    assert clean["orders"]["订单编号"].is_unique
    dirty = generate_sample(200, 3000, dirty=True)
    # base rows + exact duplicates (0.5% of 3000 = 15) + the totals row
    assert len(dirty["orders"]) == 3000 + 15 + 1
    assert len(_base_orders(dirty["orders"])) == 3000


def test_every_order_customer_exists():
    clean = generate_sample(200, 3000, dirty=False)
    assert set(clean["orders"]["客户编号"]) <= set(clean["customers"]["客户编号"])
    assert clean["customers"]["客户编号"].is_unique
    for table, col in (("interactions", "客户ID"), ("surveys", "客户编号")):
        assert set(clean[table][col]) <= set(clean["customers"]["客户编号"])
    dirty = generate_sample(200, 3000, dirty=True)
    ids = _base_orders(dirty["orders"])["客户编号"].dropna()
    assert set(ids) <= set(dirty["customers"]["客户编号"])
    assert set(dirty["interactions"]["客户ID"]) <= set(dirty["customers"]["客户编号"])


def test_registration_precedes_each_ids_first_order(dirty_medium):
    cust = dirty_medium["customers"].set_index("客户编号")
    base = _base_orders(dirty_medium["orders"])
    when = parse_dates(base["下单时间"]).dt.normalize()
    first = when.groupby(base["客户编号"]).min()
    registered = pd.to_datetime(cust["注册日期"], format="%Y-%m-%d")
    assert (registered.reindex(first.index) <= first).all()
    # ids follow registration order
    assert registered.is_monotonic_increasing


def test_headers_are_the_crm_export_headers(written_small):
    by_name = {p.name: p for p in written_small}
    assert set(by_name) == {"客户档案.csv", "订单明细.csv", "互动记录.xlsx", "满意度调查.csv"}
    cust = pd.read_csv(by_name["客户档案.csv"], encoding="gbk", dtype=str)
    assert list(cust.columns) == ["客户编号", "客户名称", "联系电话", "电子邮箱", "所属行业", "省份",
                                  "城市", "企业规模", "客户类型", "客户经理", "注册日期", "生日",
                                  "偏好渠道", "是否同意营销", "是否退订", "推荐人数", "累计消费(元)"]
    orders = pd.read_csv(by_name["订单明细.csv"], encoding="utf-8", dtype=str)
    assert list(orders.columns) == ["订单编号", "客户编号", "下单时间", "实付金额", "产品类别",
                                    "购买渠道", "毛利", "订单状态"]
    surveys = pd.read_csv(by_name["满意度调查.csv"], encoding="utf-8-sig", dtype=str)
    assert list(surveys.columns) == ["客户编号", "调查日期", "满意度评分", "评价内容", "流失原因"]


def test_encodings(written_small):
    by_name = {p.name: p for p in written_small}
    raw = by_name["客户档案.csv"].read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert raw.decode("gbk").startswith("客户编号,客户名称,")
    orders = by_name["订单明细.csv"].read_bytes()
    assert not orders.startswith(b"\xef\xbb\xbf")
    assert orders.decode("utf-8").startswith("订单编号,")
    surveys = by_name["满意度调查.csv"].read_bytes()
    assert surveys.startswith(b"\xef\xbb\xbf")


def test_xlsx_has_title_row_before_header(written_small):
    path = next(p for p in written_small if p.suffix == ".xlsx")
    ws = openpyxl.load_workbook(path).active
    rows = list(ws.iter_rows(min_row=1, max_row=3, values_only=True))
    assert rows[0][0] == "互动记录导出（2022-11-01 至 2026-10-31）"
    assert [str(r) for r in ws.merged_cells.ranges] == ["A1:E1"]
    assert all(v is None for v in rows[1])
    assert list(rows[2]) == ["客户ID", "互动日期", "互动类型", "触达渠道", "活动编号"]
    dates = [r[1] for r in ws.iter_rows(min_row=4, values_only=True)]
    real = sum(isinstance(d, dt.datetime) for d in dates)
    assert len(dates) > 100
    assert real / len(dates) > 0.9
    assert all(isinstance(d, str) and re.fullmatch(r"\d{4}/\d{1,2}/\d{1,2}", d)
               for d in dates if not isinstance(d, dt.datetime))


def test_interactions_above_the_sheet_row_limit_go_on_to_more_sheets(tmp_path, monkeypatch):
    # Excel's limit (1,048,576 rows) made 40 so a small base crosses it: 3 rows of title,
    # blank and header leave 37 interactions per sheet.
    monkeypatch.setattr(synth, "_EXCEL_ROWS", 40)
    path = next(p for p in write_sample(tmp_path, n_customers=30, n_orders=300)
                if p.suffix == ".xlsx")
    expected = len(generate_sample(n_customers=30, n_orders=300)["interactions"])
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:2] == ["互动记录", "互动记录2"]
    counts = [ws.max_row - 3 for ws in wb.worksheets]
    assert sum(counts) == expected
    assert counts[:-1] == [37] * (len(counts) - 1) and 0 < counts[-1] <= 37
    for ws in wb.worksheets:
        assert [c.value for c in ws[3]] == ["客户ID", "互动日期", "互动类型", "触达渠道", "活动编号"]


def test_clean_mode_writes_plain_utf8_csv(tmp_path):
    paths = write_sample(tmp_path, n_customers=100, n_orders=1000, dirty=False)
    assert [p.name for p in paths] == ["客户档案.csv", "订单明细.csv", "互动记录.csv", "满意度调查.csv"]
    orders = pd.read_csv(paths[1], encoding="utf-8", dtype=str)
    assert len(orders) == 1000
    assert orders["下单时间"].str.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}").all()
    assert pd.to_numeric(orders["实付金额"], errors="coerce").notna().all()
    cust = pd.read_csv(paths[0], encoding="utf-8", dtype=str)
    assert cust["联系电话"].str.fullmatch(MOBILE.pattern[1:-1] + "|" + LANDLINE.pattern[1:-1]).all()
    assert cust["所属行业"].isin(CANONICAL_INDUSTRIES).all()
    assert normalise_phone(cust["联系电话"]).is_unique
    inter = pd.read_csv(paths[2], encoding="utf-8", dtype=str)
    assert inter["互动日期"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()


# --------------------------------------------------------------------------- dirt rates
def test_order_dirt_rates(dirty_medium):
    orders = dirty_medium["orders"]
    n = 20000
    base = _base_orders(orders)
    assert len(orders) - 1 - len(base) == _n(synth.DUPLICATE_ORDER_ROW_RATE, n)
    when = base["下单时间"]
    counts = {
        "slash": when.str.fullmatch(r"\d{4}/\d{1,2}/\d{1,2}").sum(),
        "compact": when.str.fullmatch(r"\d{8}").sum(),
        "chinese": when.str.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日").sum(),
    }
    for kind, rate in synth.DATE_FORMAT_RATES.items():
        assert counts[kind] == _n(rate, n), kind
    parsed = parse_dates(when)
    assert parsed.isna().sum() == _n(synth.BAD_DATE_RATE, n)
    assert (parsed > END + pd.Timedelta(days=1)).sum() == _n(synth.FUTURE_DATE_RATE, n)
    assert base["客户编号"].isna().sum() == _n(synth.MISSING_CUSTOMER_ID_RATE, n)

    amount = base["实付金额"]
    assert amount.str.fullmatch(r"-?¥\d{1,3}(,\d{3})*\.\d{2}").sum() == _n(synth.AMOUNT_YEN_RATE, n)
    assert amount.str.fullmatch(r"-?\d+(\.\d{1,2})?元").sum() == _n(synth.AMOUNT_YUAN_SUFFIX_RATE, n)
    value = parse_amounts(amount)
    assert value.isna().sum() == _n(synth.BAD_AMOUNT_RATE, n)

    status = base["订单状态"]
    assert set(status) == {"已完成", "退货", "已取消"}
    assert (status == "退货").sum() == _n(synth.RETURN_RATE, n)
    assert (status == "已取消").sum() == _n(synth.CANCEL_RATE, n)
    assert (value[status == "退货"].dropna() < 0).all()
    assert (value[status != "退货"].dropna() > 0).all()


def test_totals_row_sums_the_numeric_amounts(dirty_medium):
    orders = dirty_medium["orders"]
    total = orders.iloc[-1]
    body = orders.iloc[:-1]
    assert total.drop(["订单编号", "实付金额", "毛利"]).isna().all()
    assert float(total["实付金额"]) == pytest.approx(parse_amounts(body["实付金额"]).sum(), abs=0.01)
    assert float(total["毛利"]) == pytest.approx(pd.to_numeric(body["毛利"]).sum(), abs=0.01)


def test_customer_dirt_rates(dirty_medium):
    cust = dirty_medium["customers"]
    rows = len(cust)
    phone = normalise_phone(cust["联系电话"])
    is_mobile = phone.str.fullmatch(MOBILE.pattern[1:-1])
    dup_rows = (phone.duplicated() & is_mobile).sum()
    assert abs(dup_rows / rows - synth.DUPLICATE_CUSTOMER_RATE) <= 1 / rows
    invalid = ~is_mobile & ~cust["联系电话"].str.fullmatch(LANDLINE.pattern[1:-1])
    assert invalid.sum() == _n(synth.INVALID_PHONE_RATE, rows)
    assert cust["联系电话"].str.fullmatch(LANDLINE.pattern[1:-1]).sum() > 0.05 * rows

    assert cust["所属行业"].isna().sum() == _n(synth.MISSING_INDUSTRY_RATE, rows)
    assert cust["城市"].isna().sum() == _n(synth.MISSING_CITY_RATE, rows)
    assert cust["客户经理"].isna().sum() == _n(synth.MISSING_OWNER_RATE, rows)
    # E-mail is a draw per customer: 40% ± 3 standard errors.
    assert cust["电子邮箱"].isna().mean() == pytest.approx(1 - synth.EMAIL_RATE, abs=0.05)
    filled = cust["所属行业"].dropna()
    alias_share = (~filled.isin(CANONICAL_INDUSTRIES)).mean()
    assert alias_share == pytest.approx(synth.INDUSTRY_ALIAS_RATE, abs=0.01)
    assert (~filled.isin(CANONICAL_INDUSTRIES) & ~filled.isin(
        [a for v in synth.INDUSTRY_ALIASES.values() for a in v])).sum() == 0
    short = ~cust["省份"].str.contains(r"(?:省|市|自治区|特别行政区)$")
    assert short.sum() == _n(synth.PROVINCE_SHORT_NAME_RATE, rows)
    assert set(cust["是否同意营销"]) == {"是", "否"} and set(cust["是否退订"]) == {"是", "否"}


def test_duplicate_customers_are_the_same_customer_written_differently(dirty_medium):
    cust = dirty_medium["customers"]
    orders = _base_orders(dirty_medium["orders"])
    phone = normalise_phone(cust["联系电话"])
    groups = cust[phone.duplicated(keep=False) & phone.str.fullmatch(MOBILE.pattern[1:-1])] \
        .groupby(phone)
    assert groups.ngroups > 10
    with_orders = set(orders["客户编号"].dropna())
    both_buy = 0
    for _, g in groups:
        assert len(g) == 2
        assert g["联系电话"].nunique() == 2           # written differently
        assert g["客户名称"].nunique() == 2           # a name variant
        a, b = g["客户名称"].str.replace(r"[\s()（）]|集团|有限责任公司|股份有限公司|有限公司", "",
                                          regex=True)
        assert a.endswith(b) or b.endswith(a)       # same core name (city may be dropped)
        both_buy += g["客户编号"].isin(with_orders).all()
    assert both_buy / groups.ngroups > 0.9           # orders split between the two ids


def test_stated_spend_mismatches_exactly_the_stated_share(dirty_medium):
    cust = dirty_medium["customers"]
    base = _base_orders(dirty_medium["orders"])
    when = parse_dates(base["下单时间"])
    amount = parse_amounts(base["实付金额"])
    keep = (base["客户编号"].notna() & when.notna() & (when < END + pd.Timedelta(days=1))
            & amount.notna() & (base["订单状态"] != "已取消"))
    net = amount[keep].groupby(base["客户编号"][keep]).sum()
    stated = pd.to_numeric(cust.set_index("客户编号")["累计消费(元)"])
    off = (stated - net.reindex(stated.index, fill_value=0.0)).abs() > 0.005
    assert off.sum() == _n(synth.STATED_SPEND_MISMATCH_RATE, len(cust))


def test_interaction_text_dates_rate(dirty_medium):
    dates = dirty_medium["interactions"]["互动日期"]
    text = dates.map(lambda v: isinstance(v, str))
    assert text.sum() == _n(synth.INTERACTION_TEXT_DATE_RATE, len(dates))


# --------------------------------------------------------------------------- the business
def test_profile_shares(clean_default):
    cust = clean_default["customers"]
    assert cust["省份"].nunique() == 34
    assert cust["省份"].isin(EAST).mean() == pytest.approx(0.40, abs=0.03)
    assert (cust["所属行业"] == "制造业").mean() == pytest.approx(0.35, abs=0.03)
    assert (cust["企业规模"] == "中小企业").mean() == pytest.approx(0.60, abs=0.03)
    assert (cust["企业规模"] == "个人").mean() == pytest.approx(0.37, abs=0.04)
    assert cust["客户经理"].nunique() == 8
    assert (cust["是否同意营销"] == "是").mean() == pytest.approx(0.80, abs=0.03)
    assert (cust["是否退订"] == "是").mean() == pytest.approx(0.05, abs=0.015)


def test_at_least_five_strategic_accounts_at_default_size(clean_default):
    orders = clean_default["orders"]
    kept = orders[orders["订单状态"] != "已取消"]
    net = kept.groupby("客户编号")["实付金额"].sum()
    assert (net > synth.STRATEGIC_MIN_SPEND).sum() >= 5
    # ... and a heavy tail, not a flat base: the top 20% bring most of the revenue.
    top = net.sort_values(ascending=False)
    assert top.iloc[: len(top) // 5].sum() / top.sum() > 0.6


def test_seasonality_visible(clean_default):
    when = clean_default["orders"]["下单时间"].dt.normalize()
    daily = when.value_counts().reindex(pd.date_range("2022-11-01", END), fill_value=0)
    mean = daily.mean()
    d11 = daily[(daily.index.month == 11) & (daily.index.day <= 11)].mean()
    j618 = daily[(daily.index.month == 6) & (daily.index.day <= 18)].mean()
    sf = pd.concat([daily[pd.Timestamp(d): pd.Timestamp(d) + pd.Timedelta(days=6)]
                    for d in ("2023-01-22", "2024-02-10", "2025-01-29", "2026-02-17")]).mean()
    assert d11 > 1.3 * mean
    assert j618 > 1.2 * mean
    assert sf < 0.5 * mean


def test_lifecycles_give_new_and_lapsed_customers(clean_default):
    cust = clean_default["customers"].set_index("客户编号")
    orders = clean_default["orders"]
    g = orders.groupby("客户编号")["下单时间"]
    first, last = g.min(), g.max()
    assert (cust["注册日期"] <= first.reindex(cust.index).dt.normalize()).all()
    assert first.min() < pd.Timestamp("2023-11-01")          # ≥ 3 years of history
    recency = (END - last.dt.normalize()).dt.days
    assert 0.03 < (first > END - pd.Timedelta(days=90)).mean() < 0.12   # new customers
    assert 0.15 < (recency > 90).mean() < 0.45              # a meaningful minority lapses


def test_campaigns_reach_only_consenting_subscribed_customers(clean_default):
    cust = clean_default["customers"].set_index("客户编号")
    inter = clean_default["interactions"]
    sends = inter[inter["互动类型"] == "发送"]
    reached = cust.loc[sends["客户ID"].unique()]
    assert (reached["是否同意营销"] == "是").all() and (reached["是否退订"] == "否").all()
    assert sends["活动编号"].str.fullmatch(r"CMP-\d{4}-\d{2}-\w+").all()
    assert "CMP-2026-06-618" in set(sends["活动编号"])
    open_rate = (inter["互动类型"] == "打开").sum() / len(sends)
    click_rate = (inter["互动类型"] == "点击").sum() / len(sends)
    assert 0.20 <= open_rate <= 0.30
    assert 0.0 < click_rate < open_rate
    assert inter.loc[inter["互动类型"].isin(["咨询", "投诉", "活动参与", "浏览"]), "活动编号"].isna().all()


def test_complaints_and_low_scores_precede_churn(clean_default):
    orders, inter = clean_default["orders"], clean_default["interactions"]
    recency = (END - orders.groupby("客户编号")["下单时间"].max()).dt.days
    complaints = inter[inter["互动类型"] == "投诉"].groupby("客户ID").size() \
        .reindex(recency.index, fill_value=0)
    assert complaints[recency > 180].mean() > 1.5 * complaints[recency <= 60].mean()
    surveys = clean_default["surveys"]
    with_reason = surveys["流失原因"].notna()
    assert with_reason[surveys["满意度评分"] <= 2].mean() > 0.6
    assert with_reason[surveys["满意度评分"] >= 4].mean() < 0.1
    assert set(surveys["满意度评分"]) <= {1, 2, 3, 4, 5}


def test_cross_sell_signal_and_channel_lean(clean_default):
    orders = clean_default["orders"]
    bought = pd.crosstab(orders["客户编号"], orders["产品类别"]) > 0
    for a, b in (("设备", "耗材"), ("数码", "软件")):
        lift = (bought[a] & bought[b]).mean() / (bought[a].mean() * bought[b].mean())
        assert lift > 1.05, (a, b, lift)
    net = orders.groupby("客户编号")["实付金额"].sum()
    top = net[net >= net.quantile(0.8)].index
    offline = orders["购买渠道"] == "线下"
    assert offline[orders["客户编号"].isin(top)].mean() > offline[~orders["客户编号"].isin(top)].mean() + 0.1


def test_profit_is_margin_times_amount(clean_default):
    o = clean_default["orders"]
    done = o[o["订单状态"] == "已完成"]
    margin = done["毛利"] / done["实付金额"]
    assert margin.between(0.02, 0.9).all()
    assert (o.loc[o["订单状态"] == "已取消", "毛利"] == 0).all()


def test_rejects_fewer_orders_than_customers():
    with pytest.raises(KitError):
        generate_sample(n_customers=100, n_orders=50)


# --------------------------------------------------------------------------- the committed sample
def test_committed_sample_is_what_write_sample_produces(tmp_path):
    committed = sorted(p.name for p in DATA_RAW_DIR.iterdir())
    assert committed == sorted(synth.FILE_NAMES.values())        # nothing but data
    fresh = write_sample(tmp_path)
    for path in fresh:
        assert (DATA_RAW_DIR / path.name).read_bytes() == path.read_bytes(), path.name
    assert sum(p.stat().st_size for p in DATA_RAW_DIR.iterdir()) < 5_000_000
