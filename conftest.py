"""Test session set-up shared by tests/ and the notebooks run under nbval.

The notebooks, run by nbval with their default parameters, would write into outputs/;
INSIGHT_KIT_OUTPUTS sends them to a temporary folder instead (the kernel inherits it).
"""

import os
import tempfile

import pytest


def pytest_configure(config):
    os.environ.setdefault("INSIGHT_KIT_OUTPUTS", tempfile.mkdtemp(prefix="insight-kit-outputs-"))
    config.addinivalue_line("markers", "slow: runs notebooks or the whole batch")


def pytest_collection_modifyitems(items):
    for item in items:
        if item.nodeid.startswith("notebooks/"):
            item.add_marker(pytest.mark.slow)
