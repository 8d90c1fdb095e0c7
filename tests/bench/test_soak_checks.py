"""The soak's verdicts and plan, as plain functions: what a run may end as, what counts as
lost, wrong or doubled, how crowding is measured from the double's process record."""

from __future__ import annotations

import random

from bench.soak_checks import allowed_phases, crowding, only_beside_cancelled, verdicts
from bench.soak_driver import PhaseFigures
from bench.soak_plan import FAULT_KINDS, Mix, RunPlan, draw_fault, kill_points, plan_runs
from kubedouble.lifetimes import Created, Lifetime


def plan(name: str = "r", exit: int = 0, cancel_after: float | None = None) -> RunPlan:
    return RunPlan(name, "soak/p0", 1.5, exit, cancel_after, False)


def life(run: str, start: float, end: float | None, exit_code: int | None = 0,
         cwd: str = "/data/soak/p0") -> Lifetime:
    return Lifetime("ns", f"{run}-pod", f"{run}-uid", "pipeline",
                    {"kubeshowcase.io/run": run}, 1, cwd, start, start, end, end,
                    exit_code)


def test_an_uncancelled_run_must_end_as_its_pipeline_earned():
    assert allowed_phases(plan(exit=0), False, [life("r", 0, 1)]) == {"Succeeded"}
    assert allowed_phases(plan(exit=3), False, [life("r", 0, 1, 3)]) == {"Failed"}


def test_a_cancelled_run_may_keep_its_outcome_only_if_its_pipeline_ended_by_itself():
    cancelled = plan(exit=3, cancel_after=0.5)
    assert allowed_phases(cancelled, True, [life("r", 0, 1, 3)]) == {"Cancelled", "Failed"}
    assert allowed_phases(cancelled, True, [life("r", 0, 1, -15)]) == {"Cancelled"}
    assert allowed_phases(cancelled, True, [life("r", 0, None, None)]) == {"Cancelled"}
    assert allowed_phases(cancelled, True, []) == {"Cancelled"}
    # Planned but never sent (the run was over first): judged as uncancelled.
    assert allowed_phases(cancelled, False, [life("r", 0, 1, 3)]) == {"Failed"}


def test_verdicts_count_jobs_by_owner_uid_and_processes_by_run():
    plans = [plan("a"), plan("b"), plan("c", exit=1), plan("d")]
    jobs = [Created("a", "ns", "j1", ("uid-a",), {}, 0.0),
            Created("b", "ns", "j2", ("uid-b",), {}, 0.0),
            Created("b", "ns", "j3", ("uid-b",), {}, 1.0),  # a second Job for b
            Created("x", "ns", "j4", ("uid-old-a",), {}, 0.0)]  # a namesake's, not a's
    found = {v.name: v for v in verdicts(
        plans, {"a": "Succeeded", "b": "Succeeded", "c": "Succeeded", "d": "Running"},
        {"a": "uid-a", "b": "uid-b", "c": "uid-c", "d": "uid-d"}, set(),
        {"a": [life("a", 0, 1)], "c": [life("c", 1, 2, 1), life("c", 3, 4, 1)]}, jobs)}
    assert (found["a"].jobs, found["a"].doubled, found["a"].wrong) == (1, False, False)
    assert found["b"].doubled and found["b"].succeeded_without_one_job
    assert found["c"].wrong and found["c"].doubled and found["c"].succeeded_without_one_job
    assert found["d"].lost and not found["d"].wrong


def test_crowding_counts_grace_periods_and_unreaped_processes_as_alive():
    spans = [life("a", 0, 2), life("b", 1, 3, cwd="/data/soak/p1"), life("c", 3, 4),
             life("d", 5, None, None), life("e", 6, 7, cwd="/data/soak/p1")]
    crowd = crowding(spans, 1)
    assert crowd.most_alive == 2  # a with b, d with e; c starts as b ends (no overlap)
    assert [span.labels["kubeshowcase.io/run"] for span, _ in crowd.crowded_starts] == ["b", "e"]
    assert crowd.most_in_one_folder == 1 and crowd.shared_folder_starts == []
    assert crowding(spans, 2).crowded_starts == []
    assert crowding([life("a", 0, 2), life("b", 1, 3)], 2).most_in_one_folder == 2


def test_the_plan_is_the_seeds_and_cancels_land_while_pipelines_run():
    first = plan_runs(random.Random(8), "l1", 200, Mix())
    assert first == plan_runs(random.Random(8), "l1", 200, Mix())
    assert first != plan_runs(random.Random(9), "l1", 200, Mix())
    cancelled = [p for p in first if p.cancel_after is not None]
    assert cancelled and all(p.sleep >= 1.5 and 0 < p.cancel_after < p.sleep for p in cancelled)
    assert any(p.exit for p in first) and any(p.ignore_term for p in cancelled)
    assert not any(p.ignore_term for p in first if p.cancel_after is None)
    assert len({p.project for p in first}) == Mix().projects
    points = kill_points(random.Random(8), 200, 12)
    assert len(points) == 12 and points == sorted(points) and max(points) < 160


def test_every_kind_of_fault_is_drawn_and_each_is_used_up():
    rules = [draw_fault(random.Random(seed), (1.0, 2.0)) for seed in range(200)]
    kinds = {"500" if r.status == 500 else "429" if r.status == 429 else
             "latency" if r.delay_seconds else "answer held" if r.answer_delay_seconds else
             "watch 410" if r.expire_watch else
             "watch dropped" for r in rules}
    assert kinds == set(FAULT_KINDS)
    assert all(rule.times for rule in rules)
    assert all(rule.retry_after for rule in rules if rule.status == 429)


def test_a_phase_names_each_broken_invariant_with_its_figures():
    assert PhaseFigures(limit=1, runs=10).problems() == []
    broken = PhaseFigures(limit=1, runs=10, lost=1, doubled=2, most_alive=2, crowded_starts=1,
                          most_in_one_folder=2, shared_folder_starts=1)
    assert broken.problems() == [
        "limit 1: 1 run(s) not final",
        "limit 1: 2 run(s) with more than one Job or pipeline process",
        "limit 1: 2 pipeline processes alive at once (limit 1; 1 started over it, 0 only "
        "beside cancelled runs' ones)",
        "limit 1: 2 pipeline processes at once in one project folder (1 started beside "
        "another, 0 only beside cancelled runs' ones)"]


def test_crowding_beside_cancelled_runs_only_is_told_apart():
    spans = [life("a", 0, 5), life("b", 1, 5), life("c", 2, 3)]
    crowded = crowding(spans, 2).crowded_starts  # c started with a and b alive
    assert only_beside_cancelled(crowded, {"a"}, 2) == 1  # without a, c had room
    assert only_beside_cancelled(crowded, set(), 2) == 0
    assert only_beside_cancelled(crowding(spans, 1).crowded_starts, {"a"}, 1) == 1  # b, not c
