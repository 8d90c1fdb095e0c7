"""Run a double in a background thread for tests: `with start_apiserver(...) as handle:`."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable
from typing import Any

from .app import ServerSettings
from .authn import ADMIN_TOKEN
from .authz_log import DecisionLog
from .faults import Faults
from .images import Image, ImageStore
from .jobcontroller import JobControllerSettings
from .lifetimes import CreationLog, Lifetimes
from .logbuffer import DEFAULT_MAX_BYTES
from .podrun import KubeletSettings
from .request_log import RequestLog
from .runtime import DoubleConfig, KubeDouble, kubeconfig
from .scheduler import NodeCapacity
from .selectors import Selector
from .store import DEFAULT_HISTORY_SECONDS


@dataclass
class ApiServerHandle:
    url: str
    kubeconfig: Path  # the admin's (user kubernetes-admin, group system:masters)
    namespace: str
    faults: Faults  # add FaultRule(...) to fail requests or cut watches; clear() to stop
    ca_file: Path  # the serving certificate (HTTPS only, as kube-apiserver): `verify=` it
    images: ImageStore  # the node's images: `add_image(reference, Image.of(...))` for more
    token: str = ADMIN_TOKEN  # the admin's bearer token, for raw HTTP requests
    # What the double did, whole: every container process (`lifetimes.all()`) and every Job
    # as created (`job_creations.all()`); no watch gap thins them.
    lifetimes: Lifetimes = field(default_factory=Lifetimes)
    job_creations: CreationLog = field(
        default_factory=lambda: CreationLog("jobs.batch", None, Selector()))
    _set_node: Callable[..., None] | None = None
    proxy: Any = None  # the double's kube-proxy (kubedouble/proxy.py), for service_url
    # The authorizer's decisions for every user outside system:masters (`decisions.all()`).
    decisions: DecisionLog = field(default_factory=DecisionLog)
    # Their requests, with label and field selectors (`request_log.counts()`): who LISTed what.
    request_log: RequestLog = field(default_factory=RequestLog)
    # Kubeconfigs of other users, by a name the caller chose (the tests: the chart's accounts).
    kubeconfigs: dict[str, Path] = field(default_factory=dict)

    # The kubelet's settings, live: e.g. `token_refresh_seconds` for pods created after.
    kubelet: KubeletSettings = field(default_factory=KubeletSettings)

    def set_node(self, labels: dict[str, str | None] | None = None,
                 taints: list[dict[str, Any]] | None = None) -> None:
        """Label the one node (None removes a label) and/or replace its taints (a list of
        `{key, value, effect}`); pods waiting to be scheduled are tried again."""
        assert self._set_node is not None, "the double runs no scheduler"
        self._set_node(labels, taints)

    def add_image(self, reference: str, image: Image) -> None:
        """Give the node one more image (pods waiting in ImagePullBackOff retry it)."""
        self.images.add(reference, image)

    def service_url(self, namespace: str, name: str, port: int | str,
                    wait_seconds: float = 10.0) -> str:
        """http://address:port reaching the Service's port (number or name) through the
        double's kube-proxy, as `kubectl port-forward svc/<name>` would; waits for the proxy
        to take up a Service just created."""
        deadline = time.monotonic() + wait_seconds
        while (url := self.proxy.url_for(namespace, name, port)) is None:
            if time.monotonic() > deadline:
                raise LookupError(f"no proxied port {port} of Service {namespace}/{name}")
            time.sleep(0.05)
        return str(url)

    def api_client(self) -> Any:
        """A `kubernetes.client.ApiClient` configured from this double's kubeconfig."""
        from kubernetes import config

        return config.new_client_from_config(config_file=str(self.kubeconfig))

    def service_account_token(self, namespace: str, name: str,
                              expiration_seconds: int = 3600) -> str:
        """A token for the ServiceAccount from the TokenRequest API (`kubectl create token`)."""
        import requests

        response = requests.post(
            f"{self.url}/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token",
            json={"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                  "spec": {"expirationSeconds": expiration_seconds}},
            headers={"Authorization": f"Bearer {self.token}"}, verify=self.ca_file, timeout=30)
        response.raise_for_status()
        return str(response.json()["status"]["token"])

    def kubeconfig_for(self, token: str, path: Path) -> Path:
        """Write a kubeconfig like this double's own, authenticating with `token` instead."""
        path.write_text(kubeconfig(self.url, self.namespace, self.ca_file, token))
        return path


@contextlib.contextmanager
def start_apiserver(*, crd_dir: Path | None, volumes: dict[str, Path], tmp_dir: Path,
                    job_env: dict[str, str] | None = None, namespace: str = "kubeshowcase",
                    bookmark_seconds: float = 30.0, history_size: int | None = None,
                    watch_history_seconds: float = DEFAULT_HISTORY_SECONDS,
                    apply_files: list[Path] | None = None,
                    images: dict[str, Image] | None = None,
                    node: NodeCapacity | None = None,
                    container_log_max_bytes: int = DEFAULT_MAX_BYTES,
                    jobs: JobControllerSettings | None = None,
                    state_file: Path | None = None,
                    ) -> Iterator[ApiServerHandle]:
    """Serve on a free 127.0.0.1 port until the block ends; then every job process is killed.

    Pods run only `images` (reference → Image: how it runs here, its ENTRYPOINT/CMD/ENV);
    `node` is the one node's allocatable cpu/memory (default 2 CPU, 8Gi);
    `container_log_max_bytes` where each container's log is rotated (default 10 MiB);
    `jobs` the Job controller's pod failure backoff (default 10 s doubling to 6 min);
    `state_file` the store saved across doubles (`--state`)."""
    store = ImageStore()
    for reference, image in (images or {}).items():
        store.add(reference, image)
    tmp_dir.mkdir(parents=True, exist_ok=True)
    double = KubeDouble(DoubleConfig(
        crd_dir=crd_dir, volumes={k: Path(v) for k, v in volumes.items()},
        job_env=dict(job_env or {}), namespace=namespace, scratch=tmp_dir / "scratch",
        history_size=history_size, watch_history_seconds=watch_history_seconds,
        apply_files=list(apply_files or []),
        server=ServerSettings(bookmark_seconds=bookmark_seconds), images=store,
        node=node or NodeCapacity(), container_log_max_bytes=container_log_max_bytes,
        jobs=jobs or JobControllerSettings(), state_file=state_file))
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    failure: list[BaseException] = []

    def serve() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(double.start())
        except BaseException as problem:  # reported to the test thread below
            failure.append(problem)
            ready.set()
            return
        ready.set()
        loop.run_forever()
        loop.run_until_complete(double.stop())
        loop.close()

    thread = threading.Thread(target=serve, name="kubedouble", daemon=True)
    thread.start()
    ready.wait(30)
    if failure or not double.url:
        raise RuntimeError(f"kubedouble did not start: {failure[0] if failure else 'timeout'}")
    config_path = tmp_dir / "kubeconfig"
    config_path.write_text(kubeconfig(double.url, namespace, double.ca_file))

    def set_node(labels: dict[str, str | None] | None,
                 taints: list[dict[str, Any]] | None) -> None:
        scheduler = double.scheduler
        assert scheduler is not None, "the double runs no scheduler"
        done = asyncio.run_coroutine_threadsafe(_call(scheduler.set_node, labels, taints), loop)
        done.result(30)

    try:
        yield ApiServerHandle(double.url, config_path, namespace, double.faults, double.ca_file,
                             store, lifetimes=double.kubelet.lifetimes,
                             job_creations=double.job_creations, _set_node=set_node,
                             proxy=double.proxy, decisions=double.cluster.decisions,
                             request_log=double.cluster.request_log,
                             kubelet=double.kubelet.settings)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)


async def _call(function: Callable[..., None], *args: Any) -> None:
    """Run a function on the double's loop (its scheduler is not thread-safe)."""
    function(*args)
