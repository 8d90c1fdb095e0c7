"""The results tests' archive: Project, PipelineRecord and RunRecord rows as the watcher writes
them (runs.archive.upsert of PipelineRun objects built here), and the runs tests' cluster for
the tests that also need the API (the run log)."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.web.conftest import Actor
from tests.web.runs.conftest import NUCLEI_PIPELINE, cluster, data_root  # noqa: F401 (fixtures)

START = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def manifest(folder: Path, paths: list[str]) -> list[dict[str, Any]]:
    """status.outputs.files as the operator records them: each path's size and mtime now."""
    files = []
    for relative in paths:
        info = os.lstat(folder / relative)
        files.append({"path": relative, "size": info.st_size, "mtimeNs": info.st_mtime_ns})
    return files


@dataclass
class Archive:
    """Writes the rows pages read; each run is made a minute after the one before."""

    made: int = 0
    rows: dict[str, Any] = field(default_factory=dict)

    def project(self, actor: Actor, name: str, files: dict[str, bytes | None] | None = None
                ) -> tuple[Path, Any]:
        """The folder (tests.web.conftest.Actor.project) and its Project row."""
        from projects.models import Project

        folder = actor.project(name, files)
        row, _ = Project.objects.get_or_create(owner=actor.slug, name=name)
        return folder, row

    def pipeline(self, name: str, **spec: Any) -> Any:
        from runs.models import PipelineRecord

        row, _ = PipelineRecord.objects.update_or_create(
            name=name, defaults={"uid": uuid.uuid4(), "generation": 1,
                                 "spec": {"image": "example/pipeline:1", **spec}})
        return row

    def nuclei(self) -> Any:
        """pipelines/nuclei/pipeline.yaml, as the watcher mirrors it."""
        return self.pipeline("nuclei", **yaml.safe_load(NUCLEI_PIPELINE.read_text())["spec"])

    def run(self, project: Any, name: str, *, pipeline: str = "nuclei",
            phase: str = "Succeeded", outputs: list[dict[str, Any]] | None = None,
            outputs_dir: str = "", complete: bool = True, started: bool = True,
            parameters: dict[str, Any] | None = None, same_time: bool = False) -> Any:
        """A run of the Project row, archived with runs.archive.upsert. outputs=None: a run
        archived before the operator recorded manifests (no outputs, no pipelineGeneration).
        same_time: made in the same second as the run before."""
        from runs import archive

        self.made += 0 if same_time and self.made else 1
        created = START + timedelta(minutes=self.made)
        status: dict[str, Any] = {"phase": phase}
        if started:
            status["startTime"] = stamp(created + timedelta(seconds=5))
        if phase in ("Succeeded", "Failed", "Cancelled"):
            status["completionTime"] = stamp(created + timedelta(seconds=30))
        if outputs is not None:
            status["pipelineGeneration"] = 1
            status["outputs"] = {"dir": outputs_dir, "complete": complete, "files": outputs}
        obj = {
            "metadata": {"name": name, "uid": str(uuid.uuid4()), "resourceVersion": "1",
                         "creationTimestamp": stamp(created)},
            "spec": {"pipeline": pipeline, "owner": project.owner, "project": project.path,
                     "projectId": str(project.id), "parameters": parameters or {}},
            "status": status,
        }
        row = archive.upsert(obj)
        self.rows[name] = row
        return row


@pytest.fixture
def runs_archive(db) -> Archive:  # noqa: ANN001
    return Archive()
