"""The run archive: one row per PipelineRun ever seen, kept after retention deletes the object.

`manage.py watch_runs` upserts these from the API (list, then watch from the last
resourceVersion); the web app also writes the row of a run it creates, so pages see it at
once. Pages read these rows, never a LIST of the API. PipelineRecord mirrors the Pipelines the
same way (they are few, but a page view must not list them either).
"""

from __future__ import annotations

from django.db import models

ACTIVE_PHASES = ("Queued", "Running")
FINISHED_PHASES = ("Succeeded", "Failed", "Cancelled")


class RunRecordQuerySet(models.QuerySet):
    def active(self) -> RunRecordQuerySet:
        return self.filter(phase__in=ACTIVE_PHASES)

    def finished(self) -> RunRecordQuerySet:
        return self.filter(phase__in=FINISHED_PHASES)


class RunRecord(models.Model):
    # metadata.uid: the identity. A name may come back after its object was deleted.
    uid = models.UUIDField(primary_key=True)
    name = models.CharField(max_length=253, db_index=True)
    owner = models.CharField(max_length=150)
    # The Project row the run was for (spec.projectId). SET_NULL: a deleted project's runs stay
    # in their owner's history, named by project_path.
    project = models.ForeignKey(
        "projects.Project", null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    # The id of the project the run belongs to, once known: spec.projectId, or the row a run
    # made before ids existed was linked to (runs.links). It stays when the project is deleted
    # (project becomes NULL), so a project made again under that name never inherits the run.
    project_ref = models.UUIDField(null=True, blank=True)
    project_path = models.CharField(max_length=512)  # spec.project, "<owner>/<name>" then
    pipeline = models.CharField(max_length=63)
    pipeline_generation = models.BigIntegerField(null=True, blank=True)  # status.pipelineGeneration
    parameters = models.JSONField(default=dict, blank=True)
    cancel_requested = models.BooleanField(default=False)

    phase = models.CharField(max_length=16, default="Queued")
    reason = models.CharField(max_length=128, blank=True, default="")
    message = models.TextField(blank=True, default="")
    queue_position = models.IntegerField(null=True, blank=True)
    # A queued run's expected start and finish (the kubeshowcase-queue ConfigMap's
    # estimates, runs.queueorder): {"startP50", "startP90",
    # "finishP50", "finishP90" (RFC 3339), "basis"} or {"unknown": why}; None otherwise.
    estimate = models.JSONField(null=True, blank=True)
    # The run's place in the operator's full queue order (the kubeshowcase-queue ConfigMap,
    # runs.queueorder), 1 first; NULL when the published order does not hold it.
    queue_place = models.IntegerField(null=True, blank=True)
    job_name = models.CharField(max_length=63, blank=True, default="")
    log_file = models.CharField(max_length=512, blank=True, default="")
    image_id = models.CharField(max_length=1024, blank=True, default="")  # status.imageID
    conditions = models.JSONField(default=list, blank=True)
    # status.outputs: [{"path", "size", "mtime", "sha256"?}], as the operator recorded them at
    # the run's end; outputs_complete is False when the operator's bound cut the list short.
    outputs = models.JSONField(default=list, blank=True)
    outputs_complete = models.BooleanField(default=True)
    outputs_dir = models.CharField(max_length=512, blank=True, default="")  # results.perRun

    # Provenance (issue #12). Where the run's pod ran and how its pipeline ended, as the
    # operator recorded them (status.nodeName, status.exitCode; None: it never ended by itself).
    node_name = models.CharField(max_length=253, blank=True, default="", db_default="")
    exit_code = models.IntegerField(null=True, blank=True)
    # status.podName: the pod of its current (at the end: last) attempt, whose log a live run's
    # page reads by name (runs.logs); "" until its first pod has started. db_default: the
    # previous release's pods, which know no such column, still insert rows during an upgrade.
    pod_name = models.CharField(max_length=253, blank=True, default="", db_default="")
    # What the web app saw when it submitted the run (runs.provenance; never from the watch):
    # the Pipeline's spec and generation then, and the project's input files (runs.inputs:
    # [{"path", "size", "mtimeNs", "sha256"?}] or [{"path", "kind", "skipped"}] for a link or a
    # special file; inputs_complete False when a bound cut the list short). NULL / empty for
    # runs submitted otherwise (kubectl) or before provenance existed.
    submitted_spec = models.JSONField(null=True, blank=True)
    submitted_generation = models.BigIntegerField(null=True, blank=True)
    inputs = models.JSONField(default=list, blank=True, db_default=[])
    inputs_complete = models.BooleanField(default=True, db_default=True)

    created_at = models.DateTimeField(null=True, blank=True)  # metadata.creationTimestamp
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration = models.CharField(max_length=32, blank=True, default="")

    # Bookkeeping of the archive itself.
    resource_version = models.CharField(max_length=64, blank=True, default="")
    archived_at = models.DateTimeField(auto_now=True)  # last upsert
    deleted_at = models.DateTimeField(null=True, blank=True)  # gone from the API (retention)

    objects = RunRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "name"]
        indexes = [
            models.Index(fields=["phase", "created_at"], name="run_phase_created"),
            models.Index(fields=["owner", "-created_at"], name="run_owner_created"),
            models.Index(fields=["project", "-created_at"], name="run_project_created"),
            models.Index(fields=["owner", "project_path", "phase"], name="run_owner_path_phase"),
        ]

    def __str__(self) -> str:
        return self.name


class PipelineRecord(models.Model):
    name = models.CharField(max_length=63, primary_key=True)
    uid = models.UUIDField()
    generation = models.BigIntegerField(default=0)
    spec = models.JSONField(default=dict)
    resource_version = models.CharField(max_length=64, blank=True, default="")
    archived_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ArchiveState(models.Model):
    """Where each watch left off (one row per kind), so a restarted watcher resumes there."""

    kind = models.CharField(max_length=32, primary_key=True)  # "pipelineruns", "pipelines"
    resource_version = models.CharField(max_length=64, blank=True, default="")
    synced_at = models.DateTimeField(null=True, blank=True)  # the last complete list
    # The watcher's heartbeat (every few seconds while its watch is healthy): a page that must
    # not act on a stale archive (the busy check) refuses when this is too old.
    alive_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.kind}@{self.resource_version}"
