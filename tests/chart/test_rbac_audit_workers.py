"""The RBAC audit under pytest-xdist: each worker's decisions reach the controller, which
judges the unused grants over their union and writes it to the usage file."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from kubedouble.authz_log import Decision
from tests.chart.test_rbac_usage import OPERATOR, P
from tests.fixtures.rbac_audit import Audit
from tests.inner_pytest import run_pytest

WEB = "system:serviceaccount:kubeshowcase:kubeshowcase-web"


def test_a_workers_audit_merges_into_the_controllers() -> None:
    worker = Audit()
    worker.add("t1", {Decision(OPERATOR, "get", "batch", "jobs", "", "kubeshowcase", True): 3,
                      Decision(WEB, "list", "", "secrets", "", "kubeshowcase", False): 1},
               expected_denials=True)
    controller = Audit()
    controller.add("t0", {Decision(OPERATOR, "get", "batch", "jobs", "", "kubeshowcase",
                                   True): 2}, expected_denials=False)
    controller.merge(worker.to_plain())
    controller.merge(Audit().to_plain())  # a worker whose tests met no double
    assert controller.used == {"operator": Counter({P("get", "batch", "jobs"): 5})}
    assert controller.denials == [
        ("t1", Decision(WEB, "list", "", "secrets", "", "kubeshowcase", False))]
    assert controller.observed == 2


# Every grant of the chart's Roles, as decisions: worker gw0 uses the even ones, gw1 the odd
# ones (both run the one test: --dist each), so only their union uses them all. LEAVE_OUT names
# one grant neither uses.
SPLIT_TESTS = '''\
import os

from kubedouble.authz_log import Decision
from tests.fixtures import chart_accounts, rbac_audit
from tests.fixtures.rbac_usage import granted


def concrete(value):
    return "x" if value == "*" else value


def test_use_this_workers_share_of_the_grants(request):
    users = {component: user for user, component in chart_accounts.component_users().items()}
    grants = sorted((component, grant) for component, role in chart_accounts.roles().items()
                    for grant in granted(role.get("rules") or []))
    grants = [(c, g) for c, g in grants if g.shown() != os.environ.get("LEAVE_OUT")]
    share = int(os.environ["PYTEST_XDIST_WORKER"].removeprefix("gw"))
    decisions = {Decision(users[component], concrete(g.verb), concrete(g.api_group),
                          concrete(g.resource), g.subresource, "kubeshowcase", True): 1
                 for component, g in grants[share::2]}
    rbac_audit.observe(request, decisions)
'''
SPLIT_FILES = {"conftest.py": 'pytest_plugins = ["tests.fixtures.rbac_audit"]\n',
               "test_split.py": SPLIT_TESTS}


def run_split(folder: Path, **env: str) -> tuple[int, str, dict]:
    usage = folder / "usage.json"
    result = run_pytest(folder, SPLIT_FILES, "-n", "2", "--dist", "each", "-p", "xdist",
                        env={"KSC_RBAC_USAGE_FILE": str(usage), **env})
    output = result.stdout + result.stderr
    return result.returncode, output, json.loads(usage.read_text()) if usage.exists() else {}


def test_unused_grants_are_judged_over_the_union_of_the_workers_uses(tmp_path: Path) -> None:
    """One grant left out: the run fails naming only it, so each worker's half reached the
    controller (with one worker's half lost, half the grants would be named)."""
    code, output, report = run_split(tmp_path, LEAVE_OUT="create jobs (batch)")
    assert code == 1, output
    assert "2 passed" in output
    assert "RBAC audit: grants the whole suite never used: {'operator': ['create jobs (batch)']}" \
        in output
    assert report["wholeSuite"] is True and report["doublesObserved"] == 2
    components = report["components"]
    assert {"operator", "web", "cleanup"} <= set(components)
    for component, facts in components.items():
        left_out = ["create jobs (batch)"] if component == "operator" else []
        assert facts["unused"] == left_out, component
        assert set(facts["used"]) == set(facts["granted"]) - set(left_out), component
