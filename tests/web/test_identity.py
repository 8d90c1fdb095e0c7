"""One place decides who acts: owner folder, limits and read-only flag."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory

from accounts.identity import GUEST_SESSION_KEY, current_owner, owner_slug_for_user
from accounts.models import Guest


@pytest.mark.parametrize(
    ("username", "user_id", "slug"),
    [
        ("alice", 1, "alice"),
        ("alice@example.org", 2, "alice@example.org"),
        ("a.b+c-d_e", 3, "a.b+c-d_e"),
        ("jürgen", 4, "user-4"),  # not a safe folder name
        ("_underscore", 5, "user-5"),  # PipelineRun.spec.owner must start alphanumeric
        ("guest-1234", 6, "user-6"),  # reserved: could clash with a guest
        ("user-9", 7, "user-7"),  # reserved: could clash with a fallback
        ("x" * 151, 8, "user-8"),
    ],
)
def test_owner_folders_are_safe_and_never_shared(username: str, user_id: int, slug: str) -> None:
    assert owner_slug_for_user(username, user_id) == slug


def _request(user=None, session_data=None):  # noqa: ANN001, ANN202
    request = RequestFactory().get("/")
    request.user = user or AnonymousUser()
    request.session = SessionStore()
    request.session.update(session_data or {})
    return request


@pytest.mark.django_db
def test_a_user_acts_as_themselves_with_user_limits(settings) -> None:  # noqa: ANN001
    settings.USER_MAX_PROJECTS = 11
    owner = current_owner(_request(User.objects.create_user("alice")))
    assert owner is not None
    assert (owner.slug, owner.is_guest, owner.read_only, owner.limits.max_projects) == (
        "alice",
        False,
        False,
        11,
    )


@pytest.mark.django_db
def test_a_demo_user_is_read_only(settings) -> None:  # noqa: ANN001
    settings.DEMO_USERS = ["viewer"]
    owner = current_owner(_request(User.objects.create_user("viewer")))
    assert owner is not None and owner.read_only


@pytest.mark.django_db
def test_a_guest_acts_as_their_session_guest_with_guest_limits(settings) -> None:  # noqa: ANN001
    settings.GUEST_MAX_PROJECTS = 2
    guest = Guest.start()
    owner = current_owner(_request(session_data={GUEST_SESSION_KEY: guest.slug}))
    assert owner is not None
    assert (owner.slug, owner.is_guest, owner.read_only, owner.limits.max_projects) == (
        guest.slug,
        True,
        False,
        2,
    )


@pytest.mark.django_db
def test_nobody_acts_without_a_login_or_a_known_guest(settings) -> None:  # noqa: ANN001
    assert current_owner(_request()) is None
    assert current_owner(_request(session_data={GUEST_SESSION_KEY: "guest-forged"})) is None
    guest = Guest.start()
    settings.ALLOW_GUESTS = False
    assert current_owner(_request(session_data={GUEST_SESSION_KEY: guest.slug})) is None
