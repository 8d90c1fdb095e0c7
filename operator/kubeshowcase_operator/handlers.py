"""Kopf wiring: settings, startup and cleanup, and thin handlers that feed the controller."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import kopf

from . import settings as settings_module
from .controller import Controller
from .jobs import MANAGED_BY, MANAGED_BY_LABEL
from .kubeapi import KubeApi, Paths, load_connection
from .lease import LeaderElector
from .views import GROUP, VERSION, JobView, PipelineView, RunView

logger = logging.getLogger(__name__)

OUR_JOBS = {MANAGED_BY_LABEL: MANAGED_BY}


class NoDiffBase(kopf.DiffBaseStorage):
    """Kopf deep-copies every body to diff it for on.create/update handlers; we have none
    (our handlers are on.event and indexes), so skip that work on every event."""

    def build(self, *, body: kopf.Body, extra_fields: Any = None) -> Any:
        return {}

    def fetch(self, *, body: kopf.Body) -> Any:
        return None

    def store(self, *, body: kopf.Body, patch: kopf.Patch, essence: Any) -> None:
        pass


@kopf.on.startup()
async def configure(settings: kopf.OperatorSettings, **_: Any) -> None:
    # Our own Lease decides who writes; Kopf's peering would freeze every equal-priority replica.
    settings.peering.standalone = True
    # Events are posted by the reconciler, by the leader only; Kopf's would come from every replica.
    settings.posting.enabled = False
    # Served resources are fixed (the CRDs are installed with the chart): no CRD/namespace scans.
    settings.scanning.disabled = True
    # Kopf 1.45 no longer batches events in time windows (batch_window is deprecated and inert),
    # so every event reaches the handlers at once.
    settings.watching.server_timeout = 300
    settings.watching.client_timeout = 330
    settings.watching.connect_timeout = 5
    settings.networking.request_timeout = 30
    settings.networking.connect_timeout = 5
    settings.networking.error_backoffs = (0.1, 0.2, 0.5, 1, 2, 3, 5, 8)
    settings.watching.label_selectors["batch", "v1", "jobs"] = (
        f"{MANAGED_BY_LABEL}={MANAGED_BY}")
    settings.persistence.diffbase_storage = NoDiffBase()
    settings.queueing.idle_timeout = 30  # keep per-object workers warm through a busy queue
    # Kopf logs every handled event at INFO; our reconciler logs each run's transitions instead.
    logging.getLogger("kopf.objects").setLevel(logging.WARNING)


@kopf.on.startup()
async def start(memo: kopf.Memo, **_: Any) -> None:
    try:
        config = settings_module.load()
    except settings_module.SettingsError as error:
        raise kopf.PermanentError(str(error)) from error
    connection = load_connection()
    # `controller` is bound below; the elector calls back only once it runs.
    elector = LeaderElector(KubeApi(connection), Paths(config.namespace), config.lease_name,
                            config.identity, config.lease_duration_seconds,
                            on_gain=lambda: controller.leadership_gained())
    controller = Controller(config, KubeApi(connection, may_write=elector.is_leader),
                            is_leader=elector.is_leader)
    memo.controller = controller
    memo.elector = elector
    memo.tasks = [asyncio.create_task(controller.run(), name="reconciler"),
                  asyncio.create_task(controller.audit(), name="slot audit"),
                  asyncio.create_task(elector.run(), name="leader election")]
    logger.info("kubeshowcase operator %s in namespace %s: at most %d run(s) at once",
                config.identity, config.namespace, config.max_concurrent_runs)


@kopf.on.cleanup()
async def stop(memo: kopf.Memo, **_: Any) -> None:
    for task in memo.get("tasks", ()):
        task.cancel()
    await asyncio.gather(*memo.get("tasks", ()), return_exceptions=True)
    if "controller" in memo:
        await memo.controller.stop()
        await memo.elector.close()  # hands the lease over at once
        await memo.controller.api.close()


# Indexes: Kopf fills them from the initial listings before any on.event handler runs, so the
# first event handler finds the complete picture in them (see `_seed`).
@kopf.index(GROUP, VERSION, "pipelineruns")
def run_views(name: str, body: kopf.Body, **_: Any) -> dict[str, RunView]:
    return {name: RunView.from_body(body)}


@kopf.index("batch", "v1", "jobs", labels=OUR_JOBS)
def job_views(name: str, body: kopf.Body, **_: Any) -> dict[str, JobView]:
    return {name: JobView.from_body(body)}


@kopf.index(GROUP, VERSION, "pipelines")
def pipeline_views(name: str, body: kopf.Body, **_: Any) -> dict[str, PipelineView]:
    return {name: PipelineView.from_body(body)}


def _seed(memo: kopf.Memo, run_views: kopf.Index, job_views: kopf.Index,
          pipeline_views: kopf.Index) -> Controller:
    controller: Controller = memo.controller
    if not controller.synced:
        controller.seed(
            runs=(view for store in run_views.values() for view in store),
            jobs=(view for store in job_views.values() for view in store),
            pipelines=(view for store in pipeline_views.values() for view in store),
        )
    return controller


@kopf.on.event(GROUP, VERSION, "pipelineruns")
async def run_event(event: kopf.RawEvent, memo: kopf.Memo, **kwargs: Any) -> None:
    _seed(memo, **_indexes(kwargs)).observe_run(event["object"], event["type"] == "DELETED")


@kopf.on.event("batch", "v1", "jobs", labels=OUR_JOBS)
async def job_event(event: kopf.RawEvent, memo: kopf.Memo, **kwargs: Any) -> None:
    _seed(memo, **_indexes(kwargs)).observe_job(event["object"], event["type"] == "DELETED")


@kopf.on.event(GROUP, VERSION, "pipelines")
async def pipeline_event(event: kopf.RawEvent, memo: kopf.Memo, **kwargs: Any) -> None:
    _seed(memo, **_indexes(kwargs)).observe_pipeline(event["object"], event["type"] == "DELETED")


def _indexes(kwargs: dict[str, Any]) -> dict[str, kopf.Index]:
    return {key: kwargs[key] for key in ("run_views", "job_views", "pipeline_views")}
