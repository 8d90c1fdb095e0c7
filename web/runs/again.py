"""Run again: a finished (or any) run's parameters as the run form's starting values.

The form is the Pipeline's as it is now. When the Pipeline changed since the run was submitted
(its generation then, status.pipelineGeneration, against the archive's now), the page says so;
parameters the form no longer has are named and left out, never sent silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Again:
    values: dict[str, Any]  # the run's parameters the current form has
    notice: str  # what changed since the run, "" when nothing did


def again(run_name: str, parameters: dict[str, Any], run_generation: int | None,
          pipeline: str, generation_now: int | None, schema: dict[str, Any]) -> Again:
    properties = schema.get("properties") or {}
    values = {name: value for name, value in parameters.items() if name in properties}
    dropped = sorted(name for name in parameters if name not in properties)
    notes = []
    if run_generation is not None and generation_now is not None and \
            run_generation != generation_now:
        notes.append(f"The form of “{pipeline}” has changed since {run_name} was started "
                     f"(generation {run_generation}, now {generation_now}): check the values "
                     "before you start.")
    if dropped:
        notes.append(f"Not in the form any more, so left out: {', '.join(dropped)}.")
    return Again(values=values, notice=" ".join(notes))
