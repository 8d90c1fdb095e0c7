"""One run: its page, the status and log fragments the page polls, and cancelling it."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from accounts.decorators import owner_required, write_access_required
from accounts.identity import OwnedRequest
from runs import kube, logs
from runs.access import get_run_for_user
from runs.forms import CancelForm
from runs.model import Run

POLL_DONE_HEADER = "X-Poll-Done"  # tells poll.js the content will not change any more


def _run_or_problem(request: HttpRequest, name: str) -> tuple[Run | None, str]:
    try:
        return get_run_for_user(request, name), ""
    except kube.KubeError as error:
        return None, str(error)


def _fragment_problem(problem: str) -> HttpResponse:
    """Polled fragments answer 503 with the reason; poll.js keeps the last good content."""
    return HttpResponse(problem, status=503, content_type="text/plain; charset=utf-8")


def _polled(response: HttpResponse, run: Run) -> HttpResponse:
    """A fragment of a finished run never changes again: tell poll.js to stop asking."""
    if run.finished:  # the operator saves the log before it writes the final phase
        response[POLL_DONE_HEADER] = "1"
    return response


def _problem(request: HttpRequest, problem: str) -> HttpResponse:
    return render(request, "runs/problem.html", {"problem": problem}, status=503)


@require_safe
@owner_required
def run_detail(request: HttpRequest, name: str) -> HttpResponse:
    run, problem = _run_or_problem(request, name)
    if run is None:
        return _problem(request, problem)
    return render(request, "runs/detail.html", {"run": run, "is_owner": _owns(request, run)})


@never_cache
@require_safe
@owner_required
def run_status(request: HttpRequest, name: str) -> HttpResponse:
    run, problem = _run_or_problem(request, name)
    if run is None:
        return _fragment_problem(problem)
    return _polled(render(request, "runs/status.html",
                          {"run": run, "is_owner": _owns(request, run)}), run)


@never_cache
@require_safe
@owner_required
def run_log(request: HttpRequest, name: str) -> HttpResponse:
    run, problem = _run_or_problem(request, name)
    if run is None:
        return _fragment_problem(problem)
    try:
        text = logs.run_log(run, settings.RUN_LOG_TAIL_LINES)
    except kube.KubeError as error:
        text = f"(The log cannot be read right now: {error})\n"
    return _polled(HttpResponse(text, content_type="text/plain; charset=utf-8"), run)


@require_POST
@owner_required
@write_access_required
def run_cancel(request: HttpRequest, name: str) -> HttpResponse:
    run, problem = _run_or_problem(request, name)
    back = CancelForm(request.POST).back_route()
    if run is None:
        messages.error(request, problem)
    elif not run.active:
        messages.error(request, f"Run {run.name} is {run.phase.lower()}; nothing to cancel.")
    else:
        try:
            kube.request_cancel(run.name)
            messages.success(request, f"Cancelling run {run.name}.")
        except kube.KubeError as error:
            messages.error(request, str(error))
    return redirect(back) if back else redirect("runs-detail", name)


def _owns(request: OwnedRequest, run: Run) -> bool:
    return run.owner == request.owner.slug
