"""The fault-injection seam: failing, slow and expired requests and watch streams cut short, set
from tests, and the tally of what was injected."""

from __future__ import annotations

import json
import time

import requests

from kubedouble.faults import FaultRule
from kubedouble.testing import start_apiserver
from tests.fixtures.apiserver import REPO
from tests.kubedouble.helpers import auth, http, ksr_path, pipeline_run
from tests.waiting import wait_until


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


def test_a_latency_rule_holds_matching_requests_and_is_counted(apiserver):
    apiserver.faults.add(FaultRule(path="/pipelineruns$", method="GET", delay_seconds=1.5,
                                   times=1))
    started = time.monotonic()
    assert http(apiserver, "GET", ksr_path()).status_code == 200
    held = time.monotonic() - started
    started = time.monotonic()
    assert http(apiserver, "GET", ksr_path()).status_code == 200
    assert held >= 1.5 > time.monotonic() - started
    assert apiserver.faults.tally() == {"latency": 1}


def test_a_held_answer_comes_late_but_the_write_is_made_at_once(apiserver):
    http(apiserver, "POST", ksr_path(), json=pipeline_run("a"))
    apiserver.faults.add(FaultRule(path="/pipelineruns/a$", method="PATCH",
                                   answer_delay_seconds=5, times=1))
    try:
        requests.patch(f"{apiserver.url}{ksr_path()}/a", timeout=1, verify=apiserver.ca_file,
                       data='{"metadata": {"labels": {"answer": "lost"}}}',
                       headers={**auth(apiserver),
                                "Content-Type": "application/merge-patch+json"})
    except requests.exceptions.ReadTimeout:
        pass
    else:
        raise AssertionError("the answer came before the client stopped waiting")
    labels = http(apiserver, "GET", f"{ksr_path()}/a").json()["metadata"]["labels"]
    assert labels["answer"] == "lost"
    wait_until(lambda: apiserver.faults.tally() == {"answer held": 1, "held answer sent": 1},
               10, "the held answer to go out")


def watch_events(apiserver, query: str) -> list[dict]:
    response = requests.get(f"{apiserver.url}{ksr_path()}?watch=true&{query}", stream=True,
                            timeout=30, headers=auth(apiserver), verify=apiserver.ca_file)
    assert response.status_code == 200
    return [json.loads(line) for line in response.iter_lines() if line]


def test_an_expired_watch_answers_an_error_event_410_as_after_compaction(apiserver):
    created = http(apiserver, "POST", ksr_path(), json=pipeline_run("a")).json()
    version = created["metadata"]["resourceVersion"]
    apiserver.faults.add(FaultRule(path="pipelineruns", expire_watch=True, times=1))
    [event] = watch_events(apiserver, f"resourceVersion={version}&timeoutSeconds=1")
    assert event["type"] == "ERROR"
    assert (event["object"]["code"], event["object"]["reason"]) == (410, "Expired")
    assert event["object"]["message"].startswith(f"too old resource version: {version} (")
    # Used up: the same watch now replays what came after, here nothing, until its timeout.
    assert watch_events(apiserver, f"resourceVersion={version}&timeoutSeconds=1") == []
    assert apiserver.faults.tally() == {"watch 410": 1}


def test_a_watch_from_now_is_never_expired(apiserver):
    """Only a watch from a resourceVersion can be too old (storage/cacher watchCache)."""
    apiserver.faults.add(FaultRule(path="pipelineruns", expire_watch=True))
    http(apiserver, "POST", ksr_path(), json=pipeline_run("a"))
    events = watch_events(apiserver, "timeoutSeconds=1")
    assert [e["type"] for e in events] == ["ADDED"]
    assert apiserver.faults.tally() == {}


def test_the_tally_counts_failures_drops_and_the_doubles_own_410s(tmp_path):
    with start_apiserver(crd_dir=REPO / "crds", volumes={}, tmp_dir=tmp_path,
                         watch_history_seconds=0.5) as handle:
        first = http(handle, "POST", ksr_path(), json=pipeline_run("a")).json()
        http(handle, "POST", ksr_path(), json=pipeline_run("b"))
        handle.faults.add(FaultRule(path="/pipelineruns$", method="POST", status=429,
                                    retry_after=1, times=2))
        assert [http(handle, "POST", ksr_path(), json=pipeline_run("c")).status_code
                for _ in range(3)] == [429, 429, 201]
        handle.faults.add(FaultRule(path="pipelineruns", drop_watch_after=1, times=1))
        assert len(watch_events(handle, "timeoutSeconds=5")) == 1
        time.sleep(1.0)
        http(handle, "POST", ksr_path(), json=pipeline_run("d"))  # compacts the history
        version = first["metadata"]["resourceVersion"]
        [event] = watch_events(handle, f"resourceVersion={version}&timeoutSeconds=1")
        assert event["object"]["code"] == 410
        assert handle.faults.tally() == {"429": 2, "watch dropped": 1,
                                         "watch 410 compacted": 1}
