"""The reconciler: turns the watched state into API writes, serialising runs across objects.

The loop first lists the namespace once (at start and on gaining leadership); handlers feed
the model with watch events and mark runs dirty; the loop then plans every dirty run with
`plan_run`, fills free slots with `next_runs_to_start` and coalesces queue positions. Each run
has at most one action in flight; when it ends the run is planned again from fresh state."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from datetime import datetime
from typing import Any

from .boundaries import OUTSIDE_OWNER, project_outside_owner
from .jobs import OUR_JOBS, handshake_of, job_for_run
from .kubeapi import ApiError, KubeApi, NotLeader, Paths
from .model import Model
from .names import event_name_for, job_name_for
from .plan import Step, needs_finished_label, plan_run
from .podlogs import save_pod_logs
from .projectfiles import ProjectError, last_run_id_of, prepare, saved_log
from .queue import (
    READY,
    SKIP,
    WAIT,
    Candidate,
    head_positions,
    next_runs_to_start,
    position_updates,
)
from .settings import Settings
from .status import (
    Outcome,
    completion_time,
    finished_status,
    now_utc,
    phase_from_job,
    position_patch,
    queued_status,
    running_status,
    timestamp,
)
from .views import (
    ACTIVE_RUNS,
    API_VERSION,
    EPOCH,
    FINISHED_LABEL,
    RUN_KIND,
    JobView,
    PipelineView,
    RunView,
)

logger = logging.getLogger(__name__)

POSITION_INTERVAL = 0.5  # seconds between two rewrites of the queue head's positions
RETRY_FIRST, RETRY_CAP = 0.5, 30.0  # a failed action is planned again after this backoff
BULK_CONCURRENCY = 8  # Queued and position writes in flight at once
CONTROL_CONCURRENCY = 16  # finishing, cancelling, adopting in flight at once
EVENT_CONCURRENCY = 8
# Labelling runs found finished at start-up (a crash, or history from before the label): its
# own allowance, so that thousands of them never hold up the queue's writes.
LABEL_CONCURRENCY = 4
AUDIT_INTERVAL = 60.0  # seconds between two checks that the Jobs holding slots still exist
COMPONENT = "kubeshowcase-operator"
NO_PIPELINE = PipelineView(name="", resource_version="", spec={})


class RunGone(Exception):
    """The PipelineRun was deleted while we worked on it."""


class Controller:
    def __init__(self, settings: Settings, api: KubeApi, is_leader: Callable[[], bool],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self.api = api
        self.paths = Paths(settings.namespace)
        self.model = Model()
        self.synced = False
        self._list_due = True
        self._list_failures = 0
        # While a listing is under way: the deletions the watch reports, per kind.
        self._deleted: dict[str, dict[str, str]] | None = None
        self._is_leader = is_leader
        self._clock = clock
        self._dirty: set[str] = set()
        self._wake = asyncio.Event()
        self._inflight: dict[str, asyncio.Task[None]] = {}
        self._finish_seen: dict[str, datetime] = {}  # Job name -> when we saw it finished
        self._failures: dict[str, int] = {}
        self._not_before: dict[str, float] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._positions_due = False
        self._positions_task: asyncio.Task[None] | None = None
        self._positions_flushed_at = 0.0
        self._bulk = asyncio.Semaphore(BULK_CONCURRENCY)
        self._control = asyncio.Semaphore(CONTROL_CONCURRENCY)
        self._events = asyncio.Semaphore(EVENT_CONCURRENCY)
        self._labelling = asyncio.Semaphore(LABEL_CONCURRENCY)
        self._wake.set()  # the first thing the loop does is list

    # The complete picture ---------------------------------------------------------------------
    async def _take_picture(self) -> None:
        """One LIST each of active runs, our Jobs and Pipelines, merged into the model.

        The watch streams run on their own; the model keeps the newer version of every
        object, and deletions reported while we list keep their objects gone."""
        self._deleted = {"runs": {}, "jobs": {}, "pipelines": {}}
        try:
            runs = await self.api.get(self.paths.runs, labelSelector=ACTIVE_RUNS)
            jobs = await self.api.get(self.paths.jobs, labelSelector=OUR_JOBS)
            pipelines = await self.api.get(self.paths.pipelines)
            deleted = self._deleted
        finally:
            self._deleted = None
        model = self.model
        model.sync_pipelines((PipelineView.from_body(item) for item in pipelines["items"]),
                             _version_of(pipelines), deleted["pipelines"])
        listed_jobs = [JobView.from_body(item) for item in jobs["items"]]
        for job in listed_jobs:
            if job.finished:
                self._finish_seen.setdefault(job.name, now_utc())
        for name in model.sync_jobs(listed_jobs, _version_of(jobs), deleted["jobs"]):
            self._finish_seen.pop(name, None)
        model.sync_runs((RunView.from_body(item) for item in runs["items"]),
                        _version_of(runs), deleted["runs"])
        self.synced = True
        self._dirty |= model.active | model.unlabelled
        self._positions_due = True
        logger.info("picture complete: %d active runs (%d to label finished), %d jobs, "
                    "%d pipelines", len(model.active), len(model.unlabelled), len(model.jobs),
                    len(model.pipelines))

    def _forget(self, kind: str, name: str, resource_version: str) -> None:
        if self._deleted is not None:
            self._deleted[kind][name] = resource_version

    # Fed by the handlers ----------------------------------------------------------------------
    def observe_run(self, body: Mapping[str, Any], deleted: bool) -> None:
        """A DELETED run is gone from the active set: deleted, or labelled finished (which
        takes it out of the watch's selector). Either way nothing is left to do for it."""
        run = RunView.from_body(body)
        if deleted:
            self._forget("runs", run.name, run.resource_version)
            stored = self.model.runs.get(run.name)
            if stored is None or stored.uid != run.uid:
                return
            self.model.drop_run(run.name)
            self._failures.pop(run.name, None)
            self._not_before.pop(run.name, None)
        elif not self.model.put_run(run):
            return
        self._positions_due = True
        self._mark(run.name)

    def observe_job(self, body: Mapping[str, Any], deleted: bool) -> None:
        job = JobView.from_body(body)
        if deleted:
            self._forget("jobs", job.name, job.resource_version)
            self.model.drop_job(job.name, job.uid)
            self._finish_seen.pop(job.name, None)
        elif not self._note_job(job):
            return
        if job.run_name:
            self._mark(job.run_name)

    def _note_job(self, job: JobView) -> bool:
        if job.finished:
            # The run's completionTime: the moment the slot was freed, by this process's clock.
            self._finish_seen.setdefault(job.name, now_utc())
        return self.model.put_job(job)

    def observe_pipeline(self, body: Mapping[str, Any], deleted: bool) -> None:
        pipeline = PipelineView.from_body(body)
        if deleted:
            self._forget("pipelines", pipeline.name, pipeline.resource_version)
            self.model.drop_pipeline(pipeline.name)
        else:
            self.model.put_pipeline(pipeline)

    def leadership_gained(self) -> None:
        """A new leader trusts nothing a previous one may have left half done: it lists
        again (unless its first listing is still to come) and plans all."""
        if self.synced:
            self._list_due = True
        self._dirty |= self.model.active | self.model.unlabelled
        self._positions_due = True
        self._wake.set()

    def _mark(self, name: str) -> None:
        self._dirty.add(name)
        self._wake.set()

    # The loop ---------------------------------------------------------------------------------
    async def run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self._list_due and not await self._list_or_retry():
                continue
            if self.synced and self._is_leader():
                try:
                    self._reconcile()
                except Exception:  # never let one bad object stop the operator
                    logger.exception("reconcile failed; planning everything again in 1s")
                    asyncio.get_running_loop().call_later(1.0, self.leadership_gained)

    async def _list_or_retry(self) -> bool:
        try:
            await self._take_picture()
        except Exception as error:  # no picture, no dispatch: try again after a backoff
            self._list_failures += 1
            delay = min(RETRY_CAP, RETRY_FIRST * 2 ** (self._list_failures - 1))
            logger.warning("listing the namespace failed: %s (retrying in %.1fs)", error, delay)
            asyncio.get_running_loop().call_later(delay, self._wake.set)
            return False
        self._list_due = False
        self._list_failures = 0
        return True

    async def audit(self) -> None:
        """Now and then, ask the API about the Jobs that hold slots.

        A watch that had to re-list (410 Gone after a long disconnection) never reports the
        objects deleted meanwhile; a Job lost that way would hold its slot forever. This is a
        safety net over a handful of objects (at most the limit), not how work is found."""
        while True:
            await asyncio.sleep(AUDIT_INTERVAL)
            if not (self.synced and self._is_leader()):
                continue
            for name in list(self.model.unfinished_jobs):
                try:
                    body = await self.api.get(self.paths.job(name))
                except ApiError as error:
                    if error.status == 404 and name in self.model.jobs:
                        logger.warning("Job %s is gone without a watch event", name)
                        self.observe_job(self._gone_job(name), deleted=True)
                    continue
                self.observe_job(body, deleted=False)

    def _gone_job(self, name: str) -> dict[str, Any]:
        job = self.model.jobs[name]
        owner = [{"apiVersion": API_VERSION, "kind": RUN_KIND, "name": job.run_name,
                  "uid": job.run_uid, "controller": True}] if job.run_name else []
        return {"metadata": {"name": name, "uid": job.uid, "ownerReferences": owner}}

    async def stop(self) -> None:
        tasks = [*self._tasks, *self._inflight.values()]
        if self._positions_task is not None:
            tasks.append(self._positions_task)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _reconcile(self) -> None:
        dirty, self._dirty = self._dirty, set()
        now = self._clock()
        runs = self.model.runs
        # Oldest first, so that after a burst (or a restart) the head of the queue moves first.
        for name in sorted(dirty, key=lambda n: runs[n].queue_key if n in runs else (EPOCH, n)):
            run = runs.get(name)
            if run is None or name in self._inflight or self._not_before.get(name, 0) > now:
                continue  # an ending action or a retry timer marks it dirty again
            job = self.model.job_for(run)
            step = Step.LABEL_FINISHED if needs_finished_label(run) else plan_run(run, job)
            if step is not Step.NOTHING:
                self._launch(name, self._action(step, run, job))
        self._dispatch(now)
        if self._positions_due and self._positions_task is None:
            self._positions_task = asyncio.create_task(self._flush_positions())

    def _dispatch(self, now: float) -> None:
        model = self.model

        def candidates() -> Iterator[Candidate]:
            for name in model.queue:
                run = model.runs[name]
                if self._not_before.get(name, 0) > now:
                    state = SKIP
                elif run.phase != "Queued" or name in self._inflight:
                    state = WAIT
                else:
                    state = READY
                yield Candidate(name, run.project, state)

        for name in next_runs_to_start(candidates(), model.slots_used(),
                                       self.settings.max_concurrent_runs, model.project_state):
            model.set_starting(name, True)
            self._launch(name, self._start(model.runs[name]))

    def _launch(self, name: str, work: Awaitable[None]) -> None:
        task = asyncio.create_task(self._supervise(name, work), name=f"run {name}")
        self._inflight[name] = task

    async def _supervise(self, name: str, work: Awaitable[None]) -> None:
        try:
            await work
            self._failures.pop(name, None)
            self._not_before.pop(name, None)
        except asyncio.CancelledError:
            raise
        except (NotLeader, RunGone):
            pass
        except Exception as error:
            failures = self._failures.get(name, 0) + 1
            self._failures[name] = failures
            delay = min(RETRY_CAP, RETRY_FIRST * 2 ** (failures - 1))
            self._not_before[name] = self._clock() + delay
            asyncio.get_running_loop().call_later(delay, self._mark, name)
            if isinstance(error, (ApiError, ProjectError, OSError)):
                logger.warning("run %s: %s (retrying in %.1fs)", name, error, delay)
            else:
                logger.exception("run %s: unexpected error (retrying in %.1fs)", name, delay)
        finally:
            self._inflight.pop(name, None)
            if name in self.model.starting:
                self.model.set_starting(name, False)
            self._mark(name)

    def _action(self, step: Step, run: RunView, job: JobView | None) -> Awaitable[None]:
        if step is Step.MARK_QUEUED:
            return self._mark_queued(run)
        if step is Step.CANCEL_QUEUED:
            return self._finish_without_job(
                run, Outcome("Cancelled", "Cancelled", "cancelled before it started"))
        if step is Step.CONFIRM_CANCELLED:
            return self._confirm_cancelled(run)
        if step is Step.JOB_GONE:
            return self._job_gone(run)
        if step is Step.LABEL_FINISHED:
            return self._label_leftover(run)
        if step is Step.REFUSE:  # plan_run found the project outside the owner's space
            problem = str(project_outside_owner(run.owner, run.project))
            return self._finish_without_job(run, Outcome("Failed", OUTSIDE_OWNER, problem))
        assert job is not None
        if step is Step.ADOPT_JOB:
            return self._adopt(run, job)
        if step is Step.FINISH:
            return self._finish(run, job)
        return self._cancel_running(run, job)

    # Actions ----------------------------------------------------------------------------------
    async def _mark_queued(self, run: RunView) -> None:
        async with self._bulk:
            place = self.model.queue.position(run.name)
            head = self.settings.queue_position_head
            position = place if place is not None and place <= head else None
            await self._write_status(run, queued_status(run, position, now_utc()))
        self._post_event(run, "Queued", "waiting for a free slot")

    async def _start(self, run: RunView) -> None:
        pipeline = self.model.pipelines.get(run.pipeline) or await self._fetch_pipeline(run)
        if pipeline is None:
            await self._fail(run, "PipelineNotFound",
                             f"Pipeline {run.pipeline!r} does not exist in namespace "
                             f"{self.settings.namespace!r}")
            return
        if not pipeline.spec.get("image"):
            await self._fail(run, "InvalidPipeline", f"Pipeline {run.pipeline!r} has no image")
            return
        try:
            await asyncio.to_thread(prepare, self.settings.data_root, run.owner, run.project,
                                    handshake_of(pipeline), run.name, run.args)
        except ProjectError as error:
            await self._fail(run, error.reason, error.message)
            return
        started = now_utc()
        job = await self._create_job(run, job_for_run(run, pipeline, self.settings))
        if job is not None:
            await self._write_running(run, job, started)

    async def _fetch_pipeline(self, run: RunView) -> PipelineView | None:
        """Ask the API before calling a Pipeline unknown: its watch event may merely lag."""
        try:
            body = await self.api.get(self.paths.pipeline(run.pipeline))
        except ApiError as error:
            if error.status == 404:
                return None
            raise
        pipeline = PipelineView.from_body(body)
        self.model.put_pipeline(pipeline)
        return pipeline

    async def _create_job(self, run: RunView, manifest: dict[str, Any]) -> JobView | None:
        name = manifest["metadata"]["name"]
        try:
            body = await self.api.create(self.paths.jobs, manifest)
        except ApiError as error:
            if error.status in (400, 422):  # the Pipeline makes a Job the API refuses
                await self._fail(run, "JobRejected", f"the API refused the Job: {error.message}")
                return None
            if error.status != 409:
                raise
            # Created by an earlier attempt (a retry, or before a restart): adopt it.
            body = await self.api.get(self.paths.job(name))
            found = JobView.from_body(body)
            if found.run_uid is None:
                await self._fail(run, "JobNameTaken",
                                 f"a Job named {name} already exists and is not this run's")
                return None
            if found.run_uid != run.uid:
                await self._delete_job(name, "Background")
                raise ApiError(409, "AlreadyExists",
                               f"Job {name} belonged to an earlier run named {run.name}; "
                               "deleted it, will create ours next") from None
        job = JobView.from_body(body)
        self.model.put_job(job)
        return job

    async def _write_running(self, run: RunView, job: JobView, started: datetime) -> None:
        try:
            await self._write_status(run, running_status(run, job.name, started, now_utc()))
        except RunGone:
            await self._delete_job(job.name, "Background")  # its owner is gone
            raise
        self._post_event(run, "Started", f"Job {job.name} created")

    async def _adopt(self, run: RunView, job: JobView) -> None:
        async with self._control:
            await self._write_running(run, job, now_utc())

    async def _finish(self, run: RunView, job: JobView) -> None:
        async with self._control:
            observed = self._finish_seen.get(job.name) or now_utc()
            handshake = handshake_of(self.model.pipelines.get(run.pipeline, NO_PIPELINE))
            last_run_id, unreadable = None, None
            try:
                last_run_id = await asyncio.to_thread(
                    last_run_id_of, self.settings.data_root, run.project, handshake)
            except ProjectError as error:
                unreadable = error.message
            outcome = phase_from_job(job, last_run_id, run.name, handshake.last_run_id,
                                     unreadable)
            assert outcome is not None, "planned only for finished Jobs"
            log_file = await self._save_log(run, job.name)
            if run.phase != "Running":  # it ran while no operator watched: tell that part too
                self._post_event(run, "Started", f"Job {job.name} created")
            await self._finish_with(run, outcome, completion_time(observed, job), log_file, job)
            self._finish_seen.pop(job.name, None)

    async def _cancel_running(self, run: RunView, job: JobView) -> None:
        async with self._control:
            # Keep what the pipeline printed so far: its pod goes with the Job.
            await self._save_log(run, job.name)
            await self._delete_job(job.name, "Foreground")

    async def _confirm_cancelled(self, run: RunView) -> None:
        async with self._control:
            log_file = await asyncio.to_thread(
                saved_log, self.settings.data_root, run.project, run.name)
            await self._finish_with(
                run, Outcome("Cancelled", "Cancelled",
                             f"cancelled while running; Job {run.job_name} deleted"),
                now_utc(), log_file)

    async def _job_gone(self, run: RunView) -> None:
        async with self._control:
            name = run.job_name or job_name_for(run.name)
            try:
                # The watch may simply lag (a new leader, a re-listed stream): ask the API.
                found = JobView.from_body(await self.api.get(self.paths.job(name)))
            except ApiError as error:
                if error.status != 404:
                    raise
            else:
                if found.run_uid == run.uid:
                    self.model.put_job(found)
                    return
            log_file = await self._save_log(run, name)
            await self._finish_with(
                run, Outcome("Failed", "JobDeleted",
                             f"Job {name} was deleted by someone else before it finished"),
                now_utc(), log_file)

    async def _finish_without_job(self, run: RunView, outcome: Outcome) -> None:
        async with self._control:
            await self._finish_with(run, outcome, now_utc(), None)

    async def _fail(self, run: RunView, reason: str, message: str) -> None:
        await self._finish_with(run, Outcome("Failed", reason, message), now_utc(), None)

    async def _finish_with(self, run: RunView, outcome: Outcome, finished: datetime,
                           log_file: str | None, job: JobView | None = None) -> None:
        await self._write_status(
            run, finished_status(run, outcome, finished, log_file, now_utc(), job))
        self._post_event(run, outcome.phase, outcome.message,
                         warning=outcome.phase == "Failed")
        await self._label_finished(run)

    async def _label_leftover(self, run: RunView) -> None:
        async with self._labelling:
            await self._label_finished(run)

    async def _label_finished(self, run: RunView) -> None:
        """Take a run whose final phase is written out of the watch (it then leaves the
        model through a DELETED event). A crash before this leaves it to the next start."""
        # The uid makes it a precondition: the server refuses to touch a newer namesake.
        patch = {"metadata": {"uid": run.uid, "labels": {FINISHED_LABEL: "true"}}}
        try:
            await self._patch_run(self.paths.run(run.name), run, patch)
        except RunGone:
            pass  # deleted meanwhile: nothing left to label
        except ApiError as error:
            if error.status not in (409, 422):
                raise
            logger.info("run %s: not labelled finished, it was replaced: %s", run.name, error)

    # Helpers ----------------------------------------------------------------------------------
    async def _write_status(self, run: RunView, patch: dict[str, Any]) -> None:
        await self._patch_run(self.paths.run_status(run.name), run, patch)

    async def _patch_run(self, path: str, run: RunView, patch: dict[str, Any]) -> None:
        try:
            body = await self.api.merge_patch(path, patch)
        except ApiError as error:
            if error.status == 404:
                stored = self.model.runs.get(run.name)
                if stored is not None and stored.uid == run.uid:
                    self.model.drop_run(run.name)
                raise RunGone(run.name) from error
            raise
        self.model.put_run(RunView.from_body(body))

    async def _delete_job(self, name: str, propagation: str) -> None:
        try:
            body = await self.api.delete(self.paths.job(name), propagation)
        except ApiError as error:
            if error.status != 404:
                raise
            return
        if body.get("kind") == "Job":
            self.model.put_job(JobView.from_body(body))

    async def _save_log(self, run: RunView, job_name: str) -> str | None:
        return await save_pod_logs(self.api, self.paths, self.settings, run, job_name)

    def _post_event(self, run: RunView, reason: str, message: str, warning: bool = False) -> None:
        """A Kubernetes Event on the run, so `kubectl describe` tells its story."""
        logger.info("run %s: %s: %s", run.name, reason, message)
        stamp = timestamp(now_utc())
        body = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": event_name_for(run.name, run.uid, reason),
                         "namespace": self.settings.namespace},
            "involvedObject": {"apiVersion": API_VERSION, "kind": RUN_KIND, "name": run.name,
                               "namespace": self.settings.namespace, "uid": run.uid},
            "reason": reason,
            "message": message[:1024],
            "type": "Warning" if warning else "Normal",
            "source": {"component": COMPONENT},
            "reportingComponent": COMPONENT,
            "reportingInstance": self.settings.identity[:128],
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "count": 1,
        }
        self._background(self._create_event(run.name, body))

    async def _create_event(self, run_name: str, body: dict[str, Any]) -> None:
        async with self._events:
            try:
                await self.api.create(self.paths.events, body)
            except NotLeader:
                pass
            except ApiError as error:
                if error.status != 409:  # 409: posted by an earlier attempt
                    logger.warning("run %s: could not post event %s: %s", run_name,
                                   body["reason"], error)

    def _background(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _flush_positions(self) -> None:
        """Rewrite the positions of the queue's head, at most every POSITION_INTERVAL."""
        try:
            wait = self._positions_flushed_at + POSITION_INTERVAL - self._clock()
            if wait > 0:
                await asyncio.sleep(wait)
            self._positions_due = False
            self._positions_flushed_at = self._clock()
            if not self._is_leader():
                return
            model = self.model
            head = self.settings.queue_position_head
            wanted = head_positions(model.queue.head(head), head)
            shown = {name: place for name in model.positioned
                     if (place := model.runs[name].queue_position) is not None}
            updates = {
                name: place for name, place in position_updates(wanted, shown).items()
                # New runs get their first position with the Queued status; busy ones wait.
                if name not in self._inflight and model.runs[name].phase == "Queued"}
            await asyncio.gather(*(self._write_position(name, place)
                                   for name, place in updates.items()))
        finally:
            self._positions_task = None
            if self._positions_due:
                self._wake.set()

    async def _write_position(self, name: str, place: int | None) -> None:
        async with self._bulk:
            run = self.model.runs.get(name)
            if run is None or run.phase != "Queued" or name in self._inflight:
                return  # started or gone meanwhile: nothing to show
            try:
                await self._write_status(run, position_patch(run, place))
            except (ApiError, NotLeader, RunGone) as error:
                self._positions_due = True  # try again on the next flush
                logger.debug("position of %s not written: %s", name, error)


def _version_of(listing: Mapping[str, Any]) -> str:
    return str((listing.get("metadata") or {}).get("resourceVersion") or "")
