"""Suite-wide pytest setup: the shared fixture modules and suite plugins."""

from __future__ import annotations

pytest_plugins = [
    "tests.fixtures.rbac_audit",  # first: the apiserver fixture hands it each double's record
    "tests.fixtures.apiserver",
    "tests.fixtures.postgres",
    "tests.fixtures.operator",
    "tests.fixtures.browser",
    "tests.fixtures.fail_on_skip",  # CI's KSC_FAIL_ON_SKIP=1
    "tests.fixtures.run_alone",  # @pytest.mark.alone under make test's xdist workers
]
