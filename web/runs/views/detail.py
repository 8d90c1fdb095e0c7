"""One run: its page, the status and log fragments the page polls, and cancelling it."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from accounts.decorators import owner_required, write_access_required
from accounts.identity import OwnedRequest
from runs import kube, logs, provenance
from runs.access import get_record_for_user, get_run_for_user
from runs.forms import CancelForm
from runs.model import Run
from runs.models import RunRecord

POLL_DONE_HEADER = "X-Poll-Done"  # tells poll.js the content will not change any more


def _polled(response: HttpResponse, run: Run) -> HttpResponse:
    """A fragment of a finished run never changes again: tell poll.js to stop asking."""
    if run.finished:  # the operator saves the log before it writes the final phase
        response[POLL_DONE_HEADER] = "1"
    return response


@require_safe
@owner_required
def run_detail(request: OwnedRequest, name: str) -> HttpResponse:
    record = get_record_for_user(request, name)
    run = Run.from_record(record)
    return render(request, "runs/detail.html", {
        "run": run, "record": record, "is_owner": _owns(request, run),
        "provenance": provenance.shown(record) if run.finished else None})


@never_cache
@require_safe
@owner_required
def run_status(request: OwnedRequest, name: str) -> HttpResponse:
    run = get_run_for_user(request, name)
    return _polled(render(request, "runs/status.html",
                          {"run": run, "is_owner": _owns(request, run)}), run)


@never_cache
@require_safe
@owner_required
def run_log(request: OwnedRequest, name: str) -> HttpResponse:
    run = get_run_for_user(request, name)
    try:
        text = logs.run_log(run, settings.RUN_LOG_TAIL_LINES)
    except kube.KubeError as error:
        text = f"(The log cannot be read right now: {error})\n"
    return _polled(HttpResponse(text, content_type="text/plain; charset=utf-8"), run)


@require_POST
@owner_required
@write_access_required
def run_cancel(request: OwnedRequest, name: str) -> HttpResponse:
    run = get_run_for_user(request, name)
    back = CancelForm(request.POST).back_route()
    if not run.active:
        messages.error(request, f"Run {run.name} is {run.phase.lower()}; nothing to cancel.")
    else:
        try:
            patched = kube.request_cancel(run.name, run.uid)
        except kube.KubeError as error:
            messages.error(request, str(error))
        else:
            if patched is None:
                messages.error(request, f"Run {run.name} is gone; nothing to cancel.")
            else:
                # Pages show "cancelling" at once; the watch brings what the operator does next.
                # Only this flag: the patch's answer may already be older than the row.
                RunRecord.objects.filter(uid=patched["metadata"]["uid"]).update(
                    cancel_requested=True)
                messages.success(request, f"Cancelling run {run.name}.")
    return redirect(back) if back else redirect("runs-detail", name)


def _owns(request: OwnedRequest, run: Run) -> bool:
    return run.owner == request.owner.slug
