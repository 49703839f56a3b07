"""The monthly batch: every notebook in order with papermill, then the HTML report.

``python -m analysis run --month 2026-10`` writes ``outputs/2026-10/``: the executed
notebooks, the workbooks, ``params_resolved.yml``, ``run.log`` and the report.
"""

from __future__ import annotations

import errno
import os
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

from analysis.config import KERNEL_NAME, NOTEBOOK_ORDER, NOTEBOOKS_DIR, PROJECT_ROOT, run_dir
from analysis.errors import InputError, KitError
from analysis.context import build_context
from analysis.params import parse_as_of, parse_month, resolve_params, resolve_path
from analysis.vocab import text, use_language

__all__ = ["run_batch", "report_path"]

# Errors raised inside a notebook that mean "fix your input", not "the kit is broken".
_USER_ERRORS = {"KitError", "InputError", "ParamsError"}


def report_path(out: Path, month: str) -> Path:
    """The HTML report of one month's run: ``客户分析报告_2026-10.html`` in ``out``."""
    return out / text("run.report_file", month=month)


def _shown(path: Path, cwd: Path) -> str:
    """A folder or file as the log names it: relative to where the command was run, or by its
    name alone when it lies elsewhere — never the server's absolute path.

    >>> _shown(Path("/srv/kit/outputs/2026-10"), Path("/srv/kit")), _shown(Path("/tmp/x/2026-10"), Path("/srv/kit"))
    ('outputs/2026-10', '2026-10')
    """
    try:
        return str(Path(path).resolve().relative_to(Path(cwd).resolve()))
    except ValueError:
        return Path(path).name


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
        install(kernel_name=KERNEL_NAME, display_name=text("run.kernel_display_name"),
                prefix=sys.prefix)
    except OSError as err:
        raise KitError(text("run.error.no_kernel", kernel=KERNEL_NAME, error=err)) from None


def _check_data_dir(data: Path) -> None:
    """The raw-data folder exists, is a folder and can be listed (before any notebook runs)."""
    if not data.exists():
        raise InputError(text("run.error.data_missing", path=data))
    if not data.is_dir():
        raise InputError(text("run.error.data_is_file", path=data))
    try:
        with os.scandir(data):
            pass
    except OSError as err:
        raise InputError(text("run.error.data_unreadable", path=data,
                              reason=_os_reason(err))) from None


def _prepare_out_dir(out: Path) -> None:
    """Create the output folder and prove a file can be written in it — up front, so that a
    bad ``--out`` costs one line, not a notebook run and a traceback."""
    if out.exists() and not out.is_dir():
        raise KitError(text("run.error.out_is_file", path=out))
    existing = next((p for p in out.parents if p.exists()), None)
    if existing is not None and not existing.is_dir():
        raise KitError(text("run.error.out_under_file", path=out, parent=existing))
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".write-check-"):
            pass
    except OSError as err:
        raise KitError(text("run.error.out_unwritable", path=out, reason=_os_reason(err))) from None


def _os_reason(err: OSError) -> str:
    """Why an OS call failed, in the user's words."""
    reasons = {
        errno.EACCES: "no_permission", errno.EPERM: "no_permission", errno.EROFS: "read_only",
        errno.ENOSPC: "disk_full", errno.ENOTDIR: "not_a_folder", errno.EEXIST: "exists",
        errno.ENOENT: "cannot_create",
    }
    if err.errno in reasons:
        return text(f"run.os_reason.{reasons[err.errno]}")
    return err.strerror or type(err).__name__


