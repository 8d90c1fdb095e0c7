"""Tables for the pure rollout, Deployment status and ReplicaSet decisions (kubedouble.rollout,
.deploymentstatus, .replicasetpolicy), cases taken from the Kubernetes unit tests where they
exist (pkg/controller/deployment/util/deployment_util_test.go, rolling_test.go,
sync_test.go, progress_test.go)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubedouble import deploymentstatus as ds
from kubedouble import replicasetpolicy as rp
from kubedouble import rollout
from kubedouble.clock import format_time

NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


def deployment(replicas: int = 10, surge: Any = "25%", unavailable: Any = "25%", *,
               strategy: str = "RollingUpdate", generation: int = 1,
               status: dict[str, Any] | None = None, **spec: Any) -> dict[str, Any]:
    strategy_body: dict[str, Any] = {"type": strategy}
    if strategy == "RollingUpdate":
        strategy_body["rollingUpdate"] = {"maxSurge": surge, "maxUnavailable": unavailable}
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "d", "namespace": "n", "uid": "u", "generation": generation},
            "spec": {"replicas": replicas, "strategy": strategy_body,
                     "selector": {"matchLabels": {"app": "d"}},
                     "template": {"metadata": {"labels": {"app": "d"}},
                                  "spec": {"containers": [{"name": "c", "image": "i"}]}},
                     "progressDeadlineSeconds": 600, "revisionHistoryLimit": 10, **spec},
            "status": status or {}}


def rs(name: str, replicas: int, available: int = 0, *, created: str = "2026-01-01T00:00:00Z",
       revision: int = 1, annotations: dict[str, str] | None = None,
       **status: int) -> dict[str, Any]:
    return {"metadata": {"name": name, "creationTimestamp": created, "generation": 1,
                         "annotations": {rollout.REVISION: str(revision),
                                         **(annotations or {})}},
            "spec": {"replicas": replicas, "template": {}},
            "status": {"replicas": status.get("actual", replicas), "availableReplicas": available,
                       "readyReplicas": status.get("ready", available),
                       "observedGeneration": status.get("observed", 1)}}


# maxSurge / maxUnavailable -------------------------------------------------------------------
@pytest.mark.parametrize(("replicas", "surge", "unavailable", "expected"), [
    (10, "25%", "25%", (3, 2)),  # surge rounds up, unavailable down
    (1, "25%", "25%", (1, 0)),
    (1, 0, 0, (0, 1)),  # both 0 → one unavailable, or nothing could move
    (3, "0%", "0%", (0, 1)),
    (5, 2, 1, (2, 1)),
    (4, "50%", "100%", (2, 4)),
])
def test_fenceposts_round_as_resolve_fenceposts(replicas: int, surge: Any, unavailable: Any,
                                                expected: tuple[int, int]) -> None:
    assert rollout.fenceposts(deployment(replicas, surge, unavailable)) == expected


def test_max_unavailable_is_zero_for_recreate_and_capped_by_replicas() -> None:
    assert rollout.max_unavailable(deployment(3, strategy="Recreate")) == 0
    assert rollout.max_unavailable(deployment(0)) == 0
    assert rollout.max_unavailable(deployment(2, 0, 5)) == 2
    assert rollout.max_surge(deployment(3, strategy="Recreate")) == 0


# The new ReplicaSet ----------------------------------------------------------------------------
@pytest.mark.parametrize(("replicas", "surge", "sizes", "new_size", "expected"), [
    (10, "25%", [10], 0, 3),  # 10 + 3 surge allowed → new grows by 3
    (10, "25%", [7], 6, 6),  # already at the ceiling: no change
    (10, "25%", [5], 5, 8),  # 10 of 13 allowed: it grows by the 3 left
    (1, 0, [1], 0, 0),  # maxSurge 0: the old pod must go first
    (1, 1, [1], 0, 1),
])
def test_the_new_replica_set_grows_within_max_surge(replicas: int, surge: Any, sizes: list[int],
                                                    new_size: int, expected: int) -> None:
    d = deployment(replicas, surge, 1)
    old = [rs(f"old{i}", size) for i, size in enumerate(sizes)]
    new = rs("new", new_size)
    assert rollout.new_rs_new_replicas(d, [*old, new], new) == expected


def test_recreate_asks_for_every_replica_at_once() -> None:
    d = deployment(4, strategy="Recreate")
    assert rollout.new_rs_new_replicas(d, [rs("new", 0)], rs("new", 0)) == 4


def test_the_new_replica_set_is_the_oldest_with_the_template() -> None:
    d = deployment()
    same = {**rs("b", 1, created="2026-01-01T00:00:02Z"),
            "spec": {"replicas": 1, "template": {**d["spec"]["template"], "metadata": {
                "labels": {"app": "d", rollout.HASH_LABEL: "x"}}}}}
    older_same = {**same, "metadata": {**same["metadata"], "name": "a",
                                       "creationTimestamp": "2026-01-01T00:00:01Z"}}
    other = {**rs("c", 1), "spec": {"replicas": 1, "template": {"metadata": {}}}}
    assert rollout.find_new(d, [other, same, older_same])["metadata"]["name"] == "a"
    assert rollout.find_new(d, [other]) is None


def test_a_new_replica_set_carries_the_hash_in_name_labels_and_selector() -> None:
    body = rollout.new_rs_body(deployment(minReadySeconds=3), None)
    hashed = body["metadata"]["labels"][rollout.HASH_LABEL]
    assert body["metadata"]["name"] == f"d-{hashed}"
    assert body["spec"]["selector"]["matchLabels"] == {"app": "d", rollout.HASH_LABEL: hashed}
    assert body["spec"]["template"]["metadata"]["labels"][rollout.HASH_LABEL] == hashed
    assert body["spec"]["minReadySeconds"] == 3
    assert body["metadata"]["ownerReferences"] == [{
        "apiVersion": "apps/v1", "kind": "Deployment", "name": "d", "uid": "u",
        "controller": True, "blockOwnerDeletion": True}]


@given(st.dictionaries(st.text(min_size=1, max_size=5), st.text(max_size=5), max_size=3),
       st.one_of(st.none(), st.integers(0, 5)))
def test_template_hashes_are_short_safe_strings_that_change_with_collisions(
        labels: dict[str, str], collisions: int | None) -> None:
    template = {"metadata": {"labels": labels}}
    hashed = rollout.template_hash(template, collisions)
    assert re.fullmatch(f"[{rollout.SAFE_ALPHABET}]{{1,10}}", hashed)
    assert hashed == rollout.template_hash(template, collisions)
    assert hashed != rollout.template_hash(template, (collisions or 0) + 7)


# Scaling the old ReplicaSets down -----------------------------------------------------------
@pytest.mark.parametrize(("replicas", "unavailable", "old", "new", "expected"), [
    # maxUnavailable 0: nothing goes before the new pod is available
    (1, 0, [rs("old", 1, 1)], rs("new", 1, 0), {}),
    (1, 0, [rs("old", 1, 1)], rs("new", 1, 1), {"old": 0}),
    # 10 replicas, 2 unavailable allowed: 2 old pods go at once
    (10, 2, [rs("old", 10, 10)], rs("new", 0, 0), {"old": 8}),
    # an unavailable old pod goes first, within the budget (4 pods - 3 needed)
    (3, 0, [rs("old", 3, 1)], rs("new", 1, 1), {"old": 2}),
    # the oldest ReplicaSet shrinks first
    (4, 1, [rs("a", 2, 2, created="2026-01-01T00:00:01Z"),
            rs("b", 2, 2, created="2026-01-01T00:00:02Z")], rs("new", 0, 0), {"a": 1}),
    (2, 1, [rs("old", 0, 0)], rs("new", 2, 2), {}),
])
def test_old_replica_sets_shrink_while_max_unavailable_allows(
        replicas: int, unavailable: int, old: list[dict[str, Any]], new: dict[str, Any],
        expected: dict[str, int]) -> None:
    assert rollout.old_scale_down(deployment(replicas, 1, unavailable), new, old) == expected


# Scaling events ----------------------------------------------------------------------------
def _sized(name: str, replicas: int, desired: int, max_replicas: int,
           created: str = "2026-01-01T00:00:00Z", available: int = 0) -> dict[str, Any]:
    return rs(name, replicas, available, created=created, annotations={
        rollout.DESIRED: str(desired), rollout.MAX_REPLICAS: str(max_replicas)})


def test_a_scaling_event_is_an_active_set_sized_for_other_replicas() -> None:
    assert rollout.is_scaling_event(deployment(5), [_sized("a", 3, 3, 4)])
    assert not rollout.is_scaling_event(deployment(3), [_sized("a", 3, 3, 4)])
    assert not rollout.is_scaling_event(deployment(5), [rs("plain", 3)])


def test_one_active_replica_set_takes_the_whole_count() -> None:
    assert rollout.scale_sizes(deployment(5), _sized("new", 2, 2, 3), []) == {"new": 5}
    assert rollout.scale_sizes(deployment(0), None, [_sized("old", 2, 2, 3)]) == {"old": 0}


def test_mid_rollout_scaling_is_proportional() -> None:
    """sync_test.go TestScale "proportional scaling: 5 -> 10" style: 10 + 3 surge spread by
    each set's share of its annotated max-replicas, the leftover to the largest."""
    d = deployment(10, 3, 1)
    new = _sized("new", 2, 5, 6, created="2026-01-01T00:00:02Z")
    old = [_sized("old", 4, 5, 6, created="2026-01-01T00:00:01Z")]
    sizes = rollout.scale_sizes(d, new, old)
    assert sum(sizes.values()) == 13
    assert sizes["old"] > sizes["new"]


