"""Hypothesis strategies for hostile URL paths, shared by the fuzz tests of every app's routes."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

FUZZ = settings(
    max_examples=100, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Path segments as sent: percent escapes stay escapes, so the server is the one to decode them.
TRICKS = [
    "..", ".", "", "~", "*", "\\", "%2e%2e", "%2E%2E", "%2e", ".%2e", "..%2f", "%2f", "%2F", "%5c",
    "%5C", "%00", "%252e%252e", "%252f", "..%2f..%2fbob", "%2e%2e%2f%2e%2e%2fbob%2fsecret", "bob",
    "secret", "alice", "cells", "etc", "passwd", "%2Fetc%2Fpasswd", "%C3%A9t%C3%A9", "%F0%9F%93%81",
    "%FF%FE", "x" * 300, "%0a", "%20", "C:", "%3F", "%23",
]


def segments(names: Iterable[str]) -> st.SearchStrategy[str]:
    """One path segment: a trick, a part of one of `names`, or any text, escaped or as typed."""
    return st.one_of(
        st.sampled_from(TRICKS),
        st.sampled_from([quote(part) for name in names for part in name.split("/")]),
        st.text(max_size=12).map(lambda text: quote(text, safe="")),
        st.text(alphabet=st.characters(codec="utf-8", exclude_characters="/?#"), max_size=12),
    )


def paths(names: Iterable[str]) -> st.SearchStrategy[str]:
    """A path of up to six such segments."""
    return st.lists(segments(names), max_size=6).map("/".join)
