"""Failed sign-ins are throttled (django-axes): per username and address, with a clear page."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from tests.web.conftest import PASSWORD, Actor

ATTACKER = "192.0.2.66"


@pytest.fixture
def limit(settings) -> int:  # noqa: ANN001
    settings.AXES_FAILURE_LIMIT = 3
    return 3


def sign_in(client: Client, username: str, password: str):  # noqa: ANN201
    return client.post(reverse("accounts-login"), {"username": username, "password": password})


def fail(times: int, username: str = "alice", address: str = ATTACKER) -> list[int]:
    """Wrong passwords in a row; the status of each answer (the limit-th one is the lockout)."""
    client = Client(REMOTE_ADDR=address)
    return [sign_in(client, username, "wrong").status_code for _ in range(times)]


def test_failures_below_the_limit_leave_the_right_password_working(alice: Actor, limit: int) -> None:
    assert fail(limit - 1) == [200] * (limit - 1)
    response = sign_in(Client(REMOTE_ADDR=ATTACKER), "alice", PASSWORD)
    assert response.status_code == 302


def test_the_limit_locks_the_username_for_that_address(alice: Actor, limit: int) -> None:
    fail(limit - 1)
    client = Client(REMOTE_ADDR=ATTACKER)
    response = sign_in(client, "alice", "wrong")
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed sign-ins" in page
    assert "failed 3 times in a row" in page and "paused for 15 minutes" in page
    assert AccessAttempt.objects.get(username="alice").failures_since_start == limit


def test_the_right_password_is_refused_while_locked(alice: Actor, limit: int) -> None:
    assert fail(limit) == [200] * (limit - 1) + [429]
    client = Client(REMOTE_ADDR=ATTACKER)
    response = sign_in(client, "alice", PASSWORD)
    assert response.status_code == 429
    assert client.get(reverse("projects-list")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_attempts_while_locked_do_not_extend_the_pause(alice: Actor, limit: int) -> None:
    fail(limit)
    first = AccessAttempt.objects.get(username="alice").attempt_time
    assert sign_in(Client(REMOTE_ADDR=ATTACKER), "alice", "wrong").status_code == 429
    assert AccessAttempt.objects.get(username="alice").attempt_time == first


def test_other_users_and_other_addresses_are_unaffected(alice: Actor, bob: Actor, limit: int) -> None:
    fail(limit)
    assert sign_in(Client(REMOTE_ADDR=ATTACKER), "bob", PASSWORD).status_code == 302
    assert sign_in(Client(REMOTE_ADDR="198.51.100.9"), "alice", PASSWORD).status_code == 302


def test_the_pause_ends_after_the_cool_off(alice: Actor, limit: int, settings) -> None:  # noqa: ANN001
    fail(limit)
    # Age the record past the cool-off rather than sleeping.
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time
                                 - settings.AXES_COOLOFF_TIME)
    assert sign_in(Client(REMOTE_ADDR=ATTACKER), "alice", PASSWORD).status_code == 302


def test_a_success_resets_the_count(alice: Actor, limit: int) -> None:
    fail(limit - 1)
    assert sign_in(Client(REMOTE_ADDR=ATTACKER), "alice", PASSWORD).status_code == 302
    fail(limit - 1)
    assert sign_in(Client(REMOTE_ADDR=ATTACKER), "alice", PASSWORD).status_code == 302


def test_the_admin_login_is_throttled_too(db, limit: int) -> None:  # noqa: ANN001
    User.objects.create_superuser("root", "root@example.org", PASSWORD)
    client = Client(REMOTE_ADDR=ATTACKER)
    for _ in range(limit):
        client.post("/admin/login/", {"username": "root", "password": "wrong"})
    response = client.post("/admin/login/", {"username": "root", "password": PASSWORD})
    assert response.status_code == 429
    assert client.get("/admin/").status_code == 302


def test_refused_sso_names_never_lock_the_proxy(db, settings, limit: int) -> None:  # noqa: ANN001
    settings.SSO_HEADER = "X-Forwarded-User"
    settings.SSO_TRUSTED_PROXIES = ["10.1.2.3"]
    for _ in range(limit + 2):
        Client(REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_USER="../bad").get(reverse("projects-list"))
    ok = Client(REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_USER="carol")
    assert ok.get(reverse("projects-list")).status_code == 200
    assert not AccessAttempt.objects.exists()


def test_the_default_limit_and_cool_off() -> None:
    from tests.web.test_settings import run_python

    result = run_python(
        "from django.conf import settings as s; print(s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME,"
        " s.AXES_LOCKOUT_PARAMETERS, s.AUTHENTICATION_BACKENDS[0])", {})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split(None, 3) == [
        "5", "0:15:00", "[['username',", "'ip_address']] axes.backends.AxesStandaloneBackend\n"]
