"""The benchmarks' arithmetic: percentiles, rates, ratios, tables and request kinds."""

from __future__ import annotations

import math

import pytest

from bench.figures import latency_summary, median_ms, percentile, rate, ratio, table
from bench.harness import kind_of


def test_percentile_is_nearest_rank() -> None:
    sample = [float(value) for value in range(1, 101)]
    assert percentile(sample, 50) == 50.0
    assert percentile(sample, 99) == 99.0
    assert percentile(sample, 100) == 100.0
    assert percentile(sample, 0) == 1.0


def test_percentile_ignores_input_order() -> None:
    assert percentile([0.3, 0.1, 0.2], 50) == 0.2


def test_percentile_of_one_value_is_that_value() -> None:
    assert percentile([0.25], 99) == 0.25


@pytest.mark.parametrize("share", [-1, 100.5])
def test_percentile_rejects_a_share_outside_0_to_100(share: float) -> None:
    with pytest.raises(ValueError, match="share"):
        percentile([1.0], share)


def test_percentile_rejects_an_empty_sample() -> None:
    with pytest.raises(ValueError, match="empty"):
        percentile([], 50)


def test_latency_summary_is_in_milliseconds() -> None:
    assert latency_summary([0.010, 0.020, 0.030, 0.040]) == {
        "p50_ms": 20.0, "p95_ms": 40.0, "p99_ms": 40.0, "max_ms": 40.0}


def test_median_ms_pairs_ends_with_starts() -> None:
    assert median_ms([1.010, 2.030, 3.020], [1.0, 2.0, 3.0]) == 20.0


def test_median_ms_refuses_sequences_of_different_lengths() -> None:
    with pytest.raises(ValueError, match="one length"):
        median_ms([1.0, 2.0], [1.0])


def test_rate_counts_gaps_between_moments() -> None:
    assert rate([10.0, 10.5, 11.0]) == 2.0  # three moments, two gaps, one second


def test_rate_of_simultaneous_moments_is_infinite() -> None:
    assert rate([3.0, 3.0]) == math.inf


def test_rate_needs_two_moments() -> None:
    with pytest.raises(ValueError, match="two"):
        rate([1.0])


def test_ratio_is_rounded_and_none_without_a_baseline() -> None:
    assert ratio(3.0, 2.0) == 1.5
    assert ratio(1.0, 3.0) == 0.33
    assert ratio(1.0, 0.0) is None
    assert ratio(None, 2.0) is None
    assert ratio(2.0, None) is None


def test_table_is_markdown_with_dashes_for_missing_values() -> None:
    assert table(["a", "b", "c"], [["x", 1.23456, None], ["y", 123.456, 7]]).splitlines() == [
        "| a | b | c |",
        "|---|---|---|",
        "| x | 1.23 | - |",
        "| y | 123.5 | 7 |",
    ]


@pytest.mark.parametrize("path, kind", [
    ("/apis/kubeshowcase.io/v1alpha1/namespaces/ksc/pipelineruns/run-1/status",
     "pipelineruns/status"),
    ("/apis/kubeshowcase.io/v1alpha1/namespaces/ksc/pipelineruns", "pipelineruns"),
    ("/apis/batch/v1/namespaces/ksc/jobs", "jobs"),
    ("/api/v1/namespaces/ksc/events", "events"),
    ("/apis/coordination.k8s.io/v1/namespaces/ksc/leases/operator", "leases"),
    ("/api/v1/namespaces", "namespaces"),
    ("/api/v1/namespaces/ksc", "namespaces"),
    ("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/x.io",
     "customresourcedefinitions"),
    ("/healthz", "/healthz"),
])
def test_kind_of_names_the_resource_written(path: str, kind: str) -> None:
    assert kind_of(path) == kind
