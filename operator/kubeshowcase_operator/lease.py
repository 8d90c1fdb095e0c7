"""Leader election with a coordination.k8s.io/v1 Lease: only the holder may write."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from .kubeapi import ApiError, KubeApi, Paths
from .status import now_utc, timestamp

logger = logging.getLogger(__name__)

# Renew three times per lease duration and stop writing after two thirds of it without a
# renewal: a follower waits a whole duration from when it *saw* the last renewal, so the
# old leader has always stopped before a new one starts.
RENEWALS_PER_DURATION = 3
RENEW_DEADLINE_FRACTION = 2 / 3


def lease_action(spec: dict[str, Any] | None, identity: str, unchanged_for: float) -> str:
    """What a candidate does with the Lease as it finds it: create, renew, take or wait.

    `unchanged_for` is how long (by our own clock) the Lease's record has stayed the same: clocks
    of other machines are never compared with ours."""
    if spec is None:
        return "create"
    holder = spec.get("holderIdentity") or ""
    if holder == identity:
        return "renew"  # ours, possibly from before a restart: take it back at once
    if not holder:
        return "take"
    duration = spec.get("leaseDurationSeconds") or 0
    return "take" if unchanged_for >= duration else "wait"


class LeaderElector:
    def __init__(self, api: KubeApi, paths: Paths, name: str, identity: str, duration: int,
                 on_gain: Callable[[], None], clock: Callable[[], float] = time.monotonic) -> None:
        self._api = api
        self._paths = paths
        self._name = name
        self._identity = identity
        self._duration = duration
        self._on_gain = on_gain
        self._clock = clock
        self._valid_until = 0.0
        self._seen: tuple[Any, ...] | None = None
        self._seen_since = clock()
        self._resource_version: str | None = None

    @property
    def retry_period(self) -> float:
        return self._duration / RENEWALS_PER_DURATION

    def is_leader(self) -> bool:
        return self._clock() < self._valid_until

    def _lease_body(self, spec: dict[str, Any], resource_version: str | None) -> dict[str, Any]:
        metadata: dict[str, Any] = {"name": self._name, "namespace": self._paths.namespace}
        if resource_version:
            metadata["resourceVersion"] = resource_version
        return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                "metadata": metadata, "spec": spec}

    def _held(self, lease: dict[str, Any], started: float) -> None:
        was_leader = self.is_leader()
        self._valid_until = started + self._duration * RENEW_DEADLINE_FRACTION
        self._resource_version = lease.get("metadata", {}).get("resourceVersion")
        if not was_leader:
            logger.info("%s now holds the lease %s", self._identity, self._name)
            self._on_gain()

    async def attempt(self) -> None:
        """One round: read the Lease, then create, renew or take it when allowed."""
        started = self._clock()
        try:
            lease = await self._api.get(self._paths.lease(self._name))
        except ApiError as error:
            if error.status != 404:
                raise
            lease = None
        spec = (lease or {}).get("spec") or {}
        record = (spec.get("holderIdentity"), spec.get("renewTime"),
                  (lease or {}).get("metadata", {}).get("resourceVersion"))
        if record != self._seen:
            self._seen, self._seen_since = record, started
        action = lease_action(spec if lease else None, self._identity, started - self._seen_since)
        if action == "wait":
            if self.is_leader():
                logger.warning("%s lost the lease %s to %s", self._identity, self._name,
                               spec.get("holderIdentity"))
            self._valid_until = 0.0
            return
        now = timestamp(now_utc(), precise=True)
        new_spec = dict(spec)
        new_spec.update(holderIdentity=self._identity, leaseDurationSeconds=self._duration,
                        renewTime=now)
        if action != "renew" or not spec.get("acquireTime"):
            new_spec["acquireTime"] = now
            new_spec["leaseTransitions"] = int(spec.get("leaseTransitions") or 0) + (
                1 if lease else 0)
        try:
            if lease is None:
                result = await self._api.create(self._paths.leases,
                                                self._lease_body(new_spec, None))
            else:
                version = lease["metadata"]["resourceVersion"]
                result = await self._api.replace(self._paths.lease(self._name),
                                                 self._lease_body(new_spec, version))
        except ApiError as error:
            if error.status in (409, 422):
                return  # someone else wrote it first: look again next round
            raise
        self._held(result, started)

    async def run(self) -> None:
        while True:
            try:
                await self.attempt()
            except ApiError as error:
                logger.warning("lease %s: %s", self._name, error)
            except Exception:
                logger.exception("lease %s: unexpected error", self._name)
            await asyncio.sleep(self.retry_period)

    async def close(self) -> None:
        await self.release()
        await self._api.close()

    async def release(self) -> None:
        """Hand the Lease back on a clean exit so a follower takes over without waiting."""
        if not self.is_leader() or not self._resource_version:
            return
        self._valid_until = 0.0
        stamp = timestamp(now_utc(), precise=True)
        spec = {"holderIdentity": "", "leaseDurationSeconds": 1, "renewTime": stamp,
                "acquireTime": stamp}
        try:
            await self._api.call("PATCH", self._paths.lease(self._name),
                                 {"metadata": {"resourceVersion": self._resource_version},
                                  "spec": spec},
                                 content_type="application/merge-patch+json", attempts=2)
        except ApiError as error:
            logger.info("could not release the lease %s: %s", self._name, error)

