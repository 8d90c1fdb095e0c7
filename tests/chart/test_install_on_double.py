"""What a cluster admin does with the chart, on the API-server double (issue #9, "`helm install`
on the double"): install it (real helm v4) with a values file naming a local PostgreSQL, a user
signs in through the web Service and runs the reference pipeline, `helm upgrade` with a changed
value rolls the web pod and keeps the data and the run, `helm test` passes, and the chart
README's Upgrading commands (upgrade, uninstall, the checks) leave what the README says."""

from __future__ import annotations

import csv
import io
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import imageio.v3 as iio
import psycopg
import pytest

from kubedouble.authz_log import Decision
from tests.chart.readme import upgrade_commands
from tests.chartstack import DATABASE_SECRET, NAMESPACE, RELEASE, ChartStack, chart_stack
from tests.fixtures import rbac_audit
from tools.sample_data import NUCLEI, nuclei_image
from tests.waiting import wait_until
from tests.web_client import WebUser
from tools.demo import ensure_demo_users

WEB = f"{RELEASE}-web"
OPERATOR = f"{RELEASE}-operator"
OPERATOR_USER = f"system:serviceaccount:{NAMESPACE}:{OPERATOR}"
WATCHER_USER = f"system:serviceaccount:{NAMESPACE}:{RELEASE}-watcher"
USER, PASSWORD = "scientist", "a-long-test-password-9"
# The nuclei run form as a browser posts it (tests/web/runs/conftest.py's NUCLEI_FORM).
RUN_FORM = {"pipeline": "nuclei", "images": "*.png", "channel": '"auto"',
            "threshold": '"otsu"', "threshold__number": "", "min_area": "20",
            "smoothing_sigma": "1.0", "split_touching": "on"}
FINISHED = {"Succeeded", "Failed", "Cancelled"}


@pytest.fixture
def audited() -> dict[str, dict[Decision, int]]:
    """The decisions the RBAC audit takes, when a test says (by "decisions"): else all."""
    return {}


@pytest.fixture
def stack(request: pytest.FixtureRequest, tmp_path: Path,
          audited: dict[str, dict[Decision, int]]) -> Iterator[ChartStack]:
    with chart_stack(tmp_path / "stack") as installed:
        yield installed
    # The chart's own pods talked with their ServiceAccounts' tokens: audited as the suite's.
    rbac_audit.observe(request, audited.get("decisions") or installed.api.decisions.counts())


def pods(stack: ChartStack, component: str) -> list[dict[str, Any]]:
    return stack.get("pods", "-l", f"app.kubernetes.io/component={component}")["items"]


def ready(pod: dict[str, Any]) -> bool:
    conditions = (pod.get("status") or {}).get("conditions") or []
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)


def names(stack: ChartStack, kind: str, *selector: str) -> set[str]:
    return {item["metadata"]["name"] for item in stack.get(kind, *selector)["items"]}


def run_phase(stack: ChartStack, name: str) -> str:
    return str((stack.get("pipelineruns.kubeshowcase.io", name).get("status") or {})
               .get("phase", ""))


def check_installed(stack: ChartStack) -> None:
    """The hooks ran, the CRDs and the post-install Pipeline are there, both pods work."""
    assert names(stack, "customresourcedefinitions") >= {
        "pipelines.kubeshowcase.io", "pipelineruns.kubeshowcase.io"}
    assert names(stack, "pipelines.kubeshowcase.io") == {"nuclei"}
    assert WEB in names(stack, "secrets")  # made by the secret-key hook
    assert names(stack, "jobs") == set()  # the migrate and secret-key hooks succeeded, deleted
    [web] = pods(stack, "web")
    assert ready(web), web["status"]
    [init] = web["status"]["initContainerStatuses"]  # wait-for-schema found the schema current
    assert init["state"]["terminated"]["exitCode"] == 0
    [operator] = pods(stack, "operator")
    lease = stack.get("leases.coordination.k8s.io", OPERATOR)
    assert lease["spec"]["holderIdentity"] == operator["metadata"]["name"]
    claim = stack.get("persistentvolumeclaims", f"{RELEASE}-data")
    assert claim["status"]["phase"] == "Bound"
    [watcher] = pods(stack, "watcher")  # manage.py watch_runs, with the web image
    wait_until(lambda: "pipelineruns: following from" in stack.kubectl(
        "logs", watcher["metadata"]["name"]), 120, "the watcher to follow the runs")


