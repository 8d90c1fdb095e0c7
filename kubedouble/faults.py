"""Fault injection for tests: programmable rules that fail requests or cut watch streams short."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass


@dataclass
class FaultRule:
    """For requests whose method and path match: answer `status` (500, 429...) `times` times
    (None: always), or, with `drop_watch_after`, end matching watch streams after that many events.
    """

    path: str = ".*"  # a regular expression searched in the request path
    method: str | None = None
    status: int | None = None
    retry_after: int | None = None
    times: int | None = None
    drop_watch_after: int | None = None

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method.upper() == method) and bool(
            re.search(self.path, path))


class Faults:
    """The rule list; tests change it from their own thread while the server runs."""

    def __init__(self) -> None:
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()

    def add(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def failure_for(self, method: str, path: str) -> FaultRule | None:
        """The first failing rule that matches, used up once."""
        with self._lock:
            for rule in self._rules:
                if rule.status is not None and rule.matches(method, path):
                    if rule.times is not None:
                        rule.times -= 1
                        if rule.times <= 0:
                            self._rules.remove(rule)
                    return rule
        return None

    def watch_drop_after(self, path: str) -> int | None:
        with self._lock:
            for rule in self._rules:
                if rule.drop_watch_after is not None and rule.matches("GET", path):
                    return rule.drop_watch_after
        return None
