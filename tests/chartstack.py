"""The whole stack as a cluster admin stands it up from the Helm chart, on the API-server double.

Used by tests/chart/test_install_on_double.py and `make demo-chart` (tools/demo_chart.py). In
order: a PostgreSQL on 127.0.0.1 (tests/tcp_postgres.py), the double started with no CRDs (the
chart brings them), no pre-provisioned claim (the chart's claim is provisioned by the default
StorageClass) and the chart's images (tests/fixtures/chart_images.py); then what the admin does
with kubectl and real helm: the Secret with DATABASE_URL, and `helm install --wait` with
tests/chart/double-values.yaml. The hooks run (secret-key, migrate), the CRDs install, the
post-install Pipelines appear, the web pod turns Ready through its own probes.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kubedouble.testing import ApiServerHandle, start_apiserver
from tests.fixtures.chart_images import chart_node_images, collect_static
from tests.port_forward import port_forward
from tests.tcp_postgres import tcp_postgres

REPO = Path(__file__).resolve().parents[1]
CHART = REPO / "charts" / "kubeshowcase"
DOUBLE_VALUES = REPO / "tests" / "chart" / "double-values.yaml"
# As the chart README's commands name them (its Upgrading block runs against this release).
RELEASE = NAMESPACE = "kubeshowcase"
DATABASE_SECRET = "kubeshowcase-database"
WEB_SERVICE = "kubeshowcase-web"
HELM_TIMEOUT = "240s"  # helm's own deadline for hooks and --wait; generous on a shared machine


class CommandFailed(AssertionError):
    """kubectl or helm exited non-zero; the message carries what it said."""


@dataclass
class ChartStack:
    api: ApiServerHandle
    env: dict[str, str]  # KUBECONFIG (the admin's), PATH with .venv/bin, a private HELM_* home
    database_url: str
    web_url: str  # http://127.0.0.1:PORT, forwarded to the web Service (`kubectl port-forward`)

    def run(self, argv: list[str], timeout: float = 300) -> str:
        """A kubectl or helm command line, from the repository root (the README's paths)."""
        done = subprocess.run(argv, cwd=REPO, env=self.env, capture_output=True, text=True,
                              timeout=timeout, check=False)
        if done.returncode != 0:
            raise CommandFailed(f"{' '.join(argv)} exited {done.returncode}:\n{done.stderr}"
                                f"{done.stdout[-4000:]}")
        return done.stdout

    def kubectl(self, *args: str) -> str:
        return self.run(["kubectl", "--namespace", NAMESPACE, *args])

    def helm(self, *args: str) -> str:
        return self.run(["helm", "--namespace", NAMESPACE, *args])

    def get(self, *args: str) -> dict[str, Any]:
        """`kubectl get ... -o json`, parsed."""
        return dict(yaml.safe_load(self.kubectl("get", *args, "-o", "json")))

    def web_env(self) -> dict[str, str]:
        """What a shell in the web pod (`kubectl exec deploy/kubeshowcase-web -- ...`) has
        that `manage.py` needs: the same database."""
        return {**self.env, "DATABASE_URL": self.database_url, "PYTHONPATH": str(REPO / "web")}


def admin_env(api: ApiServerHandle, work: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["KUBECONFIG"] = str(api.kubeconfig)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    for name in ("CACHE", "CONFIG", "DATA"):  # none of the developer's helm repositories
        env[f"HELM_{name}_HOME"] = str(work / "helm" / name.lower())
    return env


def install(stack: ChartStack, *extra: str) -> None:
    """The admin's install: the database Secret, then `helm install --wait`."""
    stack.kubectl("create", "secret", "generic", DATABASE_SECRET,
                  f"--from-literal=database-url={stack.database_url}")
    stack.helm("install", RELEASE, str(CHART.relative_to(REPO)), "--values", str(DOUBLE_VALUES),
               "--wait", "--timeout", HELM_TIMEOUT, *extra)


@contextlib.contextmanager
def chart_stack(work: Path, *, postgres_dir: Path | None = None,
                forward_port: int = 0) -> Iterator[ChartStack]:
    """The installed stack until the block ends; then the double stops (every pod's process
    is killed) and PostgreSQL stops. `postgres_dir` keeps the database (default: a scratch
    folder outside pytest's tree, which later sessions make 0700); `forward_port` is the
    local port of `web_url` (0: a free one)."""
    work.mkdir(parents=True, exist_ok=True)
    static = collect_static(work / "static")
    with contextlib.ExitStack() as stack:
        if postgres_dir is None:
            scratch = Path(tempfile.mkdtemp(prefix="ksc-chart-postgres-"))
            stack.callback(subprocess.run, ["rm", "-rf", str(scratch)], check=False)
            postgres_dir = scratch / "data"
        database_url = stack.enter_context(tcp_postgres(postgres_dir))
        api = stack.enter_context(start_apiserver(
            crd_dir=None, volumes={}, tmp_dir=work / "kubedouble",
            images=chart_node_images(static)))
        env = admin_env(api, work)
        installed = ChartStack(api, env, database_url, web_url="")
        install(installed)
        service = api.service_url(NAMESPACE, WEB_SERVICE, "http")
        installed.web_url = stack.enter_context(port_forward(service, forward_port))
        yield installed
