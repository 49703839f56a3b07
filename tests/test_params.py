"""Parameter merging and validation (analysis/params.py) and the run context (analysis/context.py)."""

import pandas as pd
import pytest

from analysis.errors import KitError, ParamsError
from analysis.context import RunContext
from analysis.params import merge_params, parse_as_of, parse_assignment, parse_month, resolve_params
from analysis.vocab import language


def _params_dir(tmp_path, base, month=None):
    (tmp_path / "base.yml").write_text(base, encoding="utf-8")
    if month is not None:
        (tmp_path / "2026-10.yml").write_text(month, encoding="utf-8")
    return tmp_path


def test_month_file_overrides_only_what_differs(tmp_path):
    d = _params_dir(tmp_path, "rfm:\n  window_months: 12\n  against: mean\n", "rfm:\n  window_months: 6\n")
    assert resolve_params("2026-10", params_dir=d) == {"rfm": {"window_months": 6, "against": "mean"}}
    assert resolve_params("2026-09", params_dir=d)["rfm"]["window_months"] == 12


def test_merge_order_base_month_file_then_set(tmp_path):
    d = _params_dir(tmp_path, "a:\n  x: 1\n  y: 1\n  z: 1\n", "a:\n  x: 2\n  y: 2\n")
    extra = tmp_path / "extra.yml"
    extra.write_text("a:\n  y: 3\n", encoding="utf-8")
    got = resolve_params("2026-10", extra, ["a.z=4"], params_dir=d)
    assert got == {"a": {"x": 2, "y": 3, "z": 4}}


def test_unknown_parameter_rejected_with_suggestion(tmp_path):
    d = _params_dir(tmp_path, "rfm:\n  window_months: 12\n", "rfm:\n  window_month: 6\n")
    with pytest.raises(ParamsError, match=r"2026-10.yml: 未知参数「rfm.window_month」.*rfm.window_months"):
        resolve_params("2026-10", params_dir=d)


def test_open_map_takes_user_keys_but_closed_map_does_not():
    base = {"input": {"column_map": {}, "data_dir": "x"}}
    assert merge_params(base, {"input": {"column_map": {"成交金额": "amount"}}})["input"]["column_map"] == {
        "成交金额": "amount"}
    with pytest.raises(ParamsError):
        merge_params(base, {"input": {"colum_map": {}}})


def test_type_mismatch_rejected():
    with pytest.raises(ParamsError, match="number"):
        merge_params({"rfm": {"window_months": 12}}, {"rfm": {"window_months": "twelve"}})
    # int and float are both numbers
    assert merge_params({"a": 0.2}, {"a": 1}) == {"a": 1}


def test_parse_assignment_reads_yaml_values():
    assert parse_assignment("rfm.window_months=6") == {"rfm": {"window_months": 6}}
    assert parse_assignment("kmeans.k_range=[2, 5]") == {"kmeans": {"k_range": [2, 5]}}
    with pytest.raises(ParamsError):
        parse_assignment("no_equals_sign")


@pytest.mark.parametrize("bad", ["2026-13", "2026/10", "26-10", "October", ""])
def test_bad_month_rejected(bad):
    with pytest.raises(KitError, match="YYYY-MM"):
        parse_month(bad)


def test_as_of_defaults_to_last_day_of_month():
    assert parse_as_of(None, "2024-02") == pd.Timestamp("2024-02-29")
    assert parse_as_of("", "2026-10") == pd.Timestamp("2026-10-31")
    assert parse_as_of("2026-10-15", "2026-10") == pd.Timestamp("2026-10-15")
    with pytest.raises(KitError):
        parse_as_of("15/10/2026", "2026-10")


def test_shipped_base_params_resolve_and_every_month_file_is_valid():
    resolved = resolve_params("2026-10")
    assert resolved["rfm"]["window_months"] == 12
    assert [r["tier"] for r in resolved["tiers"]["rules"]][-1] == "普通客户"


# ----------------------------------------------------------------------------- value checks

def _bad(tmp_path, text):
    path = tmp_path / "mine.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ParamsError) as err:
        resolve_params("2026-10", path)
    return str(err.value)


def test_negative_threshold_names_the_key_and_the_file(tmp_path):
    msg = _bad(tmp_path, "tiers:\n  churn_min_spend: -1\n")
    assert "mine.yml: 参数「tiers.churn_min_spend」应 ≥ 0" in msg


def test_tier_min_above_max_is_rejected(tmp_path):
    msg = _bad(tmp_path, "tiers:\n  rules:\n    - {tier: 战略客户, min_total_spend: 900000, max_total_spend: 500000}\n"
                         "    - {tier: 普通客户}\n")
    assert "mine.yml: 参数「tiers.rules.0」" in msg and "min_total_spend（900000）大于 max_total_spend（500000）" in msg