def test_scaling_down_mid_rollout_never_goes_below_zero() -> None:
    d = deployment(1, 0, 1)
    sizes = rollout.scale_sizes(d, _sized("new", 3, 6, 6, created="2026-01-01T00:00:02Z"),
                                [_sized("old", 3, 6, 6, created="2026-01-01T00:00:01Z")])
    assert sum(sizes.values()) == 1 and min(sizes.values()) >= 0


def test_a_saturated_new_set_scales_the_old_ones_to_zero() -> None:
    d = deployment(2)
    new = _sized("new", 2, 2, 3, available=2)
    assert rollout.scale_sizes(d, new, [_sized("old", 1, 1, 2)]) == {"old": 0}


# History -------------------------------------------------------------------------------------
def test_history_keeps_revision_history_limit_empty_sets() -> None:
    old = [rs(f"r{i}", 0, revision=i) for i in range(1, 5)]
    busy = rs("r0", 1, revision=0)
    unobserved = rs("r9", 0, revision=-1, observed=0)
    assert rollout.history_to_delete(deployment(revisionHistoryLimit=2), old) == ["r1", "r2"]
    assert rollout.history_to_delete(deployment(revisionHistoryLimit=0),
                                     [busy, unobserved, *old]) == ["r1", "r2", "r3", "r4"]
    assert rollout.history_to_delete(deployment(revisionHistoryLimit=10), old) == []


