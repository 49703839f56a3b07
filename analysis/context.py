"""The run context: what one monthly run is about, decided once.

Month, analysis date, folders, the resolved params and last month's folder are worked out in
one place — :func:`build_context` — by the batch runner, which hands the result to every
notebook (the ``context`` parameter) and to the report. A notebook opened on its own in
JupyterLab builds the same context from its parameters cell with :func:`run_context`.

Examples
--------
>>> previous_run("/x/outputs/2026-01", "2026-01", "")[1]
'2025-12'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.config import PARAMS_DIR, PROJECT_ROOT, interim_dir, run_dir
from analysis.params import (
    leaf_keys, load_yaml, merge_into, merge_params, parse_as_of, parse_month, resolve_params,
    resolve_path,
)
from analysis.vocab import text, texts, use_language

__all__ = ["RunContext", "build_context", "run_context", "previous_run"]


@dataclass(frozen=True)
class RunContext:
    """Everything a notebook and the report need to know about their run."""

    month: str
    as_of: pd.Timestamp
    data_dir: Path
    out_dir: Path
    params: dict = field(repr=False)
    previous_month: str = ""
    previous_dir: Path | None = None   # last month's run folder (it may not exist)

    @property
    def interim(self) -> Path:
        return interim_dir(self.out_dir)

    @property
    def previous_interim(self) -> Path | None:
        return interim_dir(self.previous_dir) if self.previous_dir else None

    def describe(self) -> pd.Series:
        """A small table for the notebook: what this run is about."""
        label = texts("run.context.field")
        return pd.Series(
            {label["month"]: self.month, label["as_of"]: self.as_of.date().isoformat(),
             label["data_dir"]: str(self.data_dir), label["out_dir"]: str(self.out_dir)},
            name=text("run.context.title"),
        )

    def to_parameters(self) -> dict:
        """The context as plain values, for papermill to inject into a notebook."""
        return {"month": self.month, "as_of": self.as_of.date().isoformat(),
                "data_dir": str(self.data_dir), "out_dir": str(self.out_dir),
                "params": self.params, "previous_month": self.previous_month,
                "previous_dir": str(self.previous_dir) if self.previous_dir else ""}

    @classmethod
    def from_parameters(cls, values: dict) -> RunContext:
        """The context :meth:`to_parameters` handed over, unchanged (nothing re-resolved)."""
        use_language(values["params"]["run"]["language"])
        return cls(month=values["month"], as_of=pd.Timestamp(values["as_of"]),
                   data_dir=Path(values["data_dir"]), out_dir=Path(values["out_dir"]),
                   params=values["params"], previous_month=values["previous_month"],
                   previous_dir=Path(values["previous_dir"]) if values["previous_dir"] else None)


def previous_run(out_dir: str | Path, month: str, previous_dir_param: str | Path | None
                 ) -> tuple[Path, str]:
    """Last month's output folder and month (``YYYY-MM``) — the one place that decides it.

    The folder is params ``closed_loop.previous_dir`` when set (a relative path is taken from
    ``out_dir``'s parent, where the month folders live), else the sibling
    ``<out_dir>/../<previous month>``. The month is always the one before ``month``.

    Examples
    --------
    >>> previous_run("/x/outputs/2026-01", "2026-01", "archive/dec")[0].as_posix()
    '/x/outputs/archive/dec'
    """
    prev = (pd.Period(month, freq="M") - 1).strftime("%Y-%m")
    parent = Path(out_dir).parent
    if previous_dir_param:
        folder = Path(previous_dir_param).expanduser()
        return (folder if folder.is_absolute() else parent / folder), prev
    return parent / prev, prev


def build_context(month: str, as_of: pd.Timestamp, data_dir: Path, out_dir: Path,
                  params: dict) -> RunContext:
    """The context of a run whose params are already resolved (the runner's)."""
    use_language(params["run"]["language"])  # every label from here on speaks it
    previous_dir, previous_month = previous_run(out_dir, month, params["closed_loop"]["previous_dir"])
    return RunContext(month=month, as_of=as_of, data_dir=Path(data_dir), out_dir=Path(out_dir),
                      params=params, previous_month=previous_month, previous_dir=previous_dir)


def run_context(month: str = "", as_of: str = "", data_dir: str = "", out_dir: str = "",
                params: dict | None = None, context: dict | None = None) -> RunContext:
    """The context a notebook starts from.

    Run by the batch runner, ``context`` carries the context built once for the whole run and
    is used as it is. Opened on its own in JupyterLab, the context is built from the
    parameters cell: ``params`` holds only the analyst's overrides, merged on base.yml and the
    month file; relative paths are relative to the project root.
    """
    if context:
        ctx = RunContext.from_parameters(context)
    else:
        month = parse_month(month)
        resolved = resolve_params(month)
        merge_params(load_yaml(PARAMS_DIR / "base.yml"), params or {}, source="notebook parameters")
        resolved = merge_into(resolved, params or {})
        if params:
            from analysis.params_schema import validate_params
            validate_params(resolved, {key: "notebook parameters" for key in leaf_keys(params)})
        ctx = build_context(month, parse_as_of(as_of, month),
                            resolve_path(data_dir or resolved["input"]["data_dir"]),
                            resolve_path(run_dir(month, out_dir or None), PROJECT_ROOT), resolved)
    ctx.out_dir.mkdir(parents=True, exist_ok=True)
    ctx.interim.mkdir(exist_ok=True)
    return ctx