def archived_phase(stack: ChartStack, run: str) -> str:
    """The run's phase in the watcher's archive (the RunRecord row), "" without a row."""
    with psycopg.connect(stack.database_url) as connection:
        found = connection.execute("SELECT phase FROM runs_runrecord WHERE name = %s",
                                   (run,)).fetchone()
    return found[0] if found else ""


def start_a_run(user: WebUser) -> str:
    """A project, an image uploaded into it, a run of the reference pipeline from the run form;
    returns the run's name."""
    user.post("/projects/", "/projects/new", {"name": "cells"})
    png = iio.imwrite("<bytes>", nuclei_image(), extension=".png")
    uploaded = user.post("/projects/cells/", "/projects/cells/upload/", {},
                         files=[("files", ("field.png", png, "image/png"))])
    assert "Uploaded 1 file" in uploaded.text
    started = user.post("/projects/cells/run?pipeline=nuclei", "/projects/cells/run", RUN_FORM)
    found = re.search(r"/runs/([^/]+)/$", started.url)
    assert found, f"the run form did not lead to a run page: {started.url}"
    return found[1]


def check_results(user: WebUser, run: str) -> None:
    page = user.get(f"/runs/{run}/").text
    assert "Succeeded" in page
    results = user.get("/projects/cells/results").text
    assert "results/summary.csv" in results and "field.png" in results
    assert "field_overlay.png" in results
    summary = user.get("/projects/cells/file/results/summary.csv").text
    [row] = csv.DictReader(io.StringIO(summary))
    assert (row["image"], int(row["object_count"])) == ("field.png", len(NUCLEI))


def web_pod_env(pod: dict[str, Any]) -> dict[str, str]:
    [container] = [c for c in pod["spec"]["containers"] if c["name"] == "web"]
    return {e["name"]: e.get("value", "") for e in container.get("env") or []}


def upgrade_rolls_the_web_pod(stack: ChartStack) -> None:
    [old] = pods(stack, "web")
    old_sets = names(stack, "replicasets", "-l", "app.kubernetes.io/component=web")
    stack.helm("upgrade", RELEASE, "charts/kubeshowcase", "--reuse-values",
               "--set", "web.gunicorn.threads=4", "--wait", "--timeout", "240s")
    new_sets = names(stack, "replicasets", "-l", "app.kubernetes.io/component=web")
    assert len(new_sets - old_sets) == 1, (old_sets, new_sets)
    wait_until(lambda: [p["metadata"]["name"] for p in pods(stack, "web")] != [
        old["metadata"]["name"]] and len(pods(stack, "web")) == 1, 120, "the old web pod to go")
    [new] = pods(stack, "web")
    assert ready(new) and web_pod_env(new)["GUNICORN_THREADS"] == "4"
    assert web_pod_env(old)["GUNICORN_THREADS"] == "8"


def readme_block(stack: ChartStack) -> dict[str, str]:
    """Run the README's Upgrading commands as written; their outputs by command line."""
    outputs = {}
    for argv in upgrade_commands():
        outputs[shlex.join(argv)] = stack.run(argv)
    return outputs


