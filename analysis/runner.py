"""The monthly batch: every notebook in order with papermill, then the HTML report.

``python -m analysis run --month 2026-10`` writes ``outputs/2026-10/``: the executed
notebooks, the workbooks, ``params_resolved.yml``, ``run.log`` and the report.
"""

from __future__ import annotations

import errno
import os
import sys
import tempfile
import time
from pathlib import Path

import yaml

from analysis.config import KERNEL_NAME, NOTEBOOK_ORDER, NOTEBOOKS_DIR, PROJECT_ROOT, run_dir
from analysis.errors import InputError, KitError
from analysis.params import parse_as_of, parse_month, resolve_params, resolve_path

__all__ = ["run_batch", "report_path"]

# Errors raised inside a notebook that mean "fix your input", not "the kit is broken".
_USER_ERRORS = {"KitError", "InputError", "ParamsError"}


def report_path(out: Path, month: str) -> Path:
    return out / f"客户分析报告_{month}.html"


class _Log:
    """Progress to the terminal and to run.log in the output folder."""

    def __init__(self, path: Path):
        self.file = path.open("w", encoding="utf-8")

    def __call__(self, line: str, *, err: bool = False):
        print(line, file=sys.stderr if err else sys.stdout, flush=True)
        self.file.write(line + "\n")
        self.file.flush()

    def close(self):
        self.file.close()


def _ensure_kernel() -> None:
    """papermill must run the kit's own kernel; register it when run outside `make`."""
    from jupyter_client.kernelspec import KernelSpecManager

    if KERNEL_NAME in KernelSpecManager().find_kernel_specs():
        return
    from ipykernel.kernelspec import install

    try:  # into this environment (venv or conda env), never the user's global Jupyter
        install(kernel_name=KERNEL_NAME, display_name="Python (客户洞察工具)", prefix=sys.prefix)
    except OSError as err:
        raise KitError(f"未找到 Jupyter 内核 {KERNEL_NAME}，且无法自动注册（{err}）：请先运行 make setup") from None


def _check_data_dir(data: Path) -> None:
    """The raw-data folder exists, is a folder and can be listed (before any notebook runs)."""
    if not data.exists():
        raise InputError(f"原始数据目录不存在: {data}")
    if not data.is_dir():
        raise InputError(f"原始数据路径 {data} 是一个文件，不是文件夹：--data（或 params 的 "
                         "input.data_dir）应指向存放导出文件的文件夹")
    try:
        with os.scandir(data):
            pass
    except OSError as err:
        raise InputError(f"无法读取原始数据目录 {data}（{_os_reason(err)}）") from None


def _prepare_out_dir(out: Path) -> None:
    """Create the output folder and prove a file can be written in it — up front, so that a
    bad ``--out`` costs one line, not a notebook run and a traceback."""
    if out.exists() and not out.is_dir():
        raise KitError(f"输出路径 {out} 是一个已存在的文件，不是文件夹：请用 --out 指定一个文件夹")
    existing = next((p for p in out.parents if p.exists()), None)
    if existing is not None and not existing.is_dir():
        raise KitError(f"无法创建输出目录 {out}：其上级路径 {existing} 是一个文件，不是文件夹")
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".write-check-"):
            pass
    except OSError as err:
        raise KitError(f"无法写入输出目录 {out}（{_os_reason(err)}）：请用 --out 换一个可写的文件夹"
                       ) from None


def _os_reason(err: OSError) -> str:
    """Why an OS call failed, in the user's words."""
    reasons = {
        errno.EACCES: "没有权限", errno.EPERM: "没有权限", errno.EROFS: "只读文件系统",
        errno.ENOSPC: "磁盘已满", errno.ENOTDIR: "路径中有一段是文件而不是文件夹",
        errno.EEXIST: "已存在同名文件", errno.ENOENT: "路径不存在，且无法创建",
    }
    return reasons.get(err.errno, err.strerror or type(err).__name__)


