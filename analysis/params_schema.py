"""The typed schema of ``params/base.yml``: types, ranges and cross-field rules.

``base.yml`` is the one place defaults live: every field here is required (no defaults in
code), so a value missing from the merged set is an error, not a silent fallback. Unknown
keys are caught earlier, with a "did you mean", by :func:`analysis.params.merge_params`.

pydantic (v2) does the checking: it reports every problem at once with its path, which is
what a user editing a YAML file needs, and its models double as the reference of what each
parameter may hold. :func:`validate_params` turns its errors into one line per problem in the
run's language (``params.check.*`` in the vocabulary), naming the key and the file that set it.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import (BaseModel, ConfigDict, Field, ValidationError, WrapValidator, field_validator,
                      model_validator)

from analysis.errors import ParamsError
from analysis.steps.thresholds import POSITIONS
from analysis.vocab import text

__all__ = ["Params", "validate_params", "TIER_MEASURES"]

# What a tier rule may put a min_/max_ bound on (see segment.assign_tiers).
TIER_MEASURES = ("total_spend", "referral_rate", "repurchase_rate", "days_since_last",
                 "first_order", "orders")
_SHARES = ("referral_rate", "repurchase_rate")

Share = Annotated[float, Field(ge=0, le=1)]
NonNegative = Annotated[float, Field(ge=0)]
Positive = Annotated[float, Field(gt=0)]
Count = Annotated[int, Field(ge=0)]
PositiveInt = Annotated[int, Field(ge=1)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)


class Run(_Section):
    seed: Count
    language: Literal["zh", "en"]


class Input(_Section):
    data_dir: str
    files: dict[str, str | list[str]]
    column_map: dict[str, str | None]
    excel_sheet: str | None


class Cleaning(_Section):
    future_tolerance_days: Count
    dayfirst: bool | None
    industry_aliases: dict[str, str]
    max_order_amount: Positive
    drop_exact_duplicates: Literal["auto", "always", "never"]
    max_quarantine_share: Annotated[float, Field(gt=0, le=1)]
    completeness_target: Share


class Profiling(_Section):
    top_n: PositiveInt
    cohort_months: Annotated[int, Field(ge=1, le=120)]
    cohort_compare_month: PositiveInt
    min_cohort_size: PositiveInt

    @model_validator(mode="after")
    def _cohort_month_in_window(self):
        if self.cohort_compare_month >= self.cohort_months:
            raise ValueError(text("params.check.cohort_compare_month", k=self.cohort_compare_month,
                                  months=self.cohort_months))
        return self


class ValueBands(_Section):
    high: Share
    low: Share

    @model_validator(mode="after")
    def _fit(self):
        if self.high + self.low > 1:
            raise ValueError(text("params.check.value_bands", high=self.high, low=self.low))
        return self


class Rfm(_Section):
    window_months: Annotated[int, Field(ge=1, le=120)]
    high_low_against: Literal["mean", "median", "industry_mean"]
    value_bands: ValueBands


def _position_problem(param: str, value) -> str | None:
    """What is wrong with a threshold written as a mapping ({quantile: q} or {top_share: s}),
    or None when it is a valid position (see analysis/steps/thresholds.py)."""
    if not (isinstance(value, dict) and len(value) == 1 and next(iter(value)) in POSITIONS):
        return text("thresholds.check.not_threshold", param=param, value=repr(value))
    (kind, share), = value.items()
    if (isinstance(share, bool) or not isinstance(share, (int, float)) or share > 1
            or (share <= 0 if kind == "top_share" else share < 0)):
        return text(f"thresholds.check.{kind}_range", param=param, value=repr(share))
    return None


def _threshold(number_type):
    """A number of ``number_type`` (checked as usual, e.g. ≥ 0) or a position mapping."""
    def check(value, handler, info):
        if isinstance(value, dict):
            problem = _position_problem(info.field_name, value)
            if problem:
                raise ValueError(problem)
            return value
        return handler(value)
    return Annotated[number_type, WrapValidator(check)]


class TierRule(BaseModel):
    """One rule: ``tier`` plus any ``min_X`` / ``max_X`` bounds on :data:`TIER_MEASURES`, each
    a number or a position ``{quantile: q}`` / ``{top_share: s}``."""

    model_config = ConfigDict(extra="allow")
    tier: Annotated[str, Field(min_length=1)]

    @model_validator(mode="after")
    def _bounds(self):
        extra = dict(self.model_extra or {})
        problems = []
        for key, value in extra.items():
            bound, _, measure = key.partition("_")
            if bound not in ("min", "max") or measure not in TIER_MEASURES:
                problems.append(text("params.check.rule_unknown_condition", param=key,
                                     measures=", ".join(TIER_MEASURES)))
            elif not _is_number(value):
                problem = _position_problem(key, value)
                if problem:
                    problems.append(problem)
            elif value < 0:
                problems.append(text("params.check.rule_negative", param=key, value=value))
            elif measure in _SHARES and value > 1:
                problems.append(text("params.check.rule_share", param=key, value=value))
        for measure in TIER_MEASURES:
            low, high = extra.get(f"min_{measure}"), extra.get(f"max_{measure}")
            if _is_number(low) and _is_number(high) and low > high:
                problems.append(text("params.check.rule_min_above_max", measure=measure, low=low,
                                     high=high))
        if problems:
            raise ValueError(text("params.clause_separator").join(problems))
        return self


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _rule_list_problem(rules: list[TierRule]) -> str | None:
    """Repeated tier names, or conditions on the last (catch-all) rule; None when fine."""
    names = [r.tier for r in rules]
    if len(set(names)) != len(names):
        return text("params.check.tier_names_repeated", names=names)
    if rules[-1].model_extra:
        return text("params.check.last_rule_has_conditions", tier=names[-1])
    return None


class TierRolesModel(_Section):
    high_value: list[str]
    win_back: str | None
    sleeping: list[str]


class Tiers(_Section):
    rules: Annotated[list[TierRule], Field(min_length=1)]
    preset: Annotated[str, Field(min_length=1)]
    presets: dict[str, Annotated[list[TierRule], Field(min_length=1)]]
    display_order: list[str]
    roles: TierRolesModel
    churn_days: _threshold(PositiveInt)
    churn_min_spend: _threshold(NonNegative) | None
    max_share_warning: Annotated[float, Field(gt=0, le=1)]

    @model_validator(mode="after")
    def _last_rule_catches_all(self):
        names = [r.tier for r in self.rules]
        problem = _rule_list_problem(self.rules)
        if problem:
            raise ValueError(problem)
        if self.preset != "none":  # a preset's rules replace tiers.rules, under the same names
            if self.preset not in self.presets:
                raise ValueError(text("thresholds.check.preset_unknown", preset=self.preset,
                                      presets=text("list.separator").join(self.presets)))
            chosen = self.presets[self.preset]
            problem = _rule_list_problem(chosen)
            if problem:
                raise ValueError(problem)
            if [r.tier for r in chosen] != names:
                raise ValueError(text("thresholds.check.preset_tiers", preset=self.preset,
                                      preset_tiers=text("list.separator").join(r.tier for r in chosen),
                                      tiers=text("list.separator").join(names)))
        named = [*self.display_order, *self.roles.high_value, *self.roles.sleeping,
                 *([self.roles.win_back] if self.roles.win_back else [])]
        unknown = list(dict.fromkeys(t for t in named if t not in names))
        if unknown:
            raise ValueError(text("params.check.roles_unknown_tiers",
                                  tiers=text("list.separator").join(unknown)))
        return self


class Kmeans(_Section):
    k_range: Annotated[list[Annotated[int, Field(ge=2)]], Field(min_length=2, max_length=2)]
    extra_features: list[str]

    @field_validator("k_range")
    @classmethod
    def _ordered(cls, value):
        if value[0] > value[1]:
            raise ValueError(text("params.check.k_range_order", low=value[0], high=value[1]))
        return value


class Cross(_Section):
    alpha: Annotated[float, Field(gt=0, lt=1)]
    min_cramers_v: Share
    min_lift: NonNegative
    min_count: PositiveInt
    min_epsilon_squared: Share
    max_insights: Count


class Churn(_Section):
    model: Literal["mbgnbd", "bgnbd", "none"]
    time_unit_days: PositiveInt
    horizon_days: PositiveInt
    p_alive_threshold: Share
    value_basis: Literal["history", "clv", "none"]
    warn_top_share: Annotated[float, Field(gt=0, le=1)]
    warn_top_n: PositiveInt | None
    min_repeat_customers: Count
    clv_horizon_months: PositiveInt
    annual_discount_rate: Annotated[float, Field(ge=0, lt=1)]
    backtest_cutoff_days: PositiveInt
    verdict_min_customers: PositiveInt


class Crosssell(_Section):
    min_support: Share
    min_confidence: Share
    min_lift: NonNegative


class Automation(_Section):
    max_messages_per_day: PositiveInt
    send_window: Annotated[str, Field(pattern=r"^\d{2}:\d{2}-\d{2}:\d{2}$")]
    sleeping_days: PositiveInt
    sleeping_no_open_days: PositiveInt
    welcome_within_hours: PositiveInt
    birthday_days_before: Count
    birthday_lookahead_days: Count
    high_value_annual_spend: NonNegative
    negative_feedback_max_stars: Annotated[float, Field(ge=0, le=5)]
    survey_days_after_purchase: Count
    control_share: Annotated[float, Field(ge=0, lt=1)]
    control_salt: str
    control_exempt_tiers: list[str]


class Targets(_Section):
    reach: Share
    open: Share
    conversion: Share


class ClosedLoop(_Section):
    previous_dir: str
    targets: Targets
    review_open_below: Share


class TierStrategy(_Section):
    features: str
    strategy: str
    owner_role: str
    cycle: str
    next_action: str
    due_working_days: PositiveInt
    kpi: str
    offer: str
    channel: str
    content_key: str


class Strategy(_Section):
    holidays: list[dt.date]
    extra_workdays: list[dt.date]
    tiers: dict[str, TierStrategy]
    churn_flag_action: str
    max_calls_per_owner_per_day: PositiveInt


class Report(_Section):
    title: str


class Params(_Section):
    run: Run
    input: Input
    cleaning: Cleaning
    profiling: Profiling
    rfm: Rfm
    tiers: Tiers
    kmeans: Kmeans
    cross: Cross
    churn: Churn
    crosssell: Crosssell
    automation: Automation
    closed_loop: ClosedLoop
    strategy: Strategy
    report: Report

    @model_validator(mode="after")
    def _tiers_have_strategies(self):
        missing = [r.tier for r in self.tiers.rules if r.tier not in self.strategy.tiers]
        if missing:
            raise ValueError(text("params.check.tiers_without_strategy",
                                  tiers=text("list.separator").join(missing)))
        return self


def _where(loc: tuple, provenance: dict[str, str]) -> tuple[str, str]:
    """The dotted key of an error location and the file that set it (longest known prefix)."""
    parts = [str(p) for p in loc]
    key = ".".join(parts)
    for n in range(len(parts), 0, -1):
        source = provenance.get(".".join(parts[:n]))
        if source:
            return key, source
    return key, "base.yml"


# pydantic error type -> the vocabulary key of its message (params.check.<key>); the message
# templates take pydantic's context fields ({ge}, {expected}, {min_length} …).
_MESSAGES = {
    "greater_than_equal": "ge", "greater_than": "gt", "less_than_equal": "le", "less_than": "lt",
    "literal_error": "one_of", "missing": "missing", "extra_forbidden": "unknown",
    "int_type": "integer", "int_parsing": "integer", "int_from_float": "integer",
    "float_type": "number", "float_parsing": "number",
    "bool_type": "boolean", "bool_parsing": "boolean",
    "string_type": "text", "list_type": "list", "dict_type": "map",
    "date_from_datetime_parsing": "date", "date_parsing": "date", "date_type": "date",
    "string_pattern_mismatch": "time_window", "too_short": "too_short", "too_long": "too_long",
}


def validate_params(resolved: dict, provenance: dict[str, str] | None = None) -> Params:
    """Check the merged parameters; raise one :class:`ParamsError` listing every problem.

    ``provenance`` maps a dotted key to the file (or ``--set``) that set it last.

    Examples
    --------
    >>> from analysis.params import resolve_params
    >>> validate_params(resolve_params("2026-10")).rfm.window_months
    12
    """
    try:
        return Params.model_validate(resolved)
    except ValidationError as err:
        lines = []
        for problem in err.errors():
            loc = tuple(p for p in problem["loc"] if not str(p).startswith("function-after"))
            key, source = _where(loc, provenance or {})
            message_key = _MESSAGES.get(problem["type"])
            ctx = problem.get("ctx") or {}
            if problem["type"] == "value_error":
                message = str(ctx.get("error", problem["msg"]))
            elif message_key:
                template = text(f"params.check.{message_key}")
                try:
                    message = template.format(**ctx)
                except (KeyError, IndexError):
                    message = template
            else:
                message = problem["msg"]
            shown = ("" if problem["type"] in ("missing", "value_error")
                     else text("params.check.received", value=repr(problem.get("input"))))
            lines.append(text("params.check.line", source=source,
                              param=key or text("params.check.whole"), message=message,
                              shown=shown))
        raise ParamsError(text("params.check.summary",
                               problems=text("params.clause_separator").join(lines))) from None
