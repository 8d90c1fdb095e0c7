"""The published queue order's payload (the shared format) and its byte budget."""

from __future__ import annotations

import json

from kubeshowcase_operator.queuemap import (
    QUEUE_CONFIGMAP,
    configmap_body,
    published_order,
    queue_payload,
)


def test_the_payload_is_the_shared_format() -> None:
    assert queue_payload(["b", "a"], {}) == {"version": 1, "order": ["b", "a"], "estimates": {}}
    body = configmap_body("ns", queue_payload(["b", "a"], {}))
    assert (body["kind"], body["metadata"]["name"], body["metadata"]["namespace"]) == (
        "ConfigMap", QUEUE_CONFIGMAP, "ns")
    assert json.loads(body["data"]["queue.json"]) == {
        "version": 1, "order": ["b", "a"], "estimates": {}}


def test_an_order_past_the_budget_is_cut_at_its_head() -> None:
    order = [f"run-{i:04d}" for i in range(100)]  # 8 characters + 3 each
    assert published_order(order, budget=10_000) == order
    assert published_order(order, budget=33) == order[:3]
    assert published_order([], budget=0) == []
