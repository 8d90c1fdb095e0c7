"""Shared helpers for the kubedouble tests: waiting, kubectl, raw HTTP and object builders."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from kubedouble.testing import ApiServerHandle
from tests.waiting import wait_until

KSR = ("kubeshowcase.io", "v1alpha1", "pipelineruns")




def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def sleeper(pid_file: Path, prefix: str = "''") -> str:
    """Python code that writes the `prefix` expression and its pid to pid_file, then sleeps."""
    return (f"import os, time; open({str(pid_file)!r}, 'w').write({prefix} + str(os.getpid()))"
            "; time.sleep(120)")


def kubectl(env: dict[str, str], *args: str, check: bool = True,
            stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["kubectl", *args], env=env, input=stdin, capture_output=True,
                            text=True, timeout=60)
    if check and result.returncode != 0:
        raise AssertionError(f"kubectl {' '.join(args)} failed: {result.stderr}")
    return result


def auth(handle: ApiServerHandle) -> dict[str, str]:
    """The header every client sends: the double refuses requests without a known token."""
    return {"Authorization": f"Bearer {handle.token}"}


def http(handle: ApiServerHandle, method: str, path: str, **kwargs: Any) -> requests.Response:
    headers = {**auth(handle), **kwargs.pop("headers", {})}
    return requests.request(method, handle.url + path, headers=headers, timeout=30,
                            verify=handle.ca_file, **kwargs)


def ksr_path(namespace: str = "kubeshowcase", name: str = "") -> str:
    path = f"/apis/kubeshowcase.io/v1alpha1/namespaces/{namespace}/pipelineruns"
    return f"{path}/{name}" if name else path


def pipeline_run(name: str | None = None, *, generate: str | None = None,
                 labels: dict[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name} if name else {"generateName": generate or "run-"}
    if labels:
        metadata["labels"] = labels
    body_spec = {"pipeline": "nuclei", "owner": "alice", "project": "alice/cells", **spec}
    return {"apiVersion": "kubeshowcase.io/v1alpha1", "kind": "PipelineRun",
            "metadata": metadata, "spec": body_spec}


def job(name: str, command: list[str], *, backoff_limit: int = 0, **spec: Any) -> dict[str, Any]:
    container = {"name": "main", "image": "python:3.11", "command": command}
    container.update(spec.pop("container", {}))
    pod_spec = {"restartPolicy": "Never", "containers": [container]}
    pod_spec.update(spec.pop("pod", {}))
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
            "spec": {"backoffLimit": backoff_limit, "template": {"spec": pod_spec}, **spec}}
