"""Run-start estimates: honest bands against simulated histories, and the unknown cases."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest

from bench.queue_replay import Arrival, lognormal, longer_than, replay
from kubeshowcase_operator.estimates import (
    Running,
    Waiting,
    draws_for,
    estimate_entries,
    estimate_moved,
)
from kubeshowcase_operator.views import parse_time

NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)
TRUTH = {"segment": lognormal(300, 0.4), "track": lognormal(900, 0.7)}


def seconds_from_now(value: str) -> float:
    moment = parse_time(value)
    assert moment is not None
    return (moment - NOW).total_seconds()


def one_history(rng: random.Random, slots: int, queued: int
                ) -> tuple[list[tuple[float, float, float, float]], list[tuple[float, float]]]:
    """One simulated situation, estimated and then played out with the true durations:
    (start p50, start p90, finish p50, finish p90) and (true start, true finish) per run."""
    samples = {name: [truth(rng) for _ in range(50)] for name, truth in TRUTH.items()}
    pipelines = list(TRUTH)
    running, busy_until = [], []
    for _ in range(rng.randint(0, slots)):
        pipeline = rng.choice(pipelines)
        elapsed = rng.uniform(0, 600)
        running.append(Running(pipeline, NOW - timedelta(seconds=elapsed)))
        busy_until.append(longer_than(TRUTH[pipeline], rng, elapsed) - elapsed)
    waiting = [Waiting(f"run-{n}", rng.choice(pipelines)) for n in range(queued)]
    entries = estimate_entries(NOW, slots, running, waiting, samples)
    truth = replay([Arrival(run.name, run.pipeline, 0.0, TRUTH[run.pipeline](rng))
                    for run in waiting], slots, busy_until)
    bands = [tuple(seconds_from_now(entries[run.name][key])
                   for key in ("startP50", "startP90", "finishP50", "finishP90"))
             for run in waiting]
    return bands, [(truth[run.name].start, truth[run.name].finish) for run in waiting]


@pytest.mark.parametrize("slots", [1, 2, 4])
def test_true_starts_fall_under_p50_half_the_time_and_under_p90_nine_times_in_ten(
        slots: int) -> None:
    rng = random.Random(1000 + slots)
    under = {"startP50": 0, "startP90": 0, "finishP50": 0, "finishP90": 0}
    waited = 0
    for _ in range(150):
        bands, truths = one_history(rng, slots, queued=6)
        for (start50, start90, finish50, finish90), (start, finish) in zip(bands, truths):
            if start == 0 and start90 == 0:
                continue  # a free slot: "now" is trivially right, and says nothing
            waited += 1
            under["startP50"] += start <= start50 + 1  # + 1: times are whole seconds
            under["startP90"] += start <= start90 + 1
            under["finishP50"] += finish <= finish50 + 1
            under["finishP90"] += finish <= finish90 + 1
    share = {key: count / waited for key, count in under.items()}
    assert waited > 500
    assert 0.42 <= share["startP50"] <= 0.58, share
    assert 0.85 <= share["startP90"] <= 0.95, share
    assert 0.42 <= share["finishP50"] <= 0.58, share
    assert 0.85 <= share["finishP90"] <= 0.95, share


def test_the_band_is_ordered_and_grows_down_the_queue() -> None:
    samples = {"segment": [300.0, 320.0, 400.0, 600.0]}
    waiting = [Waiting(f"run-{n}", "segment") for n in range(5)]
    entries = estimate_entries(NOW, 1, [Running("segment", NOW)], waiting, samples)
    starts = [seconds_from_now(entries[run.name]["startP50"]) for run in waiting]
    assert starts == sorted(starts) and starts[0] >= 300 and starts[-1] >= 5 * 300
    for run in waiting:
        entry = entries[run.name]
        assert entry["basis"] == 4
        assert (seconds_from_now(entry["startP50"]) <= seconds_from_now(entry["startP90"])
                <= seconds_from_now(entry["finishP90"]))
        assert seconds_from_now(entry["startP50"]) < seconds_from_now(entry["finishP50"])


def test_the_same_picture_gives_the_same_estimate() -> None:
    samples = {"segment": [100.0, 200.0, 900.0]}
    waiting = [Waiting("a", "segment"), Waiting("b", "segment")]
    running = [Running("segment", NOW - timedelta(seconds=50))]
    assert (estimate_entries(NOW, 1, running, waiting, samples)
            == estimate_entries(NOW, 1, running, waiting, samples))


UNKNOWN_CASES = [
    # (slots, running pipelines, queued pipelines, samples' pipelines, expected per run)
    (1, [], [], ["segment"], []),
    (1, [], ["segment"], ["segment"], ["known"]),
    (1, [], ["new"], ["segment"], ["no finished runs of pipeline new yet"]),
    (2, [], ["segment", "new", "segment"], ["segment"],
     ["known", "no finished runs of pipeline new yet",
      "it waits behind q1, a run of pipeline new, which has no finished runs yet"]),
    (2, ["new"], ["segment"], ["segment"],
     ["a running run of pipeline new has no finished runs to go by yet"]),
    (1, [], ["segment", "new", "new"], ["segment"],
     ["known", "no finished runs of pipeline new yet",
      "it waits behind q1, a run of pipeline new, which has no finished runs yet"]),
]


@pytest.mark.parametrize(("slots", "running", "queued", "known", "expected"), UNKNOWN_CASES)
def test_runs_without_history_and_those_behind_them_are_unknown(
        slots: int, running: list[str], queued: list[str], known: list[str],
        expected: list[str]) -> None:
    samples = {name: [60.0, 120.0] for name in known}
    samples["empty"] = []
    entries = estimate_entries(NOW, slots, [Running(p, NOW) for p in running],
                               [Waiting(f"q{n}", p) for n, p in enumerate(queued)], samples)
    assert list(entries) == [f"q{n}" for n in range(len(queued))]
    shown = ["known" if "startP50" in entry else entry["unknown"] for entry in entries.values()]
    assert shown == expected


def test_an_empty_sample_list_counts_as_no_history() -> None:
    entries = estimate_entries(NOW, 1, [], [Waiting("q", "empty")], {"empty": []})
    assert entries == {"q": {"unknown": "no finished runs of pipeline empty yet"}}


def test_a_free_slot_means_now_and_one_run_of_history_its_duration() -> None:
    entries = estimate_entries(NOW, 3, [Running("segment", NOW)],
                               [Waiting("q", "segment")], {"segment": [600.0]})
    assert entries == {"q": {"startP50": "2026-01-01T12:00:00Z",
                             "startP90": "2026-01-01T12:00:00Z",
                             "finishP50": "2026-01-01T12:10:00Z",
                             "finishP90": "2026-01-01T12:10:00Z", "basis": 1}}


def test_a_run_going_longer_than_every_recorded_one_is_due_now() -> None:
    entries = estimate_entries(NOW, 1, [Running("segment", NOW - timedelta(hours=2))],
                               [Waiting("q", "segment")], {"segment": [600.0]})
    assert entries["q"]["startP50"] == "2026-01-01T12:00:00Z"


def test_more_runs_going_than_slots_wait_for_enough_of_them_to_end() -> None:
    running = [Running("segment", NOW) for _ in range(3)]
    entries = estimate_entries(NOW, 1, running, [Waiting("q", "segment")],
                               {"segment": [600.0]})
    assert entries["q"]["startP50"] == "2026-01-01T12:10:00Z"  # all three end at 10 min


def test_long_queues_get_fewer_draws_but_never_too_few() -> None:
    assert draws_for(1) == 200
    assert draws_for(1000) == 100
    assert draws_for(100_000) == 50


def at(minutes: float) -> str:
    return (NOW + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def band(start: float, finish: float, basis: int = 5) -> dict[str, object]:
    return {"startP50": at(start), "startP90": at(start * 2), "finishP50": at(finish),
            "finishP90": at(finish * 2), "basis": basis}


MOVES = [
    (None, None, False),
    (None, band(5, 10), True),
    (band(5, 10), None, True),
    (band(5, 10), band(5, 10), False),
    (band(5, 10), band(5.5, 10), False),  # 30 s: under a minute
    (band(5, 10), band(6.5, 10), True),  # 90 s: over a minute and 10 % of 6.5 min
    (band(300, 400), band(310, 400), False),  # 10 min, but under 10 % of 5 hours
    (band(300, 400), band(340, 400), True),
    (band(5, 10), band(5, 10, basis=6), True),
    (band(5, 10), {"unknown": "no finished runs of pipeline x yet"}, True),
    ({"unknown": "a"}, {"unknown": "a"}, False),
    ({"unknown": "a"}, {"unknown": "b"}, True),
    ({"startP50": "garbage"}, band(5, 10), True),
]


@pytest.mark.parametrize(("shown", "wanted", "moved"), MOVES)
def test_an_estimate_is_rewritten_only_when_it_moved_enough(
        shown: dict[str, object] | None, wanted: dict[str, object] | None, moved: bool) -> None:
    assert estimate_moved(shown, wanted, NOW) is moved
