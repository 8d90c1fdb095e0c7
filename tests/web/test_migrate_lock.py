"""`manage.py migrate` takes a PostgreSQL advisory lock: two migrators never race (issue #9).

The test holds the lock itself while two real `manage.py migrate` processes start, so both are
sure to be waiting at once when it lets go; they then race for real, on an empty database.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psycopg

from schema.lock import MIGRATE_LOCK_KEY

WEB = Path(__file__).resolve().parents[2] / "web"


def manage(database_url: str, *args: str) -> subprocess.Popen[str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(WEB),
        "DJANGO_SETTINGS_MODULE": "kubeshowcase.settings",
        "DATABASE_URL": database_url,
    }  # nothing else: what the chart's migrate Job gives it
    return subprocess.Popen([sys.executable, "manage.py", *args], cwd=WEB, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def advisory_waiters(connection: psycopg.Connection) -> int:
    row = connection.execute(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    ).fetchone()
    return row[0]


def test_two_concurrent_migrators_apply_each_migration_once(
    postgres_database_factory: Callable[[str], str],
) -> None:
    url = postgres_database_factory("migrate_race")
    with psycopg.connect(url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", [MIGRATE_LOCK_KEY])
        migrators = [manage(url, "migrate", "--noinput") for _ in range(2)]
        deadline = time.monotonic() + 120
        while advisory_waiters(holder) < 2:
            assert all(m.poll() is None for m in migrators), [m.communicate() for m in migrators]
            assert time.monotonic() < deadline, "the migrators never waited for the lock"
            time.sleep(0.1)
        holder.execute("SELECT pg_advisory_unlock(%s)", [MIGRATE_LOCK_KEY])
        outputs = [m.communicate(timeout=300) for m in migrators]
        assert [m.returncode for m in migrators] == [0, 0], outputs
        stdouts = sorted((out for out, _ in outputs), key=lambda out: "Applying" in out)
        # Both said they waited; the first through applied everything, the second nothing.
        assert all("waiting for it" in out for out in stdouts)
        assert "No migrations to apply." in stdouts[0] and "Applying" not in stdouts[0]
        assert "Applying auth.0001_initial... OK" in stdouts[1]
        duplicates = holder.execute(
            "SELECT app, name FROM django_migrations GROUP BY app, name HAVING count(*) > 1"
        ).fetchall()
        assert duplicates == []


def test_check_and_plan_do_not_wait_for_the_lock(
    postgres_database_factory: Callable[[str], str],
) -> None:
    url = postgres_database_factory("migrate_check")
    with psycopg.connect(url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", [MIGRATE_LOCK_KEY])
        # The web pod's init container: fails (exit 1) while migrations are unapplied.
        check = manage(url, "migrate", "--check", "--noinput")
        out, err = check.communicate(timeout=120)
        assert check.returncode == 1, (out, err)
        plan = manage(url, "migrate", "--plan")
        out, err = plan.communicate(timeout=120)
        assert plan.returncode == 0, err
        assert "auth.0001_initial" in out or "Create model" in out
