"""A small async Kubernetes API client: JSON dicts, retried transient errors, leader-only writes."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import ssl
import time
from collections.abc import AsyncGenerator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import kubernetes

from . import metrics

logger = logging.getLogger(__name__)

MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 5.0
TOKEN_REFRESH_SECONDS = 60.0
STREAM_CHUNK = 65536
ERROR_BODY_LIMIT = 65536  # bytes of an error answer read, whatever its size
# A long pod log may take longer than one ordinary call; only a stalled stream is given up.
STREAM_TIMEOUT = aiohttp.ClientTimeout(total=None, sock_connect=5, sock_read=30)


class ApiError(Exception):
    """The API answered with an error status (0 when it could not be reached at all)."""

    def __init__(self, status: int, reason: str, message: str, retry_after: float | None = None):
        super().__init__(f"{status} {reason}: {message}")
        self.status = status
        self.reason = reason
        self.message = message
        self.retry_after = retry_after

    @property
    def transient(self) -> bool:
        return self.status == 0 or self.status in TRANSIENT_STATUSES


class NotLeader(Exception):
    """A write was refused because this process does not hold the leader lease."""


def retry_delays(attempts: int = 8, first: float = 0.05, cap: float = 2.0) -> Iterator[float]:
    """Exponential backoff between attempts: 0.05, 0.1, 0.2 ... capped."""
    delay = first
    for _ in range(attempts - 1):
        yield delay
        delay = min(cap, delay * 2)


def retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return min(MAX_RETRY_AFTER, max(0.0, float(value)))
    except ValueError:
        return None


@dataclass(frozen=True)
class Connection:
    host: str
    ssl_context: ssl.SSLContext | None
    authorization: Callable[[], str | None]


def load_connection() -> Connection:
    """Credentials as kubectl finds them: in-cluster service account, else KUBECONFIG."""
    config = kubernetes.client.Configuration()
    if os.environ.get("KUBERNETES_SERVICE_HOST"):
        kubernetes.config.load_incluster_config(client_configuration=config)
    else:
        kubernetes.config.load_kube_config(client_configuration=config)
    context: ssl.SSLContext | None = None
    if config.host.startswith("https"):
        context = ssl.create_default_context(cafile=config.ssl_ca_cert)
        if config.cert_file:
            context.load_cert_chain(config.cert_file, config.key_file)
        if not config.verify_ssl:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
    return Connection(host=config.host.rstrip("/"), ssl_context=context,
                      authorization=_cached_token(config))


def _cached_token(config: Any) -> Callable[[], str | None]:
    """The bearer token, re-read now and then: in-cluster tokens rotate (the loader's refresh
    hook re-reads them), but refreshing on every request costs more than the request."""
    cache: dict[str, Any] = {"at": -TOKEN_REFRESH_SECONDS, "value": None}

    def token() -> str | None:
        now = time.monotonic()
        if now - cache["at"] >= TOKEN_REFRESH_SECONDS:
            # The client keeps the token under "BearerToken" (auth_settings() says which header
            # it goes in); looking it up as "authorization" found nothing, so none was sent.
            headers = [s["value"] for s in config.auth_settings().values()
                       if s.get("in") == "header" and s.get("key", "").lower() == "authorization"]
            cache["value"] = headers[0] if headers else None
            cache["at"] = now
        return cache["value"]

    return token


class KubeApi:
    """HTTP calls to one API server; every write checks `may_write()` before each attempt."""

    def __init__(self, connection: Connection, may_write: Callable[[], bool] = lambda: True,
                 timeout: float = 30.0, write_timeout: float | None = None) -> None:
        self._connection = connection
        self._may_write = may_write
        self._timeout = aiohttp.ClientTimeout(total=timeout, sock_connect=5)
        # Writes are given up sooner: one must never outlast the writer's leadership.
        self._write_timeout = None if write_timeout is None else aiohttp.ClientTimeout(
            total=write_timeout, sock_connect=min(5.0, write_timeout))
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(ssl=self._connection.ssl_context or False, limit=32)
            self._session = aiohttp.ClientSession(connector=connector, timeout=self._timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _headers(self, content_type: str | None) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        token = self._connection.authorization()
        if token:
            headers["Authorization"] = token
        if content_type:
            headers["Content-Type"] = content_type
        return headers

    async def _once(self, method: str, path: str, body: Any, params: dict[str, str] | None,
                    content_type: str | None) -> Any:
        session = self._open()
        # No `timeout` argument means the session's; None would mean none at all.
        timeout = {"timeout": self._write_timeout} if self._write_timeout and method != "GET" \
            else {}
        try:
            async with session.request(
                method, self._connection.host + path, json=body, params=params,
                headers=self._headers(content_type if body is not None else None), **timeout,
            ) as response:
                data = await response.read()
                if response.status >= 400:
                    raise _error_from(response.status, data, response.headers)
                return await response.json(content_type=None) if data else {}
        except (aiohttp.ClientError, asyncio.TimeoutError, ConnectionError) as error:
            raise ApiError(0, "Unreachable", f"{type(error).__name__}: {error}") from error

    async def call(self, method: str, path: str, body: Any = None, *,
                   params: dict[str, str] | None = None, content_type: str = "application/json",
                   attempts: int = 8) -> Any:
        """One API call, retried with backoff on transient errors (429, 5xx, unreachable)."""
        write = method != "GET"
        delays = retry_delays(attempts)
        while True:
            if write and not self._may_write():
                raise NotLeader(f"{method} {path}: not the leader")
            try:
                return await self._once(method, path, body, params, content_type)
            except ApiError as error:
                metrics.api_error(method, path, error.status)
                if not error.transient:
                    raise
                delay = next(delays, None)
                if delay is None:
                    raise
                metrics.api_retry(method, path, error.status)
                if error.retry_after is not None:
                    delay = max(delay, error.retry_after)
                logger.debug("retrying %s %s in %.2fs after %s", method, path, delay, error)
                await asyncio.sleep(delay)

    # The calls the operator makes ---------------------------------------------------------
    async def get(self, path: str, **params: str) -> Any:
        return await self.call("GET", path, params=params or None)

    async def create(self, path: str, body: dict[str, Any]) -> Any:
        return await self.call("POST", path, body)

    async def replace(self, path: str, body: dict[str, Any]) -> Any:
        return await self.call("PUT", path, body)

    async def merge_patch(self, path: str, patch: dict[str, Any]) -> Any:
        return await self.call("PATCH", path, patch, content_type=MERGE_PATCH)

    async def json_patch(self, path: str, operations: list[dict[str, Any]]) -> Any:
        return await self.call("PATCH", path, operations, content_type=JSON_PATCH)

    async def delete(self, path: str, propagation: str = "Foreground", *,
                     grace_period_seconds: int | None = None, uid: str | None = None) -> Any:
        """DeleteOptions as the API takes them; `uid` makes it a precondition (a newer
        object of the same name is left alone: 409)."""
        options: dict[str, Any] = {"propagationPolicy": propagation}
        if grace_period_seconds is not None:
            options["gracePeriodSeconds"] = grace_period_seconds
        if uid is not None:
            options["preconditions"] = {"uid": uid}
        return await self.call("DELETE", path, options)

    async def stream(self, path: str, **params: str) -> AsyncGenerator[bytes, None]:
        """A GET answer's body in chunks of at most STREAM_CHUNK bytes, never held whole.

        Retried like `call` while no byte has arrived; a stream broken after that raises."""
        delays = retry_delays()
        while True:
            try:
                async with self._open().get(
                    self._connection.host + path, params=params or None,
                    headers=self._headers(None), timeout=STREAM_TIMEOUT,
                ) as response:
                    if response.status >= 400:
                        data = await response.content.read(ERROR_BODY_LIMIT)
                        raise _error_from(response.status, data, response.headers)
                    async for chunk in response.content.iter_chunked(STREAM_CHUNK):
                        delays = iter(())  # bytes have gone out: no retry from the start
                        yield chunk
                    return
            except (aiohttp.ClientError, asyncio.TimeoutError, ConnectionError) as error:
                failure = ApiError(0, "Unreachable", f"{type(error).__name__}: {error}")
            except ApiError as error:
                metrics.api_error("GET", path, error.status)
                if not error.transient:
                    raise
                failure = error
            if failure.status == 0:
                metrics.api_error("GET", path, 0)
            delay = next(delays, None)
            if delay is None:
                raise failure
            metrics.api_retry("GET", path, failure.status)
            await asyncio.sleep(max(delay, failure.retry_after or 0.0))


def _error_from(status: int, data: bytes, headers: Any) -> ApiError:
    reason, message = "", data.decode(errors="replace")[:500]
    try:
        parsed = json.loads(data)
        if isinstance(parsed, dict):
            reason = str(parsed.get("reason") or "")
            message = str(parsed.get("message") or message)
    except ValueError:
        pass
    return ApiError(status, reason or f"HTTP{status}", message,
                    retry_after_seconds(headers.get("Retry-After")))


class Paths:
    """URL paths of the objects the operator touches, in one namespace."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        ns = f"/namespaces/{namespace}"
        self.runs = f"/apis/kubeshowcase.io/v1alpha1{ns}/pipelineruns"
        self.pipelines = f"/apis/kubeshowcase.io/v1alpha1{ns}/pipelines"
        self.jobs = f"/apis/batch/v1{ns}/jobs"
        self.pods = f"/api/v1{ns}/pods"
        self.events = f"/api/v1{ns}/events"
        self.leases = f"/apis/coordination.k8s.io/v1{ns}/leases"

    def run(self, name: str) -> str:
        return f"{self.runs}/{name}"

    def run_status(self, name: str) -> str:
        return f"{self.runs}/{name}/status"

    def pipeline(self, name: str) -> str:
        return f"{self.pipelines}/{name}"

    def job(self, name: str) -> str:
        return f"{self.jobs}/{name}"

    def pod(self, name: str) -> str:
        return f"{self.pods}/{name}"

    def pod_log(self, name: str) -> str:
        return f"{self.pods}/{name}/log"

    def lease(self, name: str) -> str:
        return f"{self.leases}/{name}"
