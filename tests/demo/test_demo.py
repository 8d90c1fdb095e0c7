"""`make demo`: the whole stack comes up, kubectl works against it, Ctrl-C leaves nothing behind,
and a second start reuses the data."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import psutil
import pytest

from tests.demo.stack import DemoStack, start_demo, stop_demo
from tests.scrape import scrape, scrape_text, value
from tools.sample_data import SAMPLE_FIELDS, SAMPLE_PROJECT
from tests.waiting import wait_until


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "demo"


def kubectl(stack: DemoStack, *args: str) -> str:
    env = dict(os.environ, KUBECONFIG=str(stack.kubeconfig))
    result = subprocess.run(["kubectl", *args], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def login_works(stack: DemoStack) -> bool:
    return signed_in(stack) is not None


def signed_in(stack: DemoStack) -> urllib.request.OpenerDirector | None:
    """A client signed in as the demo's scientist, or None if the login was refused."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    with opener.open(f"{stack.url}/accounts/login/") as page:
        html = page.read().decode()
    token = html.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    form = urllib.parse.urlencode({"username": stack.user, "password": stack.password,
                                   "csrfmiddlewaretoken": token}).encode()
    request = urllib.request.Request(f"{stack.url}/accounts/login/", data=form,
                                     headers={"Referer": f"{stack.url}/accounts/login/"})
    with opener.open(request) as answer:
        return opener if "/accounts/login/" not in answer.geturl() else None


FINISHED = {"Succeeded", "Failed", "Cancelled"}
RUN = {
    "apiVersion": "kubeshowcase.io/v1alpha1",
    "kind": "PipelineRun",
    "metadata": {"name": "sample-from-kubectl", "namespace": "kubeshowcase"},
    "spec": {"pipeline": "nuclei", "owner": "scientist", "project": f"scientist/{SAMPLE_PROJECT}",
             "args": json.dumps({"images": "*.png"})},
}


def test_the_demo_runs_the_whole_stack_and_stops_cleanly(state_dir: Path) -> None:
    stack = start_demo(state_dir)
    try:
        with urllib.request.urlopen(f"{stack.url}/healthz") as answer:
            assert answer.status == 200
        scientist = signed_in(stack)
        assert scientist is not None
        assert "nuclei" in kubectl(stack, "get", "pipelines")

        # The sample project is there for the scientist to press Run on: listed, counted.
        with scientist.open(f"{stack.url}/projects/") as page:
            assert SAMPLE_PROJECT in page.read().decode()
        project = state_dir / "data" / "scientist" / SAMPLE_PROJECT
        fields = sorted(path.name for path in project.iterdir())
        assert len(fields) == SAMPLE_FIELDS
        manifest = state_dir / "run.json"
        manifest.write_text(json.dumps(RUN))
        kubectl(stack, "apply", "-f", str(manifest))
        phase = wait_until(lambda: kubectl(stack, "get", "ksr", "sample-from-kubectl",
                                           "-o", "jsonpath={.status.phase}") in FINISHED,
                           120, "the run to finish")
        assert phase is True and "Succeeded" in kubectl(stack, "get", "ksr", "-o", "wide")
        with open(project / "results" / "summary.csv", newline="") as handle:
            counts = {row["image"]: int(row["object_count"]) for row in csv.DictReader(handle)}
        # Each field's name says how many nuclei it holds; the pipeline finds them all.
        assert counts == {name: int(name.split("-")[2]) for name in fields}
        watcher_log = state_dir / "logs" / "watcher.log"
        wait_until(lambda: "pipelineruns: following from" in watcher_log.read_text(), 60,
                   "the run archive's watcher to follow the runs")
        # The metrics URLs it printed answer, with what happened (issue #12).
        assert sorted(stack.metrics) == ["operator", "run archive", "web app"]
        operator = scrape(stack.metrics["operator"])
        assert value(operator, "kubeshowcase_operator_leader") == 1.0
        assert value(operator, "kubeshowcase_operator_dispatch_latency_seconds_count",
                     pipeline="nuclei") == 1.0
        assert value(scrape(stack.metrics["web app"]),
                     "kubeshowcase_web_request_duration_seconds_count", view="accounts-login")
        assert "kubeshowcase_watcher_archive_lag_seconds" in scrape_text(
            stack.metrics["run archive"])
        children = stack.descendants()
        # double, operator, watcher, gunicorn and its workers
        assert len(children) >= 5, children
    finally:
        stop_demo(stack.process)
    assert stack.process.returncode == 0, stack.output.read_text()
    gone, alive = psutil.wait_procs(children, timeout=10)
    assert alive == [], f"left behind: {alive}"
    postgres = [p for p in psutil.process_iter(["cmdline"])
                if str(state_dir / "postgres") in " ".join(p.info["cmdline"] or [])]
    assert postgres == [], "PostgreSQL was left running"

    again = start_demo(state_dir)
    try:
        table = kubectl(again, "get", "ksr")
        assert "sample-from-kubectl" in table and "Succeeded" in table
        assert (again.user, again.password) == (stack.user, stack.password)
        assert login_works(again)
    finally:
        again.interrupt()
