"""projects.byteranges against RFC 9110's meaning of a byte range, as Python slices say it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from projects.byteranges import Unsatisfiable, if_range_passes, requested_range

SIZES = st.integers(min_value=1, max_value=10_000)
POSITIONS = st.integers(min_value=0, max_value=20_000)


def sent(header: str, size: int) -> range | None:
    """The offsets requested_range says to send (None: the whole file, no 206)."""
    found = requested_range(header, size)
    return None if found is None else range(found.first, found.last + 1)


@given(size=SIZES, first=POSITIONS, last=POSITIONS)
def test_first_last_is_that_slice_or_unsatisfiable(size: int, first: int, last: int) -> None:
    header = f"bytes={first}-{last}"
    expected = range(size)[first:last + 1]
    if last < first:
        assert sent(header, size) is None  # invalid, so ignored
    elif not expected:
        with pytest.raises(Unsatisfiable):
            requested_range(header, size)
    else:
        assert sent(header, size) == expected


@given(size=SIZES, first=POSITIONS)
def test_an_open_range_runs_to_the_end(size: int, first: int) -> None:
    if first >= size:
        with pytest.raises(Unsatisfiable):
            requested_range(f"bytes={first}-", size)
    else:
        assert sent(f"bytes={first}-", size) == range(size)[first:]


@given(size=SIZES, suffix=st.integers(min_value=1, max_value=20_000))
def test_a_suffix_is_the_last_bytes_or_all(size: int, suffix: int) -> None:
    assert sent(f"bytes=-{suffix}", size) == range(size)[-suffix:]


def test_content_range_names_the_bytes_and_the_size() -> None:
    found = requested_range("bytes=0-0", 5)
    assert found is not None
    assert (found.content_range, found.length) == ("bytes 0-0/5", 1)


@pytest.mark.parametrize(("header", "passes"), [
    ("", True),                                # no If-Range: ranges apply
    ('"tag-1"', True),                         # the current strong tag
    ('"tag-2"', False),                        # another version
    ('W/"tag-1"', False),                      # a weak tag never matches (strong comparison)
    ("Sun, 06 Nov 1994 08:49:37 GMT", True),   # exactly Last-Modified, long ago
    ("Sun, 06 Nov 1994 08:49:38 GMT", False),  # any other date
    ("not a date", False),
])
def test_if_range(header: str, passes: bool) -> None:
    last_modified = 784111777  # Sun, 06 Nov 1994 08:49:37 GMT
    assert if_range_passes(header, '"tag-1"', last_modified, now=last_modified + 60) is passes
