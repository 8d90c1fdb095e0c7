"""KubeApi.stream against the API-server double: chunks, limitBytes, retries before the body."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import pytest

from kubedouble.faults import FaultRule
from kubeshowcase_operator.kubeapi import ApiError, KubeApi, Paths
from tests.kubedouble.helpers import http, job, wait_until
from tests.operator.bodies import operator_connection

PRINTS = "import sys\nsys.stdout.write('0123456789' * 20000)\n"  # 200,000 bytes


@pytest.fixture
def pod_log(apiserver: Any) -> tuple[Connection, str]:
    paths = Paths(apiserver.namespace)
    assert http(apiserver, "POST", paths.jobs, json=job("talk", [sys.executable, "-c", PRINTS])
                ).status_code == 201

    def finished_pod() -> str | None:
        pods = http(apiserver, "GET", f"{paths.pods}?labelSelector=job-name%3Dtalk").json()
        done = [p for p in pods["items"] if p["status"].get("phase") == "Succeeded"]
        return done[0]["metadata"]["name"] if done else None

    connection = operator_connection(apiserver)
    return connection, paths.pod_log(wait_until(finished_pod, 30, "the pod to finish"))


def collect(target: tuple[Connection, str], **params: str) -> list[bytes]:
    connection, path = target

    async def main() -> list[bytes]:
        api = KubeApi(connection)
        try:
            return [chunk async for chunk in api.stream(path, **params)]
        finally:
            await api.close()
    return asyncio.run(main())


def test_it_streams_in_bounded_chunks(pod_log: tuple[Connection, str]) -> None:
    chunks = collect(pod_log, container="main")
    assert b"".join(chunks) == b"0123456789" * 20000
    assert len(chunks) > 1 and max(len(chunk) for chunk in chunks) <= 65536


def test_it_asks_for_at_most_limit_bytes(pod_log: tuple[Connection, str]) -> None:
    assert b"".join(collect(pod_log, limitBytes="12")) == b"012345678901"


def test_it_retries_transient_errors_before_the_body(apiserver: Any, pod_log: tuple[Connection, str]) -> None:
    apiserver.faults.add(FaultRule(path=r"/log$", method="GET", status=503, times=2))
    assert b"".join(collect(pod_log, limitBytes="5")) == b"01234"


def test_it_raises_other_errors_at_once(pod_log: tuple[Connection, str]) -> None:
    with pytest.raises(ApiError) as caught:
        collect(pod_log, container="sidecar")
    assert caught.value.status == 400
    assert caught.value.message.startswith("container sidecar is not valid for pod talk-")
