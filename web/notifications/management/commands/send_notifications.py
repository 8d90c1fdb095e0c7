"""manage.py send_notifications: deliver recorded run notifications (digests, retries)."""

from __future__ import annotations

import signal
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from notifications.delivery import Sender, deliver_due


class Command(BaseCommand):
    help = (
        "Send the e-mails and webhook calls of runs that ended, one digest per user and "
        "channel per NOTIFY_DIGEST_SECONDS, retrying failures with backoff, until SIGTERM "
        "(manage.py watch_runs does the same in a thread unless NOTIFY_SENDER is off)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true",
                            help="one pass over what is due, then exit")
        parser.add_argument("--poll-seconds", type=float, default=None,
                            help="seconds between passes (default NOTIFY_POLL_SECONDS)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            counts = deliver_due()
            self.stdout.write(", ".join(f"{n} {what}" for what, n in sorted(counts.items()))
                              or "nothing due")
            return
        sender = Sender(poll_seconds=options["poll_seconds"])
        for number in (signal.SIGTERM, signal.SIGINT):
            signal.signal(number, lambda *_: sender.stop.set())
        sender.run()
