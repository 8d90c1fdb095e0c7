"""The soak's verdicts, as pure functions of what happened: each run's plan and final state,
the cancels sent, and the double's own record of pipeline processes and Jobs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from bench.soak_plan import RunPlan
from kubedouble.lifetimes import Created, Lifetime
from tests.fixtures.operator import max_overlap

FINAL = frozenset({"Succeeded", "Failed", "Cancelled"})


def allowed_phases(plan: RunPlan, cancel_sent: bool, processes: list[Lifetime]) -> frozenset[str]:
    """What a run may end as.

    Uncancelled: what its pipeline earns (exit 0 Succeeded, else Failed). Cancelled: Cancelled;
    or what its pipeline earned if its process ended by itself (the exit code it was told, no
    signal) — the pipeline finished before the cancel landed. A process the kubelet killed
    makes only Cancelled right."""
    if not cancel_sent:
        return frozenset({plan.natural_phase})
    if any(process.exit_code == plan.exit for process in processes):
        return frozenset({"Cancelled", plan.natural_phase})
    return frozenset({"Cancelled"})


@dataclass(frozen=True)
class Verdict:
    name: str
    phase: str | None
    allowed: frozenset[str]
    jobs: int  # Jobs created with this run as owner (by uid)
    processes: int  # pipeline processes the kubelet started for it

    @property
    def lost(self) -> bool:
        return self.phase not in FINAL

    @property
    def wrong(self) -> bool:
        return not self.lost and self.phase not in self.allowed

    @property
    def doubled(self) -> bool:
        """More than one Job, or its pipeline ran more than once (backoffLimit is 0)."""
        return self.jobs > 1 or self.processes > 1

    @property
    def succeeded_without_one_job(self) -> bool:
        return self.phase == "Succeeded" and self.jobs != 1


def verdicts(plans: list[RunPlan], phases: dict[str, str | None], uids: dict[str, str],
             cancels: set[str], processes: dict[str, list[Lifetime]],
             jobs: list[Created]) -> list[Verdict]:
    jobs_by_owner: dict[str, int] = defaultdict(int)
    for job in jobs:
        for owner in job.owner_uids:
            jobs_by_owner[owner] += 1
    found = []
    for plan in plans:
        ran = processes.get(plan.name, [])
        found.append(Verdict(plan.name, phases.get(plan.name),
                             allowed_phases(plan, plan.name in cancels, ran),
                             jobs_by_owner.get(uids.get(plan.name, ""), 0), len(ran)))
    return found


def crowded_starts(spans: list[Lifetime], limit: int) -> list[tuple[Lifetime, list[Lifetime]]]:
    """Each process that started while `limit` others were alive, with those others (reaping
    is the end; an unreaped process is alive for good)."""
    crowded = []
    for span in spans:
        alive = [other for other in spans if other is not span and other.start <= span.start
                 and (other.end is None or other.end > span.start)]
        if len(alive) >= limit:
            crowded.append((span, alive))
    return crowded


def run_of(record: Lifetime) -> str:
    return record.labels.get("kubeshowcase.io/run", record.pod)


def only_beside_cancelled(crowded: list[tuple[Lifetime, list[Lifetime]]], cancels: set[str],
                          limit: int) -> int:
    """How many of the crowded starts would not be, without the processes of runs already
    cancelled: the slot was given again while a cancelled run's pipeline still lived."""
    return sum(1 for _, alive in crowded
               if len([other for other in alive if run_of(other) not in cancels]) < limit)


def describe_crowding(span: Lifetime, alive: list[Lifetime], origin: float) -> str:
    def life(record: Lifetime) -> str:
        end = f"{record.end - origin:.2f}" if record.end is not None else "never reaped"
        return f"{run_of(record)} {record.start - origin:.2f}..{end}s exit {record.exit_code}"
    return f"{life(span)} started while alive: " + "; ".join(life(other) for other in alive)


@dataclass(frozen=True)
class Crowding:
    most_alive: int  # the most pipeline processes alive at one moment
    crowded_starts: list[tuple[Lifetime, list[Lifetime]]]  # started with `limit` alive
    most_in_one_folder: int  # the most alive at once in one project folder
    shared_folder_starts: list[tuple[Lifetime, list[Lifetime]]]  # beside another in its folder


def crowding(spans: Iterable[Lifetime], limit: int) -> Crowding:
    spans = list(spans)
    by_folder: dict[str, list[Lifetime]] = defaultdict(list)
    for span in spans:
        by_folder[span.cwd].append(span)
    return Crowding(
        most_alive=max_overlap(spans) if spans else 0,
        crowded_starts=crowded_starts(spans, limit),
        most_in_one_folder=max((max_overlap(group) for group in by_folder.values()), default=0),
        shared_folder_starts=[crowded for group in by_folder.values()
                              for crowded in crowded_starts(group, 1)])
