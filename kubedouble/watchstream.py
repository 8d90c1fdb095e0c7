"""Watch streams: replay from a resourceVersion (410 Gone once compacted), bookmarks, tables."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp import web

from . import errors
from .request_options import JSON, flag, number
from .routing import Route
from .store import Event, Watcher, dumps
from .tables import render_table, table_version



async def serve(api: Any, request: web.Request, route: Route) -> web.StreamResponse:
    """A watch: the missed history (or the initial list), then live events, bookmarks."""
    query, store, resource = request.query, api.cluster.store, route.resource
    selector = api._selector(request, route)
    since = number(request, "resourceVersion") or None  # absent and "0": from now
    send_initial = since is None or flag(query.get("sendInitialEvents"))
    timeout = float(number(request, "timeoutSeconds") or api.settings.default_watch_timeout)
    bookmarks = flag(query.get("allowWatchBookmarks"))
    table = table_version(request.headers.get("Accept", ""))
    watcher = Watcher(resource.qualified, route.namespace if resource.namespaced else None,
                      selector)
    response = web.StreamResponse(headers={"Content-Type": JSON})
    response.enable_chunked_encoding()
    # An injected expiry words it as compaction past the newest resourceVersion would.
    expired = since is not None and api.faults.watch_expired(request.path)
    try:
        if expired:
            raise errors.gone(f"too old resource version: {since} ({store.rv})")
        backlog = store.subscribe(watcher, since)
    except errors.ApiError as problem:
        if not expired:
            api.faults.note("watch 410 compacted")
        await response.prepare(request)
        await response.write(dumps({"type": "ERROR", "object": problem.status()}) + b"\n")
        return response
    try:
        if send_initial and since is None:
            backlog = [Event("ADDED", o, None, store.rv)
                       for o in api.cluster.list(resource, route.namespace, selector)]
        await response.prepare(request)
        await _stream(api, request, response, watcher, backlog, timeout, bookmarks, table,
                           initial_end=flag(query.get("sendInitialEvents")))
    except ConnectionResetError:
        pass  # the client went away
    finally:
        store.unsubscribe(watcher)
    return response


async def _stream(api: Any, request: web.Request, response: web.StreamResponse,
                  watcher: Watcher, backlog: list[Event], timeout: float, bookmarks: bool,
                  table: str | None, initial_end: bool) -> None:
    resource = watcher.qualified
    kind = api.cluster.resource_by_qualified(resource)
    drop_after = api.faults.watch_drop_after(request.path)
    sent = 0

    def line(event: Event) -> bytes:
        if not table or kind is None:
            return event.line()
        rendered = render_table(kind, [event.obj], api_version=table,
                                include_object="Metadata", resource_version=str(event.rv))
        return dumps({"type": event.type, "object": rendered}) + b"\n"

    def bookmark(end_of_initial: bool = False) -> bytes:
        meta: dict[str, Any] = {"resourceVersion": str(api.cluster.store.rv)}
        if end_of_initial:
            meta["annotations"] = {"k8s.io/initial-events-end": "true"}
        api_version = kind.api_version if kind else "v1"
        return dumps({"type": "BOOKMARK", "object": {
            "kind": kind.kind if kind else "", "apiVersion": api_version,
            "metadata": meta}}) + b"\n"

    async def send(events: list[Event]) -> bool:
        nonlocal sent
        if drop_after is not None and sent + len(events) >= drop_after:
            events = events[:max(drop_after - sent, 0)]
            await response.write(b"".join(line(e) for e in events))
            api.faults.watch_dropped(request.path)
            return False
        sent += len(events)
        if events:
            await response.write(b"".join(line(e) for e in events))
        return True

    if not await send(backlog):
        return
    if initial_end:
        await response.write(bookmark(True))
    deadline = time.monotonic() + timeout
    next_bookmark = time.monotonic() + api.settings.bookmark_seconds
    while not watcher.closed:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        wait = min(remaining, max(next_bookmark - time.monotonic(), 0.01))
        try:
            events = await asyncio.wait_for(watcher.next_batch(), wait)
        except TimeoutError:
            events = []
        if not await send(events):
            return
        if bookmarks and time.monotonic() >= next_bookmark and not watcher.queue:
            await response.write(bookmark())
            next_bookmark = time.monotonic() + api.settings.bookmark_seconds
    if bookmarks and not watcher.closed:
        await response.write(bookmark())
