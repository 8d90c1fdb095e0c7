"""gunicorn as the chart runs it (web/gunicorn.conf.py, the rendered GUNICORN_* env, gthread,
2 workers) with a short worker timeout, on the session's PostgreSQL, and two signed-in owners.

The worker timeout is 3 s (as in tests/web/test_gunicorn.py): every transfer here lasts longer,
so a worker the arbiter took for stuck would be killed in the middle of one and the test fail.
The client timeout (how long a request waits for a silent client) is 3 s too, so a vanished
client is given up quickly while the slow clients, sending or reading every few tenths of a
second, go on.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fixtures.web_gunicorn import Owner, Server, chart_gunicorn_env, served_web, sign_in

WORKER_TIMEOUT = 3
CLIENT_TIMEOUT = 3  # how long a request waits for a silent client
MiB = 2**20


@dataclass
class Site:
    server: Server
    data: Path  # its DATA_ROOT
    alice: Owner
    bob: Owner

    @property
    def staging(self) -> Path:
        return self.data / ".staging"

    def staging_leftovers(self) -> list[Path]:
        return sorted(self.staging.rglob("*")) if self.staging.exists() else []

    def landed(self, owner: Owner, project: str, relative: str) -> Path:
        return self.data / owner.username / project / relative


@pytest.fixture(scope="package")
def site(postgres_database_factory, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[Site]:  # noqa: ANN001
    root = tmp_path_factory.mktemp("chart-web")
    gunicorn_env = chart_gunicorn_env(f"web.gunicorn.timeout={WORKER_TIMEOUT}",
                                      f"web.gunicorn.clientTimeout={CLIENT_TIMEOUT}")
    assert (gunicorn_env["WEB_CONCURRENCY"], gunicorn_env["GUNICORN_TIMEOUT"],
            gunicorn_env["GUNICORN_CLIENT_TIMEOUT"]) == (
        "2", str(WORKER_TIMEOUT), str(CLIENT_TIMEOUT))
    with served_web(postgres_database_factory, root, gunicorn_env=gunicorn_env,
                    usernames=("alice", "bob")) as server:
        assert "Using worker: gthread" in server.log
        yield Site(server, root / "data", sign_in(server.url, "alice"), sign_in(server.url, "bob"))


@dataclass
class BigFile:
    path: Path
    size: int
    sha256: str


def random_file(path: Path, size: int) -> BigFile:
    """size random bytes written to path a MiB at a time (never all in memory), and their
    sha256."""
    digest = hashlib.sha256()
    with path.open("wb") as out:
        for start in range(0, size, MiB):
            block = os.urandom(min(MiB, size - start))
            digest.update(block)
            out.write(block)
    return BigFile(path, size, digest.hexdigest())


