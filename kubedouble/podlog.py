"""`GET pods/{name}/log`: the options kube-apiserver checks and the stream the kubelet serves."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import errors
from .clock import parse_time
from .request_options import flag, number

if TYPE_CHECKING:
    from .logbuffer import LogBuffer


@dataclass(frozen=True)
class LogOptions:
    """A pods/log query, checked as kube-apiserver checks it."""

    container: str
    tail_lines: int | None
    limit_bytes: int | None  # the kubelet stops the stream after this many bytes
    since: float | None  # epoch seconds: lines older than this are left out
    timestamps: bool
    follow: bool
    previous: bool


def _invalid(name: str, field: str, message: str) -> errors.ApiError:
    return errors.invalid("PodLogOptions", name, [{
        "reason": "FieldValueInvalid", "field": field, "message": message}])


def log_options(pod: dict[str, Any], request: web.Request) -> LogOptions:
    """The container must be the pod's (or be left out when it has only one):
    pkg/registry/core/pod/strategy.go `LogLocation`; the numbers as
    pkg/apis/core/validation `ValidatePodLogOptions` checks them (422 with the field)."""
    name, query = pod["metadata"]["name"], request.query
    spec = pod.get("spec") or {}
    container = query.get("container") or ""
    names = [c.get("name", "") for key in ("containers", "initContainers", "ephemeralContainers")
             for c in spec.get(key) or ()]
    if not container:
        if len(spec.get("containers") or ()) > 1:
            choices = " ".join(c.get("name", "") for c in spec["containers"])
            raise errors.bad_request(f"a container name must be specified for pod {name}, "
                                     f"choose one of: [{choices}]")
        container = (spec.get("containers") or [{}])[0].get("name", "")
    elif container not in names:
        raise errors.bad_request(f"container {container} is not valid for pod {name}")
    tail, limit = number(request, "tailLines"), number(request, "limitBytes")
    since_seconds = number(request, "sinceSeconds")
    if tail is not None and tail < 0:
        raise _invalid(name, "tailLines", f"Invalid value: {tail}: must be greater than or "
                                          "equal to 0")
    if limit is not None and limit < 1:
        raise _invalid(name, "limitBytes", f"Invalid value: {limit}: must be greater than 0")
    if since_seconds is not None and query.get("sinceTime"):
        raise _invalid(name, "", "at most one of `sinceTime` or `sinceSeconds` may be specified")
    if since_seconds is not None and since_seconds < 1:
        raise _invalid(name, "sinceSeconds", f"Invalid value: {since_seconds}: must be greater "
                                             "than 0")
    since = time.time() - since_seconds if since_seconds is not None else None
    if query.get("sinceTime"):
        try:
            since = parse_time(query["sinceTime"]).timestamp()
        except ValueError:
            raise errors.bad_request(f'parsing time "{query["sinceTime"]}" as '
                                     '"2006-01-02T15:04:05Z07:00": cannot parse') from None
    return LogOptions(container, tail, limit, since, flag(query.get("timestamps")),
                      flag(query.get("follow")), flag(query.get("previous")))


def waiting_problem(pod: dict[str, Any], container: str) -> errors.ApiError:
    """The kubelet's answer for a container with no log yet
    (pkg/kubelet/kubelet_pods.go validateContainerLogStatus)."""
    name = pod["metadata"]["name"]
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    found = next((s for s in statuses if s.get("name") == container), {})
    reason = ((found.get("state") or {}).get("waiting") or {}).get("reason") or "ContainerCreating"
    words = {"ErrImagePull": "image can't be pulled",
             "ImagePullBackOff": "trying and failing to pull image"}.get(reason, reason)
    return errors.bad_request(f'container "{container}" in pod "{name}" is waiting to start: '
                              f"{words}")


async def serve(request: web.Request, pod: dict[str, Any], options: LogOptions,
                buffer: LogBuffer | None) -> web.StreamResponse:
    """`buffer`: the container's log (its previous run's with `previous=true`), None if none."""
    if not pod["spec"].get("nodeName"):
        return web.Response(body=b"", content_type="text/plain")  # no node: an empty log
    if buffer is None and options.previous:
        raise errors.bad_request(f'previous terminated container "{options.container}" in pod '
                                 f'"{pod["metadata"]["name"]}" not found')
    if buffer is None:
        raise waiting_problem(pod, options.container)
    room = options.limit_bytes  # None: no limit
    head, position = buffer.read(buffer.start(options.tail_lines, options.since),
                                 options.timestamps)
    head = head[:room]
    if not options.follow:
        return web.Response(body=head, content_type="text/plain")
    response = web.StreamResponse(headers={"Content-Type": "text/plain"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    try:
        if head:
            await response.write(head)
        sent = len(head)
        while room is None or sent < room:
            changed = buffer.changed()
            more, position = buffer.read(position, options.timestamps)
            if more:
                more = more if room is None else more[:room - sent]
                await response.write(more)
                sent += len(more)
                continue
            if buffer.closed:
                break
            await changed.wait()
    except ConnectionResetError:
        pass  # the client went away
    return response
