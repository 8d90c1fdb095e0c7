"""Signing in ends any guest space the same browser session had."""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from accounts.identity import forget_guest


@receiver(user_logged_in)
def drop_guest_on_login(sender, request, user, **kwargs) -> None:  # noqa: ANN001 (signal API)
    if request is not None and hasattr(request, "session"):
        forget_guest(request)
