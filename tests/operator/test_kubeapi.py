"""Backoff between retries, Retry-After parsing and credentials."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from kubeshowcase_operator.kubeapi import ApiError, retry_after_seconds, retry_delays

REPO = Path(__file__).resolve().parents[2]


def test_backoff_grows_and_is_capped() -> None:
    assert list(retry_delays(8)) == [0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 2.0]
    assert list(retry_delays(1)) == []


def test_retry_after_is_read_and_bounded() -> None:
    assert retry_after_seconds("1") == 1.0
    assert retry_after_seconds("600") == 5.0
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") is None


def test_transient_errors() -> None:
    assert ApiError(429, "TooManyRequests", "").transient
    assert ApiError(503, "ServiceUnavailable", "").transient
    assert ApiError(0, "Unreachable", "").transient
    assert not ApiError(404, "NotFound", "").transient
    assert not ApiError(409, "Conflict", "").transient
    assert not ApiError(422, "Invalid", "").transient


WHOAMI = """
import asyncio
from kubeshowcase_operator.kubeapi import KubeApi, load_connection

async def whoami():
    api = KubeApi(load_connection())
    try:
        review = await api.create("/apis/authentication.k8s.io/v1/selfsubjectreviews",
                                  {"apiVersion": "authentication.k8s.io/v1",
                                   "kind": "SelfSubjectReview"})
    finally:
        await api.close()
    print(review["status"]["userInfo"]["username"])

asyncio.run(whoami())
"""


def test_it_authenticates_with_the_kubeconfig_token(apiserver, kube_env) -> None:
    # As the operator process does: KUBECONFIG is read when the client library is imported.
    # The double, like kube-apiserver, answers 401 to a request without a known token.
    env = {k: v for k, v in kube_env.items() if k != "KUBERNETES_SERVICE_HOST"}
    env["KUBECONFIG"] = str(apiserver.kubeconfigs["operator"])
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "operator"), str(REPO)])
    result = subprocess.run([sys.executable, "-c", WHOAMI], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "system:serviceaccount:kubeshowcase:kubeshowcase-operator"
