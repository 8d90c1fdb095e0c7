"""The composition root: cache, work queue, run writer, recorder, positions, the published
queue order and the reconciler."""

from __future__ import annotations

import time
from collections.abc import Callable

from .actions import Context
from .cache import Cache
from .kubeapi import KubeApi, Paths
from .positions import PositionPublisher
from .queuemap import QueuePublisher
from .reconciler import Reconciler
from .recorder import EventRecorder
from .settings import Settings
from .workqueue import WorkQueue
from .writer import RunWriter


def build_controller(settings: Settings, api: KubeApi, is_leader: Callable[[], bool],
                     clock: Callable[[], float] = time.monotonic) -> Reconciler:
    """Wire the parts as controller-runtime does; the handlers feed the returned reconciler."""
    paths = Paths(settings.namespace)
    cache = Cache(api, paths)
    cache.model.policy = settings.queue_policy
    writer = RunWriter(api, paths, cache.model)
    recorder = EventRecorder(api, paths, settings)
    ctx = Context(settings, api, paths, cache, writer, recorder, is_leader)
    queue = WorkQueue(clock)
    positions = PositionPublisher(cache.model, queue, writer, settings.queue_position_head,
                                  ctx.bulk, is_leader, clock, settings.max_concurrent_runs)
    published = QueuePublisher(api, paths, cache.model, queue, is_leader, clock,
                               settings.max_concurrent_runs)
    return Reconciler(ctx, queue, positions, is_leader, clock, published)
