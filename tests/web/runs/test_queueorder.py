"""The published queue order into the archive (runs.queueorder): the payload's rows, then the
queue page ordered by them."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from kubeshowcase_operator.queuemap import configmap_body, queue_payload
from runs.models import RunRecord
from runs.queueorder import read_payload, row_updates, write_updates
from tests.web.conftest import Actor

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def configmap(order: list[str]) -> dict:
    """The ConfigMap as the operator writes it (its own functions)."""
    return configmap_body("kubeshowcase", queue_payload(order, {}))


@pytest.mark.parametrize(("payload", "expected"), [
    ({"version": 1, "order": [], "estimates": {}}, {}),
    ({"version": 1, "order": ["b", "a"], "estimates": {}},
     {"b": {"queue_place": 1, "estimate": None}, "a": {"queue_place": 2, "estimate": None}}),
    ({"version": 1, "order": ["a", 3, "a", "c"], "estimates": {"c": {"basis": 3}, "a": "x"}},
     {"a": {"queue_place": 1, "estimate": None}, "c": {"queue_place": 4, "estimate": {"basis": 3}}}),
    ({"version": 1, "order": "not a list"}, {}),
])
def test_row_updates(payload: dict, expected: dict) -> None:
    assert row_updates(payload) == expected


def test_the_operators_configmap_reads_back() -> None:
    assert row_updates(read_payload(configmap(["x", "y"]))) == {
        "x": {"queue_place": 1, "estimate": None}, "y": {"queue_place": 2, "estimate": None}}


@pytest.mark.parametrize("data", [
    {}, {"queue.json": "{"}, {"queue.json": json.dumps({"version": 2, "order": []})},
    {"queue.json": json.dumps(["a"])}, {"queue.json": " " * (1024 * 1024 + 1)},
])
def test_anything_else_is_refused_with_a_value_error(data: dict) -> None:
    with pytest.raises(ValueError):
        read_payload({"metadata": {"name": "kubeshowcase-queue"}, "data": data})


def rows(*specs: tuple[str, str, str]) -> None:
    """(name, owner, phase), created a second apart in that order."""
    RunRecord.objects.bulk_create([
        RunRecord(uid=uuid.uuid4(), name=name, owner=owner, project_path=f"{owner}/p",
                  pipeline="nuclei", phase=phase, created_at=T0 + timedelta(seconds=index))
        for index, (name, owner, phase) in enumerate(specs)])


def places() -> dict[str, int | None]:
    return dict(RunRecord.objects.values_list("name", "queue_place"))


def test_queued_rows_take_their_places_and_lose_them(db) -> None:  # noqa: ANN001
    rows(("a-1", "alice", "Queued"), ("a-2", "alice", "Queued"), ("b-1", "bob", "Queued"),
         ("r-1", "alice", "Running"))
    assert write_updates(row_updates({"order": ["b-1", "a-1", "a-2", "r-1", "gone"]})) == (
        3, {"r-1", "gone"})  # a running run keeps no place
    assert places() == {"b-1": 1, "a-1": 2, "a-2": 3, "r-1": None}
    assert write_updates(row_updates({"order": ["b-1", "a-1", "a-2"]})) == (0, set())
    assert write_updates(row_updates({"order": ["a-2"]})) == (3, set())
    assert places() == {"b-1": None, "a-1": None, "a-2": 1, "r-1": None}


def queue_page_names(actor: Actor, names: list[str]) -> list[str]:
    """`names` in the order the queue page lists them (staff see every run's name)."""
    from django.contrib.auth.models import User

    User.objects.filter(username=actor.slug).update(is_staff=True)
    html = actor.client.get(reverse("runs-queue")).content.decode()
    return sorted(names, key=lambda name: html.index(f">{name}<"))


def test_the_queue_page_follows_the_published_order(alice: Actor) -> None:
    rows(("a-1", "alice", "Queued"), ("a-2", "alice", "Queued"), ("b-1", "bob", "Queued"),
         ("c-1", "carol", "Queued"), ("r-1", "alice", "Running"))
    names = ["r-1", "a-1", "a-2", "b-1", "c-1"]
    assert queue_page_names(alice, names) == names  # nothing published: by creation
    write_updates(row_updates({"order": ["b-1", "a-1", "c-1"]}))
    # Running first, then the published order, then what it does not hold yet, by creation.
    assert queue_page_names(alice, names) == ["r-1", "b-1", "a-1", "c-1", "a-2"]


def test_a_row_written_after_its_order_gets_its_place_at_the_next_beat(db) -> None:  # noqa: ANN001
    from runs.queueorder import apply_queue_event, retry_missing

    rows(("a-1", "alice", "Queued"))
    apply_queue_event("MODIFIED", configmap(["b-1", "a-1"]))  # b-1's row is not there yet
    assert places() == {"a-1": 2}
    rows(("b-1", "bob", "Queued"))  # the runs' follower, a moment later
    retry_missing()
    assert places() == {"a-1": 2, "b-1": 1}
