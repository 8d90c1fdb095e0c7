"""Whether a new guest space may start: a site-wide cap on live guests and a rate per address.

Both are counted from Guest rows in the database, so every web replica sees the same numbers;
the table lock makes the count and the insert one step across replicas.
"""

from __future__ import annotations

import ipaddress
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Guest

FULL = (
    "No guest space can be started right now: the site has as many guests as it can take. "
    "Try again later, or sign in."
)
TOO_MANY_FROM_ADDRESS = (
    "Too many guest spaces were started from your address recently ({count} in {period}). "
    "Try again later, or sign in."
)


class GuestRefused(Exception):
    """No guest space was started; the message says why, for the login page."""


def client_address(remote_addr: str | None) -> str | None:
    """REMOTE_ADDR as stored, or None when it is not an IP address."""
    try:
        return str(ipaddress.ip_address((remote_addr or "").strip()))
    except ValueError:
        return None


def admit_guest(remote_addr: str | None) -> Guest:
    """A new Guest, unless GUEST_MAX_LIVE guests are live or this address is over GUEST_RATE."""
    address = client_address(remote_addr)
    count, seconds = settings.GUEST_RATE
    now = timezone.now()
    with transaction.atomic():
        _lock_guests()
        if Guest.objects.live(now).count() >= settings.GUEST_MAX_LIVE:
            raise GuestRefused(FULL)
        recent = Guest.objects.filter(
            created_from=address, created_at__gt=now - timedelta(seconds=seconds)
        )
        if recent.count() >= count:
            period = duration_text(seconds)
            raise GuestRefused(TOO_MANY_FROM_ADDRESS.format(count=count, period=period))
        return Guest.start(created_from=address)


def _lock_guests() -> None:
    """Until this transaction ends, other admissions wait; page views (reads) do not."""
    table = connection.ops.quote_name(Guest._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")


def duration_text(seconds: int) -> str:
    """Seconds in the largest whole unit: `1 day`, `36 hours`, `90 minutes`, `45 seconds`."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds % size == 0:
            amount = seconds // size
            return f"{amount} {unit}{'' if amount == 1 else 's'}"
    return f"{seconds} seconds"  # not reached: the loop ends with seconds