def run_batch(month: str, data_dir: str | None = None, params_file: str | None = None,
              out_dir: str | None = None, as_of: str | None = None,
              overrides: list[str] | tuple = ()) -> int:
    """Run the five notebooks for one month; return the process exit code.

    0 = success; 2 = a problem with the input or parameters (one line says what);
    1 = a notebook failed for another reason (the notebook, cell and error are named).
    """
    month = parse_month(month)
    as_of_date = parse_as_of(as_of, month)
    cwd = Path.cwd()
    params = resolve_params(month, resolve_path(params_file, cwd) if params_file else None, overrides)
    use_language(params["run"]["language"])  # the log, the report's name and summary speak it
    data = resolve_path(data_dir, cwd) if data_dir else resolve_path(params["input"]["data_dir"], PROJECT_ROOT)
    _check_data_dir(data)
    params["input"]["data_dir"] = str(data)
    out = resolve_path(out_dir, cwd) if out_dir else run_dir(month)
    if out.resolve() == data.resolve() or data.resolve() in out.resolve().parents:
        raise KitError(text("run.error.out_inside_data", out=out, data=data))
    _prepare_out_dir(out)
    _ensure_kernel()

    (out / "params_resolved.yml").write_text(
        text("run.resolved_params_header") + "\n"
        + yaml.safe_dump({"month": month, "as_of": as_of_date.date().isoformat(), **params},
                         allow_unicode=True, sort_keys=False),
        encoding="utf-8",
    )
    log = _Log(out / "run.log")
    started = time.perf_counter()
    log(text("run.log.start", month=month, as_of=as_of_date.date(), data=_shown(data, cwd), out=_shown(out, cwd)))
    # The kernel boots (≈1 s) while papermill is imported and the run's context is built.
    kernel = _SharedKernel().start(preload=_notebook_modules() + _PRELOAD_ALSO)
    try:  # closed whatever happens below: no kernel is left behind
        import papermill
        from papermill.exceptions import PapermillExecutionError

        # The run's context is built here, once, and handed to every notebook and the report.
        ctx = build_context(month, as_of_date, data, out.resolve(), params)
        injected = {
            "month": month, "as_of": as_of_date.date().isoformat(),
            "data_dir": str(data), "out_dir": str(out.resolve()), "context": ctx.to_parameters(),
        }
        executed = []
        for i, name in enumerate(NOTEBOOK_ORDER, 1):
            target = out / f"{name}.ipynb"
            step_start = time.perf_counter()
            log(f"[{i}/{len(NOTEBOOK_ORDER)}] {name} …")
            try:
                papermill.execute_notebook(
                    str(NOTEBOOKS_DIR / f"{name}.ipynb"), str(target), parameters=injected,
                    kernel_name=KERNEL_NAME, cwd=str(NOTEBOOKS_DIR), progress_bar=False,
                    log_output=False, report_mode=False, km=kernel.fresh(),
                    # written once when the notebook ends (or fails), not twice per cell
                    request_save_on_cell_execute=False,
                )
            except PapermillExecutionError as err:
                where = text("run.log.cell", notebook=f"{name}.ipynb", n=err.exec_count)
                if err.ename in _USER_ERRORS:
                    log(text("run.log.user_error", error=err.evalue, where=where), err=True)
                    log(text("run.log.kept_see_notebook", path=_shown(target, cwd)), err=True)
                    return 2
                log(text("run.log.failed", where=where, name=err.ename, error=err.evalue), err=True)
                log(text("run.log.kept_see_error", path=_shown(target, cwd)), err=True)
                return 1
            executed.append(target)
            log(text("run.log.step_done", seconds=time.perf_counter() - step_start,
                     total=time.perf_counter() - started))
        kernel.close()  # its memory is not needed for the report

        from analysis.outputs.report import build_report, check_self_contained
        from analysis.outputs.summary import executive_summary
        from analysis.tiers import tier_roles

        html_path = report_path(out, month)
        build_report(
            executed, html_path, title=params["report"]["title"],
            subtitle=text("run.report_subtitle", month=month, as_of=as_of_date.date()),
            summary_markdown=executive_summary(ctx.out_dir, ctx.month, ctx.as_of, tier_roles(params),
                                               ctx.previous_dir, params=params),
        )
        bad = check_self_contained(html_path.read_text(encoding="utf-8"))
        if bad:
            log(text("run.log.external_links", links=bad[:3]), err=True)
            return 1
        from analysis.outputs.privacy import scan_for_personal_data

        leaks = scan_for_personal_data(html_path)
        if leaks:  # the report is meant for sharing: it must not carry personal data
            log(text("run.log.personal_data", leaks=leaks[:3]), err=True)
            return 1
        log(text("run.log.report", path=_shown(html_path, cwd)))
        log(text("run.log.done", seconds=time.perf_counter() - started, out=_shown(out, cwd)))
        return 0
    finally:
        kernel.close()
        log.close()


# Imported in the kernel before the first notebook: leaves no name behind.
_PRELOAD = ("import importlib as _importlib\n"
            "for _module in {modules!r}:\n"
            "    try:\n"
            "        _importlib.import_module(_module)\n"
            "    except Exception:\n"
            "        pass\n"
            "del _importlib, _module")
# Imported inside a function the notebooks call rather than at the top of a notebook:
# seaborn, by the charts' theme (analysis/outputs/plotting.py, ~0.8 s).
_PRELOAD_ALSO = ("seaborn",)
_IMPORT_LINE = re.compile(r"^\s*(?:from\s+([\w.]+)\s+import|import\s+([\w.]+))", re.MULTILINE)


