"""One running double: store, API, kubelet and the Job, ReplicaSet and Deployment controllers
wired together on one event loop."""

from __future__ import annotations

import asyncio
import base64
import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web

from . import errors, patching, podnet, priorityclasses, rbac_bootstrap, services, volumebinding
from .app import ServerSettings, make_app
from .authn import ADMIN_TOKEN, API_AUDIENCES, Authenticator
from .authn_binding import bind
from .endpointslices import EndpointSliceController
from .faults import Faults
from .deploymentcontroller import DeploymentController
from .images import ImageStore
from .cronjobcontroller import CronJobController
from .incluster import service_host
from .jobcontroller import JobController, JobControllerSettings
from .kubelet import Kubelet, KubeletSettings
from .lifetimes import CreationLog
from .logbuffer import DEFAULT_MAX_BYTES
from .operations import Cluster
from .persistence import autosave, load_state, save_state
from .proxy import KubeProxy
from .rscontroller import ReplicaSetController
from .resources import load_crd_files
from .scheduler import NodeCapacity, Scheduler
from .selectors import Selector
from .store import DEFAULT_HISTORY_SECONDS, Store
from .tls import make_certificate, server_context

DEFAULT_NAMESPACE = "kubeshowcase"


@dataclass
class DoubleConfig:
    host: str = "127.0.0.1"
    port: int = 0
    crd_dir: Path | None = None
    volumes: dict[str, Path] = field(default_factory=dict)
    job_env: dict[str, str] = field(default_factory=dict)
    apply_files: list[Path] = field(default_factory=list)
    state_file: Path | None = None
    scratch: Path = Path("/tmp/kubedouble")
    namespace: str = DEFAULT_NAMESPACE
    run_jobs: bool = True
    history_size: int | None = None  # optional count bound on top of the time bound
    watch_history_seconds: float = DEFAULT_HISTORY_SECONDS
    server: ServerSettings = field(default_factory=ServerSettings)
    images: ImageStore = field(default_factory=ImageStore)  # the only images pods can run
    node: NodeCapacity = field(default_factory=NodeCapacity)
    container_log_max_bytes: int = DEFAULT_MAX_BYTES
    jobs: JobControllerSettings = field(default_factory=JobControllerSettings)  # backoff


def kubeconfig(url: str, namespace: str, ca_file: Path, token: str = ADMIN_TOKEN) -> str:
    """A kubeconfig that kubectl, the kubernetes client and Kopf accept: HTTPS with the double's
    CA and a bearer token (the admin's unless another is given, e.g. a ServiceAccount's)."""
    ca_data = base64.b64encode(ca_file.read_bytes()).decode()
    return yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "preferences": {},
        "clusters": [{"name": "kubedouble", "cluster": {
            "server": url, "certificate-authority-data": ca_data}}],
        "users": [{"name": "kubedouble", "user": {"token": token}}],
        "contexts": [{"name": "kubedouble", "context": {
            "cluster": "kubedouble", "user": "kubedouble", "namespace": namespace}}],
        "current-context": "kubedouble",
    }, sort_keys=False)


def apply_object(cluster: Cluster, doc: dict[str, Any], namespace: str) -> dict[str, Any]:
    """Create, or merge onto the existing object: `kubectl apply` for start-up manifests."""
    resource = cluster.table.find_kind(doc.get("apiVersion", ""), doc.get("kind", ""))
    if resource is None:
        raise errors.bad_request(f"no resource for {doc.get('apiVersion')}/{doc.get('kind')}")
    meta = doc.get("metadata") or {}
    target = meta.get("namespace") or namespace if resource.namespaced else ""
    name = meta.get("name", "")
    if name and cluster.store.get(resource.qualified, target, name):
        return cluster.patch(resource, target, name, doc, patching.MERGE)
    return cluster.create(resource, target, doc)


