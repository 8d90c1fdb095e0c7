"""Answers projects.busy's question from the PipelineRuns in the Kubernetes API (registered
in RunsConfig.ready())."""

from __future__ import annotations

from runs import kube
from runs.model import Run, busy_reason, project_selector


def project_busy_reason(owner: str, project: str) -> str | None:
    if not kube.configured():
        return None  # runs are off: nothing can be using the project
    try:
        objects = kube.list_runs(project_selector(owner, project))
    except kube.KubeError as error:
        # Refusing is the safe side: a run we cannot see may be reading the files.
        return f"whether a run is using it cannot be checked now. {error}"
    return busy_reason([Run.from_object(obj) for obj in objects], owner, project)
