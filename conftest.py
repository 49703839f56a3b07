"""Test session set-up shared by tests/ and the notebooks run under nbval.

The notebooks, run by nbval with their default parameters, would write into outputs/;
INSIGHT_KIT_OUTPUTS sends them to a temporary folder instead (the kernel inherits it).
"""

import os
import tempfile

import pytest

try:  # a dev dependency (pyproject [dev]); only tests/test_properties.py needs it
    from hypothesis import HealthCheck, Phase, settings
except ImportError:  # pragma: no cover
    settings = None
if settings is not None:
    # HYPOTHESIS_PROFILE picks one. "ci" (default): 40 examples, the same ones every run
    # (derandomize), so a red build means the kit changed, never a lucky draw; no shrinking,
    # so a red build also takes seconds, not the minutes shrinking costs (each example runs
    # the pipeline). "ci-shrink": the same examples, the failing one shrunk to its minimum.
    # "dev": 300 fresh random examples per run, shrunk. Every failure prints its
    # @reproduce_failure blob.
    _common = dict(deadline=None, print_blob=True, database=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    _no_shrink = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target]
    settings.register_profile("ci", max_examples=40, derandomize=True, phases=_no_shrink, **_common)
    settings.register_profile("ci-shrink", max_examples=40, derandomize=True, **_common)
    settings.register_profile("dev", max_examples=300, **_common)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_configure(config):
    os.environ.setdefault("INSIGHT_KIT_OUTPUTS", tempfile.mkdtemp(prefix="insight-kit-outputs-"))
    config.addinivalue_line("markers", "slow: runs notebooks or the whole batch")


def pytest_collection_modifyitems(items):
    for item in items:
        if item.nodeid.startswith("notebooks/"):
            item.add_marker(pytest.mark.slow)