# Status and conditions ----------------------------------------------------------------------
def test_status_counts_the_replica_sets() -> None:
    d = deployment(3, 1, 1, generation=4)
    status = ds.calculate(d, [rs("old", 1, 1), rs("new", 2, 1, ready=2)], rs("new", 2, 1), NOW)
    assert {k: status[k] for k in ("observedGeneration", "replicas", "updatedReplicas",
                                   "readyReplicas", "availableReplicas",
                                   "unavailableReplicas")} == {
        "observedGeneration": 4, "replicas": 3, "updatedReplicas": 2, "readyReplicas": 3,
        "availableReplicas": 2, "unavailableReplicas": 1}
    available = ds.get_condition(status, ds.AVAILABLE)
    assert (available["status"], available["reason"]) == ("True", ds.MIN_AVAILABLE)


def test_too_few_available_pods_make_the_deployment_unavailable() -> None:
    status = ds.calculate(deployment(3, 1, 0), [rs("new", 3, 2)], rs("new", 3, 2), NOW)
    available = ds.get_condition(status, ds.AVAILABLE)
    assert (available["status"], available["reason"],
            available["message"]) == ("False", ds.MIN_UNAVAILABLE,
                                      "Deployment does not have minimum availability.")


def test_set_condition_keeps_the_transition_time_of_the_same_status() -> None:
    status: dict[str, Any] = {}
    ds.set_condition(status, ds.condition("Progressing", "True", "A", "a", NOW))
    later = NOW + timedelta(seconds=5)
    ds.set_condition(status, ds.condition("Progressing", "True", "A", "again", later))
    assert status["conditions"][0]["message"] == "a"  # same status and reason: unchanged
    ds.set_condition(status, ds.condition("Progressing", "True", "B", "b", later))
    assert status["conditions"][0]["lastTransitionTime"] == format_time(NOW)
    assert status["conditions"][0]["lastUpdateTime"] == format_time(later)


