"""Times as the listings print them, cheaply: a page of 200 rows formats 200 of them.

`{{ value|stamp }}` is `<time datetime="{{ value|date:'c' }}">{{ value|date:"Y-m-d H:i" }}</time>`
(the current time zone, as the date filter uses) at a fraction of the date filter's cost per
row, which goes through the localized format machinery for every call.
"""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html

register = template.Library()


def local_iso(value: datetime) -> str:
    """What the date filter's "c" prints: ISO 8601 in the current time zone."""
    return timezone.localtime(value).isoformat()


@register.filter
def stamp(value: datetime | None) -> str:
    if not value:
        return ""
    local = timezone.localtime(value)
    return format_html('<time datetime="{}">{}</time>', local.isoformat(),
                       local.strftime("%Y-%m-%d %H:%M"))
