"""PipelineRun objects into RunRecord rows: the one mapping, and the one upsert.

Written by `manage.py watch_runs` for every list item and watch event, and by the new-run view
for the run it just created (so pages see it before the watch does). Idempotent: the same
object written twice leaves one unchanged row. A run that has ended stays ended here as it does
in the API (the CRD's CEL rule): a late, older view of it cannot revive it.

Status fields the operator writes for the archive (crds/pipelineruns.kubeshowcase.io.yaml):
status.pipelineGeneration (the Pipeline's metadata.generation the Job was built from),
status.imageID (the pipeline container's imageID, as the kubelet reported it),
status.nodeName and status.exitCode (where the pod ran, how the pipeline container ended),
status.podName (the pod of the current attempt: the live log is read from it by name) and
status.outputs = {"dir": "", "complete": true, "files": [{"path", "size", "mtimeNs", "sha256"?}]}
(paths relative to the project folder; sha256 only for files under the operator's bound).
(A queued run's place and estimated start come from the operator's queue ConfigMap instead,
runs.queueorder; a row loses both once its run leaves Queued.)
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from runs.model import parse_time
from runs.models import ACTIVE_PHASES, FINISHED_PHASES, RunRecord

PROJECT_ID_LABEL = "kubeshowcase.io/project-id"
UNSEEN_PHASE = "Queued"  # no status yet: the operator has not seen it; it waits like a queued one


def record_fields(obj: dict[str, Any]) -> dict[str, Any]:
    """The RunRecord columns of one PipelineRun object (everything but uid and project)."""
    metadata = obj.get("metadata") or {}
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    position = status.get("queuePosition")
    outputs = status.get("outputs") or {}
    generation = status.get("pipelineGeneration")
    exit_code = status.get("exitCode")
    phase = status.get("phase") or UNSEEN_PHASE
    return {
        "name": metadata.get("name", ""),
        "owner": spec.get("owner", ""),
        "project_path": spec.get("project", ""),
        "pipeline": spec.get("pipeline", ""),
        "pipeline_generation": generation if isinstance(generation, int) else None,
        "parameters": dict(spec.get("parameters") or {}),
        "cancel_requested": bool(spec.get("cancelRequested")),
        "phase": phase,
        "reason": status.get("reason") or "",
        "message": status.get("message") or "",
        "queue_position": position if isinstance(position, int) and position > 0 else None,
        "job_name": status.get("jobName") or "",
        "log_file": status.get("logFile") or "",
        "image_id": status.get("imageID") or "",
        "node_name": status.get("nodeName") or "",
        "pod_name": status.get("podName") or "",
        "exit_code": exit_code if isinstance(exit_code, int) and not isinstance(exit_code, bool)
        else None,
        "conditions": list(status.get("conditions") or ()),
        "outputs": list(outputs.get("files") or ()),
        "outputs_complete": bool(outputs.get("complete", True)),
        "outputs_dir": outputs.get("dir") or "",
        "created_at": parse_time(metadata.get("creationTimestamp")),
        "started_at": parse_time(status.get("startTime")),
        "finished_at": parse_time(status.get("completionTime")),
        "duration": status.get("duration") or "",
        "resource_version": metadata.get("resourceVersion") or "",
    }


def project_id_of(obj: dict[str, Any]) -> uuid.UUID | None:
    """spec.projectId (else the project-id label) as a UUID; None for runs made before it."""
    spec = obj.get("spec") or {}
    labels = (obj.get("metadata") or {}).get("labels") or {}
    for text in (spec.get("projectId"), labels.get(PROJECT_ID_LABEL)):
        try:
            return uuid.UUID(str(text)) if text else None
        except ValueError:
            continue
    return None


# spec.owner, spec.project and spec.pipeline are immutable in the CRD: a row keeps what it was
# made with, so a guest's runs moved into an account (the handover app) stay the account's
# when the watcher sees their objects again.
SET_ONCE = ("owner", "project_path", "pipeline", "parameters")
# Columns the operator's queue ConfigMap fills (runs.queueorder), held only while queued.
QUEUED_ONLY = ("queue_place", "estimate")


def keeps_old(old_phase: str, new_phase: str) -> bool:
    """True when the stored row must not take the new view: it ended, the new view has not."""
    return old_phase in FINISHED_PHASES and new_phase in ACTIVE_PHASES


def _project_for(obj: dict[str, Any], fields: dict[str, Any]) -> tuple[Any, uuid.UUID | None]:
    """(the Project row, project_ref) of a new row."""
    from projects.models import Project

    project_id = project_id_of(obj)
    if project_id is not None:
        return Project.objects.filter(id=project_id).first(), project_id
    # A run made before projects had ids: the project of its folder, if it has a row yet (else
    # runs.links links it when the row is made).
    owner, _, name = fields["project_path"].partition("/")
    found = Project.objects.filter(owner=owner, name=name).first() if owner == fields["owner"] else None
    return found, (found.id if found is not None else None)


def upsert(obj: dict[str, Any], *, only_if_new: bool = False,
           on_finished: Callable[[RunRecord], object] | None = None) -> RunRecord | None:
    """Write obj's row; returns it (None for an object without a uid).

    only_if_new: insert only (the new-run view: the watch may already know more than the
    object create answered). on_finished(row) is called, in the same transaction, when this
    write is the one that made the row finished (a new row already ended, or an active one
    ending): once per run, however often its end is replayed.
    """
    uid_text = (obj.get("metadata") or {}).get("uid")
    if not uid_text:
        return None
    uid = uuid.UUID(uid_text)
    fields = record_fields(obj)
    for attempt in range(2):
        try:
            with transaction.atomic():
                row = RunRecord.objects.select_for_update().filter(uid=uid).first()
                if row is None:
                    project, ref = _project_for(obj, fields)
                    row = RunRecord.objects.create(
                        uid=uid, project=project, project_ref=ref, **fields
                    )
                    if on_finished is not None and row.phase in FINISHED_PHASES:
                        on_finished(row)
                    return row
                if only_if_new or keeps_old(row.phase, fields["phase"]):
                    return row
                ends_now = row.phase not in FINISHED_PHASES and fields["phase"] in FINISHED_PHASES
                changed = [key for key, value in fields.items()
                           if key not in SET_ONCE and getattr(row, key) != value]
                if row.deleted_at is not None:
                    row.deleted_at = None
                    changed.append("deleted_at")
                if fields["phase"] != "Queued":  # its place in the queue is over (runs.queueorder)
                    for column in QUEUED_ONLY:
                        if getattr(row, column) is not None:
                            setattr(row, column, None)
                            changed.append(column)
                if changed:
                    for key in changed:
                        setattr(row, key, fields.get(key, getattr(row, key)))
                    row.save(update_fields=[*changed, "archived_at"])
                if on_finished is not None and ends_now:
                    on_finished(row)
                return row
        except IntegrityError:  # two writers inserted the same uid at once: the other won
            if attempt:
                raise
    return None  # unreachable


def mark_deleted(uid_text: str) -> None:
    """The object is gone from the API (retention, a user's delete): its row stays."""
    try:
        uid = uuid.UUID(uid_text)
    except ValueError:
        return
    RunRecord.objects.filter(uid=uid, deleted_at__isnull=True).update(deleted_at=timezone.now())
