"""Deletion without a running double: the grace rules as pure functions, and the garbage
collector acting only when its task processes the queue, never inside the DELETE."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kubedouble import graceful
from kubedouble.operations import Cluster
from kubedouble.selectors import Selector

MOMENT = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


def _pod(node: str | None = "kubedouble", phase: str = "Running", grace: int = 30,
         **meta: object) -> dict:
    spec: dict = {"terminationGracePeriodSeconds": grace}
    if node:
        spec["nodeName"] = node
    return {"metadata": {"name": "p", **meta}, "spec": spec, "status": {"phase": phase}}


def _plan(obj: dict, requested: int | None = None, propagation: str = "Background",
          pod: bool = True) -> graceful.Deletion:
    return graceful.plan_deletion(obj, graceful=pod, requested_grace=requested,
                                  propagation=propagation, moment=MOMENT)


@pytest.mark.parametrize(("pod", "requested", "grace"), [
    (_pod(), None, 30), (_pod(grace=7), None, 7), (_pod(), 5, 5), (_pod(), -3, 1),
    (_pod(node=None), 5, 0), (_pod(phase="Succeeded"), None, 0), (_pod(phase="Failed"), 9, 0)])
def test_the_grace_is_the_pod_strategys(pod, requested, grace):
    plan = _plan(pod, requested)
    assert plan.changes["deletionGracePeriodSeconds"] == grace
    assert plan.removes_now() == (grace == 0)


def test_the_deletion_timestamp_is_now_plus_the_grace():
    assert _plan(_pod()).changes["deletionTimestamp"] == "2026-01-01T12:00:30Z"


def test_a_pending_graceful_deletion_can_only_be_shortened():
    marked = _pod(deletionTimestamp="2026-01-01T12:00:30Z", deletionGracePeriodSeconds=30)
    assert _plan(marked).pending and _plan(marked, 30).pending and _plan(marked, 60).pending
    shorter = _plan(marked, 10)
    assert shorter.changes["deletionGracePeriodSeconds"] == 10
    assert shorter.changes["deletionTimestamp"] == "2026-01-01T12:00:10Z"
    assert _plan(marked, 0).removes_now()


def test_finalizers_keep_a_pod_whose_grace_is_over():
    held = _pod(deletionTimestamp="2026-01-01T12:00:00Z", deletionGracePeriodSeconds=0,
                finalizers=["example.com/hold"])
    assert _plan(held, 0).pending
    assert _plan({**held, "metadata": {**held["metadata"], "finalizers": []}}, 0).removes_now()


@pytest.mark.parametrize(("propagation", "added"), [
    ("Orphan", ["orphan"]), ("Foreground", ["foregroundDeletion"]), ("Background", None)])
def test_the_policy_adds_its_finalizer(propagation, added):
    owner = {"metadata": {"name": "cm"}}
    assert _plan(owner, propagation=propagation, pod=False).changes["finalizers"] == added


def test_an_explicit_policy_wins_over_a_finalizer_and_the_default():
    assert graceful.propagation_of("Background", ["orphan"], "Orphan") == "Background"
    assert graceful.propagation_of(None, ["foregroundDeletion"], "Orphan") == "Foreground"
    assert graceful.propagation_of(None, [], "Orphan") == "Orphan"


@pytest.fixture
def cluster() -> Cluster:
    return Cluster()


def _cms(cluster: Cluster):
    return cluster.resource("", "v1", "configmaps")


def _owned(cluster: Cluster, owner: dict, name: str, **ref: object) -> dict:
    meta = owner["metadata"]
    return cluster.create(_cms(cluster), "default", {"metadata": {"name": name, "ownerReferences": [
        {"apiVersion": "v1", "kind": "ConfigMap", "name": meta["name"], "uid": meta["uid"],
         **ref}]}})


def _names(cluster: Cluster) -> list[str]:
    return sorted(o["metadata"]["name"] for o in cluster.list(_cms(cluster), "default",
                                                                 Selector()))


def test_the_collector_acts_after_the_delete_not_inside_it(cluster):
    owner = cluster.create(_cms(cluster), "default", {"metadata": {"name": "owner"}})
    _owned(cluster, owner, "child")
    _, gone = cluster.delete(_cms(cluster), "default", "owner")
    assert gone and "child" in _names(cluster)  # the DELETE answered; nothing collected yet
    cluster.gc.process(owner["metadata"]["uid"])
    assert "child" not in _names(cluster)


def test_orphaning_waits_for_the_collector(cluster):
    owner = cluster.create(_cms(cluster), "default", {"metadata": {"name": "owner"}})
    _owned(cluster, owner, "child")
    marked, gone = cluster.delete(_cms(cluster), "default", "owner", propagation="Orphan")
    assert not gone and marked["metadata"]["finalizers"] == ["orphan"]
    assert _names(cluster) == ["child", "kube-root-ca.crt", "owner"]
    cluster.gc.process(owner["metadata"]["uid"])
    assert _names(cluster) == ["child", "kube-root-ca.crt"]
    child = cluster.get(_cms(cluster), "default", "child")
    assert "ownerReferences" not in child["metadata"]


def test_foreground_waits_only_for_blocking_dependents(cluster):
    owner = cluster.create(_cms(cluster), "default", {"metadata": {"name": "owner"}})
    _owned(cluster, owner, "free")
    held = _owned(cluster, owner, "held", blockOwnerDeletion=True)
    cluster.patch_metadata(_cms(cluster), held, {"finalizers": ["example.com/hold"]})
    cluster.delete(_cms(cluster), "default", "owner", propagation="Foreground")
    cluster.gc.process(owner["metadata"]["uid"])
    assert "free" not in _names(cluster) and "owner" in _names(cluster)
    held = cluster.get(_cms(cluster), "default", "held")
    cluster.patch_metadata(_cms(cluster), held, {"finalizers": None})
    cluster.gc.process(owner["metadata"]["uid"])
    assert "owner" not in _names(cluster)


def test_a_dependent_with_another_live_owner_only_loses_the_reference(cluster):
    first = cluster.create(_cms(cluster), "default", {"metadata": {"name": "first"}})
    second = cluster.create(_cms(cluster), "default", {"metadata": {"name": "second"}})
    child = _owned(cluster, first, "child")
    refs = child["metadata"]["ownerReferences"] + [
        {"apiVersion": "v1", "kind": "ConfigMap", "name": "second",
         "uid": second["metadata"]["uid"]}]
    cluster.patch_metadata(_cms(cluster), child, {"ownerReferences": refs})
    cluster.delete(_cms(cluster), "default", "first")
    cluster.gc.process(first["metadata"]["uid"])
    kept = cluster.get(_cms(cluster), "default", "child")
    assert [r["name"] for r in kept["metadata"]["ownerReferences"]] == ["second"]
