"""What the runs-at-scale benchmark serves: owners (users, a Project row and folder each) and
PipelineRuns, finished or queued, written into the API-server double and into the run archive.

Runs are written straight through the API as an admin (spec, then `/status` with the operator's
own status builders); each object the status write returns is upserted with `runs.archive.upsert`,
as the watcher would, so seeding does not depend on `manage.py watch_runs`."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.harness import REPO
from kubedouble.testing import ApiServerHandle
from tests.fixtures.operator import GROUP, VERSION

PIPELINE = "bench"
PROJECT = "exp1"
PASSWORD = "bench-passphrase-0123"
WRITERS = 4  # threads writing to the double, each with its own client


@dataclass(frozen=True)
class Owner:
    username: str  # also the owner slug and folder
    project: str
    project_id: str


def owner_name(index: int) -> str:
    return f"owner{index:03d}"


def create_owners(count: int, data_root: Path) -> list[Owner]:
    """`count` users sharing one password (hashed once), each with project `exp1`."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from projects.models import OwnerUsage, Project

    hashed = make_password(PASSWORD)
    names = [owner_name(index) for index in range(count)]
    get_user_model().objects.bulk_create(
        [get_user_model()(username=name, password=hashed) for name in names])
    projects = Project.objects.bulk_create([Project(owner=name, name=PROJECT) for name in names])
    OwnerUsage.objects.bulk_create([OwnerUsage(owner=name, projects=1) for name in names])
    for name in names:
        (data_root / name / PROJECT).mkdir(parents=True)
    return [Owner(project.owner, project.name, str(project.id)) for project in projects]


def create_pipeline(handle: ApiServerHandle) -> None:
    from kubernetes import client

    body = {"apiVersion": f"{GROUP}/{VERSION}", "kind": "Pipeline", "metadata": {"name": PIPELINE},
            "spec": {"image": "kubeshowcase/test-pipeline:1", "command": ["python", "-c", "pass"]}}
    with handle.api_client() as api_client:
        client.CustomObjectsApi(api_client).create_namespaced_custom_object(
            GROUP, VERSION, handle.namespace, "pipelines", body)


def run_body(owner: Owner, index: int) -> dict[str, Any]:
    from runs.archive import PROJECT_ID_LABEL
    from runs.model import run_labels

    return {
        "apiVersion": f"{GROUP}/{VERSION}", "kind": "PipelineRun",
        "metadata": {"name": f"{owner.username}-{owner.project}-{index:05d}",
                     "labels": {**run_labels(owner.username, owner.project),
                                PROJECT_ID_LABEL: owner.project_id}},
        "spec": {"pipeline": PIPELINE, "owner": owner.username,
                 "project": f"{owner.username}/{owner.project}", "parameters": {"index": index}},
    }


def status_builders() -> Any:
    import sys

    if str(REPO / "operator") not in sys.path:
        sys.path.insert(0, str(REPO / "operator"))
    from kubeshowcase_operator import status, views

    return status, views


def seed_runs(handle: ApiServerHandle, owners: list[Owner], first: int, count: int,
              queued_every: int, first_position: int) -> list[dict[str, Any]]:
    """Runs `first`..`first+count-1`, run i belonging to owner i mod len(owners); every
    `queued_every`-th is Queued (positions from `first_position`, in index order), the rest
    Succeeded. Returns the objects as the API holds them, in index order."""
    from kubernetes import client

    status, views = status_builders()
    succeeded = status.Outcome("Succeeded", "Succeeded", "written by the benchmark as history")
    queued = [index for index in range(first, first + count) if index % queued_every == 0]
    positions = {index: first_position + offset for offset, index in enumerate(queued)}
    local = threading.local()
    clients: list[Any] = []

    def one(index: int) -> dict[str, Any]:
        if not hasattr(local, "custom"):  # the kubernetes client is not shared across threads
            clients.append(handle.api_client())
            local.custom = client.CustomObjectsApi(clients[-1])
        created = local.custom.create_namespaced_custom_object(
            GROUP, VERSION, handle.namespace, "pipelineruns",
            run_body(owners[index % len(owners)], index))
        run, now = views.RunView.from_body(created), status.now_utc()
        patch = (status.queued_status(run, positions[index], now) if index in positions
                 else status.finished_status(run, succeeded, now, None, now))
        return local.custom.patch_namespaced_custom_object_status(
            GROUP, VERSION, handle.namespace, "pipelineruns", created["metadata"]["name"], patch)

    try:
        with ThreadPoolExecutor(WRITERS) as pool:
            return list(pool.map(one, range(first, first + count)))
    finally:
        for api_client in clients:
            api_client.close()


def archive(objects: list[dict[str, Any]]) -> None:
    """Each object into its RunRecord, through the one upsert the watcher uses (WRITERS threads,
    each on its own database connection, closed when its share is done)."""
    from django.db import connection

    from runs.archive import upsert

    def upsert_share(share: list[dict[str, Any]]) -> None:
        try:
            for obj in share:
                upsert(obj)
        finally:
            connection.close()

    with ThreadPoolExecutor(WRITERS) as pool:
        list(pool.map(upsert_share, [objects[start::WRITERS] for start in range(WRITERS)]))


def archive_kept_fresh() -> None:
    """A watcher's heartbeat a day ahead, so the run archive counts as fresh with no watcher:
    the pages offer their changes and writes to a folder may check that no run uses it."""
    from datetime import timedelta

    from django.utils import timezone

    from runs.models import ArchiveState

    ArchiveState.objects.create(kind="pipelineruns", alive_at=timezone.now() + timedelta(days=1))


def fill_folder(folder: Path, files: int) -> None:
    """`files` empty files in `folder` (a pipeline's output, say), made with os.open."""
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for index in range(files):
            os.close(os.open(f"cell-{index:06d}.txt", os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                             0o644, dir_fd=descriptor))
    finally:
        os.close(descriptor)


def phases_in_api(handle: ApiServerHandle) -> dict[str, int]:
    """How many PipelineRuns the double holds, by phase (one LIST as an admin)."""
    from collections import Counter

    from kubernetes import client

    with handle.api_client() as api_client:
        listed = client.CustomObjectsApi(api_client).list_namespaced_custom_object(
            GROUP, VERSION, handle.namespace, "pipelineruns")
    return dict(Counter((item.get("status") or {}).get("phase") for item in listed["items"]))


def phases_in_archive() -> dict[str, int]:
    from django.db.models import Count

    from runs.models import RunRecord

    return {row["phase"]: row["rows"] for row in
            RunRecord.objects.values("phase").annotate(rows=Count("pk")).order_by("phase")}
