"""What the web app records of a run when it submits it: the Pipeline then, the inputs matched.

The run's archive row gets the Pipeline's spec and generation as the run form read them
(PipelineRecord) and the project's inputs manifest (runs.inputs), made just before the run is
created, while nothing of the run can have touched the project yet. The watcher never writes
these columns (runs.archive maps only the object), so they stay as submitted.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from projects.lookup import Project
from runs import inputs
from runs.models import RunRecord


@dataclass(frozen=True)
class Submission:
    spec: dict[str, Any]
    generation: int | None
    inputs: list[dict[str, Any]]
    inputs_complete: bool


def bounds() -> inputs.Bounds:
    return inputs.Bounds(max_files=settings.RUN_INPUTS_MAX_FILES,
                         hash_file_max=settings.RUN_INPUTS_HASH_FILE_MAX,
                         hash_budget=settings.RUN_INPUTS_HASH_BUDGET)


def observe(pipeline: dict[str, Any], project: Project) -> Submission:
    """The Pipeline (in the shape newrun.pipeline_object gives) and the project's inputs now."""
    spec = dict(pipeline.get("spec") or {})
    generation = (pipeline.get("metadata") or {}).get("generation")
    with project.open() as folder:
        manifest = inputs.collect(folder, spec, bounds())
    return Submission(spec=spec, generation=generation if isinstance(generation, int) else None,
                      inputs=manifest.files, inputs_complete=manifest.complete)


def record(uid: str, submission: Submission) -> None:
    """Write the submission's columns on the run's row (made by runs.archive.upsert just before)."""
    RunRecord.objects.filter(uid=uuid.UUID(uid)).update(
        submitted_spec=submission.spec, submitted_generation=submission.generation,
        inputs=submission.inputs, inputs_complete=submission.inputs_complete)


def shown(record: RunRecord) -> dict[str, Any]:
    """The run page's Provenance section (a finished run's): what was recorded, as text."""
    spec = record.submitted_spec
    return {
        "generation": record.submitted_generation if record.submitted_generation is not None
        else record.pipeline_generation,
        "spec_json": json.dumps(spec, indent=2, sort_keys=True) if spec is not None else "",
        "parameters_json": json.dumps(record.parameters or {}, indent=2, sort_keys=True),
        "inputs": inputs.recorded_files(record.inputs or []),
        "inputs_complete": record.inputs_complete,
        "outputs": [item for item in record.outputs or [] if isinstance(item, dict)],
        "outputs_complete": record.outputs_complete,
    }
