"""The queue table's rows as HTML, made in Python as Django's admin makes its change list's
cells (format_html, django.contrib.admin.templatetags.admin_list).

The queue page shows up to ~150 rows and every viewer's refresh renders them again whenever the
queue moved; through the template engine each row cost ~0.2 ms of variable lookups, {% url %}
and {% csrf_token %} tags. Here a row is one format_html, its links one reverse for the whole
table, and every value is escaped as the template would escape it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Protocol
from urllib.parse import quote

from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.timesince import timesince

_STAND_IN = "name0stand0in"
_PATH_SAFE = "!$&'()*+,;=" + "/~:@"  # what reverse() leaves unquoted in a path argument

_ROW = ('<tr data-run="{}"{}><td class="position">{}</td><td>{}</td><td>{}</td>'
        '<td class="owner">{}</td><td class="project">{}</td><td class="phase">{}</td>'
        '<td class="starts">{}</td><td>{}</td><td>{}</td></tr>')
_LINK = '<a href="{}">{}</a>'
_AGE = '<time datetime="{}" data-age>{}</time>'
_CANCEL = ('<form method="post" action="{}" class="inline" data-confirm="Cancel run {}?">'
           '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
           '<input type="hidden" name="back" value="queue">'
           '<button type="submit" class="danger" aria-label="Cancel {}">Cancel</button></form>')
_MINE = SafeString(' class="mine"')
_NOTHING = SafeString("")
_DASH = SafeString("—")


class TableRow(Protocol):
    """What a row of the queue table shows (runs.views.queue.Row)."""

    name: str  # the run's name
    mine: bool
    visible: bool
    cancellable: bool
    pipeline: str
    owner: str
    project: str
    position: str
    phase: str
    created_iso: str
    age: str
    starts: str


def url_maker(viewname: str) -> Callable[[str], str]:
    """reverse(viewname, args=[name]) for many names at the cost of one reverse: the URL made
    with a stand-in, each name put in its place quoted as reverse() quotes it. A name with a
    "/" (which <str:...> does not match; run names are DNS names) is refused as reverse()
    refuses it."""
    prefix, found, suffix = reverse(viewname, args=[_STAND_IN]).partition(_STAND_IN)
    assert found, viewname

    def url(name: str) -> str:
        if "/" in name or not name:
            return reverse(viewname, args=[name])  # raises NoReverseMatch, as it would
        return f"{prefix}{quote(name, safe=_PATH_SAFE)}{suffix}"

    return url


def table_rows(rows: Iterable[TableRow], csrf_token: str) -> SafeString:
    """The <tr> elements of the queue table; csrf_token: the token the cancel forms carry."""
    detail, cancel = url_maker("runs-detail"), url_maker("runs-cancel")
    return format_html_join("", "{}", ((_row(row, detail, cancel, csrf_token),) for row in rows))


def _row(row: TableRow, detail: Callable[[str], str], cancel: Callable[[str], str],
         csrf_token: str) -> SafeString:
    name = row.name
    return format_html(
        _ROW,
        name if row.mine else "",
        _MINE if row.mine else _NOTHING,
        row.position,
        format_html(_LINK, detail(name), name) if row.visible else _DASH,
        row.pipeline,
        row.owner,
        row.project,
        row.phase,
        row.starts,
        format_html(_AGE, row.created_iso, row.age) if row.created_iso else _NOTHING,
        format_html(_CANCEL, cancel(name), name, csrf_token, name) if row.cancellable
        else _NOTHING,
    )


_MEMO_BELOW = 27 * 86400  # seconds; under 28 days timesince has no months or years


def ages(now: datetime) -> Callable[[datetime], str]:
    """timesince(created, now) for many runs, each distinct minute computed once: under 28 days
    its text depends only on the whole minutes between (weeks, days and hours are whole minutes);
    beyond, months and years follow the calendar, and each age is computed as it is."""
    memo: dict[int, str] = {}

    def age(created: datetime) -> str:
        seconds = (now - created).total_seconds()
        if seconds >= _MEMO_BELOW:
            return timesince(created, now)
        minutes = max(int(seconds // 60), 0)
        if minutes not in memo:
            memo[minutes] = timesince(created, now)
        return memo[minutes]

    return age