def _progressing(reason: str, at: datetime, status: str = "True") -> dict[str, Any]:
    return {"conditions": [ds.condition("Progressing", status, reason, "m", at)]}


def test_a_complete_rollout_reports_new_replica_set_available() -> None:
    d = deployment(2, status={"replicas": 2, **_progressing(ds.RS_UPDATED, NOW)})
    status = ds.rollout_status(d, [rs("new", 2, 2)], rs("new", 2, 2), NOW)
    found = ds.get_condition(status, ds.PROGRESSING)
    assert (found["reason"], found["message"]) == (
        ds.NEW_RS_AVAILABLE, 'ReplicaSet "new" has successfully progressed.')


def test_progress_moves_the_update_time_not_the_transition_time() -> None:
    d = deployment(2, status={"replicas": 2, "updatedReplicas": 0,
                              **_progressing(ds.NEW_RS_CREATED, NOW)})
    later = NOW + timedelta(seconds=30)
    status = ds.rollout_status(d, [rs("old", 1, 1), rs("new", 1, 0)], rs("new", 1, 0), later)
    found = ds.get_condition(status, ds.PROGRESSING)
    assert (found["reason"], found["message"]) == (ds.RS_UPDATED,
                                                   'ReplicaSet "new" is progressing.')
    assert found["lastTransitionTime"] == format_time(NOW)
    assert found["lastUpdateTime"] == format_time(later)


def test_no_progress_past_the_deadline_is_progress_deadline_exceeded() -> None:
    d = deployment(1, progressDeadlineSeconds=10,
                   status={"replicas": 1, "updatedReplicas": 1,
                           **_progressing(ds.RS_UPDATED, NOW)})
    pods = [rs("new", 1, 0)]
    assert ds.get_condition(ds.rollout_status(d, pods, pods[0], NOW + timedelta(seconds=9)),
                            ds.PROGRESSING)["reason"] == ds.RS_UPDATED
    timed_out = ds.get_condition(ds.rollout_status(d, pods, pods[0],
                                                   NOW + timedelta(seconds=11)), ds.PROGRESSING)
    assert (timed_out["status"], timed_out["reason"], timed_out["message"]) == (
        "False", ds.TIMED_OUT, 'ReplicaSet "new" has timed out progressing.')
    assert ds.deadline_at(d, d["status"]) == NOW + timedelta(seconds=10)


def test_without_a_deadline_there_is_no_progressing_condition() -> None:
    d = deployment(1, progressDeadlineSeconds=ds.MAX_INT32,
                   status=_progressing(ds.RS_UPDATED, NOW))
    status = ds.rollout_status(d, [rs("new", 1, 1)], rs("new", 1, 1), NOW)
    assert ds.get_condition(status, ds.PROGRESSING) is None


def test_pausing_and_resuming_say_so_unless_timed_out() -> None:
    paused = ds.paused_condition(deployment(paused=True), NOW)
    assert paused is not None and (paused["status"], paused["reason"]) == ("Unknown", ds.PAUSED)
    resumed = ds.paused_condition(deployment(status=_progressing(ds.PAUSED, NOW, "Unknown")),
                                  NOW)
    assert resumed is not None and resumed["message"] == "Deployment is resumed"
    assert ds.paused_condition(deployment(paused=True, status=_progressing(
        ds.TIMED_OUT, NOW, "False")), NOW) is None


