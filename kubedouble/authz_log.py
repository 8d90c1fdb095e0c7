"""The authorizer's decisions for users outside system:masters, kept for the suite's RBAC audit.

Each distinct (user, verb, apiGroup, resource, subresource, namespace, allowed) is kept once
with how often it was met, so a long soak stays small; read from any thread."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass

from .requestinfo import Attributes


@dataclass(frozen=True, order=True)
class Decision:
    """One authorization decision, as the audit compares it with the roles."""

    user: str
    verb: str
    api_group: str
    resource: str
    subresource: str
    namespace: str
    allowed: bool
    path: str = ""  # non-resource requests only (/api, /version, ...)

    @staticmethod
    def of(user: str, attributes: Attributes, allowed: bool) -> Decision:
        if not attributes.resource_request:
            return Decision(user, attributes.verb, "", "", "", "", allowed, attributes.path)
        return Decision(user, attributes.verb, attributes.api_group, attributes.resource,
                        attributes.subresource, attributes.namespace, allowed)


class DecisionLog:
    """Every decision the double's authorizer made for a request (and for the admission
    plugins that ask it), counted."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[Decision] = Counter()

    def record(self, user: str, attributes: Attributes, allowed: bool) -> None:
        with self._lock:
            self._counts[Decision.of(user, attributes, allowed)] += 1

    def counts(self) -> dict[Decision, int]:
        with self._lock:
            return dict(self._counts)

    def all(self) -> list[Decision]:
        """The distinct decisions, sorted."""
        return sorted(self.counts())

    def denied(self) -> list[Decision]:
        return [decision for decision in self.all() if not decision.allowed]
