"""The notifications page: how a user hears about their runs' ends."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.decorators import READ_ONLY_MESSAGE, owner_required
from accounts.identity import OwnedRequest
from notifications import webhooks
from notifications.forms import PreferencesForm
from notifications.models import Notification, NotifyPreference
from notifications.preferences import preference_of

NEW_SECRET_KEY = "notifications_new_secret"  # the session carries it to the next page, once
RECENT = 10


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@owner_required
def preferences(request: OwnedRequest) -> HttpResponse:
    preference = preference_of(request.user) or NotifyPreference(user=request.user)
    if request.method == "POST":
        if request.owner.read_only:
            raise PermissionDenied(READ_ONLY_MESSAGE)
        return _save(request, preference)
    return _page(request, PreferencesForm(instance=preference), preference, 200)


def _save(request: HttpRequest, preference: NotifyPreference) -> HttpResponse:
    form = PreferencesForm(request.POST, instance=preference)
    if not form.is_valid():
        return _page(request, form, preference, 400)
    saved = form.save(commit=False)
    if saved.webhook_url and (not saved.webhook_secret or "new_secret" in request.POST):
        saved.webhook_secret = webhooks.new_secret()
        request.session[NEW_SECRET_KEY] = saved.webhook_secret
    if not saved.webhook_url:
        saved.webhook_secret = ""
    saved.save()
    messages.success(request, "Your notification preferences are saved.")
    return redirect("notifications-preferences")


def _page(request: HttpRequest, form: PreferencesForm, preference: NotifyPreference,
          status: int) -> HttpResponse:
    recent = Notification.objects.filter(user=request.user).order_by("-created_at")[:RECENT]
    return render(request, "notifications/preferences.html", {
        "form": form,
        "preference": preference,
        "new_secret": request.session.pop(NEW_SECRET_KEY, None),
        "email_configured": bool(settings.EMAIL_HOST),
        "recent": recent,
    }, status=status)
