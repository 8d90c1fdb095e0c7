"""The operator's picture of the namespace, fed by the watch: runs, their Jobs, Pipelines.

Every change to one run re-files that run alone (queue, slots, project folders), so the cost
of an event does not grow with the number of runs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import TypeVar

from .boundaries import folder_and_ancestors, projects_overlap
from .durations import RecentDurations
from .fairness import ROUND_ROBIN, QueuedRun, fair_order
from .pods import PodView
from .queue import FINISHING, RUNNING, RunQueue
from .views import (JobView, PipelineView, RunView, changed_after, parse_time,
                    resource_version_newer)

View = TypeVar("View", RunView, JobView, PipelineView, PodView)


class Model:
    def __init__(self, policy: str = ROUND_ROBIN) -> None:
        self.policy = policy  # of the queue's fair order (fairness.py)
        self.runs: dict[str, RunView] = {}
        self.jobs: dict[str, JobView] = {}
        self.pipelines: dict[str, PipelineView] = {}
        self.pods: dict[str, PodView] = {}  # of our Jobs
        self.live_pods: dict[str, PodView] = {}  # those a pipeline may still run in
        self._pods_of_job: dict[str, set[str]] = defaultdict(set)  # Job uid -> pod names
        self._pods_of_run: dict[str, set[str]] = defaultdict(set)  # run uid -> pod names
        self._job_of_run: dict[str, str] = {}
        self._job_by_uid: dict[str, str] = {}  # Job uid -> name
        # A finished Job removed (TTL 0, a hasty admin) before its run's outcome was written
        # still decides that outcome: kept here until the run is terminal.
        self._finished_gone: dict[str, JobView] = {}
        self.starting: set[str] = set()
        # Derived, per run:
        self.active: set[str] = set()  # not in a terminal phase
        self.unlabelled: set[str] = set()  # terminal, but without the finished label yet
        self.queue = RunQueue()  # waiting for a slot
        # Slots: every Job still going (whether or not its run is still here), plus the runs
        # that claim a slot with no Job in sight yet (being started, or Running but Job-less).
        self.unfinished_jobs: set[str] = set()
        self.claims: set[str] = set()
        self.positioned: set[str] = set()  # waiting, with a queuePosition in its status
        # Runs holding a project folder: by their folder, and by every folder above it, so
        # that nested folders (`alice`, `alice/cells`) are seen as one busy tree.
        self._project_users: dict[str, set[str]] = defaultdict(set)
        self._users_below: dict[str, set[str]] = defaultdict(set)
        self._project_of: dict[str, str] = {}
        # What run-start estimates go by: every finished run seen (watched, or listed once).
        self.durations = RecentDurations()
        # Each owner's latest start seen (kept after its runs finish and leave the picture,
        # for as long as this process lives), and the fair order, made again only when the
        # queue or these change: not per event, not per run.
        self.last_start: dict[str, datetime] = {}
        self._order: list[str] | None = None
        self._places: dict[str, int] = {}

    # Feeding --------------------------------------------------------------------------------
    def put_run(self, run: RunView) -> bool:
        """Store a newer version of a run; False when it is older than what we have."""
        if not _replaces(run, self.runs.get(run.name)):
            return False
        self.runs[run.name] = run
        self.durations.record(run)
        started = parse_time(run.start_time)
        if started is not None:
            self.note_start(run.owner, started)
        self._file(run.name)
        return True

    def note_finished(self, runs: list[RunView]) -> None:
        """Finished runs listed once (not kept in the picture): their durations, for the
        estimates, and their starts, for their owners' turns in the fair order."""
        self.durations.record_all(runs)
        for run in runs:
            started = parse_time(run.start_time)
            if started is not None:
                self.note_start(run.owner, started)

    def note_start(self, owner: str, at: datetime) -> None:
        """An owner's run started at `at` (its status, or the moment we start it)."""
        if owner and (owner not in self.last_start or self.last_start[owner] < at):
            self.last_start[owner] = at
            self._order = None

    def drop_run(self, name: str) -> None:
        self.runs.pop(name, None)
        self.starting.discard(name)
        self._finished_gone.pop(name, None)
        self._file(name)

    def put_job(self, job: JobView) -> bool:
        old = self.jobs.get(job.name)
        if not _replaces(job, old):
            return False
        if old is not None:
            self._job_by_uid.pop(old.uid, None)
        self.jobs[job.name] = job
        self._job_by_uid[job.uid] = job.name
        _toggle(self.unfinished_jobs, job.name, not job.finished)
        if job.run_name:
            self._job_of_run[job.run_name] = job.name
            self._file(job.run_name)
        return True

    def drop_job(self, name: str, uid: str | None = None) -> None:
        job = self.jobs.get(name)
        if job is None or (uid and job.uid != uid):
            return
        del self.jobs[name]
        self._job_by_uid.pop(job.uid, None)
        self.unfinished_jobs.discard(name)
        if job.run_name and self._job_of_run.get(job.run_name) == name:
            del self._job_of_run[job.run_name]
            run = self.runs.get(job.run_name)
            if job.finished and run is not None and not run.terminal:
                self._finished_gone[job.run_name] = job
            self._file(job.run_name)

    def put_pod(self, pod: PodView) -> bool:
        old = self.pods.get(pod.name)
        if not _replaces(pod, old):
            return False
        if old is not None:
            self._unindex_pod(old)
        self.pods[pod.name] = pod
        if pod.job_uid:
            self._pods_of_job[pod.job_uid].add(pod.name)
        if pod.run_uid:
            self._pods_of_run[pod.run_uid].add(pod.name)
        if pod.alive:
            self.live_pods[pod.name] = pod
        else:
            self.live_pods.pop(pod.name, None)
        return True

    def drop_pod(self, name: str) -> None:
        pod = self.pods.pop(name, None)
        self.live_pods.pop(name, None)
        if pod is not None:
            self._unindex_pod(pod)

    def _unindex_pod(self, pod: PodView) -> None:
        if pod.job_uid:
            _remove_user(self._pods_of_job, pod.job_uid, pod.name)
        if pod.run_uid:
            _remove_user(self._pods_of_run, pod.run_uid, pod.name)

    def pods_of(self, job: JobView) -> list[PodView]:
        return [self.pods[name] for name in self._pods_of_job.get(job.uid, ())]

    def pods_of_run(self, run: RunView) -> list[PodView]:
        """By the run uid its pods carry: found still when their Job is gone (or they
        were orphaned); an older operator's pods carry none."""
        return [self.pods[name] for name in self._pods_of_run.get(run.uid, ())]

    def put_pipeline(self, pipeline: PipelineView) -> bool:
        stored = self.pipelines.get(pipeline.name)
        if stored is not None and not resource_version_newer(
                pipeline.resource_version, stored.resource_version):
            return False
        self.pipelines[pipeline.name] = pipeline
        return True

    def drop_pipeline(self, name: str) -> None:
        self.pipelines.pop(name, None)

    # Listings: the complete picture as of one resourceVersion, merged with what the watch
    # brought meanwhile (either can be the newer). `deleted` holds the deletions the watch
    # reported while the listing was under way, by name: their last resourceVersion.
    def sync_runs(self, listed: Iterable[RunView], as_of: str,
                  deleted: Mapping[str, str]) -> list[str]:
        return _sync(self.runs, listed, as_of, deleted, self.put_run, self.drop_run)

    def sync_jobs(self, listed: Iterable[JobView], as_of: str,
                  deleted: Mapping[str, str]) -> list[str]:
        return _sync(self.jobs, listed, as_of, deleted, self.put_job, self.drop_job)

    def sync_pipelines(self, listed: Iterable[PipelineView], as_of: str,
                       deleted: Mapping[str, str]) -> list[str]:
        return _sync(self.pipelines, listed, as_of, deleted, self.put_pipeline,
                     self.drop_pipeline)

    def sync_pods(self, listed: Iterable[PodView], as_of: str,
                  deleted: Mapping[str, str]) -> list[str]:
        return _sync(self.pods, listed, as_of, deleted, self.put_pod, self.drop_pod)

    def set_starting(self, name: str, starting: bool) -> None:
        if starting:
            self.starting.add(name)
        else:
            self.starting.discard(name)
        self._file(name)

    # Reading --------------------------------------------------------------------------------
    def queue_order(self) -> list[str]:
        """The queued runs in the order they are to start (fairness.fair_order)."""
        if self._order is None:
            queued = (self.runs[name] for name in self.queue)
            self._order = fair_order(
                (QueuedRun(run.name, run.owner, run.created, run.priority) for run in queued),
                self.policy, self.last_start)
            self._places = {name: place for place, name in enumerate(self._order, start=1)}
        return self._order

    def queue_place(self, name: str) -> int | None:
        """1-based place in queue_order(), None when not queued."""
        self.queue_order()
        return self._places.get(name)

    def owner_running(self, owner: str) -> int:
        """Runs of `owner` holding a slot (starting, or with a Job or pipeline going)."""
        return sum(1 for name in self._project_of if self.runs[name].owner == owner)

    def job_for(self, run: RunView) -> JobView | None:
        name = self._job_of_run.get(run.name)
        job = self.jobs.get(name) if name else self._finished_gone.get(run.name)
        # A Job left behind by an earlier run of the same name is not this run's.
        if job is not None and job.run_uid != run.uid:
            return None
        return job

    def expirable_jobs(self) -> list[JobView]:
        """Finished Jobs still without a TTL whose run's outcome is written (or whose run is
        gone): an operator stopped between the outcome and the TTL leaves such Jobs."""
        return [job for job in self.jobs.values()
                if job.finished and job.ttl is None and not job.deleting
                and ((run := self.runs.get(job.run_name or "")) is None
                     or run.uid != job.run_uid or run.terminal)]

    def slots_used(self) -> int:
        """Runs that may have a pipeline going: every unfinished Job, every claim, and every
        live pod (Terminating too) whose run is counted by neither (its Job gone, or done)."""
        holders = {job.run_uid or f"job/{name}" for name in self.unfinished_jobs
                   if (job := self.jobs.get(name)) is not None}
        holders |= {self.runs[name].uid for name in self.claims if name in self.runs}
        holders |= {self._pod_holder(pod) for pod in self.live_pods.values()}
        return len(holders)

    def _pod_holder(self, pod: PodView) -> str:
        if pod.run_uid:
            return pod.run_uid
        job = self._job_with_uid(pod.job_uid)
        return (job.run_uid if job is not None and job.run_uid else None) or f"pod/{pod.name}"

    def _job_with_uid(self, uid: str | None) -> JobView | None:
        name = self._job_by_uid.get(uid or "")
        return self.jobs.get(name) if name else None

    def pod_project(self, pod: PodView) -> str | None:
        """The folder a pod's pipeline writes: its annotation, else its run's (older pods)."""
        if pod.project is not None:
            return pod.project
        run = self.runs.get(pod.run_name or "")
        return run.project if run is not None else None

    def job_known(self, pod: PodView) -> bool:
        """Whether the Job owning the pod is in the picture (a pod without one is left over)."""
        return self._job_with_uid(pod.job_uid) is not None

    def project_users(self, project: str) -> set[str]:
        """The runs holding `project`, a folder above it or one inside it."""
        users = set(self._users_below.get(project, ()))
        for folder in folder_and_ancestors(project):
            users |= self._project_users.get(folder, set())
        return users

    def project_state(self, project: str) -> str | None:
        """RUNNING while a pipeline may run there (or in a folder above or inside it),
        FINISHING while only outcomes are being written, None when the folder is free."""
        users = self.project_users(project)
        if any(projects_overlap(project, folder) for pod in self.live_pods.values()
               if (folder := self.pod_project(pod)) is not None):
            return RUNNING  # a pod outliving its run's hold (Terminating, orphaned)
        if not users:
            return None
        for name in users:
            job = self.job_for(self.runs[name])
            if job is None or not job.finished:
                return RUNNING
        return FINISHING

    # Filing ---------------------------------------------------------------------------------
    def _file(self, name: str) -> None:
        """Recompute the derived sets for one run."""
        run = self.runs.get(name)
        _toggle(self.unlabelled, name,
                run is not None and run.terminal and not run.labelled_finished)
        if run is None or run.terminal:
            self._finished_gone.pop(name, None)
            run = None  # a finished run takes no part in any of these
        job = self.job_for(run) if run else None
        holding = run is not None and (
            name in self.starting or job is not None or run.phase == "Running")
        waiting = (run is not None and not holding and not run.cancel_requested
                   and run.phase in (None, "Queued"))
        _toggle(self.active, name, run is not None)
        _toggle(self.claims, name, holding and job is None)
        was_queued = name in self.queue
        if waiting and run is not None:
            self.queue.add(name, run.queue_key)
            _toggle(self.positioned, name, run.queue_position is not None)
        else:
            self.queue.discard(name)
            self.positioned.discard(name)
        if was_queued != (name in self.queue):
            self._order = None
        # A run keeps its project folder from its start until its outcome is written, so the
        # next run there can neither clear a LAST_RUN_ID nor a log still being read.
        old_project = self._project_of.pop(name, None)
        if old_project is not None:
            _remove_user(self._project_users, old_project, name)
            for folder in folder_and_ancestors(old_project)[:-1]:
                _remove_user(self._users_below, folder, name)
        if holding and run is not None:
            self._project_of[name] = run.project
            self._project_users[run.project].add(name)
            for folder in folder_and_ancestors(run.project)[:-1]:
                self._users_below[folder].add(name)