def test_wrong_type_and_bad_choice_reported_together(tmp_path):
    msg = _bad(tmp_path, "cleaning:\n  drop_exact_duplicates: sometimes\n  completeness_target: 1.5\n")
    assert "参数「cleaning.drop_exact_duplicates」应为以下之一" in msg
    assert "参数「cleaning.completeness_target」应 ≤ 1" in msg


def test_a_set_override_is_named_as_its_source():
    with pytest.raises(ParamsError, match=r"--set kmeans.k_range=\[8, 3\]: 参数「kmeans.k_range」.*下限 8 大于上限 3"):
        resolve_params("2026-10", None, ["kmeans.k_range=[8, 3]"])


def test_a_tier_rule_without_a_strategy_is_rejected(tmp_path):
    msg = _bad(tmp_path, "tiers:\n  rules:\n    - {tier: 铂金客户, min_total_spend: 100}\n    - {tier: 普通客户}\n"
                         "  display_order: [铂金客户, 普通客户]\n"
                         "  roles: {high_value: [铂金客户], win_back: null, sleeping: [普通客户]}\n")
    assert "铂金客户" in msg and "strategy.tiers" in msg


def test_tier_roles_must_name_tiers_of_the_rules(tmp_path):
    msg = _bad(tmp_path, "tiers:\n  roles: {high_value: [钻石客户], win_back: 流失预警客户, sleeping: [普通客户]}\n")
    assert "mine.yml: 参数「tiers」tiers.roles 或 tiers.display_order 中的层级不在 tiers.rules 里：钻石客户" in msg


def test_bad_value_on_the_command_line_exits_2_with_one_message(capsys, tmp_path):
    from analysis.cli import main

    code = main(["run", "--month", "2026-10", "--out", str(tmp_path / "out"),
                 "--set", "tiers.churn_min_spend=-1"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("错误: 参数有误：--set tiers.churn_min_spend=-1: 参数「tiers.churn_min_spend」应 ≥ 0")
    assert "Traceback" not in err


# ----------------------------------------------------------------------------- language

def test_messages_follow_the_run_language(tmp_path):
    with language("en"):
        with pytest.raises(ParamsError) as err:
            resolve_params("2026-10", None, ["tiers.churn_min_spend=-1"])
        assert str(err.value) == ('Parameter problems: --set tiers.churn_min_spend=-1: parameter '
                                  '"tiers.churn_min_spend": must be ≥ 0.0, got -1')
        with pytest.raises(ParamsError, match='Unknown parameter "rfm.window_monts" '
                                              r'\(did you mean "rfm.window_months"\?\)'):
            merge_params({"rfm": {"window_months": 12}}, {"rfm": {"window_monts": 6}})
        with pytest.raises(KitError, match=r'The month must be YYYY-MM \(e.g. 2026-10\), got "Oct"'):
            parse_month("Oct")
    with pytest.raises(KitError, match="月份格式应为 YYYY-MM"):   # and back
        parse_month("Oct")


def test_run_context_table_is_labelled_in_the_run_language(tmp_path):
    ctx = RunContext(month="2026-10", as_of=pd.Timestamp("2026-10-31"), data_dir=tmp_path,
                     out_dir=tmp_path, params={})
    assert ctx.describe().name == "本次运行"
    assert ctx.describe()["分析基准日"] == "2026-10-31"
    with language("en"):
        table = ctx.describe()
    assert table.name == "This run"
    assert list(table.index) == ["Month", "Analysis date", "Raw data folder", "Output folder"]


def test_a_threshold_may_be_a_position_where_the_default_is_a_number():
    resolved = resolve_params("2026-10", None, ["tiers.churn_days={quantile: 0.8}"])
    assert resolved["tiers"]["churn_days"] == {"quantile": 0.8}
    with pytest.raises(ParamsError, match="tiers.churn_days"):
        resolve_params("2026-10", None, ["tiers.churn_days={median: 0.8}"])


def test_a_yaml_syntax_error_names_the_file_and_its_line(tmp_path):
    d = _params_dir(tmp_path, "rfm:\n  window_months: 12\n", "rfm:\n  window_months: [6\nsegment: 1\n")
    with pytest.raises(ParamsError, match=r"2026-10\.yml 第3行"):
        resolve_params("2026-10", params_dir=d)


def test_params_read_with_the_fast_loader_equal_the_pure_python_reading():
    import yaml

    from analysis.config import PARAMS_DIR
    from analysis.params import load_yaml

    for path in sorted(PARAMS_DIR.glob("*.yml")):
        assert load_yaml(path) == yaml.safe_load(path.read_text(encoding="utf-8")), path.name
