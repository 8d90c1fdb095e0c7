"""manage.py reconcile_usage: set every project's counted files and bytes from its folder."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from projects.records import reconcile_all


class Command(BaseCommand):
    help = (
        "Recount each project folder under DATA_ROOT (links never followed) and correct the "
        "projects' and owners' usage counters (pipelines write files too); adopt folders that "
        "have no project row and drop rows whose folder is gone. Safe to run at any time; "
        "prints what it changed."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        for line in reconcile_all() or ["every counter was right"]:
            self.stdout.write(line)
