"""Waiting for a condition in tests: poll, never sleep a fixed time."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any


def wait_until(predicate: Callable[[], Any], timeout: float = 30.0, what: str = "condition",
               interval: float = 0.05) -> Any:
    """Poll until `predicate()` is truthy and return its value; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def answers_ok(url: str) -> bool:
    """Whether a GET of url answers 200 now (a server's health page while it starts)."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def pod_log_so_far(core: Any, pod: str, namespace: str) -> str:
    """The pod's log through the API (CoreV1Api `core`), or "" while its container has not
    started: kube-apiserver answers 400 "... is waiting to start" then, not an empty log."""
    from kubernetes.client.exceptions import ApiException

    try:
        return core.read_namespaced_pod_log(pod, namespace)
    except ApiException as error:
        if error.status == 400 and "waiting to start" in str(error.body):
            return ""
        raise
