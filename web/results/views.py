"""Results pages: what a run of a project produced (from the run archive), and thumbnails.

No page here calls the Kubernetes API: runs are RunRecord rows, globs come from PipelineRecord.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from accounts.decorators import owner_required
from accounts.identity import OwnedRequest
from projects.filesend import send_file
from projects.lookup import get_project_for_user
from projects.paths import check_relative
from results import thumbnails
from results.collect import Budgets, collect, viewer_url
from results.forms import RunChoiceForm
from results.recorded import collect_recorded, has_manifest
from runs import integrations, projectruns
from runs.access import get_record_for_user
from runs.models import ACTIVE_PHASES, PipelineRecord, RunRecord

logger = logging.getLogger(__name__)
RUN_CHOICES = 20  # newest runs offered in the page's run menu; the history page has them all


@require_safe
@owner_required
def project_results(request: OwnedRequest, project: str) -> HttpResponse:
    """One run's results (?run=<name>, else the newest finished run), read from the archive."""
    found = get_project_for_user(request, project)
    owner = request.owner.slug
    runs = projectruns.runs_of(projectruns.project_row(found))
    form = RunChoiceForm(request.GET)
    if not form.is_valid():
        raise Http404("No such run")
    wanted = form.cleaned_data["run"]
    run = projectruns.run_named(runs, wanted) if wanted else projectruns.shown_by_default(runs)
    if wanted and run is None:
        raise Http404("No such run")
    choices = list(runs.only(*projectruns.LISTED)[:RUN_CHOICES])
    if run is not None and run not in choices:
        choices.append(run)
    context: dict[str, Any] = {"project": found, "run": run, "runs": choices, "problem": "",
                               "note": "", "recorded": False}
    if run is None:
        return render(request, "results/project.html", context)
    pipeline = PipelineRecord.objects.filter(name=run.pipeline).first()
    if pipeline is None:
        context["problem"] = (f"The pipeline “{run.pipeline}” is no longer installed, so which "
                              "files are its results is unknown; browse the project instead.")
        return render(request, "results/project.html", context)
    spec = (pipeline.spec or {}).get("results") or {}
    if spec.get("viewerUrl"):
        return redirect(viewer_url(spec["viewerUrl"], owner, found.name, run.name))
    pipeline_object = {"metadata": {"name": pipeline.name, "generation": pipeline.generation},
                       "spec": pipeline.spec or {}}
    integration = integrations.integration_for(pipeline_object)
    if integration is not None and integration.results_view is not None:
        return integration.results_view(request, found, run, pipeline_object)
    _prune_thumbnails(owner, found.name)
    context.update(_shown(found, runs, run, spec))
    if run.pipeline_generation is not None and run.pipeline_generation != pipeline.generation:
        context["changed_pipeline"] = True  # its globs now may not be those the run had
    return render(request, "results/project.html", context)


def _shown(found: Any, runs: QuerySet[RunRecord], run: RunRecord, spec: dict[str, Any]
           ) -> dict[str, Any]:
    """The page's results and note: the run's recorded outputs as they are now; for a run
    archived before manifests, the folder as it is if no later run has been at it."""
    budgets = Budgets.from_settings()
    if has_manifest(run):
        with found.open() as folder:
            results = collect_recorded(folder, run, spec, budgets,
                                       projectruns.later_runs(runs, run))
        note = "" if run.outputs_complete else (
            "This run wrote more files than the operator records; only the first are listed.")
        return {"recorded": True, "results": results, "note": note}
    note = _why_not_the_folder(runs, run)
    if note:
        return {"note": note}
    with found.open() as folder:
        return {"results": collect(folder, spec, budgets)}


def _why_not_the_folder(runs: QuerySet[RunRecord], run: RunRecord) -> str:
    """Why a run without a manifest shows no files ("": the folder as it is is its results)."""
    if run.phase == "Queued":
        return "This run has not started yet; its results show here once it has ended."
    if run.started_at is None and run.phase not in ACTIVE_PHASES:
        return "This run ended before it started, so it made no results."
    if projectruns.touched_since(runs, run):
        return ("This run ended before runs recorded their outputs, and a later run has been "
                "at the project since, so which files are this run's is unknown. The newest "
                "run's results show the project's files as they are.")
    return ""


def _prune_thumbnails(owner: str, project: str) -> None:
    """Thumbnails of images that are gone or changed go when their project's results are shown."""
    try:
        thumbnails.prune_thumbnails(owner, project)
    except OSError as error:  # housekeeping never costs the page
        logger.warning("pruning thumbnails of %s/%s failed: %s", owner, project, error)


@require_safe
@owner_required
def run_results(request: OwnedRequest, name: str) -> HttpResponse:
    """/runs/<name>/results: the results page of the run's project, on that run."""
    run = get_record_for_user(request, name)
    if run.project is None:  # a deleted project's runs have no results page
        raise Http404("No such run")
    found = get_project_for_user(request, run.project.name)  # staff on others' runs: 404
    if projectruns.project_row(found) != run.project:
        raise Http404("No such run")
    return redirect(f"{reverse('results-project', args=[found.name])}?run={run.name}")


@require_safe
@owner_required
def thumbnail(request: OwnedRequest, project: str, path: str) -> HttpResponseBase:
    found = get_project_for_user(request, project)
    try:
        made = thumbnails.thumbnail(found, path,
                                    max_pixels=settings.THUMBNAIL_MAX_MEGAPIXELS * 10**6,
                                    memory_bytes=settings.THUMBNAIL_MAX_MEMORY)
    except thumbnails.NotAnImage as error:
        logger.info("no thumbnail of %s/%s/%s: %s", found.owner.slug, found.name, path, error)
        raise Http404("No preview of this file") from None
    name = f"{check_relative(path)[-1]}.png"
    return send_file(request, made, filename=name, cache_control="private, max-age=3600")