def check_uninstalled(stack: ChartStack, outputs: dict[str, str], run: str) -> None:
    """As the README's Upgrading section says: the Deployments, Services, CronJob, Roles,
    ServiceAccounts, NetworkPolicies and Helm's release records go; the CRDs, the PipelineRuns
    with their finished Jobs, the data claim and the SECRET_KEY Secret stay; the hooks left
    nothing; the Pipelines went with the release (an upgrade adopted them)."""
    crds = [cmd for cmd in outputs if "get customresourcedefinitions" in cmd]
    assert all("pipelines.kubeshowcase.io" in outputs[cmd] for cmd in crds)
    runs_listed = next(out for cmd, out in outputs.items() if "get pipelineruns" in cmd)
    assert run in runs_listed
    assert "Bound" in next(out for cmd, out in outputs.items() if "persistentvolumeclaim" in cmd)
    for kind in ("deployments", "replicasets", "services", "cronjobs", "roles", "rolebindings",
                 "networkpolicies", "pipelines.kubeshowcase.io"):
        assert names(stack, kind) == set(), kind
    assert names(stack, "serviceaccounts") == {"default"}
    # The run's finished Job stays with its PipelineRun (until operator.jobTtlSeconds).
    [job] = stack.get("jobs")["items"]
    assert [o["name"] for o in job["metadata"]["ownerReferences"]] == [run]
    wait_until(lambda: names(stack, "pods") == names(stack, "pods", "-l",
                                                     f"job-name={job['metadata']['name']}"),
               120, "the release's pods to go")
    # Left: the admin's database Secret and the SECRET_KEY the hook made (not the release's).
    assert names(stack, "secrets") == {DATABASE_SECRET, WEB}
    # The operator made its leader-election Lease itself: it stays, holding no data.
    assert names(stack, "leases.coordination.k8s.io") == {OPERATOR}
    assert run_phase(stack, run) == "Succeeded"


def test_an_admin_installs_upgrades_tests_and_uninstalls_the_chart(
        stack: ChartStack, audited: dict[str, dict[Decision, int]]) -> None:
    check_installed(stack)

    # A user, made as `kubectl exec deploy/kubeshowcase-web -- python manage.py shell` would.
    ensure_demo_users(stack.web_env(), {USER: PASSWORD})
    user = WebUser(stack.web_url)
    user.sign_in(USER, PASSWORD)
    run = start_a_run(user)
    wait_until(lambda: run_phase(stack, run) in FINISHED, 180, "the run to finish")
    assert run_phase(stack, run) == "Succeeded"
    wait_until(lambda: archived_phase(stack, run) == "Succeeded", 60, "the run's archive row")
    check_results(user, run)

    upgrade_rolls_the_web_pod(stack)
    assert "cells" in user.get("/projects/").text  # the same session, on the new pod
    assert "field.png" in user.get("/projects/cells/").text
    check_results(user, run)

    # The watcher's liveness probe (GET /livez) has been passing all along: no restart, no
    # Unhealthy event.
    [watcher] = pods(stack, "watcher")
    assert [c["restartCount"] for c in watcher["status"]["containerStatuses"]] == [0]
    events = stack.get("events", "--field-selector",
                       f"involvedObject.name={watcher['metadata']['name']}")["items"]
    assert [e["message"] for e in events if e["reason"] == "Unhealthy"] == []

    tested = stack.helm("test", RELEASE, "--timeout", "120s")
    assert "Phase:          Succeeded" in tested, tested

    # `helm uninstall` deletes the operator's Role while its pod stops, as on any cluster: the
    # audit takes what the components did until then; after, only the Lease release may fail,
    # and the watcher's list or watch while its pod stops.
    before = audited["decisions"] = stack.api.decisions.counts()
    outputs = readme_block(stack)
    check_uninstalled(stack, outputs, run)
    denied = {(d.user, d.verb, d.resource) for d in stack.api.decisions.denied()
              if d not in before}
    assert denied <= {(OPERATOR_USER, "patch", "leases"), (WATCHER_USER, "list", "pipelineruns"),
                      (WATCHER_USER, "watch", "pipelineruns"), (WATCHER_USER, "list", "pipelines"),
                      (WATCHER_USER, "watch", "pipelines")}, denied

