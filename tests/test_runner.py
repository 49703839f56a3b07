"""The batch's shared kernel: each notebook starts from an empty namespace."""

import pytest
from jupyter_client import BlockingKernelClient

from analysis.runner import _SharedKernel, _notebook_modules


def _run(km, code):
    client = BlockingKernelClient()
    client.load_connection_info(km.get_connection_info())
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        return client.execute_interactive(code, store_history=True, timeout=60)["content"]
    finally:
        client.stop_channels()


@pytest.mark.slow
def test_a_fresh_kernel_forgets_the_previous_notebook_and_counts_cells_from_one():
    kernel = _SharedKernel()
    try:
        km = kernel.fresh()
        assert _run(km, "import json\nleft_behind = 41")["status"] == "ok"
        _run(km, "left_behind += 1")
        same = kernel.fresh()
        assert same is km and km.has_kernel   # one kernel, not a new one per notebook
        reply = _run(km, "left_behind")
        assert reply["status"] == "error" and reply["ename"] == "NameError"
        assert reply["execution_count"] == 1  # an error names the notebook's own cell number
    finally:
        kernel.close()
    assert kernel.km is None


@pytest.mark.slow
def test_preloading_imports_the_notebooks_modules_and_leaves_no_name():
    modules = _notebook_modules()
    assert "analysis.steps.clean" in modules and "analysis.outputs.workbooks" in modules
    assert "matplotlib.pyplot" in modules and len(modules) == len(set(modules))
    kernel = _SharedKernel().start(preload=("json", "analysis.steps.workdays", "no_such_module_x"))
    try:
        km = kernel.fresh()   # waits for the preload to be sent; the cells queue behind it
        reply = _run(km, "import sys\nleft = [k for k in dir() if k.startswith('_') and k.strip('_') in "
                         "('importlib', 'module')]\nassert left == [], left\n"
                         "assert 'analysis.steps.workdays' in sys.modules")
        assert reply["status"] == "ok"
    finally:
        kernel.close()
