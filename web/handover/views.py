"""The page that offers a signed-in user the work of the guest space they came from."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.decorators import owner_required, write_access_required
from accounts.identity import OwnedRequest, forget_left_guest, left_guest
from handover.forms import GuestWorkForm
from handover.guestwork import keep, work_of
from projects.handover import HandoverRefused


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@owner_required
@write_access_required
def guest_work(request: OwnedRequest) -> HttpResponse:
    guest = left_guest(request)
    if guest is None:
        forget_left_guest(request)
        messages.info(request, "There is no guest work to move: the guest space has ended.")
        return redirect("projects-list")
    work = work_of(guest)
    form = GuestWorkForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["choice"] == "leave":
            forget_left_guest(request)
            messages.info(request, "Your guest work was left; it ends with the guest space.")
            return redirect("projects-list")
        try:
            kept = keep(guest, request.owner.slug, request.owner.limits)
        except HandoverRefused as refusal:
            messages.error(request, f"Nothing was moved. {refusal}")
            return render(request, "handover/guest_work.html",
                          {"work": work_of(guest), "form": form}, status=409)
        forget_left_guest(request)
        renamed = [f"“{p.old_name}” as “{p.new_name}”" for p in kept.projects
                   if p.old_name != p.new_name]
        names = ", ".join(p.new_name for p in kept.projects) or "no projects"
        messages.success(request, f"Moved into your account: {names} ({kept.runs} runs)."
                         + (f" Renamed (the names were taken): {', '.join(renamed)}."
                            if renamed else ""))
        return redirect("projects-list")
    return render(request, "handover/guest_work.html", {"work": work, "form": form},
                  status=400 if request.method == "POST" else 200)
