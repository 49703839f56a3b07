"""Parameters: merge, validate, and the run context every notebook starts from.

``params/base.yml`` holds every tunable and is also the schema: an override naming a key
that base.yml does not have is rejected (papermill itself would only warn), except inside
maps whose default is ``{}`` (open maps such as ``input.column_map``).

Merge order: base.yml ← params/<YYYY-MM>.yml ← --params FILE ← --set KEY=VALUE.
"""

from __future__ import annotations

import calendar
import copy
import difflib
import re
from datetime import date
from pathlib import Path

import pandas as pd
import yaml

from analysis.config import PARAMS_DIR, PROJECT_ROOT
from analysis.errors import KitError, ParamsError
from analysis.vocab import text

__all__ = [
    "load_yaml", "merge_params", "resolve_params", "parse_month", "parse_as_of",
    "parse_assignment", "resolve_path", "merge_into", "leaf_keys",
]

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
# Maps with defaults that still take the user's own keys (a company may add a tier).
OPEN_MAPS = {"strategy.tiers"}


def parse_month(month: str) -> str:
    """Validate ``YYYY-MM`` and return it.

    Examples
    --------
    >>> parse_month("2026-10")
    '2026-10'
    """
    match = _MONTH.match(str(month).strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise KitError(text("params.error.month", value=month))
    return match.group(0)


def parse_as_of(as_of: str | None, month: str) -> pd.Timestamp:
    """The analysis date: ``as_of`` if given (YYYY-MM-DD), else the month's last day."""
    if not as_of:
        year, mon = map(int, month.split("-"))
        return pd.Timestamp(date(year, mon, calendar.monthrange(year, mon)[1]))
    try:
        return pd.Timestamp(date.fromisoformat(str(as_of).strip()))
    except ValueError:
        raise KitError(text("params.error.as_of", value=as_of)) from None


# libyaml's parser when PyYAML has it: the same safe subset, 10-30x faster than pure Python.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(path: str | Path) -> dict:
    """Read a YAML mapping; a missing file or a syntax error names the file and line."""
    path = Path(path)
    if not path.is_file():
        raise ParamsError(text("params.error.file_missing", path=path))
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = text("params.error.yaml_line", line=mark.line + 1) if mark else ""
        raise ParamsError(text("params.error.yaml", path=path, where=where,
                               problem=getattr(err, "problem", err))) from None
    except UnicodeDecodeError:
        raise ParamsError(text("params.error.not_utf8", path=path)) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ParamsError(text("params.error.not_a_map", path=path))
    return data


def _kind(value):
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, dict) and len(value) == 1 and set(value) <= {"quantile", "top_share"}:
        return "number"  # a threshold given as a position in the data (steps/thresholds.py)
    if isinstance(value, dict):
        return "map"
    if isinstance(value, list):
        return "list"
    return "text"


def merge_params(base: dict, override: dict, *, source: str = "", _path: str = "") -> dict:
    """Deep-merge ``override`` into a copy of ``base``, rejecting unknown keys.

    Examples
    --------
    >>> merge_params({"rfm": {"window_months": 12}}, {"rfm": {"window_months": 6}})
    {'rfm': {'window_months': 6}}
    """
    merged = copy.deepcopy(base)
    for key, value in (override or {}).items():
        dotted = f"{_path}.{key}" if _path else str(key)
        if key not in base:
            if _path and (base == {} or _path in OPEN_MAPS):
                merged[key] = copy.deepcopy(value)  # open map: user's own keys
                continue
            hint = difflib.get_close_matches(str(key), [str(k) for k in base], n=1)
            extra = text("params.error.did_you_mean",
                         param=(_path + "." if _path else "") + hint[0]) if hint else ""
            where = f"{source}: " if source else ""
            raise ParamsError(where + text("params.error.unknown", param=dotted, hint=extra))
        current = base[key]
        if isinstance(current, dict) and current and isinstance(value, dict):
            merged[key] = merge_params(current, value, source=source, _path=dotted)
        elif current is None or value is None or _kind(current) == _kind(value):
            merged[key] = copy.deepcopy(value)
        else:
            where = f"{source}: " if source else ""
            raise ParamsError(where + text("params.error.kind", param=dotted, kind=_kind(current),
                                           default=repr(current), value=repr(value)))
    return merged


def parse_assignment(assignment: str) -> dict:
    """``"rfm.window_months=6"`` -> ``{"rfm": {"window_months": 6}}`` (value read as YAML)."""
    if "=" not in assignment:
        raise ParamsError(text("params.error.assignment", value=assignment))
    key, raw = assignment.split("=", 1)
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    nested: dict = value
    for part in reversed([p for p in key.strip().split(".") if p]):
        nested = {part: nested}
    if not isinstance(nested, dict):
        raise ParamsError(text("params.error.assignment_key", value=assignment))
    return nested


def resolve_params(month: str, params_file: str | Path | None = None,
                   assignments: list[str] | tuple = (), *, params_dir: Path = PARAMS_DIR) -> dict:
    """Merge base.yml ← <month>.yml ← params_file ← assignments into one resolved dict."""
    base_path = params_dir / "base.yml"
    resolved = load_yaml(base_path)
    schema = copy.deepcopy(resolved)
    month_file = params_dir / f"{month}.yml"
    layers = []
    if month_file.is_file():
        layers.append((month_file.name, load_yaml(month_file)))
    if params_file:
        layers.append((str(params_file), load_yaml(params_file)))
    for assignment in assignments:
        layers.append((f"--set {assignment}", parse_assignment(assignment)))
    provenance = {key: base_path.name for key in leaf_keys(resolved)}
    for source, layer in layers:
        merge_params(schema, layer, source=source)  # validates against the schema
        resolved = merge_into(resolved, layer)
        provenance.update({key: source for key in leaf_keys(layer)})
    if Path(params_dir).resolve() == PARAMS_DIR.resolve():
        # Values, not only names and types: ranges, min ≤ max, choices (the kit's own base.yml;
        # a test's stand-in base is merged but not value-checked).
        from analysis.params_schema import validate_params
        validate_params(resolved, provenance)
    return resolved


def leaf_keys(tree: dict, prefix: str = ""):
    """Dotted keys of every value in a nested mapping, and of each map on the way."""
    for key, value in tree.items():
        dotted = f"{prefix}.{key}" if prefix else str(key)
        yield dotted
        if isinstance(value, dict):
            yield from leaf_keys(value, dotted)


def merge_into(resolved: dict, layer: dict) -> dict:
    out = copy.deepcopy(resolved)
    for key, value in layer.items():
        if isinstance(out.get(key), dict) and isinstance(value, dict):
            out[key] = merge_into(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def resolve_path(path: str | Path, base: Path = PROJECT_ROOT) -> Path:
    """``path`` made absolute: relative paths count from ``base`` (the project root by default)."""
    path = Path(path).expanduser()
    return path if path.is_absolute() else (base / path).resolve()
