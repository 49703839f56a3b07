"""This run's resolved thresholds in ``params_resolved.yml``.

The batch runner writes ``params_resolved.yml`` before the notebooks run, when the tier
thresholds written as positions (``{top_share: 0.01}``) are not known yet; notebook 03 resolves
them on the run's customers and appends them here as a ``resolved_thresholds:`` section, in the
shape of the ``tiers`` params (rules, churn_days, churn_min_spend in 元 / days), so a user can
read what this run applied and copy it into a month file to freeze it.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from analysis.steps.thresholds import ResolvedTiers
from analysis.vocab import text

__all__ = ["SECTION", "append_resolved_thresholds"]

SECTION = "resolved_thresholds"


def append_resolved_thresholds(path: str | Path, resolved: ResolvedTiers) -> bool:
    """Append (or replace) the ``resolved_thresholds:`` section at the end of the
    ``params_resolved.yml`` at ``path``; False, and nothing written, when the file does not
    exist (a notebook run on its own, without the batch runner).

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "params_resolved.yml"
    >>> _ = path.write_text("month: 2026-10\\n", encoding="utf-8")
    >>> r = ResolvedTiers("none", [{"tier": "A", "min_total_spend": 1234.5}, {"tier": "B"}], 90.0, 1234.5)
    >>> append_resolved_thresholds(path, r) and append_resolved_thresholds(path, r)
    True
    >>> print(path.read_text(encoding="utf-8").split("\\n", 1)[1])  # doctest: +NORMALIZE_WHITESPACE
    # 以下为本次运行换算后的分层与流失门槛（元/天），由 03_segmentation 写入；可复制到月度参数文件中固定门槛
    resolved_thresholds:
      preset: none
      rules:
      - tier: A
        min_total_spend: 1234.5
      - tier: B
      churn_days: 90
      churn_min_spend: 1234.5
    """
    path = Path(path)
    if not path.is_file():
        return False
    current = path.read_text(encoding="utf-8")
    # a re-run of notebook 03 replaces the section (and its comment line) it appended before
    at = current.find(f"\n{SECTION}:")
    if at >= 0:
        lines = current[:at + 1].splitlines(keepends=True)
        if lines and lines[-1].startswith("# "):
            lines = lines[:-1]
        current = "".join(lines)
    if current and not current.endswith("\n"):
        current += "\n"
    header = f"# {text('thresholds.resolved_header')}\n"
    section = yaml.safe_dump({SECTION: resolved.as_params()}, allow_unicode=True, sort_keys=False)
    path.write_text(current + header + section, encoding="utf-8")
    return True
