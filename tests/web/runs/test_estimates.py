"""A queued run's start estimate on the queue page and its run page; "unknown" without history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from kubeshowcase_operator.queuemap import configmap_body, queue_payload
from runs.estimates import describe
from runs.models import RunRecord
from runs.queueorder import apply_queue_event
from tests.web.conftest import Actor
from tests.web.runs.conftest import Cluster
from tests.web.runs.test_queue import rows

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


def estimate(start50: float, start90: float, finish50: float, finish90: float,
             now: datetime = NOW) -> dict[str, object]:
    """An estimate as the operator writes it, times in minutes from now."""
    def at(minutes: float) -> str:
        return (now + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"startP50": at(start50), "startP90": at(start90), "finishP50": at(finish50),
            "finishP90": at(finish90), "basis": 12}


WORDS = [
    (estimate(5, 12, 20, 35), "in 5–12 min",
     "Expected to start in about 5 min (likely within 12 min), to finish in 20–35 min."),
    (estimate(0, 0, 3, 7), "now", "Expected to start now, to finish in 3–7 min."),
    (estimate(5, 5.2, 9, 9.1), "in about 5 min",
     "Expected to start in about 5 min (likely within 5 min), to finish in about 9 min."),
    (estimate(50, 150, 200, 400), "in 50 min–2 h",
     "Expected to start in about 50 min (likely within 2 h), to finish in 3–7 h."),
    (estimate(-3, 2, 10, 20), "in 1–2 min",  # overdue p50: "at least a minute"
     "Expected to start in about 1 min (likely within 2 min), to finish in 10–20 min."),
    (estimate(3000, 4000, 5000, 6000), "in 2–3 d",
     "Expected to start in about 2 d (likely within 3 d), to finish in 3–4 d."),
    ({"unknown": "no finished runs of pipeline nuclei yet"}, "unknown",
     "Expected start: unknown — no finished runs of pipeline nuclei yet."),
]


@pytest.mark.parametrize(("shown", "cell", "sentence"), WORDS)
def test_estimates_read_as_words(shown: dict[str, object], cell: str, sentence: str) -> None:
    words = describe(shown, NOW)
    assert words is not None
    assert (words.cell, words.sentence) == (cell, sentence)


@pytest.mark.parametrize("shown", [None, {}, [], "soon", {"startP50": "x"},
                                   {"startP50": 5, "startP90": 6}])
def test_no_estimate_or_an_unreadable_one_has_no_words(shown: object) -> None:
    assert describe(shown, NOW) is None


def fill(cluster: Cluster, now: datetime) -> None:
    cluster.create_run("bob", "elsewhere", name="q0-running")
    cluster.set_status("q0-running", phase="Running", jobName="q0-running-job")
    cluster.create_run("alice", "cells", name="q1-known")
    cluster.set_status("q1-known", phase="Queued", queuePosition=1)
    cluster.create_run("alice", "more", name="q2-unknown")
    cluster.set_status("q2-unknown", phase="Queued", queuePosition=2)
    cluster.create_run("alice", "other", name="q3-beyond")
    cluster.set_status("q3-beyond", phase="Queued")
    publish(["q1-known", "q2-unknown", "q3-beyond"], {
        "q1-known": estimate(5, 12, 20, 35, now),
        "q2-unknown": {"unknown": "no finished runs of pipeline nuclei yet"}})


def publish(order: list[str], estimates: dict[str, object]) -> None:
    """The operator's queue ConfigMap (its own functions) as the watcher receives it."""
    apply_queue_event("MODIFIED", configmap_body("kubeshowcase", queue_payload(order, estimates)))


def starts(response) -> list[str]:  # noqa: ANN001
    html = response.content.decode()
    assert "<th scope=\"col\">Starts (p50–p90)</th>" in html
    cells = []
    for row in html.split("<tr data-run=")[1:]:
        cells.append(row.split('<td class="starts">', 1)[1].split("</td>", 1)[0])
    return cells


def test_the_queue_page_shows_each_queued_runs_start_band(alice: Actor, cluster: Cluster) -> None:
    now = datetime.now(UTC)
    fill(cluster, now)
    response = alice.client.get(reverse("runs-queue"))
    assert [row[0] for row in rows(response)] == ["running", "1", "2", "3"]
    assert starts(response) == ["", "in 5–12 min", "unknown", "—"]


def test_the_run_page_says_when_a_queued_run_is_expected_to_start(
        alice: Actor, cluster: Cluster) -> None:
    now = datetime.now(UTC)
    fill(cluster, now)
    known = alice.client.get(reverse("runs-detail", args=["q1-known"])).content.decode()
    unknown = alice.client.get(reverse("runs-status", args=["q2-unknown"])).content.decode()
    beyond = alice.client.get(reverse("runs-detail", args=["q3-beyond"])).content.decode()
    assert ('<dd id="run-estimate">Expected to start in about 5 min (likely within 12 min), '
            "to finish in 20–35 min.</dd>") in known
    assert ('<dd id="run-estimate">Expected start: unknown — no finished runs of pipeline '
            "nuclei yet.</dd>") in unknown
    assert 'id="run-estimate"' not in beyond


def test_the_estimate_leaves_the_archive_once_the_run_starts(cluster: Cluster) -> None:
    cluster.create_run("alice", "cells", name="q1")
    cluster.set_status("q1", phase="Queued", queuePosition=1)
    publish(["q1"], {"q1": estimate(1, 2, 3, 4)})
    assert RunRecord.objects.get(name="q1").estimate == estimate(1, 2, 3, 4)
    # Before the operator publishes again, the run's start ends its estimate.
    cluster.set_status("q1", phase="Running", jobName="q1-job", queuePosition=None)
    assert RunRecord.objects.get(name="q1").estimate is None

