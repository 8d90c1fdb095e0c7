"""The run page of a project: pick a Pipeline, fill in its form, submit a PipelineRun.

Pipelines and the owner's active runs come from the archive (PipelineRecord, RunRecord); the API
is called only to create the run, whose row is written at once so every page shows it.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.decorators import READ_ONLY_MESSAGE, owner_required
from accounts.identity import OwnedRequest
from notifications.forms import RunNotifyForm
from notifications.preferences import preference_of, subscribe
from projects.lookup import Project, get_project_for_user
from runs import again, archive, freshness, integrations, kube, provenance, schemaform
from runs.access import get_record_for_user, may_set_priority
from runs.archive import PROJECT_ID_LABEL
from runs.forms import PipelineChoiceForm, PriorityForm, RunForm
from runs.model import (
    Run,
    active_records,
    active_runs_of,
    busy_reason,
    generate_name,
    run_labels,
    runs_of,
)
from runs.models import PipelineRecord
from runs.projectfiles import pickable_files


def pipeline_object(record: PipelineRecord) -> dict[str, Any]:
    """A Pipeline's archive row in the shape of the object (what integrations and forms read)."""
    return {"metadata": {"name": record.name, "uid": str(record.uid),
                         "generation": record.generation},
            "spec": record.spec or {}}


def _pipelines() -> list[dict[str, Any]]:
    if not kube.configured():
        raise kube.NotConfigured()
    return [pipeline_object(record) for record in PipelineRecord.objects.order_by("name")]


def _active_runs_of(owner: str) -> list[Run]:
    return runs_of(active_records().filter(owner=owner))


def _pipeline_summary(pipeline: dict[str, Any]) -> dict[str, str]:
    spec = pipeline.get("spec") or {}
    name = pipeline["metadata"]["name"]
    return {
        "name": name,
        "display_name": spec.get("displayName") or name,
        "description": spec.get("description") or "",
    }


def _page(
    request: OwnedRequest,
    project: Project,
    *,
    pipelines: list[dict[str, Any]],
    chosen: dict[str, Any] | None,
    form: RunForm | None = None,
    shown: dict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
    problem: str = "",
    notice: str = "",
    status: int = 200,
) -> HttpResponse:
    context: dict[str, Any] = {
        "project": project,
        "pipelines": [_pipeline_summary(p) for p in pipelines],
        "chosen": _pipeline_summary(chosen) if chosen else None,
        "problem": problem,
        "notice": notice,
        "form_errors": (errors or {}).get("", []),  # an integration's parse_form; else the form's
        "errors": errors or {},
        "fields": [],
        "form_template": "runs/generic_fields.html",
    }
    if chosen is not None:
        # A form shown again after a refused submission keeps the box as it was posted.
        context["notify_form"] = _notify_form(
            request, request.POST if request.method == "POST" else None)
        if may_set_priority(request):  # admins: the run's priority
            context["priority_form"] = PriorityForm(
                request.POST if request.method == "POST" else None, admin=True)
        schema = (chosen.get("spec") or {}).get("form") or {"type": "object"}
        try:
            schemaform.check_schema(schema)
            form = form or RunForm(schema, values=shown)
            context["form_errors"] = context["form_errors"] or form.non_field_errors()
            context["fields"] = list(form)
        except schemaform.UnusableSchema as error:
            context["problem"] = context["problem"] or str(error)
            context["unusable"] = True
        integration = integrations.integration_for(chosen)
        if integration is not None and integration.form_template:
            context["form_template"] = integration.form_template
        context["shown"] = shown or {}
        if form is not None and form.wants_project_files:
            with project.open() as folder:
                context["project_files"], context["files_cut"] = pickable_files(folder)
            form.offer_files(context["project_files"], context["files_cut"])
    return render(request, "runs/new.html", context, status=status)


def _notify_form(request: OwnedRequest, data: Any = None) -> RunNotifyForm | None:
    """"Tell me when it ends", for signed-in users (a guest has no address to be told at)."""
    if not request.user.is_authenticated:
        return None
    return RunNotifyForm(data, preference=preference_of(request.user))


@require_http_methods(["GET", "HEAD", "POST"])
@owner_required
def new_run(request: OwnedRequest, project: str) -> HttpResponse:
    found = get_project_for_user(request, project)
    owner = request.owner
    if request.method == "POST" and owner.read_only:
        raise PermissionDenied(READ_ONLY_MESSAGE)
    choice = PipelineChoiceForm(request.POST if request.method == "POST" else request.GET)
    wanted = choice.wanted()
    try:
        pipelines = _pipelines()
    except kube.KubeError as error:
        return _page(request, found, pipelines=[], chosen=None, problem=str(error), status=503)
    by_name = {p["metadata"]["name"]: p for p in pipelines}
    if request.method != "POST":
        chosen = by_name.get(wanted) or (pipelines[0] if pipelines and not wanted else None)
        problem = f"There is no pipeline named “{wanted}”." if wanted and not chosen else ""
        problem = problem or _refusal(_active_runs_of(owner.slug), owner.slug,
                                      owner.limits.max_queued_runs, found.name,
                                      starting=False) or ""
        start = _run_again(request, choice.run_again(), chosen)
        return _page(request, found, pipelines=pipelines, chosen=chosen, problem=problem,
                     shown=start.values if start else None, notice=start.notice if start else "")
    return _submit(request, found, pipelines, by_name.get(wanted), wanted)


