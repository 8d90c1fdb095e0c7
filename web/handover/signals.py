"""On signing in from a guest space with nothing in it, there is nothing to offer."""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from accounts.identity import forget_left_guest, left_guest
from handover.guestwork import work_of


@receiver(user_logged_in)
def offer_only_real_work(sender, request, user, **kwargs) -> None:  # noqa: ANN001 (signal API)
    # accounts' receiver (connected first: its app comes first) remembered the guest space.
    if request is None or not hasattr(request, "session"):
        return
    slug = left_guest(request)
    if slug is None or work_of(slug).empty:
        forget_left_guest(request)
