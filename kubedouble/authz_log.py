"""The authorizer's decisions for users outside system:masters, kept for the suite's RBAC audit.

Each distinct (user, verb, apiGroup, resource, subresource, namespace, allowed) is kept once
with how often it was met (kubedouble.tally); read from any thread."""

from __future__ import annotations

from dataclasses import dataclass

from .requestinfo import Attributes
from .tally import Tally


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


class DecisionLog(Tally[Decision]):
    """Every decision the double's authorizer made for a request (and for the admission
    plugins that ask it), counted."""

    def record(self, user: str, attributes: Attributes, allowed: bool) -> None:
        self.add(Decision.of(user, attributes, allowed))

    def all(self) -> list[Decision]:
        """The distinct decisions, sorted."""
        return sorted(self.counts())

    def denied(self) -> list[Decision]:
        return [decision for decision in self.all() if not decision.allowed]
