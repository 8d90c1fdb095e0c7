"""Builders of PipelineRun, Job and Pipeline bodies for the operator's unit tests."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

from kubeshowcase_operator.kubeapi import Connection
from kubeshowcase_operator.settings import Settings
from tests.fixtures.chart_accounts import token_of


def run_body(name: str = "run-1", *, phase: str | None = None,
             created: str = "2025-01-01T10:00:00Z", uid: str = "uid-run-1", rv: str = "10",
             cancel: bool = False, project: str = "alice/cells", pipeline: str = "nuclei",
             args: str | None = '{"sigma": 2}', generation: int = 1, owner: str = "alice",
             **status: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"pipeline": pipeline, "owner": owner, "project": project,
                            "cancelRequested": cancel}
    if args is not None:
        spec["args"] = args
    if phase:
        status["phase"] = phase
    return {
        "apiVersion": "kubeshowcase.io/v1alpha1", "kind": "PipelineRun",
        "metadata": {"name": name, "namespace": "kubeshowcase", "uid": uid, "resourceVersion": rv,
                     "generation": generation, "creationTimestamp": created},
        "spec": spec,
        "status": status,
    }


def job_body(name: str = "run-1", *, run: str = "run-1", run_uid: str = "uid-run-1",
             uid: str = "uid-job-1", rv: str = "20", condition: str | None = None,
             reason: str = "", message: str = "", deleting: bool = False) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "name": name, "namespace": "kubeshowcase", "uid": uid, "resourceVersion": rv,
        "labels": {"app.kubernetes.io/managed-by": "kubeshowcase-operator"},
        "ownerReferences": [{"apiVersion": "kubeshowcase.io/v1alpha1", "kind": "PipelineRun",
                             "name": run, "uid": run_uid, "controller": True}],
    }
    if deleting:
        meta["deletionTimestamp"] = "2025-01-01T10:05:00Z"
    conditions = []
    if condition:
        conditions.append({"type": condition, "status": "True", "reason": reason,
                           "message": message, "lastTransitionTime": "2025-01-01T10:04:00Z"})
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta,
            "status": {"conditions": conditions}}


def pipeline_body(name: str = "nuclei", **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "kubeshowcase.io/v1alpha1", "kind": "Pipeline",
            "metadata": {"name": name, "namespace": "kubeshowcase", "resourceVersion": "5"},
            "spec": {"image": "ghcr.io/example/nuclei:1.0", **spec}}


def pod_body(name: str = "run-1-abcde", *, run: str | None = "run-1",
             run_uid: str | None = "uid-run-1", project: str | None = "alice/cells",
             job: str | None = "run-1", job_uid: str | None = "uid-job-1", rv: str = "30",
             phase: str | None = "Running", deleting: str | None = None) -> dict[str, Any]:
    """A pod of ours; `job=None` as orphaned; `run=None` as made by an older operator
    (no annotations); `deleting`: its deletionTimestamp (the end of its grace period)."""
    meta: dict[str, Any] = {
        "name": name, "namespace": "kubeshowcase", "uid": f"uid-{name}", "resourceVersion": rv,
        "creationTimestamp": "2025-01-01T10:00:00Z",
        "labels": {"app.kubernetes.io/managed-by": "kubeshowcase-operator",
                   "kubeshowcase.io/run": "run-1"},
        "annotations": {key: value for key, value in (
            ("kubeshowcase.io/run", run), ("kubeshowcase.io/run-uid", run_uid),
            ("kubeshowcase.io/project", project)) if value is not None},
    }
    if job is not None:
        meta["ownerReferences"] = [{"apiVersion": "batch/v1", "kind": "Job", "name": job,
                                    "uid": job_uid, "controller": True}]
    if deleting:
        meta["deletionTimestamp"] = deleting
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
            "status": {"phase": phase} if phase else {}}


def settings_for(data_root: Path) -> Settings:
    """The operator's settings in tests: namespace kubeshowcase, one run at a time."""
    return Settings(
        namespace="kubeshowcase", data_root=data_root, data_pvc="kubeshowcase-data",
        max_concurrent_runs=1, queue_position_head=20, job_ttl_seconds=3600,
        pipeline_run_as_user=1000, lease_name="kubeshowcase-operator",
        lease_duration_seconds=15, identity="operator-0",
    )


def operator_connection(apiserver: Any) -> Connection:
    """The operator's own connection to `apiserver`, as the chart's operator account: for
    tests whose code stands for the operator in-process."""
    token = token_of(apiserver.kubeconfigs["operator"])
    return Connection(host=apiserver.url,
                      ssl_context=ssl.create_default_context(cafile=apiserver.ca_file),
                      authorization=lambda: f"Bearer {token}")
