"""A finished run as a Workflow Run RO-Crate: its ro-crate-metadata.json, built with `rocrate`.

Profile: Workflow Run Crate 0.5 (https://w3id.org/ro/wfrun/workflow/0.5, which extends Process
Run Crate 0.5 and Workflow RO-Crate 1.0, on RO-Crate 1.1). What it holds:

- the root Dataset conformsTo both run profiles, mentions the CreateAction, mainEntity is the
  workflow: pipeline.json, the Pipeline's spec as the run was submitted with it (else as it is
  now), typed File + SoftwareSourceCode + ComputationalWorkflow, with one FormalParameter per
  parameter as its `input`;
- the CreateAction (the run): instrument the workflow, object the inputs (a PropertyValue per
  parameter, exampleOfWork its FormalParameter, and the project's input files recorded at
  submission, by fragment id: they are named and checksummed, not shipped), result the outputs,
  startTime/endTime, actionStatus (Completed / Failed, with `error`), agent the owner, and
  containerImage (the digest the pod ran, a ContainerImage);
- each output the zip holds as a File (contentSize, sha256 as the operator recorded them); an
  output that changed since the run is named by fragment id with why it is left out;
- the saved log as a File `about` the action.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from rocrate.model.computerlanguage import ComputerLanguage
from rocrate.model.contextentity import ContextEntity
from rocrate.rocrate import ROCrate

from runs.inputs import recorded_files
from runs.models import RunRecord

CRATE_VERSION = "1.1"  # Workflow Run Crate 0.5 builds on RO-Crate 1.1 / Workflow RO-Crate 1.0
PROFILES = {
    "https://w3id.org/ro/wfrun/process/0.5": "Process Run Crate",
    "https://w3id.org/ro/wfrun/workflow/0.5": "Workflow Run Crate",
}
WFRUN_CONTEXT = "https://w3id.org/ro/terms/workflow-run"
DOCKER_IMAGE = "https://w3id.org/ro/terms/workflow-run#DockerImage"
WORKFLOW_FILE = "pipeline.json"
LANGUAGE_ID = "#kubeshowcase-pipeline"
STATUS = {"Succeeded": "http://schema.org/CompletedActionStatus",
          "Failed": "http://schema.org/FailedActionStatus",
          "Cancelled": "http://schema.org/FailedActionStatus"}
TYPES = {bool: "Boolean", int: "Integer", float: "Float", str: "Text"}


@dataclass(frozen=True)
class Shipped:
    """A file the zip holds, below the project folder (paths as the manifest has them)."""

    path: str
    size: int
    sha256: str | None = None


@dataclass(frozen=True)
class LeftOut:
    path: str
    why: str  # for people: "replaced by run x", "changed since the run", "deleted since the run"


def workflow_spec(run: RunRecord, spec_now: dict[str, Any] | None) -> dict[str, Any]:
    return run.submitted_spec if run.submitted_spec is not None else dict(spec_now or {})


def workflow_bytes(run: RunRecord, spec_now: dict[str, Any] | None) -> bytes:
    body = {"pipeline": run.pipeline, "generation": _generation(run),
            "spec": workflow_spec(run, spec_now)}
    return json.dumps(body, indent=2, sort_keys=True).encode()


def _generation(run: RunRecord) -> int | None:
    return run.submitted_generation if run.submitted_generation is not None \
        else run.pipeline_generation


def metadata(run: RunRecord, spec_now: dict[str, Any] | None, outputs: list[Shipped],
             left_out: list[LeftOut], log: Shipped | None) -> dict[str, Any]:
    """The run's ro-crate-metadata.json (as a dict), for the files the zip really holds."""
    crate = ROCrate(version=CRATE_VERSION)
    crate.metadata.extra_contexts.append(f"{WFRUN_CONTEXT}/context")
    root = crate.root_dataset
    root["name"] = f"Run {run.name} of {run.pipeline}"
    root["description"] = (f"Provenance of run {run.name} of the pipeline {run.pipeline} on "
                           f"{run.project_path}, exported by kubeshowcase.")
    if run.finished_at is not None:
        root["datePublished"] = run.finished_at.isoformat()
    for profile, name in PROFILES.items():
        root.append_to("conformsTo", crate.add(ContextEntity(crate, profile, properties={
            "@type": "CreativeWork", "name": name, "version": "0.5"})))

    language = crate.add(ComputerLanguage(crate, LANGUAGE_ID, properties={
        "name": "kubeshowcase Pipeline", "alternateName": "Pipeline",
        "identifier": "kubeshowcase.io/v1alpha1", "version": "v1alpha1"}))
    workflow = crate.add_workflow(dest_path=WORKFLOW_FILE, main=True, lang=language, properties={
        "name": run.pipeline,
        "description": "The Pipeline's spec as the run was submitted with it.",
        "encodingFormat": "application/json",
        **({"version": str(_generation(run))} if _generation(run) is not None else {})})

    objects = [*_parameters(crate, workflow, run), *_inputs(crate, run)]
    results = [_output(crate, item) for item in outputs] + [
        _left_out(crate, item) for item in left_out]
    properties: dict[str, Any] = {
        "@type": "CreateAction",
        "name": f"Run {run.name} of {run.pipeline}",
        "actionStatus": {"@id": STATUS.get(run.phase, STATUS["Failed"])},
    }
    if run.started_at is not None:
        properties["startTime"] = run.started_at.isoformat()
    if run.finished_at is not None:
        properties["endTime"] = run.finished_at.isoformat()
    if run.phase != "Succeeded":
        properties["error"] = run.message or run.reason or run.phase
    if run.exit_code is not None:
        properties["exitCode"] = run.exit_code  # Process Run Crate 0.5's term
    if run.node_name:
        properties["description"] = f"Ran in a pod on the Kubernetes node {run.node_name}."
    action = crate.add_action(workflow, identifier=f"#run-{run.uid}", object=objects,
                              result=results, properties=properties)
    action["agent"] = crate.add(ContextEntity(crate, f"#owner-{run.owner}", properties={
        "@type": "Person", "name": run.owner}))
    if run.image_id:
        action["containerImage"] = crate.add(_image(crate, run.image_id))
    if log is not None:
        crate.add_file(dest_path=log.path, properties={
            "name": "The run's log", "encodingFormat": "text/plain",
            "contentSize": str(log.size), "about": {"@id": action.id}})
    root["mentions"] = [action]
    return crate.metadata.generate()


