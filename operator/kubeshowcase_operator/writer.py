"""Writes to runs and their Jobs, keeping the cache up to date with every answer."""

from __future__ import annotations

import logging
from typing import Any

from .kubeapi import ApiError, KubeApi, Paths
from .model import Model
from .pods import PodView
from .preconditions import already_applied, expectations, phase_change, superseded
from .views import FINISHED_LABEL, JobView, RunView

logger = logging.getLogger(__name__)


class RunGone(Exception):
    """The PipelineRun was deleted while we worked on it."""


class Superseded(Exception):
    """A phase change was refused: the run is no longer as it was planned from (another
    leader moved it on, or it changed meanwhile). The cache now holds it as it is."""


class RunWriter:
    def __init__(self, api: KubeApi, paths: Paths, model: Model) -> None:
        self._api = api
        self._paths = paths
        self._model = model

    async def write_status(self, run: RunView, patch: dict[str, Any]) -> None:
        """A status write that keeps the phase (a queue position): a merge patch."""
        await self._patch_run(self._paths.run_status(run.name), run, patch)

    async def write_phase(self, run: RunView, patch: dict[str, Any]) -> None:
        """A phase change, made only if the run is still as `run` saw it (preconditions)."""
        await self._guarded(run, phase_change(run, patch))

    async def record(self, run: RunView, fields: dict[str, Any]) -> None:
        """Status fields set on a run in the phase `run` saw (an imageID while it runs),
        with the same preconditions; nothing else of its status is written."""
        await self._guarded(run, [*expectations(run), *(
            {"op": "add", "path": f"/status/{key}", "value": value}
            for key, value in fields.items())])

    async def _guarded(self, run: RunView, operations: list[dict[str, Any]]) -> None:
        try:
            body = await self._api.json_patch(self._paths.run_status(run.name), operations)
        except ApiError as error:
            if error.status == 404:
                self._drop(run)
                raise RunGone(run.name) from error
            if error.status not in (409, 422):
                raise
            fresh = await self.reread(run)
            if fresh is not None and already_applied(run, fresh, operations):
                logger.debug("run %s: the status write was made, its answer lost", run.name)
                return  # reread put it into the cache
            if not superseded(run, fresh):
                raise  # the precondition held: the write itself is wrong, back off
            now = "gone" if fresh is None else fresh.phase or "new"
            raise Superseded(f"run {run.name} was {run.phase or 'new'} and is now {now}: "
                             f"{error.message}") from error
        self._model.put_run(RunView.from_body(body))

    async def reread(self, run: RunView) -> RunView | None:
        """The run as the API has it now, into the cache (None, and dropped, when gone)."""
        try:
            fresh = RunView.from_body(await self._api.get(self._paths.run(run.name)))
        except ApiError as error:
            if error.status != 404:
                raise
            self._drop(run)
            return None
        if fresh.labelled_finished:  # out of our watch: the cache keeps active runs only
            self._drop(run)
        else:
            self._model.put_run(fresh)
        return fresh

    async def label_finished(self, run: RunView) -> None:
        """Take a run whose final phase is written out of the watch (it then leaves the
        model through a DELETED event). A crash before this leaves it to the next start."""
        # The uid makes it a precondition: the server refuses to touch a newer namesake.
        patch = {"metadata": {"uid": run.uid, "labels": {FINISHED_LABEL: "true"}}}
        try:
            await self._patch_run(self._paths.run(run.name), run, patch)
        except RunGone:
            pass  # deleted meanwhile: nothing left to label
        except ApiError as error:
            if error.status not in (409, 422):
                raise
            logger.info("run %s: not labelled finished, it was replaced: %s", run.name, error,
                        extra={"run": run.name})

    async def _patch_run(self, path: str, run: RunView, patch: dict[str, Any]) -> None:
        try:
            body = await self._api.merge_patch(path, patch)
        except ApiError as error:
            if error.status == 404:
                self._drop(run)
                raise RunGone(run.name) from error
            raise
        self._model.put_run(RunView.from_body(body))

    def _drop(self, run: RunView) -> None:
        stored = self._model.runs.get(run.name)
        if stored is not None and stored.uid == run.uid:
            self._model.drop_run(run.name)

    async def patch_job(self, name: str, patch: dict[str, Any]) -> None:
        try:
            body = await self._api.merge_patch(self._paths.job(name), patch)
        except ApiError as error:
            if error.status != 404:
                raise
            return  # gone already: nothing to expire
        self._model.put_job(JobView.from_body(body))

    async def delete_job(self, name: str, propagation: str) -> None:
        try:
            body = await self._api.delete(self._paths.job(name), propagation)
        except ApiError as error:
            if error.status != 404:
                raise
            return
        if body.get("kind") == "Job":
            self._model.put_job(JobView.from_body(body))

    async def delete_pod(self, pod: PodView, grace_period_seconds: int | None = None) -> None:
        """Delete one of our pods (graceful unless a grace is given; 0 forces), only the
        very pod we saw: a 404 or a uid mismatch means it is gone already."""
        try:
            body = await self._api.delete(self._paths.pod(pod.name), "Background",
                                          grace_period_seconds=grace_period_seconds,
                                          uid=pod.uid)
        except ApiError as error:
            if error.status not in (404, 409):
                raise
            if error.status == 404:
                self._model.drop_pod(pod.name)
            return
        if body.get("kind") == "Pod":
            self._model.put_pod(PodView.from_body(body))
