"""What a DELETE does to an object's metadata: graceful pod deletion and the GC finalizers (pure).

Pods: pkg/registry/core/pod/strategy.go `CheckGracefulDelete` picks the grace; staging/src/
k8s.io/apiserver/pkg/registry/rest/delete.go `BeforeDelete` sets deletionTimestamp (now + grace)
and deletionGracePeriodSeconds, and lets a later DELETE only shorten it. Finalizers:
staging/src/k8s.io/apiserver/pkg/registry/generic/registry/store.go
`deletionFinalizersForGarbageCollection` (orphan / foregroundDeletion from the policy).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .clock import format_time, parse_time
from .podstatus import TERMINAL

ORPHAN = "orphan"
FOREGROUND = "foregroundDeletion"
GC_FINALIZERS = (ORPHAN, FOREGROUND)
DEFAULT_GRACE_SECONDS = 30  # pkg/apis/core/v1 SetDefaults_PodSpec (set on create)


@dataclass
class Deletion:
    """The outcome: `pending` (a graceful deletion is under way: nothing changes), else the
    metadata fields to write; the object goes now when it has neither grace nor finalizers."""

    pending: bool = False
    changes: dict[str, Any] = field(default_factory=dict)

    def removes_now(self) -> bool:
        return (not self.pending and not self.changes.get("finalizers")
                and not self.changes.get("deletionGracePeriodSeconds"))


def pod_grace(pod: dict[str, Any], requested: int | None) -> int:
    """CheckGracefulDelete: the request's grace, else the pod's; 0 for a pod never scheduled
    or already terminal (nothing runs it); a negative grace counts as 1 (BeforeDelete)."""
    if requested is not None:
        period = requested
    else:
        period = (pod.get("spec") or {}).get("terminationGracePeriodSeconds",
                                                    DEFAULT_GRACE_SECONDS)
    if not (pod.get("spec") or {}).get("nodeName"):
        period = 0
    if (pod.get("status") or {}).get("phase") in TERMINAL:
        period = 0
    return 1 if period < 0 else int(period)


def propagation_of(explicit: str | None, finalizers: list[str], default: str) -> str:
    """shouldOrphanDependents / shouldDeleteDependents: the request's policy, else the one a
    GC finalizer already on the object says, else the kind's default."""
    if explicit:
        return explicit
    if ORPHAN in finalizers:
        return "Orphan"
    if FOREGROUND in finalizers:
        return "Foreground"
    return default


def gc_finalizers(finalizers: list[str], propagation: str) -> list[str]:
    """The object's finalizers with the one its propagation policy asks for (Background: none)."""
    kept = [f for f in finalizers if f not in GC_FINALIZERS]
    return kept + {"Orphan": [ORPHAN], "Foreground": [FOREGROUND]}.get(propagation, [])


def plan_deletion(obj: dict[str, Any], *, graceful: bool, requested_grace: int | None,
                  propagation: str, moment: datetime | None = None) -> Deletion:
    """What a DELETE with these options does to `obj` (graceful: the pod strategy)."""
    moment = moment or datetime.now(UTC)
    meta = obj["metadata"]
    finalizers = list(meta.get("finalizers") or [])
    if requested_grace is not None and requested_grace < 0:
        requested_grace = 1
    if meta.get("deletionTimestamp"):
        current = meta.get("deletionGracePeriodSeconds")
        if not graceful or not current:
            # Already due (grace 0): delete now if nothing holds it; else wait for finalizers.
            return Deletion(pending=bool(finalizers) or not graceful)
        if requested_grace is None or requested_grace >= current:
            return Deletion(pending=True)  # only a shorter grace may be given
        stamp = parse_time(meta["deletionTimestamp"]) - timedelta(seconds=current - requested_grace)
        return Deletion(changes={"deletionTimestamp": format_time(stamp),
                                 "deletionGracePeriodSeconds": requested_grace,
                                 "finalizers": finalizers or None})
    grace = pod_grace(obj, requested_grace) if graceful else 0
    finalizers = gc_finalizers(finalizers, propagation)
    return Deletion(changes={"deletionTimestamp": format_time(moment + timedelta(seconds=grace)),
                             "deletionGracePeriodSeconds": grace,
                             "finalizers": finalizers or None})
