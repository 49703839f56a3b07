"""The batch's shared kernel: each notebook starts from an empty namespace."""

import pytest
from jupyter_client import BlockingKernelClient

from analysis.runner import _SharedKernel


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
