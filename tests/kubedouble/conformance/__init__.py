"""The conformance table: request → expected answer rows, each citing where the real
behaviour is documented or implemented. Every module in this package exposes `ROWS`; the
runner (tests/kubedouble/test_conformance.py) plays them all against one double, each row in a
namespace of its own. A module marked `SEQUENTIAL` holds rows that build on each other and has
a runner of its own.

In paths, bodies and fragments `{ns}` is the row's own fresh namespace.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any

ADMIN, NO_TOKEN, BAD_TOKEN, SA_TOKEN = "admin", "none", "invalid", "sa"


@dataclass(frozen=True)
class Step:
    """A request made before (setup) or after (then) the row's own request.

    method "TOKEN" mints a token for the ServiceAccount named by `path` (body: TokenRequest
    spec); later requests of the row with token=SA_TOKEN use it.
    """

    method: str
    path: str
    body: Any = None
    status: int | None = None  # None: any 2xx
    contains: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    headers: dict[str, str] = field(default_factory=dict)
    token: str = ADMIN
    wait: float = 0.0  # seconds an idempotent step (a GET) is retried until its checks pass


@dataclass(frozen=True)
class Row:
    name: str
    method: str
    path: str
    source: str  # the Kubernetes doc page or source file the expectation comes from
    status: int
    body: Any = None
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    token: str = ADMIN
    contains: tuple[str, ...] = ()  # fragments of the response body
    absent: tuple[str, ...] = ()  # fragments that must not be in it
    fields: dict[str, Any] = field(default_factory=dict)  # dotted JSON path → value
    # header → a fragment one of its values holds ("": no such header)
    response_headers: dict[str, str] = field(default_factory=dict)
    setup: tuple[Step, ...] = ()
    then: tuple[Step, ...] = ()
    # > 0: the answer comes from controllers (scheduler, kubelet): the request is repeated
    # until every expectation holds, for at most this many seconds
    eventually: float = 0.0


def all_rows() -> list[Row]:
    rows: list[Row] = []
    for module in pkgutil.iter_modules(__path__):
        table = importlib.import_module(f"{__name__}.{module.name}")
        if not getattr(table, "SEQUENTIAL", False):  # sequences have runners of their own
            rows += table.ROWS
    names = [r.name for r in rows]
    duplicates = {n for n in names if names.count(n) > 1}
    assert not duplicates, f"conformance rows share names: {duplicates}"
    return rows
