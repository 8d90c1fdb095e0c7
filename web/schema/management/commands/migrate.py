"""Django's `migrate`, one migrator at a time per database (see schema.lock)."""

from __future__ import annotations

from typing import Any

from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import connections

from schema.lock import migrate_lock


class Command(DjangoMigrate):
    help = (
        DjangoMigrate.help
        + " Holds a PostgreSQL advisory lock meanwhile: a second migrator waits for the first,"
        " then finds nothing left to apply."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["check_unapplied"] or options["plan"]:
            return super().handle(*args, **options)  # they only read

        def waiting() -> None:
            self.stdout.write("Another migrate holds the migration lock; waiting for it.")

        with migrate_lock(connections[options["database"]], waiting):
            return super().handle(*args, **options)