def _parameters(crate: ROCrate, workflow: Any, run: RunRecord) -> list[Any]:
    values = []
    for name, value in sorted((run.parameters or {}).items()):
        formal = crate.add_formal_parameter(
            name, TYPES.get(type(value), "Text"), identifier=f"#param-{name}")
        workflow.append_to("input", formal)
        shown = value if isinstance(value, (str, int, float, bool)) else json.dumps(value)
        values.append(crate.add(ContextEntity(crate, f"#value-{name}", properties={
            "@type": "PropertyValue", "name": name, "value": shown,
            "exampleOfWork": {"@id": formal.id}})))
    return values


def _inputs(crate: ROCrate, run: RunRecord) -> list[Any]:
    found = []
    for item in recorded_files(run.inputs or []):
        properties: dict[str, Any] = {"@type": "File", "name": item["path"]}
        if "skipped" in item:
            properties["description"] = f"Not an input: {item['skipped']}."
        else:
            properties["contentSize"] = str(item.get("size", ""))
            if item.get("sha256"):
                properties["sha256"] = item["sha256"]
            properties["description"] = "A project file at submission (not in this crate)."
        found.append(crate.add(ContextEntity(crate, f"#input/{item['path']}",
                                             properties=properties)))
    return found


def _output(crate: ROCrate, item: Shipped) -> Any:
    properties: dict[str, Any] = {"name": item.path, "contentSize": str(item.size)}
    if item.sha256:
        properties["sha256"] = item.sha256
    return crate.add_file(dest_path=item.path, properties=properties)


def _left_out(crate: ROCrate, item: LeftOut) -> Any:
    return crate.add(ContextEntity(crate, f"#output/{item.path}", properties={
        "@type": "File", "name": item.path,
        "description": f"An output of the run, not in this crate: {item.why}."}))


def _image(crate: ROCrate, image_id: str) -> ContextEntity:
    """A ContainerImage from the kubelet's imageID (<registry>/<name>@sha256:<digest>)."""
    reference = image_id.split("://", 1)[-1]  # docker-pullable://... on some runtimes
    name, _, digest = reference.partition("@")
    registry, _, path = name.partition("/")
    if not path or ("." not in registry and ":" not in registry and registry != "localhost"):
        registry, path = "docker.io", name
    properties: dict[str, Any] = {
        "@type": "ContainerImage", "additionalType": {"@id": DOCKER_IMAGE},
        "name": path, "registry": registry, "identifier": image_id}
    if digest.startswith("sha256:"):
        properties["sha256"] = digest.removeprefix("sha256:")
    return ContextEntity(crate, f"#image-{digest or name}", properties=properties)