def _notebook_modules() -> tuple[str, ...]:
    """The modules the batch's notebooks import, read from the notebooks themselves (so the
    list never drifts from them), in the order they first appear."""
    import json

    found: dict[str, None] = {}
    for name in NOTEBOOK_ORDER:
        try:
            cells = json.loads((NOTEBOOKS_DIR / f"{name}.ipynb").read_text(encoding="utf-8"))["cells"]
        except (OSError, ValueError, KeyError):
            continue
        for cell in cells:
            if cell.get("cell_type") == "code":
                for match in _IMPORT_LINE.finditer("".join(cell.get("source", ""))):
                    found.setdefault(match[1] or match[2])
    return tuple(found)


class _SharedKernel:
    """One kernel for the whole batch, its namespace wiped before each notebook.

    Starting a kernel and importing pandas, scikit-learn and matplotlib cost 2–3 s per
    notebook — most of a small batch. Each notebook still starts from an empty namespace
    (``%reset``, figures closed, cell numbers from 1), so it cannot lean on another's
    variables; the notebook tests run each one in a kernel of its own.
    """

    # …and the memory the last notebook held handed back (Arrow keeps freed buffers pooled)
    _RESET = ("%reset -f\n"
              "import matplotlib.pyplot as _plt\n_plt.close('all')\ndel _plt\n"
              "import gc as _gc\n_gc.collect()\ndel _gc\n"
              "import pyarrow as _pa\n_pa.default_memory_pool().release_unused()\ndel _pa\n"
              "get_ipython().execution_count = 1")

    def __init__(self):
        self.km = None
        self.ran = False
        self.client = None  # ours, for the resets: one wait for the kernel (0.2 s), not one per notebook
        self.preloading = None

    def start(self, preload: tuple[str, ...] = ()) -> "_SharedKernel":
        """Launch the kernel (it boots in its own process while the caller goes on) and, when
        ``preload`` names modules, have it import them meanwhile: pandas, scikit-learn and
        matplotlib take seconds to import, time the command line spends importing papermill
        and building the run's context. Nothing is left in the namespace."""
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        if self.km is None:
            self.km = AsyncKernelManager(kernel_name=KERNEL_NAME)
            # The kernel's own start-up chatter is not for the user.
            run_sync(self.km.start_kernel)(cwd=str(NOTEBOOKS_DIR),
                                           extra_arguments=["--IPKernelApp.log_level=ERROR"],
                                           # Arrow's allocator returns freed memory at once
                                           # (measured: 1.3 GB less held after a 10M read)
                                           env={**os.environ, "MIMALLOC_PURGE_DELAY": "0"})
            self.ran = False
            if preload:
                self.preloading = threading.Thread(target=self._preload, args=(tuple(preload),),
                                                   name="kernel-preload", daemon=True)
                self.preloading.start()
        return self

    def _preload(self, modules: tuple[str, ...]) -> None:
        # Sent and not waited for: the first notebook's cells queue behind it in the kernel. A
        # module that fails to import here is left for its notebook to report in context.
        try:
            self._connect()
            self.client.execute(_PRELOAD.format(modules=modules), silent=True, store_history=False)
        except Exception:  # noqa: BLE001 — an optimisation only; the notebooks import for themselves
            pass

    def _connect(self) -> None:
        from jupyter_client import BlockingKernelClient

        if self.client is None:
            client = BlockingKernelClient()
            client.load_connection_info(self.km.get_connection_info())
            client.start_channels()
            client.wait_for_ready(timeout=60)
            self.client = client

    def fresh(self):
        """The kernel manager to hand to papermill, its namespace emptied."""
        if self.km is None:
            self.start()
        if self.preloading is not None:  # the client is used from one thread at a time
            self.preloading.join()
            self.preloading = None
        if not self.ran:  # nothing has run yet: the namespace is empty
            self.ran = True
            return self.km
        self._connect()
        reply = self.client.execute_interactive(self._RESET, silent=True, store_history=False, timeout=60)
        if reply["content"]["status"] != "ok":
            raise KitError(text("run.error.kernel_reset", error=reply["content"].get("evalue", "")))
        return self.km

    def close(self):
        if self.preloading is not None:
            self.preloading.join()
            self.preloading = None
        if self.client is not None:
            self.client.stop_channels()
            self.client = None
        if self.km is not None:
            from jupyter_core.utils import run_sync

            run_sync(self.km.shutdown_kernel)(now=True)
            self.km = None