def _replaces(incoming: RunView | JobView | PodView,
              stored: RunView | JobView | PodView | None) -> bool:
    """Whether an object from the watch (or an API answer) is news: another object under the
    same name, or a version at least as new. Answers and events can arrive in either order."""
    return (stored is None or stored.uid != incoming.uid
            or resource_version_newer(incoming.resource_version, stored.resource_version))


def _sync(stored: dict[str, View], listed: Iterable[View], as_of: str,
          deleted: Mapping[str, str], put: Callable[[View], bool],
          drop: Callable[[str], None]) -> list[str]:
    """Merge a listing into `stored`; return the names dropped as gone."""
    seen: set[str] = set()
    for view in listed:
        seen.add(view.name)
        gone_at = deleted.get(view.name)
        # Deleted (or out of the selector) after this version was listed: stays gone.
        if gone_at is None or not resource_version_newer(gone_at, view.resource_version):
            put(view)
    # Absent from the listing and not changed since it was taken: gone meanwhile.
    dropped = [name for name, view in stored.items()
               if name not in seen and not changed_after(view.resource_version, as_of)]
    for name in dropped:
        drop(name)
    return dropped


def _remove_user(users: dict[str, set[str]], folder: str, name: str) -> None:
    users[folder].discard(name)
    if not users[folder]:
        del users[folder]


def _toggle(members: set[str], name: str, present: bool) -> None:
    if present:
        members.add(name)
    else:
        members.discard(name)
