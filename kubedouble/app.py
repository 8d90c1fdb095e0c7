"""The HTTP front: routes, content negotiation, list/watch streaming, pod logs, middlewares."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from . import (access_review, apply, authn, authz, discovery, errors, impersonation, openapi,
               ownerrefs_admission, patching, podlog, protobuf, scale, warnings_header,
               watchstream)
from .authn import USER, Authenticator
from .faults import Faults
from .kubelet import Kubelet
from .operations import Cluster
from .request_options import JSON, delete_options, flag, number, read_body, write_options
from .resources import Resource
from .routing import Route, parse_path
from .selectors import Selector, parse_field_selector, parse_label_selector
from .store import dumps
from .tables import render_table, table_version

log = logging.getLogger(__name__)
JOBS_ORPHAN_WARNING = (
    "child pods are preserved by default when jobs are deleted; set "
    "propagationPolicy=Background to remove them or set propagationPolicy=Orphan to suppress "
    "this warning")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class ServerSettings:
    bookmark_seconds: float = 30.0
    default_watch_timeout: float = 1800.0


def respond(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=dumps(body), status=status, content_type=JSON, headers=headers)


@web.middleware
async def errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except errors.ApiError as problem:
        return respond(problem.status(), problem.code, problem.headers)
    except web.HTTPException:
        raise
    except ConnectionResetError:
        # The client went away mid-request (it timed out, or was killed): no one reads this.
        return web.Response(status=499)
    except Exception as problem:  # a bug in the double: answer like the real server, and log
        log.exception("internal error on %s %s", request.method, request.path)
        return respond(errors.ApiError(500, "InternalError", f"Internal error occurred: "
                                                             f"{problem}").status(), 500)


def faults_middleware(faults: Faults) -> Any:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        delay = faults.delay_for(request.method, request.path)
        if delay:
            await asyncio.sleep(delay)  # a slow server: the client's timeout may go first
        rule = faults.failure_for(request.method, request.path)
        if rule is not None and rule.status is not None:
            headers = {"Retry-After": str(rule.retry_after)} if rule.retry_after else None
            reason = "TooManyRequests" if rule.status == 429 else "InternalError"
            raise errors.ApiError(rule.status, reason, f"injected fault: {rule.status}",
                                  headers=headers)
        response = await handler(request)
        held = faults.answer_delay_for(request.method, request.path)
        if held:
            await asyncio.sleep(held)  # done, but the client may stop waiting for the answer
            faults.note("held answer sent")
        return response
    return middleware


class Api:
    def __init__(self, cluster: Cluster, kubelet: Kubelet | None, faults: Faults,
                 settings: ServerSettings, authenticator: Authenticator) -> None:
        self.cluster = cluster
        self.authenticator = authenticator
        self.kubelet = kubelet
        self.faults = faults
        self.settings = settings

    # Discovery -----------------------------------------------------------------------------
    async def discovery(self, request: web.Request) -> web.StreamResponse:
        parts = [p for p in request.path.split("/") if p]
        table = self.cluster.table
        body: Any = None
        if parts == ["version"]:
            body = discovery.VERSION
        elif parts in (["healthz"], ["livez"], ["readyz"]):
            return web.Response(text="ok")
        elif parts == ["api"]:
            body = discovery.api_versions(request.host)
        elif parts == ["apis"]:
            body = discovery.api_group_list(table)
        elif len(parts) == 2 and parts[0] == "api":
            body = discovery.resource_list(table, "", parts[1])
        elif len(parts) == 2 and parts[0] == "apis":
            body = discovery.api_group(table, parts[1])
        elif len(parts) == 3 and parts[0] == "apis":
            body = discovery.resource_list(table, parts[1], parts[2])
        elif parts == ["openapi", "v2"]:
            accept = request.headers.get("Accept", "")
            if "protobuf" in accept and "json" not in accept and "*/*" not in accept:
                raise errors.ApiError(406, "NotAcceptable", "only application/json is served")
            body = openapi.v2_document(table)
        elif parts == ["openapi", "v3"]:
            body = openapi.root_document(table)
        elif len(parts) >= 4 and parts[:2] == ["openapi", "v3"]:
            group, version = ("", parts[3]) if parts[2] == "api" else (parts[3], parts[4])
            body = openapi.gv_document(table, group, version)
        if body is None:
            raise errors.ApiError(404, "NotFound", "the server could not find the requested "
                                                   "resource")
        return respond(body)

    # Dispatch ------------------------------------------------------------------------------
    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        route = parse_path(self.cluster.table, request.path)
        if route is None and request.path == "/apis/authentication.k8s.io/v1/selfsubjectreviews":
            if request.method != "POST":
                raise errors.method_not_allowed()
            return respond(authn.self_subject_review(request[USER]), 201)
        reviews = {access_review.ACCESS_REVIEW_PATH: access_review.access_review,
                   access_review.RULES_REVIEW_PATH: access_review.rules_review}
        if route is None and request.path in reviews:
            if request.method != "POST":
                raise errors.method_not_allowed()
            kind = access_review.REVIEW_KINDS[request.path]
            body = await read_body(request, protobuf=protobuf.reader(access_review.API_VERSION,
                                                                     kind))
            return respond(reviews[request.path](self.cluster.store, request[USER], body), 201)
        if route is None:
            return await self.discovery(request)
        method, query = request.method, request.query
        apply.begin_request(query, request.headers, method)
        if route.name is None:
            if method == "GET" and (route.watch or flag(query.get("watch"))):
                return await self.watch(request, route)
            if method == "GET":
                return self.list(request, route)
            if method == "POST" and (route.namespace or not route.resource.namespaced):
                body = await read_body(request, protobuf=_object_reader(route.resource))
                created = self.cluster.create(route.resource, route.namespace or "", body,
                                              **write_options(request, "CreateOptions"))
                return respond(created, 201)
            if method == "DELETE":
                return await self.delete_collection(request, route)
            raise errors.method_not_allowed()
        if route.subresource == "log" and route.resource.qualified == "pods" and method == "GET":
            return await self.pod_log(request, route)
        if (route.subresource == "token" and route.resource.qualified == "serviceaccounts"
                and method == "POST"):
            account = self.cluster.get(route.resource, route.namespace or "", route.name)
            body = await read_body(request, protobuf=protobuf.reader(
                "authentication.k8s.io/v1", "TokenRequest"))
            return respond(authn.token_request(self.authenticator, account, body), 201)
        if route.subresource is not None and route.subresource not in route.resource.subresources:
            raise errors.ApiError(404, "NotFound", "the server could not find the requested "
                                                   "resource")
        namespace = route.namespace or ""
        if route.subresource == "scale":
            return await self.scale(request, route)
        if method == "GET":
            found = self.cluster.get(route.resource, namespace, route.name)
            version = table_version(request.headers.get("Accept", ""))
            if version and route.subresource is None:  # `kubectl get <kind> <name>`: one row
                return respond(render_table(
                    route.resource, [found], api_version=version,
                    include_object=request.query.get("includeObject", "Metadata"),
                    resource_version=found["metadata"].get("resourceVersion", "")))
            return respond(found)
        if method == "PUT":
            replaced = self.cluster.replace(
                route.resource, namespace, route.name,
                await read_body(request, protobuf=_object_reader(route.resource)),
                subresource=route.subresource, **write_options(request, "UpdateOptions"))
            return respond(replaced)
        if method == "PATCH":
            content_type = request.headers.get("Content-Type", "").split(";")[0].strip()
            if content_type not in patching.PATCH_TYPES:  # protobuf is no patch type
                raise errors.unsupported_media_type(
                    patching.accepted_patch_types(route.resource.custom))
            uid = (self.cluster.store.get(route.resource.qualified, namespace, route.name)
                   or {}).get("metadata", {}).get("uid")
            patched = self.cluster.patch(
                route.resource, namespace, route.name, await read_body(request), content_type,
                subresource=route.subresource, **write_options(request, "PatchOptions"))
            return respond(patched, 201 if patched["metadata"]["uid"] != uid else 200)
        if method == "DELETE" and route.subresource is None:
            return await self.delete(request, route)
        raise errors.method_not_allowed()

    async def scale(self, request: web.Request, route: Route) -> web.Response:
        namespace, name = route.namespace or "", route.name or ""
        if request.method == "GET":
            return respond(scale.read(self.cluster, route.resource, namespace, name))
        if request.method not in ("PUT", "PATCH"):
            raise errors.method_not_allowed()
        content_type = (request.headers.get("Content-Type", "").split(";")[0].strip()
                        if request.method == "PATCH" else None)
        options = write_options(request, "UpdateOptions" if content_type is None
                                else "PatchOptions")
        return respond(scale.write(self.cluster, route.resource, namespace, name,
                                   await read_body(request), content_type,
                                   dry_run=options.get("dry_run", False)))

    def _selector(self, request: web.Request, route: Route) -> Selector:
        return Selector(parse_label_selector(request.query.get("labelSelector")),
                        parse_field_selector(request.query.get("fieldSelector"),
                                             route.resource.field_labels))

    # Reads ---------------------------------------------------------------------------------
    def list(self, request: web.Request, route: Route) -> web.Response:
        resource = route.resource
        items = self.cluster.list(resource, route.namespace, self._selector(request, route))
        metadata: dict[str, Any] = {"resourceVersion": str(self.cluster.store.rv)}
        items = self._page(request, items, metadata)
        accept = request.headers.get("Accept", "")
        version = table_version(accept)
        if version:
            return respond(render_table(
                resource, items, api_version=version,
                include_object=request.query.get("includeObject", "Metadata"),
                resource_version=metadata["resourceVersion"]) | {"metadata": metadata})
        if "as=PartialObjectMetadataList" in accept:
            items = [{"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                      "metadata": o["metadata"]} for o in items]
            return respond({"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1",
                            "metadata": metadata, "items": items})
        return respond({"kind": resource.list_kind, "apiVersion": resource.api_version,
                        "metadata": metadata, "items": items})

    @staticmethod
    def _page(request: web.Request, items: list[dict], metadata: dict[str, Any]) -> list[dict]:
        """limit/continue: the token holds the last key served; later pages see later writes."""
        limit = number(request, "limit") or 0
        token = request.query.get("continue")
        if token:
            try:
                after = json.loads(base64.urlsafe_b64decode(token.encode()))
            except ValueError:
                raise errors.bad_request("continue key is not valid") from None
            items = [o for o in items if [o["metadata"].get("namespace", ""),
                                          o["metadata"]["name"]] > after]
        if limit and len(items) > limit:
            last = items[limit - 1]["metadata"]
            key = json.dumps([last.get("namespace", ""), last["name"]]).encode()
            metadata["continue"] = base64.urlsafe_b64encode(key).decode()
            metadata["remainingItemCount"] = len(items) - limit
            items = items[:limit]
        return items

    async def watch(self, request: web.Request, route: Route) -> web.StreamResponse:
        return await watchstream.serve(self, request, route)

    async def pod_log(self, request: web.Request, route: Route) -> web.StreamResponse:
        pod = self.cluster.get(route.resource, route.namespace or "", route.name or "")
        options = podlog.log_options(pod, request)
        logs = {} if self.kubelet is None else (
            self.kubelet.previous_logs if options.previous else self.kubelet.logs)
        buffer = logs.get((pod["metadata"]["uid"], options.container))
        return await podlog.serve(request, pod, options, buffer)

    # Deletes -------------------------------------------------------------------------------
    async def delete(self, request: web.Request, route: Route) -> web.Response:
        options = await delete_options(request)
        policy = options.get("propagationPolicy")
        obj, gone = self.cluster.delete(route.resource, route.namespace or "", route.name or "",
                                        propagation=policy,
                                        preconditions=options.get("preconditions"),
                                        grace_period=options.get("gracePeriodSeconds"),
                                        dry_run=options["dryRun"])
        if route.resource.qualified == "jobs.batch" and policy is None:
            warnings_header.add(JOBS_ORPHAN_WARNING)
        if gone and route.resource.custom is False and route.resource.qualified != "pods":
            meta = obj["metadata"]
            details = {"name": meta["name"], "kind": route.resource.plural, "uid": meta["uid"]}
            if route.resource.group:
                details["group"] = route.resource.group
            return respond({"kind": "Status", "apiVersion": "v1", "metadata": {},
                            "status": "Success", "details": details})
        return respond(obj)

    async def delete_collection(self, request: web.Request, route: Route) -> web.Response:
        options = await delete_options(request)
        deleted = self.cluster.delete_collection(route.resource, route.namespace,
                                                 self._selector(request, route),
                                                 options.get("propagationPolicy"),
                                                 options.get("gracePeriodSeconds"),
                                                 dry_run=options["dryRun"])
        return respond({"kind": route.resource.list_kind,
                        "apiVersion": route.resource.api_version,
                        "metadata": {"resourceVersion": str(self.cluster.store.rv)},
                        "items": deleted})


def _object_reader(resource: Resource) -> Callable[[bytes], Any] | None:
    """Built-in kinds read protobuf bodies; custom resources have none (415)."""
    return None if resource.custom else protobuf.reader(resource.api_version, resource.kind)


def make_app(cluster: Cluster, kubelet: Kubelet | None, faults: Faults,
             settings: ServerSettings, authenticator: Authenticator) -> web.Application:
    api = Api(cluster, kubelet, faults, settings, authenticator)
    # Outermost first: warnings reach error answers too; faults hit only authorised calls.
    app = web.Application(middlewares=[warnings_header.middleware, errors_middleware,
                                       authn.middleware(authenticator),
                                       impersonation.middleware(cluster), authz.middleware(cluster),
                                       ownerrefs_admission.middleware, faults_middleware(faults)],
                          client_max_size=64 * 1024 * 1024)
    app.router.add_route("*", "/{tail:.*}", api.dispatch)
    return app
