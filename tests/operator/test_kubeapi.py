"""Backoff between retries and Retry-After parsing."""

from __future__ import annotations

from kubeshowcase_operator.kubeapi import ApiError, retry_after_seconds, retry_delays


def test_backoff_grows_and_is_capped() -> None:
    assert list(retry_delays(8)) == [0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 2.0]
    assert list(retry_delays(1)) == []


def test_retry_after_is_read_and_bounded() -> None:
    assert retry_after_seconds("1") == 1.0
    assert retry_after_seconds("600") == 5.0
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") is None


def test_transient_errors() -> None:
    assert ApiError(429, "TooManyRequests", "").transient
    assert ApiError(503, "ServiceUnavailable", "").transient
    assert ApiError(0, "Unreachable", "").transient
    assert not ApiError(404, "NotFound", "").transient
    assert not ApiError(409, "Conflict", "").transient
    assert not ApiError(422, "Invalid", "").transient
