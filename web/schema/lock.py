"""One PostgreSQL advisory lock that every migrator of a database takes before migrating."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Iterator

from django.db.backends.base.base import BaseDatabaseWrapper

# A fixed 64-bit key (advisory locks are per database, so each database has its own lock).
MIGRATE_LOCK_KEY = int.from_bytes(
    hashlib.sha256(b"kubeshowcase:migrate").digest()[:8], "big", signed=True
)


@contextlib.contextmanager
def migrate_lock(
    connection: BaseDatabaseWrapper, waiting: Callable[[], None] = lambda: None
) -> Iterator[None]:
    """Hold the migrate lock for the block; call `waiting` first when another migrator has it.

    A session lock, not a transaction one: migrate commits once per migration, and the lock
    must span them all. It goes with the session if the process dies, so a killed migrator
    never leaves it behind. (A transaction-mode pooler such as PgBouncer's would break it:
    point DATABASE_URL for migrations at PostgreSQL itself.)
    """
    if connection.vendor != "postgresql":
        yield  # SQLite and the like: one process at a time anyway
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [MIGRATE_LOCK_KEY])
        (taken,) = cursor.fetchone()
        if not taken:
            waiting()
            cursor.execute("SELECT pg_advisory_lock(%s)", [MIGRATE_LOCK_KEY])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [MIGRATE_LOCK_KEY])
