"""The Job controller's pure decisions, as tables of cases (kubedouble/jobpolicy.py and
kubedouble/jobstatus.py), after pkg/controller/job's own unit tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubedouble.clock import format_time
from kubedouble.jobpolicy import (
    BackoffRecord,
    PolicyMatch,
    counted_failures,
    deadline_of,
    fail_job_message,
    finished_time,
    is_active,
    is_pod_failed,
    is_terminating,
    match_pod_failure_policy,
    next_backoff_record,
    past_backoff_limit_on_failure,
)
from kubedouble.jobstatus import count_finished, ensure_suspension

T0 = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
DISRUPTION = {"rules": [{"action": "Ignore", "onPodConditions": [
    {"type": "DisruptionTarget", "status": "True"}]}]}


def pod(phase: str = "Failed", *, codes: dict[str, int] | None = None, init: dict | None = None,
        conditions: list[dict] | None = None, deleting: bool = False, name: str = "p",
        finished: datetime | None = None, uid: str = "u1") -> dict[str, Any]:
    def statuses(found: dict[str, int]) -> list[dict[str, Any]]:
        return [{"name": n, "state": {"terminated": {
            "exitCode": c, "finishedAt": format_time(finished or T0)}}} for n, c in found.items()]
    meta: dict[str, Any] = {"name": name, "namespace": "ns", "uid": uid,
                            "creationTimestamp": format_time(T0 - timedelta(minutes=1)),
                            "finalizers": ["batch.kubernetes.io/job-tracking"]}
    if deleting:
        meta.update(deletionTimestamp=format_time(T0), deletionGracePeriodSeconds=30)
    status: dict[str, Any] = {"phase": phase, "conditions": conditions or []}
    if codes is not None:
        status["containerStatuses"] = statuses(codes)
    if init is not None:
        status["initContainerStatuses"] = statuses(init)
    return {"metadata": meta, "spec": {}, "status": status}


def job(policy: dict | None = None, **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"backoffLimit": 6, "template": {"spec": {"restartPolicy": "Never"}},
                            **spec}
    if policy is not None:
        body["podFailurePolicy"] = policy
        body.setdefault("podReplacementPolicy", "Failed")
    return {"metadata": {"name": "j", "namespace": "ns"}, "spec": body, "status": {}}


def exit_rule(action: str, operator: str, values: list[int], **extra: Any) -> dict[str, Any]:
    return {"action": action, "onExitCodes": {"operator": operator, "values": values, **extra}}


# pod_failure_policy_test.go TestMatchPodFailurePolicy, in brief ------------------------------
@pytest.mark.parametrize(("rules", "failed", "expected"), [
    ([exit_rule("FailJob", "In", [42])], pod(codes={"main": 42}), PolicyMatch(
        True, "FailJob", "Container main for pod ns/p failed with exit code 42 matching FailJob "
                         "rule at index 0")),
    ([exit_rule("FailJob", "In", [42])], pod(codes={"main": 1}), PolicyMatch()),
    ([exit_rule("Ignore", "NotIn", [1, 2])], pod(codes={"main": 3}), PolicyMatch(False, "Ignore")),
    ([exit_rule("Ignore", "NotIn", [1, 2])], pod(codes={"main": 2}), PolicyMatch()),
    ([exit_rule("Count", "In", [5]), exit_rule("FailJob", "In", [5])], pod(codes={"main": 5}),
     PolicyMatch(True, "Count")),  # the first matching rule wins
    ([exit_rule("Ignore", "In", [5]), exit_rule("FailJob", "In", [7])],
     pod(codes={"main": 7}), PolicyMatch(True, "FailJob", "Container main for pod ns/p failed "
                                                          "with exit code 7 matching FailJob "
                                                          "rule at index 1")),
    ([exit_rule("FailJob", "In", [3], containerName="side")], pod(codes={"main": 3, "side": 0}),
     PolicyMatch()),  # exit code 0 never matches, and only the named container counts
    ([exit_rule("FailJob", "NotIn", [0])], pod(codes={"main": 0}, init={"setup": 9}),
     PolicyMatch(True, "FailJob", "Container setup for pod ns/p failed with exit code 9 "
                                  "matching FailJob rule at index 0")),  # init containers too
    (DISRUPTION["rules"], pod(codes={"main": 137}, conditions=[
        {"type": "DisruptionTarget", "status": "True"}]), PolicyMatch(False, "Ignore")),
    (DISRUPTION["rules"], pod(codes={"main": 137}, conditions=[
        {"type": "DisruptionTarget", "status": "False"}]), PolicyMatch()),
    ([{"action": "FailJob", "onPodConditions": [{"type": "ConfigIssue", "status": "True"}]}],
     pod(conditions=[{"type": "ConfigIssue", "status": "True"}]), PolicyMatch(
        True, "FailJob", "Pod ns/p has condition ConfigIssue matching FailJob rule at index 0")),
])
def test_the_first_matching_rule_decides(rules, failed, expected):
    assert match_pod_failure_policy({"rules": rules}, failed) == expected


def test_without_a_policy_every_failure_counts():
    assert match_pod_failure_policy(None, pod(codes={"main": 1})) == PolicyMatch()


def test_ignored_failures_do_not_count_and_fail_job_needs_a_failed_pod():
    evicted = pod(codes={"main": 137}, conditions=[{"type": "DisruptionTarget",
                                                     "status": "True"}])
    assert counted_failures(job(DISRUPTION), [evicted, pod(codes={"main": 1})]) == 1
    rules = {"rules": [exit_rule("FailJob", "In", [42])]}
    assert fail_job_message(job(rules), [pod("Running", codes={"main": 42})]) is None
    assert fail_job_message(job(rules), [pod(codes={"main": 42})]) is not None


# Which pods are active, terminating, failed (isPodFailed, FilterActivePods) ----------------
@pytest.mark.parametrize(("phase", "deleting", "active", "terminating", "failed_any",
                          "failed_only"), [
    ("Pending", False, True, False, False, False),
    ("Running", False, True, False, False, False),
    ("Running", True, False, True, True, False),  # TerminatingOrFailed counts it failed
    ("Succeeded", True, False, False, False, False),
    ("Failed", False, False, False, True, True),
    ("Failed", True, False, False, True, True),
])
def test_pod_states(phase, deleting, active, terminating, failed_any, failed_only):
    subject = pod(phase, deleting=deleting)
    assert is_active(subject) is active
    assert is_terminating(subject) is terminating
    assert is_pod_failed(subject, job()) is failed_any
    assert is_pod_failed(subject, job(DISRUPTION)) is failed_only


def test_finished_time_lookups():
    assert finished_time(pod(codes={"a": 1, "b": 2}, finished=T0)) == T0
    ready_false = pod(conditions=[{"type": "Ready", "status": "False",
                                   "lastTransitionTime": format_time(T0 + timedelta(seconds=5))}])
    assert finished_time(ready_false) == T0 + timedelta(seconds=5)
    assert finished_time(pod("Running", deleting=True)) == T0 - timedelta(seconds=30)
    assert finished_time(pod("Running")) == T0 - timedelta(minutes=1)


# backoff_utils_test.go ---------------------------------------------------------------------
@pytest.mark.parametrize(("failures", "elapsed", "remaining"), [
    (0, 0, 0.0), (1, 0, 10.0), (1, 4, 6.0), (1, 11, 0.0), (2, 0, 20.0), (3, 5, 35.0),
    (6, 0, 320.0), (7, 0, 360.0), (30, 100, 260.0),
])
def test_remaining_backoff(failures, elapsed, remaining):
    record = BackoffRecord(failures, T0 if failures else None)
    assert record.remaining(T0 + timedelta(seconds=elapsed), 10.0, 360.0) == remaining


def test_backoff_records_count_failures_since_the_last_success():
    def failed(moment: datetime, uid: str = "u1") -> dict[str, Any]:
        return pod(codes={"main": 1}, finished=moment, uid=uid)

    def succeeded(moment: datetime) -> dict[str, Any]:
        return pod("Succeeded", codes={"main": 0}, finished=moment, uid="ok")

    first = next_backoff_record(BackoffRecord(), [], [failed(T0)])
    assert first == BackoffRecord(1, T0)
    later = T0 + timedelta(seconds=30)
    second = next_backoff_record(first, [], [failed(later, "u2")])
    assert second == BackoffRecord(2, later)
    assert next_backoff_record(second, [succeeded(later)], []) == BackoffRecord()
    mixed = next_backoff_record(second, [succeeded(T0)],
                                [failed(later), failed(T0 - timedelta(seconds=1), "u3")])
    assert mixed == BackoffRecord(1, later)
    assert next_backoff_record(second, [], []) == second


@given(st.integers(min_value=1, max_value=60), st.floats(min_value=0.1, max_value=30),
       st.floats(min_value=1, max_value=600))
def test_backoff_never_exceeds_the_cap(failures, base, cap):
    waited = BackoffRecord(failures, T0).remaining(T0, base, cap)
    assert waited <= max(cap, base)
    assert waited >= min(base, cap) or waited == base


# OnFailure restarts (pastBackoffLimitOnFailure) --------------------------------------------
@pytest.mark.parametrize(("limit", "restarts", "past"), [(0, 0, False), (0, 1, True),
                                                         (2, 1, False), (2, 2, True)])
def test_on_failure_restarts(limit, restarts, past):
    running = pod("Running")
    running["status"]["containerStatuses"] = [{"name": "main", "restartCount": restarts}]
    subject = job(backoffLimit=limit, template={"spec": {"restartPolicy": "OnFailure"}})
    assert past_backoff_limit_on_failure(subject, [running]) is past


@pytest.mark.parametrize(("spec", "status", "deadline"), [
    ({"activeDeadlineSeconds": 10}, {"startTime": format_time(T0)}, T0 + timedelta(seconds=10)),
    ({"activeDeadlineSeconds": 10}, {}, None),  # not started
    ({"activeDeadlineSeconds": 10, "suspend": True}, {"startTime": format_time(T0)}, None),
    ({}, {"startTime": format_time(T0)}, None),
])
def test_the_active_deadline(spec, status, deadline):
    assert deadline_of({"spec": spec, "status": status}) == deadline


# Counting (trackJobStatusAndRemoveFinalizers) ----------------------------------------------
def test_counting_finished_pods():
    ok, failed = [], []
    pods = [pod("Succeeded", uid="s"), pod(codes={"main": 1}, uid="f"), pod("Running", uid="r"),
            pod(codes={"main": 137}, uid="e", conditions=[{"type": "DisruptionTarget",
                                                           "status": "True"}])]
    released = count_finished(job(DISRUPTION), pods, None, False, ok, failed)
    assert (ok, failed) == (["s"], ["f"])  # the evicted pod is let go, not counted
    assert [p["metadata"]["uid"] for p in released] == ["s", "f", "e"]
    ok, failed = [], []
    target = {"type": "FailureTarget"}
    released = count_finished(job(DISRUPTION), pods, target, False, ok, failed)
    assert (ok, failed) == (["s"], ["f", "r"])  # a failing Job counts what is left as failed


def test_suspended_condition_transitions():
    status: dict[str, Any] = {}
    assert not ensure_suspension(status, False, "t0")  # never added as False
    assert ensure_suspension(status, True, "t1")
    assert not ensure_suspension(status, True, "t2")
    assert ensure_suspension(status, False, "t3")
    [found] = status["conditions"]
    assert (found["status"], found["reason"], found["message"], found["lastTransitionTime"]) == (
        "False", "JobResumed", "Job resumed", "t3")