# ReplicaSet decisions -----------------------------------------------------------------------
def pod(name: str, *, node: bool = True, phase: str = "Running", ready_at: datetime | None = NOW,
        created: datetime = NOW, restarts: int = 0, labels: dict[str, str] | None = None,
        owner: str | None = None, deleting: bool = False) -> dict[str, Any]:
    conditions = [] if ready_at is None else [
        {"type": "Ready", "status": "True", "lastTransitionTime": format_time(ready_at)}]
    meta: dict[str, Any] = {"name": name, "creationTimestamp": format_time(created),
                            "labels": labels if labels is not None else {"app": "d"}}
    if owner:
        meta["ownerReferences"] = [{"uid": owner, "controller": True, "kind": "ReplicaSet"}]
    if deleting:
        meta["deletionTimestamp"] = format_time(NOW)
    return {"metadata": meta, "spec": {"nodeName": "n"} if node else {},
            "status": {"phase": phase, "conditions": conditions,
                       "containerStatuses": [{"restartCount": restarts}]}}


def test_surplus_pods_go_unscheduled_pending_unready_newest_first() -> None:
    pods = [pod("old-ready", ready_at=NOW - timedelta(hours=1), created=NOW - timedelta(hours=2)),
            pod("young-ready", ready_at=NOW - timedelta(minutes=1)),
            pod("unready", ready_at=None),
            pod("pending", phase="Pending", ready_at=None),
            pod("unscheduled", node=False, phase="Pending", ready_at=None),
            pod("restarted", ready_at=NOW - timedelta(hours=1), restarts=3,
                created=NOW - timedelta(hours=2))]
    order = [p["metadata"]["name"] for p in rp.pods_to_delete(pods, 6)]
    assert order == ["unscheduled", "pending", "unready", "young-ready", "restarted",
                     "old-ready"]
    assert rp.pods_to_delete(pods, 0) == [] and rp.pods_to_delete(pods, -2) == []


def test_a_pod_is_available_once_ready_for_min_ready_seconds() -> None:
    ready = pod("p", ready_at=NOW)
    assert rp.is_available(ready, 0, NOW)
    assert not rp.is_available(ready, 5, NOW + timedelta(seconds=4))
    assert rp.is_available(ready, 5, NOW + timedelta(seconds=5))
    assert not rp.is_available(pod("q", ready_at=None), 0, NOW)
    assert rp.available_in([ready], 5, NOW + timedelta(seconds=2)) == pytest.approx(3.05)
    assert rp.available_in([ready], 0, NOW) is None


def test_a_replica_set_claims_matching_orphans_and_releases_strays() -> None:
    owner = {"metadata": {"uid": "me"}, "spec": {"selector": {"matchLabels": {"app": "d"}}}}
    mine = pod("mine", owner="me")
    stray = pod("stray", owner="me", labels={"app": "other"})
    orphan, theirs = pod("orphan"), pod("theirs", owner="someone")
    dying_orphan = pod("dying", deleting=True)
    owned, adopt, release = rp.claims(owner, [mine, stray, orphan, theirs, dying_orphan])
    assert [p["metadata"]["name"] for p in owned] == ["mine"]
    assert [p["metadata"]["name"] for p in adopt] == ["orphan"]
    assert [p["metadata"]["name"] for p in release] == ["stray"]
    leaving = {**owner, "metadata": {"uid": "me", "deletionTimestamp": "x"}}
    assert rp.claims(leaving, [orphan])[1] == []


def test_replica_set_status_counts_active_pods() -> None:
    replica_set = {"metadata": {"generation": 3},
                   "spec": {"minReadySeconds": 10, "template": {"metadata": {
                       "labels": {"app": "d", "tier": "t"}}}}}
    pods = [pod("a", ready_at=NOW - timedelta(seconds=20), labels={"app": "d", "tier": "t"}),
            pod("b", ready_at=NOW), pod("c", ready_at=None),
            pod("gone", phase="Failed"), pod("leaving", deleting=True)]
    assert rp.replica_set_status(replica_set, pods, NOW) == {
        "replicas": 3, "fullyLabeledReplicas": 1, "readyReplicas": 2, "availableReplicas": 1,
        "observedGeneration": 3}
