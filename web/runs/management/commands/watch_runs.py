"""manage.py watch_runs: keep the run archive (RunRecord, PipelineRecord) up to date."""

from __future__ import annotations

import signal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from monitoring.server import serve_this_process
from runs import liveness
from runs.watcher import Watcher


class Command(BaseCommand):
    help = (
        "List and watch PipelineRuns and Pipelines into the archive tables (and the operator's "
        "queue order, ConfigMap kubeshowcase-queue, into queued runs' rows) until SIGTERM or "
        "Ctrl-C; resumes where it left off, lists again on 410 Gone or any watch error, "
        "deletes finished runs from the API by RUN_RETENTION_* and logs the archive's lag "
        "(and serves it as a metric on METRICS_PORT, unless 0); records run notifications at "
        "runs' ends and sends them unless NOTIFY_SENDER is off; answers GET /livez on "
        "WATCHER_HEALTH_PORT (unless 0)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--heartbeat-seconds", type=float, default=5.0,
                            help="seconds between two writes of ArchiveState.alive_at")
        parser.add_argument("--watch-seconds", type=int, default=300,
                            help="seconds one watch request lasts before the next one")
        parser.add_argument("--report-seconds", type=float, default=30.0,
                            help="seconds between two lag log lines")
        parser.add_argument("--retention-seconds", type=float, default=None,
                            help="seconds between retention passes (default "
                                 "RUN_RETENTION_INTERVAL; 0: none)")

    def handle(self, *args: Any, **options: Any) -> None:
        watcher = Watcher(heartbeat_seconds=options["heartbeat_seconds"],
                          watch_seconds=options["watch_seconds"],
                          report_seconds=options["report_seconds"],
                          retention_seconds=options["retention_seconds"])
        for number in (signal.SIGTERM, signal.SIGINT):
            signal.signal(number, lambda *_: watcher.stop.set())
        if settings.METRICS_PORT:
            serve_this_process(settings.METRICS_PORT)
        if settings.WATCHER_HEALTH_PORT:
            liveness.serve(settings.WATCHER_HEALTH_PORT,
                           lambda: watcher.liveness_problem(settings.WATCHER_STALL_SECONDS))
        watcher.run()
