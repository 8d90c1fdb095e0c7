"""Leader election with a coordination.k8s.io/v1 Lease: only the holder may write."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from . import metrics
from .kubeapi import ApiError, KubeApi, Paths
from .status import now_utc, timestamp

logger = logging.getLogger(__name__)

# Renew three times per lease duration and stop writing after two thirds of it without a
# renewal: a follower waits a whole duration from when it *saw* the last renewal, so the
# old leader has always stopped before a new one starts.
RENEWALS_PER_DURATION = 3
RENEW_DEADLINE_FRACTION = 2 / 3
# A write let through just before the renew deadline must be answered (or given up) before a
# follower can take over: each request's timeout is this share of that margin.
REQUEST_SHARE_OF_MARGIN = 0.8


def lease_margin(duration: float) -> float:
    """Seconds between the moment the leader stops writing and the earliest takeover."""
    return round(duration * (1 - RENEW_DEADLINE_FRACTION), 6)


def request_timeout_for(duration: float) -> float:
    """The default per-request timeout for a lease duration: below the lease margin."""
    return round(lease_margin(duration) * REQUEST_SHARE_OF_MARGIN, 3)


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
                 on_gain: Callable[[], None], on_lose: Callable[[], None] = lambda: None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._api = api
        self._paths = paths
        self._name = name
        self._identity = identity
        self._duration = duration
        self._on_gain = on_gain
        self._on_lose = on_lose
        self._clock = clock
        self._valid_until = 0.0
        self._leading = False  # as last announced through on_gain/on_lose
        self._expiry: asyncio.TimerHandle | None = None
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
        self._arm_expiry()
        if not was_leader:
            if self._leading:  # it lapsed unnoticed (a stalled loop): say so before gaining
                self._lost("the lease lapsed")
            logger.info("%s now holds the lease %s", self._identity, self._name)
            self._leading = True
            metrics.LEADER.set(1)
            self._on_gain()

    def _arm_expiry(self) -> None:
        """Stop the work the moment the lease lapses, even while every request hangs."""
        if self._expiry is not None:
            self._expiry.cancel()
        delay = max(0.0, self._valid_until - self._clock())
        self._expiry = asyncio.get_running_loop().call_later(delay, self._check_lapsed)

    def _check_lapsed(self) -> None:
        self._expiry = None
        if self._leading and not self.is_leader():
            self._lost("not renewed in time")

    def _lost(self, why: str) -> None:
        logger.warning("%s no longer holds the lease %s: %s", self._identity, self._name, why)
        self._leading = False
        metrics.LEADER.set(0)
        self._on_lose()

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
            self._valid_until = 0.0
            if self._leading:
                self._lost(f"taken by {spec.get('holderIdentity')}")
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
        if self._expiry is not None:
            self._expiry.cancel()
        if not self.is_leader() or not self._resource_version:
            return
        self._valid_until = 0.0
        self._leading = False
        metrics.LEADER.set(0)
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

