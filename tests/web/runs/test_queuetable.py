"""The queue table made in Python: the same URLs as reverse(), the same ages as timesince, every
value escaped, cancel only where a row is cancellable."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils.timesince import timesince
from hypothesis import example, given
from hypothesis import strategies as st

from runs.queuetable import ages, table_rows, url_maker

NOW = datetime(2026, 3, 1, 12, 0, 30, 250_000, tzinfo=UTC)


@given(st.text(min_size=1, max_size=40))
@example("run-1.x")
@example("a b%2F?#&<>\"'é\n")
def test_url_maker_is_reverse(name: str) -> None:
    detail = url_maker("runs-detail")
    try:
        expected = reverse("runs-detail", args=[name])
    except NoReverseMatch:
        with pytest.raises(NoReverseMatch):
            detail(name)
    else:
        assert detail(name) == expected


@given(st.timedeltas(min_value=timedelta(days=-2), max_value=timedelta(days=400)))
@example(timedelta(days=27, seconds=-1))
@example(timedelta(days=28))
@example(timedelta(seconds=59, microseconds=999_999))
def test_ages_are_timesince(before: timedelta) -> None:
    age = ages(NOW)
    created = NOW - before
    # Twice: the memo answers the second time, and a nearby minute must not borrow its text.
    assert age(created) == age(created) == timesince(created, NOW)
    nearby = created - timedelta(seconds=61)
    assert age(nearby) == timesince(nearby, NOW)


@dataclass(frozen=True)
class Row:
    name: str = "r1"
    mine: bool = True
    visible: bool = True
    cancellable: bool = True
    pipeline: str = "nuclei"
    owner: str = "alice"
    project: str = "cells"
    position: str = "1"
    phase: str = "Queued"
    created_iso: str = "2026-03-01T12:00:00+00:00"
    age: str = "5\xa0minutes"
    starts: str = "in 5–12 min"


def test_a_row_has_every_cell_escaped() -> None:
    html = str(table_rows([Row(name="r<1>", project="<b>&x", owner='"al"', starts="<i>")],
                          "tok&en"))
    assert '<td class="starts">&lt;i&gt;</td>' in html
    assert "<b>" not in html and "r<1>" not in html
    assert "&lt;b&gt;&amp;x" in html and "&quot;al&quot;" in html
    assert f'href="{reverse("runs-detail", args=["r<1>"])}"' in html
    assert f'action="{reverse("runs-cancel", args=["r<1>"])}"' in html
    assert 'name="csrfmiddlewaretoken" value="tok&amp;en"' in html
    assert '<time datetime="2026-03-01T12:00:00+00:00" data-age>5\xa0minutes</time>' in html
    assert html.startswith('<tr data-run="r&lt;1&gt;" class="mine">')


def test_others_rows_hide_the_name_and_offer_no_cancel() -> None:
    other = replace(Row(), name="secret-run", mine=False, visible=False, cancellable=False)
    html = str(table_rows([other], "token"))
    assert "secret-run" not in html and "<form" not in html and "token" not in html
    assert html.startswith('<tr data-run="">') and "<td>—</td>" in html


def test_cancel_follows_cancellable_alone() -> None:
    assert "<form" not in str(table_rows([replace(Row(), cancellable=False)], "t"))
    assert str(table_rows([Row(), Row(name="r2")], "t")).count("<form") == 2
    assert str(table_rows([replace(Row(), created_iso="")], "t")).count("<time") == 0
