"""The informer-style cache: one LIST of each kind, then the watch's events, merged into a Model."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .jobs import OUR_JOBS
from .kubeapi import ApiError, KubeApi, Paths
from .model import Model
from .pods import PodView
from .status import now_utc
from .views import (
    ACTIVE_RUNS,
    API_VERSION,
    FINISHED_LABEL,
    RUN_KIND,
    JobView,
    PipelineView,
    RunView,
)

logger = logging.getLogger(__name__)


class Cache:
    """What the reconciler reads: runs, Jobs and Pipelines as last listed or watched."""

    def __init__(self, api: KubeApi, paths: Paths) -> None:
        self.api = api
        self.paths = paths
        self.model = Model()
        self.synced = False
        self.finish_seen: dict[str, datetime] = {}  # Job name -> when we saw it finished
        # While a listing is under way: the deletions the watch reports, per kind.
        self._deleted: dict[str, dict[str, str]] | None = None

    async def list_all(self) -> list[str]:
        """One LIST each of active runs, our Jobs and Pipelines, merged into the model; the
        names of the runs dropped as gone (deleted, or finished, with no event seen).

        The watch streams run on their own; the model keeps the newer version of every
        object, and deletions reported while we list keep their objects gone."""
        self._deleted = {"runs": {}, "jobs": {}, "pipelines": {}, "pods": {}}
        try:
            runs = await self.api.get(self.paths.runs, labelSelector=ACTIVE_RUNS)
            jobs = await self.api.get(self.paths.jobs, labelSelector=OUR_JOBS)
            pods = await self.api.get(self.paths.pods, labelSelector=OUR_JOBS)
            pipelines = await self.api.get(self.paths.pipelines)
            # Once: the finished runs still in the API (retention's tail of the archive), whose
            # durations the estimates go by until runs finish under this process's eyes, and
            # whose starts are their owners' last ones for the fair order's turns.
            finished = None if self.synced else await self.api.get(
                self.paths.runs, labelSelector=FINISHED_LABEL)
            deleted = self._deleted
        finally:
            self._deleted = None
        model = self.model
        if finished is not None:
            model.note_finished([RunView.from_body(item) for item in finished["items"]])
        model.sync_pipelines((PipelineView.from_body(item) for item in pipelines["items"]),
                             version_of(pipelines), deleted["pipelines"])
        model.sync_pods((PodView.from_body(item) for item in pods["items"]),
                        version_of(pods), deleted["pods"])
        listed_jobs = [JobView.from_body(item) for item in jobs["items"]]
        for job in listed_jobs:
            if job.finished:
                self.finish_seen.setdefault(job.name, now_utc())
        for name in model.sync_jobs(listed_jobs, version_of(jobs), deleted["jobs"]):
            self.finish_seen.pop(name, None)
        gone = model.sync_runs((RunView.from_body(item) for item in runs["items"]),
                               version_of(runs), deleted["runs"])
        first, self.synced = not self.synced, True
        logger.info("picture complete: %d active runs (%d to label finished), %d jobs, "
                    "%d pipelines", len(model.active), len(model.unlabelled), len(model.jobs),
                    len(model.pipelines))
        return [] if first else gone

    def _forget(self, kind: str, name: str, resource_version: str) -> None:
        if self._deleted is not None:
            self._deleted[kind][name] = resource_version

    # Fed by the watch -------------------------------------------------------------------------
    def observe_run(self, body: Mapping[str, Any], deleted: bool) -> RunView | None:
        """The run when it is news. A DELETED run is gone from the active set: deleted, or
        labelled finished (which takes it out of the watch's selector)."""
        run = RunView.from_body(body)
        if deleted:
            self._forget("runs", run.name, run.resource_version)
            stored = self.model.runs.get(run.name)
            if stored is None or stored.uid != run.uid:
                return None
            self.model.drop_run(run.name)
            return run
        return run if self.model.put_run(run) else None

    def observe_job(self, body: Mapping[str, Any], deleted: bool) -> JobView | None:
        job = JobView.from_body(body)
        if deleted:
            self._forget("jobs", job.name, job.resource_version)
            self.model.drop_job(job.name, job.uid)
            self.finish_seen.pop(job.name, None)
            return job
        if job.finished:
            # The run's completionTime: the moment the slot was freed, by this process's clock.
            self.finish_seen.setdefault(job.name, now_utc())
        return job if self.model.put_job(job) else None

    def observe_pod(self, body: Mapping[str, Any], deleted: bool) -> PodView | None:
        pod = PodView.from_body(body)
        if deleted:
            self._forget("pods", pod.name, pod.resource_version)
            self.model.drop_pod(pod.name)
            return pod
        return pod if self.model.put_pod(pod) else None

    def observe_pipeline(self, body: Mapping[str, Any], deleted: bool) -> None:
        pipeline = PipelineView.from_body(body)
        if deleted:
            self._forget("pipelines", pipeline.name, pipeline.resource_version)
            self.model.drop_pipeline(pipeline.name)
        else:
            self.model.put_pipeline(pipeline)

    def gone_job(self, name: str) -> dict[str, Any]:
        """A DELETED-event body for a cached Job the API no longer has."""
        job = self.model.jobs[name]
        owner = [{"apiVersion": API_VERSION, "kind": RUN_KIND, "name": job.run_name,
                  "uid": job.run_uid, "controller": True}] if job.run_name else []
        return {"metadata": {"name": name, "uid": job.uid, "ownerReferences": owner}}

    # Reads that go to the API when the cache may lag ----------------------------------------
    async def fetch_pipeline(self, name: str) -> PipelineView | None:
        """Ask the API before calling a Pipeline unknown: its watch event may merely lag."""
        try:
            body = await self.api.get(self.paths.pipeline(name))
        except ApiError as error:
            if error.status == 404:
                return None
            raise
        pipeline = PipelineView.from_body(body)
        self.model.put_pipeline(pipeline)
        return pipeline

    async def fetch_job(self, name: str) -> JobView | None:
        try:
            job = JobView.from_body(await self.api.get(self.paths.job(name)))
        except ApiError as error:
            if error.status == 404:
                return None
            raise
        return job


def version_of(listing: Mapping[str, Any]) -> str:
    return str((listing.get("metadata") or {}).get("resourceVersion") or "")
