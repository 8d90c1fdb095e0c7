"""Kopf wiring: settings, startup and cleanup, and thin handlers that feed the controller."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import kopf

from . import metrics
from . import settings as settings_module
from .controller import build_controller
from .jobs import MANAGED_BY, MANAGED_BY_LABEL, OUR_JOBS
from .kubeapi import KubeApi, Paths, load_connection
from .lease import LeaderElector
from .logformat import add_run_fields
from .views import ACTIVE_RUNS, GROUP, VERSION

logger = logging.getLogger(__name__)


class NoDiffBase(kopf.DiffBaseStorage):
    """Kopf deep-copies every body to diff it for on.create/update handlers; we have none
    (our handlers are all on.event), so skip that work on every event."""

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
    settings.watching.label_selectors["batch", "v1", "jobs"] = OUR_JOBS
    settings.watching.label_selectors["", "v1", "pods"] = OUR_JOBS  # the pods of our Jobs
    # Finished runs carry a label that keeps them out of the watch: a run leaving it arrives
    # as DELETED, and start-up costs nothing per finished run.
    settings.watching.label_selectors[GROUP, VERSION, "pipelineruns"] = ACTIVE_RUNS
    settings.persistence.diffbase_storage = NoDiffBase()
    settings.queueing.idle_timeout = 30  # keep per-object workers warm through a busy queue
    # Kopf logs every handled event at INFO; our reconciler logs each run's transitions instead.
    logging.getLogger("kopf.objects").setLevel(logging.WARNING)
    add_run_fields()


@kopf.on.startup()
async def start(memo: kopf.Memo, **_: Any) -> None:
    try:
        config = settings_module.load()
    except settings_module.SettingsError as error:
        raise kopf.PermanentError(str(error)) from error
    connection = load_connection()
    # `controller` is bound below; the elector calls back only once it runs.
    timeout = config.request_timeout_seconds  # below the lease margin
    elector = LeaderElector(KubeApi(connection, timeout=timeout), Paths(config.namespace),
                            config.lease_name, config.identity, config.lease_duration_seconds,
                            on_gain=lambda: controller.leadership_gained(),
                            on_lose=lambda: controller.leadership_lost())
    api = KubeApi(connection, may_write=elector.is_leader, write_timeout=timeout)
    controller = build_controller(config, api, is_leader=elector.is_leader)
    memo.controller = controller
    memo.elector = elector
    if config.metrics_port:
        gauges = metrics.QueueGauges(controller.cache.model, elector.is_leader)
        memo.metrics = (await metrics.serve(config.metrics_port, gauges), gauges)
    memo.tasks = [asyncio.create_task(controller.run(), name="reconciler"),
                  asyncio.create_task(controller.resync(), name="resync"),
                  asyncio.create_task(elector.run(), name="leader election")]
    logger.info("kubeshowcase operator %s in namespace %s: at most %d run(s) at once",
                config.identity, config.namespace, config.max_concurrent_runs)


@kopf.on.cleanup()
async def stop(memo: kopf.Memo, **_: Any) -> None:
    for task in memo.get("tasks", ()):
        task.cancel()
    await asyncio.gather(*memo.get("tasks", ()), return_exceptions=True)
    if "metrics" in memo:
        await metrics.stop(*memo.metrics)
    if "controller" in memo:
        await memo.controller.stop()
        await memo.elector.close()  # hands the lease over at once
        await memo.controller.ctx.api.close()


# No Kopf indexes: with any, every object's worker waits for the whole namespace to be indexed
# (quadratic at start-up). The controller lists once itself and these feed it the changes.
@kopf.on.event(GROUP, VERSION, "pipelineruns")
async def run_event(event: kopf.RawEvent, memo: kopf.Memo, **_: Any) -> None:
    memo.controller.observe_run(event["object"], event["type"] == "DELETED")


@kopf.on.event("batch", "v1", "jobs", labels={MANAGED_BY_LABEL: MANAGED_BY})
async def job_event(event: kopf.RawEvent, memo: kopf.Memo, **_: Any) -> None:
    memo.controller.observe_job(event["object"], event["type"] == "DELETED")


@kopf.on.event("", "v1", "pods", labels={MANAGED_BY_LABEL: MANAGED_BY})
async def pod_event(event: kopf.RawEvent, memo: kopf.Memo, **_: Any) -> None:
    memo.controller.observe_pod(event["object"], event["type"] == "DELETED")


@kopf.on.event(GROUP, VERSION, "pipelines")
async def pipeline_event(event: kopf.RawEvent, memo: kopf.Memo, **_: Any) -> None:
    memo.controller.observe_pipeline(event["object"], event["type"] == "DELETED")
