"""The reconciler: plans every dirty run from the cache, fills free slots, runs the actions.

Handlers feed the cache with watch events and mark runs dirty in the work queue; the loop then
plans each dirty run with `plan_run`, fills free slots with `next_runs_to_start` and lets the
position publisher coalesce queue positions. Each run has at most one action in flight; when it
ends the run is planned again from fresh state."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any

from .actions import Context, action_for, delete_leftover, expire, force_delete, start
from .cache import Cache
from .kubeapi import ApiError, NotLeader
from .plan import Step, needs_finished_label, plan_run
from .podcreate import create_deadline, creation_overdue
from .pods import PodStep, attempt_of, force_due, pending_outcome, pod_step
from .positions import PositionPublisher
from .projectfiles import ProjectError
from .queuemap import QueuePublisher
from .queue import READY, SKIP, WAIT, Candidate, next_runs_to_start
from .status import now_utc
from .views import EPOCH
from .workqueue import WorkQueue, backoff
from .writer import RunGone, Superseded

logger = logging.getLogger(__name__)



class Reconciler:
    def __init__(self, ctx: Context, queue: WorkQueue, positions: PositionPublisher,
                 is_leader: Callable[[], bool], clock: Callable[[], float] = time.monotonic,
                 published: QueuePublisher | None = None) -> None:
        self.ctx = ctx
        self.cache: Cache = ctx.cache
        self.queue = queue
        self.positions = positions
        self.published = published  # the full order, in the kubeshowcase-queue ConfigMap
        self._is_leader = is_leader
        self._clock = clock
        self._list_due = True
        self._list_failures = 0
        self.queue.wake.set()  # the first thing the loop does is list

    # Fed by the handlers ----------------------------------------------------------------------
    def observe_run(self, body: Mapping[str, Any], deleted: bool) -> None:
        run = self.cache.observe_run(body, deleted)
        if run is None:
            return
        if deleted:
            self.queue.forget(run.name)
        self.positions.due = True
        self.queue.add(run.name)

    def observe_job(self, body: Mapping[str, Any], deleted: bool) -> None:
        job = self.cache.observe_job(body, deleted)
        if job is None or not job.run_name:
            return
        self.queue.add(job.run_name)
        due = None if deleted else create_deadline(
            job, self.cache.model.pods_of(job), self.ctx.settings.pending_timeout_seconds)
        if due is not None:  # look again once it has had its time to create a pod
            left = (due - now_utc()).total_seconds()
            asyncio.get_running_loop().call_later(max(0.0, left) + 0.1, self.queue.add,
                                                  job.run_name)

    def observe_pod(self, body: Mapping[str, Any], deleted: bool) -> None:
        pod = self.cache.observe_pod(body, deleted)
        if pod is None:
            return
        self.queue.add(pod.run_name or f"pod/{pod.name}")  # a pod's end may free a slot
        if deleted:
            return
        loop = asyncio.get_running_loop()
        if pod.run_name and pod.pending:  # look again once its pending time is up
            timeout = self.ctx.settings.pending_timeout_seconds
            left = (pod.created - now_utc()).total_seconds() + timeout
            loop.call_later(max(0.0, left) + 0.1, self.queue.add, pod.run_name)
        due = force_due(pod, self.ctx.settings.terminating_timeout_seconds)
        if due is not None:  # look again once it has been Terminating too long
            left = (due - now_utc()).total_seconds()
            loop.call_later(max(0.0, left) + 0.1, self.queue.add, f"pod/{pod.name}")

    def observe_pipeline(self, body: Mapping[str, Any], deleted: bool) -> None:
        self.cache.observe_pipeline(body, deleted)

    def leadership_gained(self) -> None:
        """A new leader trusts nothing a previous one may have left half done: it lists
        again (unless its first listing is still to come) and plans all."""
        if self.cache.synced:
            self._list_due = True
        self._plan_all()

    def leadership_lost(self) -> None:
        """Stop every action under way: a follower may lead any moment now. Their runs are
        planned again, from a fresh listing, if this process leads again."""
        tasks = list(self.queue.in_flight.values())
        for task in tasks:
            task.cancel()
        self.positions.cancel()
        if self.published is not None:
            self.published.forget()
        if tasks:
            logger.warning("leadership lost: %d action(s) under way stopped", len(tasks))

    def _plan_all(self) -> None:
        model = self.cache.model
        self.positions.due = True
        self.queue.add_all(model.active | model.unlabelled)

    # The loop ---------------------------------------------------------------------------------
    async def run(self) -> None:
        while True:
            await self.queue.wake.wait()
            self.queue.wake.clear()
            if self._list_due and not await self._list_or_retry():
                continue
            if self.cache.synced and self._is_leader():
                try:
                    self._reconcile()
                except Exception:  # never let one bad object stop the operator
                    logger.exception("reconcile failed; planning everything again in 1s")
                    asyncio.get_running_loop().call_later(1.0, self.leadership_gained)

    async def _list_or_retry(self) -> bool:
        try:
            gone = await self.cache.list_all()
        except Exception as error:  # no picture, no dispatch: try again after a backoff
            self._list_failures += 1
            delay = backoff(self._list_failures)
            logger.warning("listing the namespace failed: %s (retrying in %.1fs)", error, delay)
            asyncio.get_running_loop().call_later(delay, self.queue.wake.set)
            return False
        self._list_due = False
        self._list_failures = 0
        for name in gone:
            logger.warning("run %s is gone without a watch event (deleted during a watch gap)",
                           name, extra={"run": name})
            self.queue.forget(name)
        self._plan_all()
        if self._is_leader():
            for job in self.cache.model.expirable_jobs():
                if f"job/{job.name}" not in self.queue.in_flight:
                    self._launch(f"job/{job.name}", expire(self.ctx, job))
        return True

    async def resync(self) -> None:
        """Now and then, list again what the watch may have hidden.

        After a watch gap Kopf re-lists without DELETED events (410 Gone once the history is
        compacted): a run or Job deleted meanwhile would stay in the picture for good, a run
        to be started, a Job holding a slot. Cheap: only active runs and our Jobs are listed."""
        while True:
            await asyncio.sleep(self.ctx.settings.resync_seconds)
            if self.cache.synced and self._is_leader():
                self._list_due = True
                self.queue.wake.set()

    async def stop(self) -> None:
        tasks = list(self.queue.in_flight.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.positions.stop()
        if self.published is not None:
            await self.published.stop()
        await self.ctx.recorder.stop()

    def _reconcile(self) -> None:
        now = self._clock()
        model, queue = self.cache.model, self.queue
        runs = model.runs
        # Oldest first, so that after a burst (or a restart) the head of the queue moves first.
        for name in sorted(queue.take(),
                           key=lambda n: runs[n].queue_key if n in runs else (EPOCH, n)):
            run = runs.get(name)
            if run is None or name in queue.in_flight or queue.backing_off(name, now):
                continue  # an ending action or a retry timer marks it dirty again
            job = model.job_for(run)
            timeout, moment = self.ctx.settings.pending_timeout_seconds, now_utc()
            pods = [] if job is None else model.pods_of(job)
            pending = None if job is None else pending_outcome(pods, moment, timeout)
            uncreated = job is not None and creation_overdue(job, pods, moment, timeout)
            step = (Step.LABEL_FINISHED if needs_finished_label(run)
                    else plan_run(run, job, pending, uncreated, attempt_of(pods, run.pod_name)))
            if step is not Step.NOTHING:
                self._launch(name, action_for(self.ctx, step, run, job, pending))
        self._tend_pods(now)
        self._dispatch(now)
        self.positions.kick()
        if self.published is not None:
            self.published.kick()

    def _tend_pods(self, now: float) -> None:
        """Pods outside any run's plan: left without a Job, or stuck Terminating. Few are
        alive at a time (about the concurrency limit), so all are looked at."""
        model, queue = self.cache.model, self.queue
        timeout = self.ctx.settings.terminating_timeout_seconds
        moment = now_utc()
        for pod in list(model.live_pods.values()):
            key = f"pod/{pod.name}"
            if key in queue.in_flight or queue.backing_off(key, now):
                continue
            step = pod_step(pod, model.job_known(pod), moment, timeout)
            if step == PodStep.DELETE_LEFTOVER:
                self._launch(key, delete_leftover(self.ctx, pod))
            elif step == PodStep.FORCE_DELETE:
                self._launch(key, force_delete(self.ctx, pod))

    def _dispatch(self, now: float) -> None:
        model, queue = self.cache.model, self.queue

        settings = self.ctx.settings

        def candidates() -> Iterator[Candidate]:
            for name in model.queue_order():  # the fair order, made again only on changes
                run = model.runs[name]
                if queue.backing_off(name, now):
                    state = SKIP
                elif run.phase != "Queued" or name in queue.in_flight:
                    state = WAIT
                else:
                    state = READY
                yield Candidate(name, run.project, state, run.owner)

        for name in next_runs_to_start(candidates(), model.slots_used(),
                                       settings.max_concurrent_runs, model.project_state,
                                       model.owner_running, settings.max_runs_per_owner):
            run = model.runs[name]
            model.note_start(run.owner, now_utc())  # its owner's turn is taken from now on
            model.set_starting(name, True)
            self._launch(name, start(self.ctx, run))

    def _launch(self, name: str, work: Awaitable[None]) -> None:
        task = asyncio.create_task(self._supervise(name, work), name=f"run {name}")
        self.queue.in_flight[name] = task

    async def _supervise(self, name: str, work: Awaitable[None]) -> None:
        model = self.cache.model
        try:
            await work
            self.queue.forget(name)
        except asyncio.CancelledError:
            raise
        except (NotLeader, RunGone):
            pass
        except Superseded as news:  # planned again at once, from the run as it now is
            logger.info("%s", news, extra={"run": name})
        except Exception as error:
            delay = self.queue.retry_later(name)
            if isinstance(error, (ApiError, ProjectError, OSError)):
                logger.warning("run %s: %s (retrying in %.1fs)", name, error, delay,
                               extra={"run": name})
            else:
                logger.exception("run %s: unexpected error (retrying in %.1fs)", name, delay,
                                 extra={"run": name})
        finally:
            self.queue.in_flight.pop(name, None)
            if name in model.starting:
                model.set_starting(name, False)
            self.queue.add(name)
