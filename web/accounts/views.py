"""Sign in and out, start a guest space, change a password."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.views.decorators.http import require_POST

from accounts.admission import GuestRefused
from accounts.decorators import owner_required, write_access_required
from accounts.identity import current_owner, start_guest

login = auth_views.LoginView.as_view(
    template_name="accounts/login.html", redirect_authenticated_user=True
)
logout = auth_views.LogoutView.as_view()

_password_change = auth_views.PasswordChangeView.as_view(
    template_name="accounts/password_change.html",
    success_url=reverse_lazy("accounts-password-change-done"),
)
password_change_done = login_required(
    auth_views.PasswordChangeDoneView.as_view(template_name="accounts/password_change_done.html")
)


@login_required
@owner_required
@write_access_required
def password_change(request: HttpRequest) -> HttpResponse:
    return _password_change(request)


@require_POST
def guest(request: HttpRequest) -> HttpResponse:
    if not settings.ALLOW_GUESTS:
        raise PermissionDenied("Guest access is turned off on this site.")
    if current_owner(request) is None:
        try:
            start_guest(request)
        except GuestRefused as refusal:
            messages.error(request, str(refusal))
            return redirect("accounts-login")
    return redirect("projects-list")
