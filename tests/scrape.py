"""Scraping a real /metrics endpoint and reading it with Prometheus' official parser.

    families = scrape(f"http://127.0.0.1:{port}/metrics")
    value(families, "kubeshowcase_operator_leader")            # 1.0
    value(families, "..._dispatch_latency_seconds_count", pipeline="test")
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from tests.demo.stack import free_port  # noqa: F401  (one way to find a port)
from tests.waiting import wait_until


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def status_of(url: str, host: str = "localhost") -> int:
    """The status of one GET of url, a redirect not followed (Host: `host`)."""
    request = urllib.request.Request(url, headers={"Host": host})
    try:
        with urllib.request.build_opener(_NoRedirect).open(request, timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def scrape_text(url: str, timeout: float = 5.0) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as answer:
        return answer.read().decode()


def scrape(url: str, timeout: float = 5.0) -> dict[str, list[Sample]]:
    """Every sample of the answer, by sample name (a histogram's `_count` is its own key)."""
    text = scrape_text(url, timeout)
    samples: dict[str, list[Sample]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append(sample)
    return samples


def value(samples: dict[str, list[Sample]], name: str, **labels: str) -> float | None:
    """The sample `name` whose labels include `labels`; None if there is none. More than one
    match is summed (e.g. a counter asked for by some of its labels)."""
    found = [s.value for s in samples.get(name, ())
             if all(s.labels.get(key) == wanted for key, wanted in labels.items())]
    return sum(found) if found else None


def wait_for(url: str, predicate: Callable[[dict[str, list[Sample]]], bool],
             timeout: float = 30.0, what: str = "") -> dict[str, list[Sample]]:
    """Scrape until `predicate(samples)` holds; returns that scrape."""
    def check() -> dict[str, list[Sample]] | None:
        try:
            samples = scrape(url)
        except OSError:
            return None
        return samples if predicate(samples) else None
    return wait_until(check, timeout, f"{what or 'samples'} at {url}")


def wait_for_value(url: str, name: str, predicate: Callable[[float | None], bool],
                   timeout: float = 30.0, **labels: str) -> dict[str, list[Sample]]:
    """Scrape until the sample `name` with `labels` satisfies `predicate(value)`."""
    return wait_for(url, lambda samples: predicate(value(samples, name, **labels)), timeout,
                    f"{name}{labels or ''}")
