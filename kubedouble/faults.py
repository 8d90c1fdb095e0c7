"""Fault injection for tests: programmable rules that fail, slow down or cut short requests
and watch streams, and a tally of what was injected."""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import dataclass


@dataclass
class FaultRule:
    """For requests whose method and path match: answer `status` (500, 429...), or wait
    `delay_seconds` before handling, or handle the request and hold its answer for
    `answer_delay_seconds` (a write made whose answer a client's timeout loses, as when a
    network drops after etcd committed), or, on a watch, end the stream after `drop_watch_after`
    events, or with `expire_watch` answer a watch from a resourceVersion with an ERROR event
    Status 410 Expired, as kube-apiserver does once etcd has compacted past it. Each rule
    acts `times` times (None: always).
    """

    path: str = ".*"  # a regular expression searched in the request path
    method: str | None = None
    status: int | None = None
    retry_after: int | None = None
    times: int | None = None
    drop_watch_after: int | None = None
    delay_seconds: float | None = None
    answer_delay_seconds: float | None = None
    expire_watch: bool = False

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method.upper() == method) and bool(
            re.search(self.path, path))


class Faults:
    """The rule list; tests change it from their own thread while the server runs.

    `injected` counts what the rules did, by kind ("500", "429", "latency", "answer held",
    "held answer sent", "watch dropped", "watch 410"); the double adds "watch 410 compacted" for the 410s its own bounded history
    gives (not a rule's doing, but the same news for a client)."""

    def __init__(self) -> None:
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()
        self.injected: Counter[str] = Counter()

    def add(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            self._rules.append(rule)
        return rule

    def remove(self, rule: FaultRule) -> None:
        """Take the rule out (nothing happens if it was used up)."""
        with self._lock:
            if rule in self._rules:
                self._rules.remove(rule)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def note(self, kind: str) -> None:
        with self._lock:
            self.injected[kind] += 1

    def tally(self) -> dict[str, int]:
        with self._lock:
            return dict(self.injected)

    def _use(self, rule: FaultRule, kind: str) -> None:
        """Count one use of the rule (the lock is held); it goes once its times are up."""
        self.injected[kind] += 1
        if rule.times is not None:
            rule.times -= 1
            if rule.times <= 0:
                self._rules.remove(rule)

    def failure_for(self, method: str, path: str) -> FaultRule | None:
        """The first failing rule that matches, used up once."""
        with self._lock:
            for rule in self._rules:
                if rule.status is not None and rule.matches(method, path):
                    self._use(rule, str(rule.status))
                    return rule
        return None

    def delay_for(self, method: str, path: str) -> float:
        """Seconds to hold the request before answering it (the first matching delay rule)."""
        return self._delay("delay_seconds", "latency", method, path)

    def answer_delay_for(self, method: str, path: str) -> float:
        """Seconds to hold the answer of a request already handled (the first matching rule)."""
        return self._delay("answer_delay_seconds", "answer held", method, path)

    def _delay(self, field: str, kind: str, method: str, path: str) -> float:
        with self._lock:
            for rule in self._rules:
                seconds = getattr(rule, field)
                if seconds is not None and rule.matches(method, path):
                    self._use(rule, kind)
                    return float(seconds)
        return 0.0

    def watch_drop_after(self, path: str) -> int | None:
        """How many events this watch stream may carry before it is cut (counted as used
        when the stream is cut: see `watch_dropped`)."""
        with self._lock:
            for rule in self._rules:
                if rule.drop_watch_after is not None and rule.matches("GET", path):
                    return rule.drop_watch_after
        return None

    def watch_dropped(self, path: str) -> None:
        with self._lock:
            for rule in self._rules:
                if rule.drop_watch_after is not None and rule.matches("GET", path):
                    self._use(rule, "watch dropped")
                    return
            self.injected["watch dropped"] += 1  # the rule was used up meanwhile

    def watch_expired(self, path: str) -> bool:
        """Whether to answer this watch from a resourceVersion with 410 Expired."""
        with self._lock:
            for rule in self._rules:
                if rule.expire_watch and rule.matches("GET", path):
                    self._use(rule, "watch 410")
                    return True
        return False