def run_batch(month: str, data_dir: str | None = None, params_file: str | None = None,
              out_dir: str | None = None, as_of: str | None = None,
              overrides: list[str] | tuple = ()) -> int:
    """Run the five notebooks for one month; return the process exit code.

    0 = success; 2 = a problem with the input or parameters (one line says what);
    1 = a notebook failed for another reason (the notebook, cell and error are named).
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    month = parse_month(month)
    as_of_date = parse_as_of(as_of, month)
    cwd = Path.cwd()
    params = resolve_params(month, resolve_path(params_file, cwd) if params_file else None, overrides)
    data = resolve_path(data_dir, cwd) if data_dir else resolve_path(params["input"]["data_dir"], PROJECT_ROOT)
    _check_data_dir(data)
    params["input"]["data_dir"] = str(data)
    out = resolve_path(out_dir, cwd) if out_dir else run_dir(month)
    if out.resolve() == data.resolve() or data.resolve() in out.resolve().parents:
        raise KitError(f"输出目录 {out} 不能位于原始数据目录 {data} 之内（原始数据只读）")
    _prepare_out_dir(out)
    _ensure_kernel()

    (out / "params_resolved.yml").write_text(
        "# 本次运行实际使用的参数（base.yml ← 月度文件 ← --params ← --set 合并结果）\n"
        + yaml.safe_dump({"month": month, "as_of": as_of_date.date().isoformat(), **params},
                         allow_unicode=True, sort_keys=False),
        encoding="utf-8",
    )
    log = _Log(out / "run.log")
    started = time.perf_counter()
    log(f"客户洞察月度批处理 {month}（基准日 {as_of_date.date()}）数据: {data} 输出: {out}")
    injected = {
        "month": month, "as_of": as_of_date.date().isoformat(),
        "data_dir": str(data), "out_dir": str(out.resolve()), "params": params,
    }
    executed = []
    try:
        for i, name in enumerate(NOTEBOOK_ORDER, 1):
            target = out / f"{name}.ipynb"
            step_start = time.perf_counter()
            log(f"[{i}/{len(NOTEBOOK_ORDER)}] {name} …")
            try:
                papermill.execute_notebook(
                    str(NOTEBOOKS_DIR / f"{name}.ipynb"), str(target), parameters=injected,
                    kernel_name=KERNEL_NAME, cwd=str(NOTEBOOKS_DIR), progress_bar=False,
                    log_output=False, report_mode=False,
                    # The kernel's own start-up chatter is not for the user.
                    extra_arguments=["--IPKernelApp.log_level=ERROR"],
                )
            except PapermillExecutionError as err:
                where = f"{name}.ipynb 第{err.exec_count}个单元格"
                if err.ename in _USER_ERRORS:
                    log(f"错误: {err.evalue}（{where}）", err=True)
                    log(f"已保留此前的输出；出错的笔记本见 {target}", err=True)
                    return 2
                log(f"失败: {where}: {err.ename}: {err.evalue}", err=True)
                log(f"已保留此前的输出；完整错误见 {target}", err=True)
                return 1
            executed.append(target)
            log(f"      完成，用时 {time.perf_counter() - step_start:.1f} 秒")

        from analysis.outputs.report import build_report, check_self_contained
        from analysis.outputs.summary import executive_summary

        html_path = report_path(out, month)
        build_report(
            executed, html_path, title=params["report"]["title"],
            subtitle=f"{month} · 分析基准日 {as_of_date.date()}",
            summary_markdown=executive_summary(out, month, as_of_date),
        )
        bad = check_self_contained(html_path.read_text(encoding="utf-8"))
        if bad:
            log(f"失败: 报告含外部链接 {bad[:3]}", err=True)
            return 1
        from analysis.outputs.privacy import scan_for_personal_data

        leaks = scan_for_personal_data(html_path)
        if leaks:  # the report is meant for sharing: it must not carry personal data
            log(f"失败: 报告中发现未脱敏的个人信息 {leaks[:3]}", err=True)
            return 1
        log(f"报告: {html_path}")
        log(f"全部完成，用时 {time.perf_counter() - started:.1f} 秒。输出目录: {out}")
        return 0
    finally:
        log.close()
