"""Results pages: what a project's last (or a chosen) run produced, and image thumbnails."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from accounts.decorators import owner_required
from accounts.identity import OwnedRequest
from projects.lookup import get_project_for_user
from results import thumbnails
from results.forms import RunChoiceForm
from results.collect import Budgets, collect, viewer_url
from runs import integrations, kube
from runs.access import get_run_for_user
from runs.model import Run, project_selector

logger = logging.getLogger(__name__)


def _chosen_run(runs: list[Run], wanted: str) -> Run | None:
    if wanted:
        for run in runs:
            if run.name == wanted:
                return run
        raise Http404("No such run")
    finished = [run for run in runs if run.finished]
    pool = finished or runs
    return max(pool, key=lambda run: run.sort_key) if pool else None


@require_safe
@owner_required
def project_results(request: OwnedRequest, project: str) -> HttpResponse:
    found = get_project_for_user(request, project)
    owner = request.owner.slug
    context: dict[str, Any] = {"project": found, "run": None, "runs": [], "problem": ""}
    form = RunChoiceForm(request.GET)
    if not form.is_valid():
        raise Http404("No such run")
    try:
        runs = [
            run for run in map(Run.from_object, kube.list_runs(project_selector(owner, found.name)))
            if run.owner == owner and run.project == found.name
        ]
        run = _chosen_run(runs, form.cleaned_data["run"])
        pipeline = kube.get_pipeline(run.pipeline) if run else None
    except kube.KubeError as error:
        context["problem"] = str(error)
        return render(request, "results/project.html", context, status=503)
    context["runs"] = sorted(runs, key=lambda r: r.sort_key, reverse=True)
    context["run"] = run
    if run is None:
        return render(request, "results/project.html", context)
    if pipeline is None:
        context["problem"] = (f"The pipeline “{run.pipeline}” is no longer installed, so which "
                              "files are its results is unknown; browse the project instead.")
        return render(request, "results/project.html", context)
    spec = (pipeline.get("spec") or {}).get("results") or {}
    if spec.get("viewerUrl"):
        return redirect(viewer_url(spec["viewerUrl"], owner, found.name, run.name))
    integration = integrations.integration_for(pipeline)
    if integration is not None and integration.results_view is not None:
        return integration.results_view(request, found, run, pipeline)
    _prune_thumbnails(owner, found.name)
    with found.open() as folder:
        context["results"] = collect(folder, spec, Budgets.from_settings())
    return render(request, "results/project.html", context)


def _prune_thumbnails(owner: str, project: str) -> None:
    """Thumbnails of images that are gone or changed go when their project's results are shown."""
    try:
        thumbnails.prune_thumbnails(owner, project)
    except OSError as error:  # housekeeping never costs the page
        logger.warning("pruning thumbnails of %s/%s failed: %s", owner, project, error)


@require_safe
@owner_required
def run_results(request: HttpRequest, name: str) -> HttpResponse:
    try:
        run = get_run_for_user(request, name)
    except kube.KubeError as error:
        return render(request, "runs/problem.html", {"problem": str(error)}, status=503)
    found = get_project_for_user(request, run.project)  # staff looking at others' runs: 404
    return redirect(f"{reverse('results-project', args=[found.name])}?run={run.name}")


@require_safe
@owner_required
def thumbnail(request: HttpRequest, project: str, path: str) -> HttpResponse:
    found = get_project_for_user(request, project)
    try:
        made = thumbnails.thumbnail(found, path,
                                    max_pixels=settings.THUMBNAIL_MAX_MEGAPIXELS * 10**6,
                                    memory_bytes=settings.THUMBNAIL_MAX_MEMORY)
    except thumbnails.NotAnImage as error:
        logger.info("no thumbnail of %s/%s/%s: %s", found.owner.slug, found.name, path, error)
        raise Http404("No preview of this file") from None
    response = FileResponse(made, content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    return response
