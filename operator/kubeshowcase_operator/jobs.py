"""The Job that runs one PipelineRun, built as a dict from the run, its Pipeline and settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .names import job_name_for, label_value_for
from .placement import pod_placement
from .settings import Settings
from .views import (
    API_VERSION,
    OUTPUT_DIR_ANNOTATION,
    PIPELINE_GENERATION_ANNOTATION,
    RUN_KIND,
    PipelineView,
    RunView,
)

MANAGED_BY = "kubeshowcase-operator"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
OUR_JOBS = f"{MANAGED_BY_LABEL}={MANAGED_BY}"  # the label selector of the Jobs we create
RUN_LABEL = "kubeshowcase.io/run"
# On the pod template: which run a pod belongs to and the folder it writes, in full (label
# values are capped at 63 characters), so that a pod outliving its Job (orphaned, or still
# Terminating) keeps its run's slot and project busy.
RUN_ANNOTATION = "kubeshowcase.io/run"
RUN_UID_ANNOTATION = "kubeshowcase.io/run-uid"
PROJECT_ANNOTATION = "kubeshowcase.io/project"
PIPELINE_LABEL = "kubeshowcase.io/pipeline"
CONTAINER_NAME = "pipeline"
VOLUME_NAME = "project"
RUN_ID_ENV = "KSC_RUN_ID"
# Set for a Pipeline with results.perRun: the absolute path (in the container) of the run's
# own, empty results folder, RUNS_FOLDER/<run name> in the project.
OUTPUT_DIR_ENV = "KSC_OUTPUT_DIR"
RUNS_FOLDER = "runs"
# A pod evicted by a node drain, preemption or the taint manager (its DisruptionTarget
# condition says so) is not counted against backoffLimit: the Job makes a new one.
POD_FAILURE_POLICY = {"rules": [{"action": "Ignore", "onPodConditions": [
    {"type": "DisruptionTarget", "status": "True"}]}]}


@dataclass(frozen=True)
class Handshake:
    """Where a Pipeline expects its files, with the CRD's defaults filled in."""

    mount_path: str
    args: str
    run_id: str
    last_run_id: str
    clear_paths: tuple[str, ...]
    per_run: bool = False  # results.perRun: each run writes into a folder of its own

    def output_dir(self, run_name: str) -> str:
        """The run's own results folder relative to the project, "" without results.perRun."""
        return f"{RUNS_FOLDER}/{run_name}" if self.per_run else ""


def handshake_of(pipeline: PipelineView) -> Handshake:
    # The API server applies these defaults too, but a Pipeline stored before they existed
    # may lack them.
    files = pipeline.spec.get("files") or {}
    return Handshake(
        mount_path=pipeline.spec.get("mountPath") or "/project",
        args=files.get("args") or ".kubeshowcase/args",
        run_id=files.get("runId") or ".kubeshowcase/run_id",
        last_run_id=files.get("lastRunId") or ".kubeshowcase/LAST_RUN_ID",
        clear_paths=tuple(pipeline.spec.get("clearPaths") or ()),
        per_run=(pipeline.spec.get("results") or {}).get("perRun") is True,
    )


def labels_for(run: RunView) -> dict[str, str]:
    return {
        MANAGED_BY_LABEL: MANAGED_BY,
        RUN_LABEL: label_value_for(run.name),
        PIPELINE_LABEL: label_value_for(run.pipeline),
    }


def pipeline_ids(pipeline: PipelineView, settings: Settings) -> tuple[int, int]:
    """(uid, gid) the pipeline runs as: its own, else the operator's (one chart value)."""
    spec = pipeline.spec
    return (int(spec.get("runAsUser") or settings.pipeline_run_as_user),
            int(spec.get("runAsGroup") or settings.pipeline_group))


