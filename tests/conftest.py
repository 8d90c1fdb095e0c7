"""Suite-wide pytest setup: shared fixture modules and CI's no-skip rule."""

from __future__ import annotations

import os

import pytest

pytest_plugins = [
    "tests.fixtures.rbac_audit",  # first: the apiserver fixture hands it each double's record
    "tests.fixtures.apiserver",
    "tests.fixtures.postgres",
    "tests.fixtures.operator",
    "tests.fixtures.browser",
]


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # A test skipped for a missing tool would pass CI silently: in CI a skip fails the run.
    if os.environ.get("KSC_FAIL_ON_SKIP") != "1":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        reporter.write_line(f"KSC_FAIL_ON_SKIP: {len(skipped)} test(s) skipped; failing the run")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
