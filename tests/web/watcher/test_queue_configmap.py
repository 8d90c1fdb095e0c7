"""The watcher follows the operator's queue order (ConfigMap kubeshowcase-queue, by name, with
the chart's watcher account): queued runs' rows take their places, and lose them with it."""

from __future__ import annotations

import pytest

from kubeshowcase_operator.queuemap import QUEUE_CONFIGMAP, configmap_body, queue_payload
from runs.models import RunRecord
from tests.waiting import wait_until
from tests.web.watcher.conftest import wait_for_row, watching

pytestmark = pytest.mark.django_db(transaction=True)


def publish(watched, order: list[str], *, create: bool = False) -> None:  # noqa: ANN001
    """What the operator's leader does (its own body and payload functions)."""
    body = configmap_body(watched.namespace, queue_payload(order, {}))
    if create:
        watched.core.create_namespaced_config_map(watched.namespace, body)
    else:
        watched.core.patch_namespaced_config_map(QUEUE_CONFIGMAP, watched.namespace,
                                                 {"data": body["data"]})


def places() -> dict[str, int | None]:
    return dict(RunRecord.objects.values_list("name", "queue_place"))


def test_rows_follow_the_published_order(watched) -> None:  # noqa: ANN001
    runs = [watched.create_run(owner, "cells", name=name)
            for owner, name in (("alice", "a-1"), ("alice", "a-2"), ("bob", "b-1"))]
    publish(watched, ["b-1", "a-1"], create=True)  # before the watcher: found by its list
    with watching():
        wait_for_row(runs[0], queue_place=2)
        assert wait_until(lambda: places() == {"b-1": 1, "a-1": 2, "a-2": None}, timeout=20,
                          what="the listed order")
        publish(watched, ["a-2", "b-1", "a-1"])
        wait_until(lambda: places() == {"a-2": 1, "b-1": 2, "a-1": 3}, timeout=20,
                   what="the watched order")
        watched.core.delete_namespaced_config_map(QUEUE_CONFIGMAP, watched.namespace)
        wait_until(lambda: places() == dict.fromkeys(["a-1", "a-2", "b-1"]), timeout=20,
                   what="no places once the ConfigMap is gone")
