"""Whether a project is in use by a queued or running pipeline run, so must not change."""

from __future__ import annotations


def project_is_busy(owner: str, project: str) -> str | None:
    """The reason the project must not change now, or None.

    Every view that changes a project asks this first. The runs app answers it from the
    PipelineRuns in the Kubernetes API (imported here, not at the top: runs depends on projects).
    """
    from runs.busy import project_busy_reason

    return project_busy_reason(owner, project)
