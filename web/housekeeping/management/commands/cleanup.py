"""manage.py cleanup: remove expired guests, expired sessions and old staging leftovers."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from housekeeping.cleanup import clean_up


class Command(BaseCommand):
    help = (
        "Remove expired guests (their PipelineRuns, their folder under DATA_ROOT, their account), "
        "expired sessions, DATA_ROOT/.staging leftovers older than STAGING_MAX_AGE_HOURS, and "
        "thumbnails whose image is gone, deep-zoom pyramids past DEEPZOOM_CACHE_MAX_BYTES. "
        "Safe to run again at any time; prints what it removed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="print what would be removed; remove nothing"
        )

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        report = clean_up(dry_run=dry_run)
        for line in report.done or ["nothing to remove"]:
            self.stdout.write(line)
        if report.problems:
            for problem in report.problems:
                self.stderr.write(problem)
            raise CommandError(f"{len(report.problems)} thing(s) could not be removed; see above")
