"""Writes to runs and their Jobs, keeping the cache up to date with every answer."""

from __future__ import annotations

import logging
from typing import Any

from .kubeapi import ApiError, KubeApi, Paths
from .model import Model
from .views import FINISHED_LABEL, JobView, RunView

logger = logging.getLogger(__name__)


class RunGone(Exception):
    """The PipelineRun was deleted while we worked on it."""


class RunWriter:
    def __init__(self, api: KubeApi, paths: Paths, model: Model) -> None:
        self._api = api
        self._paths = paths
        self._model = model

    async def write_status(self, run: RunView, patch: dict[str, Any]) -> None:
        await self._patch_run(self._paths.run_status(run.name), run, patch)

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
            logger.info("run %s: not labelled finished, it was replaced: %s", run.name, error)

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

    async def delete_job(self, name: str, propagation: str) -> None:
        try:
            body = await self._api.delete(self._paths.job(name), propagation)
        except ApiError as error:
            if error.status != 404:
                raise
            return
        if body.get("kind") == "Job":
            self._model.put_job(JobView.from_body(body))
