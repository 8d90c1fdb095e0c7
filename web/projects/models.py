"""Projects and their owners' usage, as rows: the folder on the volume is named by Project.name.

A project has a stable id (runs carry it), so renaming keeps its runs and results, and a
project re-created under an old name starts empty. Usage counters are changed only under the
owner's row lock (OwnerUsage.lock), so two parallel writes cannot both pass a quota; the
`reconcile_usage` command corrects them from the disk (pipelines write files too).
"""

from __future__ import annotations

import uuid

from django.db import models


class Project(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The owner slug (accounts.identity.Owner.slug): a user's or a guest's folder name.
    owner = models.CharField(max_length=150)
    # The folder name under DATA_ROOT/<owner>/ (projects.paths.check_project_name).
    name = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    # What the folder holds, as last counted (web writes add to it; reconcile_usage recounts).
    files = models.BigIntegerField(default=0)
    bytes = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["owner", "name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="project_owner_name_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.owner}/{self.name}"

    @property
    def path(self) -> str:
        """PipelineRun.spec.project: the folder relative to DATA_ROOT."""
        return f"{self.owner}/{self.name}"


class OwnerUsage(models.Model):
    """One row per owner: the sums over their projects, and the lock every write takes."""

    owner = models.CharField(max_length=150, primary_key=True)
    projects = models.IntegerField(default=0)
    files = models.BigIntegerField(default=0)
    bytes = models.BigIntegerField(default=0)
    reconciled_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.owner

    @classmethod
    def lock(cls, owner: str) -> OwnerUsage:
        """The owner's row, locked until the surrounding transaction ends (created if new).

        Call inside transaction.atomic(): every check-then-write of an owner's quota holds it.
        """
        cls.objects.get_or_create(owner=owner)
        return cls.objects.select_for_update().get(owner=owner)


class Upload(models.Model):
    """One resumable (tus) upload of one file into a folder of a project, from creation to its
    outcome. Its bytes wait in DATA_ROOT/.staging/tus-<id>.part (projects.tus.staging) until
    the last one arrives; then it lands (projects.tus.landing) and the row keeps what happened,
    for the page to show (also after a reload)."""

    class State(models.TextChoices):
        RECEIVING = "receiving"
        LANDING = "landing"
        LANDED = "landed"
        REFUSED = "refused"
        EXPIRED = "expired"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.CharField(max_length=150)  # the owner slug, as Project.owner
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="uploads")
    folder = models.CharField(max_length=1024, blank=True)  # the target, relative to the project
    filename = models.CharField(max_length=1024)  # relative to the folder, "/"-separated
    length = models.BigIntegerField()
    offset = models.BigIntegerField(default=0)  # as of the last write (the staged file decides)
    unpack = models.BooleanField(default=False)
    replace = models.BooleanField(default=False)
    state = models.CharField(max_length=16, choices=State.choices, default=State.RECEIVING)
    message = models.TextField(blank=True)
    paths = models.JSONField(default=list, blank=True)  # what landed, relative to the folder
    created_at = models.DateTimeField(auto_now_add=True)
    touched_at = models.DateTimeField()  # the last write
    expires_at = models.DateTimeField()  # touched_at + TUS_UPLOAD_EXPIRY_HOURS

    class Meta:
        indexes = [models.Index(fields=["owner", "state"], name="upload_owner_state")]

    def __str__(self) -> str:
        return f"{self.owner}: {self.filename} ({self.state})"