def _run_again(request: OwnedRequest, name: str, chosen: dict[str, Any] | None
               ) -> again.Again | None:
    """?again=<run>: that run's parameters (one of the requester's runs, else 404), for the
    pipeline it ran when that is the one chosen."""
    if not name or chosen is None:
        return None
    record = get_record_for_user(request, name)
    if record.pipeline != chosen["metadata"]["name"]:
        return None
    schema = (chosen.get("spec") or {}).get("form") or {}
    return again.again(record.name, record.parameters or {}, record.pipeline_generation,
                       record.pipeline, chosen["metadata"].get("generation"), schema)


def _submit(
    request: OwnedRequest,
    project: Project,
    pipelines: list[dict[str, Any]],
    pipeline: dict[str, Any] | None,
    wanted: str,
) -> HttpResponse:
    owner = request.owner
    if pipeline is None:
        return _page(
            request, project, pipelines=pipelines, chosen=None, status=400,
            problem=f"There is no pipeline named “{wanted}”; nothing was started.",
        )
    schema = (pipeline.get("spec") or {}).get("form") or {"type": "object"}
    try:
        schemaform.check_schema(schema)
    except schemaform.UnusableSchema as error:
        return _page(request, project, pipelines=pipelines, chosen=pipeline, status=400,
                     problem=f"{error} Nothing was started.")
    integration = integrations.integration_for(pipeline)
    form = None
    if integration is not None and integration.parse_form is not None:
        values, errors, shown = integration.parse_form(pipeline, request.POST)
    else:
        form = RunForm(schema, request.POST)
        errors = {} if form.is_valid() else form.errors
        values, shown = form.values, {}
    priority = PriorityForm(request.POST, admin=may_set_priority(request))
    if errors or not priority.is_valid():
        problem = "Some values need fixing; nothing was started."
        if "priority" in priority.errors and not priority.admin:
            problem = f"{priority.errors['priority'][0]} Nothing was started."
        return _page(request, project, pipelines=pipelines, chosen=pipeline, form=form,
                     shown=shown, errors=errors, status=400, problem=problem)
    # Before the run exists (nothing of it can have touched the project yet) and outside the
    # owner's lock (hashing is bounded, but need not hold up their other submissions).
    submitted = provenance.observe(pipeline, project)
    try:
        with one_submission_at_a_time(owner.slug):
            runs = _active_runs_of(owner.slug)
            refusal = _refusal(runs, owner.slug, owner.limits.max_queued_runs, project.name)
            if refusal:
                return _page(request, project, pipelines=pipelines, chosen=pipeline, form=form,
                             shown=shown, status=409, problem=refusal)
            created = kube.create_run(
                _run_body(pipeline, owner.slug, project, values, priority.wanted()))
            # Inside the owner's lock: the next submission counts this run.
            archive.upsert(created, only_if_new=True)
            provenance.record(created["metadata"]["uid"], submitted)
            notify = _notify_form(request, request.POST)
            if notify is not None and notify.wanted():
                subscribe(request.user, created["metadata"]["uid"])
    except kube.KubeError as error:
        told = str(error) if isinstance(error, kube.Unanswered) else (
            f"{error} Nothing was started.")
        return _page(request, project, pipelines=pipelines, chosen=pipeline, form=form,
                     shown=shown, status=503, problem=told)
    name = created["metadata"]["name"]
    messages.success(request, f"Run {name} of {_pipeline_summary(pipeline)['display_name']} "
                              "is queued.")
    return redirect("runs-detail", name)


@contextlib.contextmanager
def one_submission_at_a_time(owner: str) -> Iterator[None]:
    """Serialise one owner's submissions across workers, so two at once cannot both pass the
    queued-run limit or the busy check (a PostgreSQL advisory lock, released at commit)."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [owner_lock_key(owner)])
        yield


def owner_lock_key(owner: str) -> int:
    """The advisory lock's 64-bit key for one owner's submissions."""
    digest = hashlib.sha256(f"kubeshowcase-runs:{owner}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _refusal(runs: list[Run], owner: str, limit: int, project: str, *, starting: bool = True
             ) -> str | None:
    """Why a new run must not start now (the page says it before, the submission refuses)."""
    outcome = " Nothing was started." if starting else ""
    stale = freshness.stale_reason()
    if stale:  # a run the archive missed may hold the limit or the project: the safe side
        return f"Runs cannot be checked right now: {stale}{outcome}"
    active = active_runs_of(runs, owner)
    if len(active) >= limit:
        return (f"You already have {len(active)} run(s) queued or running, the most allowed "
                f"({limit}). Wait for one to finish or cancel one.{outcome}")
    busy = busy_reason(runs, owner, project)
    if busy:
        return f"“{project}” is already in use: {busy}{outcome}"
    return None


def _run_body(pipeline: dict[str, Any], owner: str, project: Project, values: dict[str, Any],
              priority: int = 0) -> dict[str, Any]:
    """The PipelineRun to create; it names the project's folder and carries its stable id
    (and an admin's priority, when not the default)."""
    body: dict[str, Any] = {
        "apiVersion": f"{kube.GROUP}/{kube.VERSION}",
        "kind": "PipelineRun",
        "metadata": {
            "generateName": generate_name(owner, project.name),
            "labels": {**run_labels(owner, project.name), PROJECT_ID_LABEL: str(project.id)},
        },
        "spec": {
            "pipeline": pipeline["metadata"]["name"],
            "owner": owner,
            "project": f"{owner}/{project.name}",
            "projectId": str(project.id),
            "args": integrations.build_args(pipeline, values),
            "parameters": values,
        },
    }
    if priority:
        body["spec"]["priority"] = priority
    return body
