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

import imageio.v3 as iio
import psutil
import pytest

from tests.demo.stack import DemoStack, start_demo, stop_demo
from tests.pipelines.synthetic import NUCLEI, nuclei_image
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
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    with opener.open(f"{stack.url}/accounts/login/") as page:
        html = page.read().decode()
    token = html.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    form = urllib.parse.urlencode({"username": stack.user, "password": stack.password,
                                   "csrfmiddlewaretoken": token}).encode()
    request = urllib.request.Request(f"{stack.url}/accounts/login/", data=form,
                                     headers={"Referer": f"{stack.url}/accounts/login/"})
    with opener.open(request) as answer:
        return "/accounts/login/" not in answer.geturl()


FINISHED = {"Succeeded", "Failed", "Cancelled"}
RUN = {
    "apiVersion": "kubeshowcase.io/v1alpha1",
    "kind": "PipelineRun",
    "metadata": {"name": "cells-from-kubectl", "namespace": "kubeshowcase"},
    "spec": {"pipeline": "nuclei", "owner": "scientist", "project": "scientist/cells",
             "args": json.dumps({"images": "*.png"})},
}


def test_the_demo_runs_the_whole_stack_and_stops_cleanly(state_dir: Path) -> None:
    stack = start_demo(state_dir)
    try:
        with urllib.request.urlopen(f"{stack.url}/healthz") as answer:
            assert answer.status == 200
        assert login_works(stack)
        assert "nuclei" in kubectl(stack, "get", "pipelines")

        project = state_dir / "data" / "scientist" / "cells"
        project.mkdir(parents=True)
        iio.imwrite(project / "field.png", nuclei_image())
        manifest = state_dir / "run.json"
        manifest.write_text(json.dumps(RUN))
        kubectl(stack, "apply", "-f", str(manifest))
        phase = wait_until(lambda: kubectl(stack, "get", "ksr", "cells-from-kubectl",
                                           "-o", "jsonpath={.status.phase}") in FINISHED,
                           120, "the run to finish")
        assert phase is True and "Succeeded" in kubectl(stack, "get", "ksr", "-o", "wide")
        with open(project / "results" / "summary.csv", newline="") as handle:
            [row] = csv.DictReader(handle)
        assert (row["image"], int(row["object_count"])) == ("field.png", len(NUCLEI))
        watcher_log = state_dir / "logs" / "watcher.log"
        wait_until(lambda: "pipelineruns: following from" in watcher_log.read_text(), 60,
                   "the run archive's watcher to follow the runs")
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
        assert "cells-from-kubectl" in table and "Succeeded" in table
        assert (again.user, again.password) == (stack.user, stack.password)
        assert login_works(again)
    finally:
        again.interrupt()
