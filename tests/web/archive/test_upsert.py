"""runs.archive: one row per run, idempotent, and a run that ended stays ended."""

from __future__ import annotations

import uuid

import pytest

from projects.models import Project
from runs import archive
from runs.model import Run
from runs.models import RunRecord

pytestmark = pytest.mark.django_db


def run_object(uid: str, *, phase: str | None = None, rv: str = "1", **spec: object) -> dict:
    obj = {
        "metadata": {"name": "alice-cells-x1", "uid": uid, "resourceVersion": rv,
                     "creationTimestamp": "2026-12-01T10:00:00Z"},
        "spec": {"pipeline": "nuclei", "owner": "alice", "project": "alice/cells",
                 "parameters": {"sigma": 2}, **spec},
    }
    if phase:
        obj["status"] = {"phase": phase, "queuePosition": 3, "imageID": "img@sha256:ab",
                         "pipelineGeneration": 4,
                         "outputs": {"dir": "", "complete": False,
                                     "files": [{"path": "out.csv", "size": 3, "mtimeNs": 1}]}}
    return obj


def test_a_new_object_makes_one_row_with_its_fields() -> None:
    uid = str(uuid.uuid4())
    row = archive.upsert(run_object(uid, phase="Queued"))
    assert row is not None and RunRecord.objects.count() == 1
    row.refresh_from_db()
    assert (row.owner, row.project_path, row.pipeline, row.phase) == (
        "alice", "alice/cells", "nuclei", "Queued")
    assert (row.queue_position, row.image_id, row.pipeline_generation) == (3, "img@sha256:ab", 4)
    assert row.outputs == [{"path": "out.csv", "size": 3, "mtimeNs": 1}]
    assert row.outputs_complete is False
    assert row.parameters == {"sigma": 2}
    assert row.created_at is not None and row.created_at.year == 2026


def test_the_pod_name_follows_the_status_and_stays_at_the_end() -> None:
    uid = str(uuid.uuid4())
    archive.upsert(run_object(uid, phase="Running"))
    assert RunRecord.objects.get().pod_name == ""  # no pod started yet
    running = run_object(uid, phase="Running", rv="2")
    running["status"]["podName"] = "alice-cells-x1-abcde"
    archive.upsert(running)
    assert RunRecord.objects.get().pod_name == "alice-cells-x1-abcde"
    retried = run_object(uid, phase="Running", rv="3")
    retried["status"]["podName"] = "alice-cells-x1-fghij"  # a retry's pod took over
    archive.upsert(retried)
    ended = run_object(uid, phase="Failed", rv="4")
    ended["status"]["podName"] = "alice-cells-x1-fghij"
    archive.upsert(ended)
    row = RunRecord.objects.get()
    assert (row.phase, row.pod_name) == ("Failed", "alice-cells-x1-fghij")
    assert Run.from_record(row).pod_name == "alice-cells-x1-fghij"


def test_writing_the_same_object_twice_changes_nothing() -> None:
    uid = str(uuid.uuid4())
    first = archive.upsert(run_object(uid, phase="Running"))
    again = archive.upsert(run_object(uid, phase="Running"))
    assert first is not None and again is not None
    assert RunRecord.objects.count() == 1
    assert again.archived_at == first.archived_at


def test_a_finished_run_is_not_revived_by_an_older_view() -> None:
    uid = str(uuid.uuid4())
    archive.upsert(run_object(uid, phase="Succeeded", rv="9"))
    archive.upsert(run_object(uid, phase="Running", rv="5"))
    assert RunRecord.objects.get().phase == "Succeeded"


def test_only_if_new_never_overwrites_what_the_watch_wrote() -> None:
    uid = str(uuid.uuid4())
    archive.upsert(run_object(uid, phase="Running"))
    archive.upsert(run_object(uid), only_if_new=True)
    assert RunRecord.objects.get().phase == "Running"


def test_the_project_is_found_by_id_and_a_same_named_new_project_is_not_it() -> None:
    old = Project.objects.create(owner="alice", name="cells")
    uid = str(uuid.uuid4())
    archive.upsert(run_object(uid, projectId=str(old.id)))
    old.delete()
    new = Project.objects.create(owner="alice", name="cells")
    assert RunRecord.objects.get().project is None
    assert not new.runs.exists()


def test_a_run_without_project_id_takes_the_project_of_its_folder() -> None:
    project = Project.objects.create(owner="alice", name="cells")
    archive.upsert(run_object(str(uuid.uuid4())))
    assert RunRecord.objects.get().project == project


def test_mark_deleted_keeps_the_row() -> None:
    uid = str(uuid.uuid4())
    archive.upsert(run_object(uid, phase="Failed"))
    archive.mark_deleted(uid)
    row = RunRecord.objects.get()
    assert row.deleted_at is not None and row.phase == "Failed"


def test_a_run_from_before_ids_joins_the_row_made_later_for_its_folder() -> None:
    archive.upsert(run_object(str(uuid.uuid4())))
    assert RunRecord.objects.get().project is None
    project = Project.objects.create(owner="alice", name="cells")  # adopted folder
    assert RunRecord.objects.get().project == project


def test_a_deleted_projects_runs_never_join_a_new_project_of_that_name() -> None:
    archive.upsert(run_object(str(uuid.uuid4())))
    old = Project.objects.create(owner="alice", name="cells")
    old.delete()
    new = Project.objects.create(owner="alice", name="cells")
    assert RunRecord.objects.get().project is None
    assert not new.runs.exists()