class KubeDouble:
    def __init__(self, config: DoubleConfig) -> None:
        self.config = config
        self.faults = Faults()
        self.cluster = Cluster(store=Store(
            history_size=config.history_size, history_seconds=config.watch_history_seconds))
        self.authenticator = Authenticator(self.cluster.store.get)
        addresses = podnet.AddressPool()  # the pods' and the proxied Services' addresses
        self.kubelet = Kubelet(self.cluster, KubeletSettings(
            job_env=config.job_env, scratch=config.scratch,
            images=config.images, container_log_max_bytes=config.container_log_max_bytes),
            issue_token=self._issue_token, addresses=addresses)
        self.proxy = KubeProxy(self.cluster.store, addresses, podnet.names_file(config.scratch))
        # Every Job as it was created (soak tests count a run's Jobs by its uid).
        self.job_creations = CreationLog("jobs.batch", None, Selector())
        self.cluster.store.subscribe(self.job_creations, None)
        self.scheduler: Scheduler | None = None  # with run_jobs, once started
        self.url = ""
        self.ca_file = config.scratch / "tls" / "apiserver.crt"
        self._runner: web.AppRunner | None = None
        self._tasks: list[asyncio.Task[None]] = []

    def _issue_token(self, pod: dict[str, Any], audiences: list[str], seconds: int) -> str:
        """A projected serviceAccountToken, as the kubelet requests it: a TokenRequest for the
        pod's account bound to the pod (pkg/kubelet/token/token_manager.go)."""
        meta = pod["metadata"]
        found = self.cluster.get(self.cluster.resource("", "v1", "serviceaccounts"),
                                 meta["namespace"], pod["spec"].get("serviceAccountName")
                                 or "default")
        bound = bind(self.cluster.store.get, found, {"apiVersion": "v1", "kind": "Pod",
                                                     "name": meta["name"], "uid": meta["uid"]})
        return self.authenticator.issue(found, audiences or list(API_AUDIENCES), seconds,
                                        bound)[0]

    def _load(self) -> None:
        config, cluster = self.config, self.cluster
        if config.state_file is not None:
            snapshot = load_state(config.state_file)
            if snapshot is not None:
                cluster.store.load(snapshot)
                crds = cluster.resource("apiextensions.k8s.io", "v1", "customresourcedefinitions")
                for crd in cluster.store.items(crds.qualified):
                    cluster.table.register_crd(crd)
        rbac_bootstrap.ensure(cluster)
        priorityclasses.ensure(cluster)
        volumebinding.ensure_storage(cluster, config.volumes, config.namespace)
        if config.crd_dir is not None:
            for crd in load_crd_files(config.crd_dir):
                apply_object(cluster, crd, "")
        for path in config.apply_files:
            for doc in yaml.safe_load_all(path.read_text()):
                if isinstance(doc, dict):
                    apply_object(cluster, doc, config.namespace)

    async def start(self) -> str:
        cert, key = make_certificate(self.ca_file.parent, self.config.host)
        self._load()
        self.cluster.namespaces.set_root_ca(cert.read_text())  # before any pod mounts ca.crt
        self._tasks.append(asyncio.ensure_future(self.cluster.gc.run()))
        binder = volumebinding.VolumeBinder(self.cluster, self.config.scratch / "provisioned")
        self._tasks.append(asyncio.ensure_future(binder.run()))
        if self.config.run_jobs:
            self.scheduler = Scheduler(self.cluster, self.config.node)
            self._tasks.append(asyncio.ensure_future(self.scheduler.run()))
            self._tasks.append(asyncio.ensure_future(self.kubelet.run()))
            controller = JobController(self.cluster, self.config.jobs)
            self._tasks.append(asyncio.ensure_future(controller.run()))
            slices = EndpointSliceController(self.cluster)
            self._tasks.append(asyncio.ensure_future(slices.run()))
            self._tasks.append(asyncio.ensure_future(self.proxy.run()))
            cronjobs = CronJobController(self.cluster)
            self._tasks.append(asyncio.ensure_future(cronjobs.run()))
            for workload in (ReplicaSetController(self.cluster),
                             DeploymentController(self.cluster)):
                self._tasks.append(asyncio.ensure_future(workload.run()))
        if self.config.state_file is not None:
            self._tasks.append(asyncio.ensure_future(
                autosave(self.config.state_file, self.cluster.store)))
        app = make_app(self.cluster, self.kubelet, self.faults, self.config.server,
                       self.authenticator)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.host, self.config.port,
                           ssl_context=server_context(cert, key))
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"https://{self.config.host}:{port}"
        services.ensure_kubernetes_service(self.cluster, self.config.host, port)
        self.kubelet.settings.api_address = (service_host(self.config.host), port)
        return self.url

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.kubelet.shutdown()
        self.cluster.store.close_watchers()
        if self._runner is not None:
            await self._runner.cleanup()
        if self.config.state_file is not None:
            save_state(self.config.state_file, self.cluster.store)
