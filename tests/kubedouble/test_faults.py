"""The fault-injection seam: failing requests and watch streams cut short, set from tests."""

from __future__ import annotations

import json

import requests

from kubedouble.faults import FaultRule
from tests.kubedouble.helpers import auth, http, ksr_path, pipeline_run


def test_injected_errors_answer_status_objects_then_stop(apiserver):
    apiserver.faults.add(FaultRule(path="/pipelineruns$", method="GET", status=500, times=1))
    failed = http(apiserver, "GET", ksr_path())
    assert failed.status_code == 500 and failed.json()["reason"] == "InternalError"
    assert http(apiserver, "GET", ksr_path()).status_code == 200
    apiserver.faults.add(FaultRule(path="/pipelineruns", status=429, retry_after=2))
    throttled = http(apiserver, "POST", ksr_path(), json=pipeline_run("run-1"))
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "2"
    apiserver.faults.clear()
    assert http(apiserver, "POST", ksr_path(), json=pipeline_run("run-1")).status_code == 201


def test_watch_streams_can_be_cut_after_some_events(apiserver):
    for name in ("a", "b", "c"):
        http(apiserver, "POST", ksr_path(), json=pipeline_run(name))
    apiserver.faults.add(FaultRule(path="pipelineruns", drop_watch_after=2))
    response = requests.get(f"{apiserver.url}{ksr_path()}?watch=true&timeoutSeconds=30",
                            stream=True, timeout=30, headers=auth(apiserver),
                            verify=apiserver.ca_file)
    events = [json.loads(line) for line in response.iter_lines() if line]
    assert [e["object"]["metadata"]["name"] for e in events] == ["a", "b"]