def _container(run: RunView, pipeline: PipelineView, settings: Settings) -> dict[str, Any]:
    spec = pipeline.spec
    uid, gid = pipeline_ids(pipeline, settings)
    handshake = handshake_of(pipeline)
    mount_path = handshake.mount_path
    output_dir = handshake.output_dir(run.name)
    # These are ours to set: a Pipeline's own KSC_RUN_ID or KSC_OUTPUT_DIR must not shadow them.
    env = [dict(item) for item in spec.get("env") or ()
           if item.get("name") not in (RUN_ID_ENV, OUTPUT_DIR_ENV)]
    env.append({"name": RUN_ID_ENV, "value": run.name})
    if output_dir:
        env.append({"name": OUTPUT_DIR_ENV, "value": f"{mount_path.rstrip('/')}/{output_dir}"})
    container: dict[str, Any] = {
        "name": CONTAINER_NAME,
        "image": spec["image"],
        "workingDir": mount_path,
        "env": env,
        "volumeMounts": [{"name": VOLUME_NAME, "mountPath": mount_path, "subPath": run.project}],
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": uid,
            "runAsGroup": gid,
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
    }
    # User input reaches the pipeline only through the args file: command and args are the
    # Pipeline's own lists, passed as an exec vector (never through a shell).
    for key in ("imagePullPolicy", "command", "args", "resources"):
        if spec.get(key):
            container[key] = spec[key]
    return container


def job_for_run(run: RunView, pipeline: PipelineView, settings: Settings) -> dict[str, Any]:
    """The complete Job manifest for a run (deterministic: the same inputs give the same Job)."""
    labels = labels_for(run)
    uid, gid = pipeline_ids(pipeline, settings)
    pod_security: dict[str, Any] = {
        "runAsNonRoot": True,
        "runAsUser": uid,
        "runAsGroup": gid,
        # The data volume's group, shared with the web app's files.
        "fsGroup": settings.pipeline_volume_group,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    job_spec: dict[str, Any] = {
        "backoffLimit": int(pipeline.spec.get("backoffLimit") or 0),
        "template": {
            "metadata": {"labels": dict(labels), "annotations": {
                RUN_ANNOTATION: run.name, RUN_UID_ANNOTATION: run.uid,
                PROJECT_ANNOTATION: run.project}},
            "spec": {
                "restartPolicy": "Never",
                # A pipeline has no business with the Kubernetes API.
                "automountServiceAccountToken": False,
                **pod_placement(pipeline.spec, settings.pipeline_defaults),
                "securityContext": pod_security,
                "containers": [_container(run, pipeline, settings)],
                "volumes": [{
                    "name": VOLUME_NAME,
                    "persistentVolumeClaim": {"claimName": settings.data_pvc},
                }],
            },
        },
    }
    # Every run ends: the Pipeline's own deadline, else the operator's.
    job_spec["activeDeadlineSeconds"] = int(pipeline.spec.get("activeDeadlineSeconds")
                                            or settings.default_active_deadline_seconds)
    job_spec["podFailurePolicy"] = POD_FAILURE_POLICY
    grace = pipeline.spec.get("terminationGracePeriodSeconds")
    if grace is not None:
        job_spec["template"]["spec"]["terminationGracePeriodSeconds"] = int(grace)
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": job_name_for(run.name),
            "namespace": settings.namespace,
            "labels": labels,
            "annotations": {PIPELINE_GENERATION_ANNOTATION: str(pipeline.generation),
                            OUTPUT_DIR_ANNOTATION: handshake_of(pipeline).output_dir(run.name)},
            "ownerReferences": [{
                "apiVersion": API_VERSION,
                "kind": RUN_KIND,
                "name": run.name,
                "uid": run.uid,
                "controller": True,
                "blockOwnerDeletion": True,
            }],
        },
        "spec": job_spec,
    }


def ttl_patch(settings: Settings) -> dict[str, Any]:
    """Set on a finished Job once its run's outcome is written (never before: a Job removed
    earlier would take the outcome with it)."""
    return {"spec": {"ttlSecondsAfterFinished": settings.job_ttl_seconds}}
