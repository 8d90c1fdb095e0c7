"""The requests of users outside system:masters, with their selectors: the double's audit log.

kube-apiserver's audit log (level Metadata) records each request's user, verb, objectRef and
requestURI; this keeps the parts tests ask about (who LISTed what, by which selector), each
distinct request counted once with how often it was made (kubedouble.tally)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .requestinfo import Attributes
from .tally import Tally


@dataclass(frozen=True, order=True)
class Request:
    user: str
    verb: str  # the authorizer's: get, list, watch, create, patch, ...
    api_group: str
    resource: str
    subresource: str
    namespace: str
    name: str
    label_selector: str = ""
    field_selector: str = ""

    @staticmethod
    def of(user: str, attributes: Attributes, query: Mapping[str, str]) -> Request:
        return Request(user, attributes.verb, attributes.api_group, attributes.resource,
                       attributes.subresource, attributes.namespace, attributes.name,
                       query.get("labelSelector", ""), query.get("fieldSelector", ""))


class RequestLog(Tally[Request]):
    def record(self, user: str, attributes: Attributes, query: Mapping[str, str]) -> None:
        self.add(Request.of(user, attributes, query))
