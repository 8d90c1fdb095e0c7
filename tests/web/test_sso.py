"""Single sign-on through an auth proxy's header, believed only from trusted proxies."""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from accounts.sso import is_trusted_proxy
from tests.web.test_settings import run_python

PROXY = "10.1.2.3"
SECRET = "s3cret-from-the-proxy-0123456789abcdef"
PRINT_SSO = """
import json
from django.conf import settings
print(json.dumps([settings.SSO_TRUSTED_PROXIES, settings.SSO_SHARED_SECRET]))
"""


@pytest.fixture
def sso(settings):  # noqa: ANN001, ANN201
    settings.SSO_HEADER = "X-Forwarded-User"
    settings.SSO_TRUSTED_PROXIES = [PROXY, "fd00::1"]
    settings.SSO_SHARED_SECRET = ""
    settings.SSO_SECRET_HEADER = "X-Kubeshowcase-Proxy-Secret"
    return settings


@pytest.fixture
def sso_with_secret(sso):  # noqa: ANN001, ANN201
    sso.SSO_SHARED_SECRET = SECRET
    return sso


def test_a_trusted_proxy_signs_the_user_in_creating_them_once(db, sso) -> None:  # noqa: ANN001
    client = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_USER="carol@example.org")
    response = client.get(reverse("projects-list"))
    assert response.status_code == 200
    assert b"carol@example.org" in response.content
    client.get(reverse("projects-list"))
    assert User.objects.filter(username="carol@example.org").count() == 1


def test_the_header_from_anyone_else_is_ignored(db, sso) -> None:  # noqa: ANN001
    client = Client(REMOTE_ADDR="192.0.2.7", HTTP_X_FORWARDED_USER="carol")
    assert client.get(reverse("projects-list")).status_code == 302
    assert not User.objects.filter(username="carol").exists()


def test_the_header_is_ignored_when_sso_is_off(db) -> None:  # noqa: ANN001
    client = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_USER="carol")
    assert client.get(reverse("projects-list")).status_code == 302


@pytest.mark.parametrize("name", ["../etc", "x" * 151, "-starts-with-dash", "has space"])
def test_names_that_cannot_be_owner_folders_are_refused(db, sso, name: str) -> None:  # noqa: ANN001
    client = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_USER=name)
    assert client.get(reverse("projects-list")).status_code == 302
    assert User.objects.count() == 0


def test_a_different_header_user_replaces_the_session_user(db, sso) -> None:  # noqa: ANN001
    client = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_USER="carol")
    client.get(reverse("projects-list"))
    response = client.get(reverse("projects-list"), HTTP_X_FORWARDED_USER="dave")
    assert b"dave" in response.content


def test_a_demo_user_signed_in_by_sso_is_still_read_only(db, sso) -> None:  # noqa: ANN001
    client = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_USER="demo")
    assert client.post(reverse("projects-create"), {"name": "x"}).status_code == 403


def test_a_neighbour_of_the_proxy_is_not_the_proxy(db, sso) -> None:  # noqa: ANN001
    # 10.1.2.4 shares the proxy's pod network: a pipeline pod could have that address.
    client = Client(REMOTE_ADDR="10.1.2.4", HTTP_X_FORWARDED_USER="carol")
    assert client.get(reverse("projects-list")).status_code == 302
    assert not User.objects.filter(username="carol").exists()


@pytest.mark.parametrize(
    ("address", "trusted"),
    [
        ("10.1.2.3", True),
        ("::ffff:10.1.2.3", True),  # a dual-stack socket's view of the same IPv4 peer
        ("10.1.2.30", False),
        ("10.9.9.9", False),
        ("fd00::1", True),
        ("fd00:0:0::1", True),
        ("fd00::2", False),
        ("garbage", False),
        ("", False),
    ],
)
def test_trusted_proxies_are_matched_by_exact_address(address: str, trusted: bool) -> None:
    assert is_trusted_proxy(address, ["10.1.2.3", "fd00::1"]) is trusted


# --- the shared secret ---


def test_with_a_secret_the_proxy_must_present_it(db, sso_with_secret) -> None:  # noqa: ANN001
    client = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_USER="carol",
                    HTTP_X_KUBESHOWCASE_PROXY_SECRET=SECRET)
    response = client.get(reverse("projects-list"))
    assert response.status_code == 200
    assert b"carol" in response.content


@pytest.mark.parametrize("presented", [None, "", "wrong", SECRET[:-1], SECRET + "x", SECRET.upper()])
def test_a_missing_or_wrong_secret_ignores_the_header(
    db, sso_with_secret, caplog: pytest.LogCaptureFixture, presented: str | None  # noqa: ANN001
) -> None:
    extra = {} if presented is None else {"HTTP_X_KUBESHOWCASE_PROXY_SECRET": presented}
    client = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_USER="carol", **extra)
    with caplog.at_level(logging.WARNING, logger="accounts.sso"):
        assert client.get(reverse("projects-list")).status_code == 302
    assert not User.objects.filter(username="carol").exists()
    assert "ignoring X-Forwarded-User" in caplog.text
    assert SECRET not in caplog.text


def test_the_right_secret_from_the_wrong_address_is_not_enough(db, sso_with_secret) -> None:  # noqa: ANN001
    client = Client(REMOTE_ADDR="192.0.2.7", HTTP_X_FORWARDED_USER="carol",
                    HTTP_X_KUBESHOWCASE_PROXY_SECRET=SECRET)
    assert client.get(reverse("projects-list")).status_code == 302
    assert not User.objects.filter(username="carol").exists()


def test_the_secret_header_never_reaches_a_view(db, sso_with_secret) -> None:  # noqa: ANN001
    from django.http import HttpRequest

    from accounts.sso import TrustedProxySsoMiddleware

    seen: dict[str, object] = {}

    def view(request: HttpRequest):  # noqa: ANN202
        seen.update(request.META)

    request = HttpRequest()
    request.META.update(REMOTE_ADDR="192.0.2.7", HTTP_X_KUBESHOWCASE_PROXY_SECRET=SECRET)
    request.user = None  # type: ignore[assignment]
    TrustedProxySsoMiddleware(view)(request)
    assert "HTTP_X_KUBESHOWCASE_PROXY_SECRET" not in seen


def test_a_signed_in_header_user_stays_signed_in_with_the_secret(db, sso_with_secret) -> None:  # noqa: ANN001
    client = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_USER="carol",
                    HTTP_X_KUBESHOWCASE_PROXY_SECRET=SECRET)
    client.get(reverse("projects-list"))
    assert client.get(reverse("projects-list")).status_code == 200


# --- staff accounts ---


@pytest.mark.parametrize("flag", ["is_staff", "is_superuser"])
def test_a_staff_account_is_never_signed_in_by_header(
    db, sso, caplog: pytest.LogCaptureFixture, flag: str  # noqa: ANN001
) -> None:
    User.objects.create_user("root", "root@example.org", "pw", **{flag: True})
    client = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_USER="root")
    with caplog.at_level(logging.WARNING, logger="accounts.sso"):
        assert client.get(reverse("projects-list")).status_code == 302
        assert client.get("/admin/").status_code == 302
    assert "refusing single sign-on for staff account 'root'" in caplog.text
    assert "_auth_user_id" not in client.session


def test_an_account_made_staff_loses_its_header_session(db, sso) -> None:  # noqa: ANN001
    client = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_USER="carol")
    assert client.get(reverse("projects-list")).status_code == 200
    User.objects.filter(username="carol").update(is_staff=True)
    assert client.get(reverse("projects-list")).status_code == 302
    assert client.get("/admin/").status_code == 302


def test_staff_still_sign_in_with_their_password_behind_the_proxy(db, sso) -> None:  # noqa: ANN001
    User.objects.create_superuser("root", "root@example.org", "correct-horse-battery-staple")
    client = Client(REMOTE_ADDR=PROXY)
    response = client.post(reverse("accounts-login"),
                           {"username": "root", "password": "correct-horse-battery-staple"})
    assert response.status_code == 302
    assert client.get("/admin/auth/user/").status_code == 200


# --- the settings ---


@pytest.mark.parametrize(
    ("proxies", "message"),
    [
        ("10.0.0.0/8", "not networks"),
        ("10.1.2.3/24", "not networks"),
        ("fd00::/64", "not networks"),
        ("proxy.example.org", "is not an IP address"),
    ],
)
def test_networks_and_names_are_refused_as_trusted_proxies(proxies: str, message: str) -> None:
    result = run_python(PRINT_SSO, {"SSO_HEADER": "X-User", "SSO_TRUSTED_PROXIES": proxies})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr, result.stderr


def test_exact_addresses_are_accepted_and_normalised(tmp_path) -> None:  # noqa: ANN001
    secret_file = tmp_path / "sso-secret"
    secret_file.write_text(SECRET + "\n")
    result = run_python(PRINT_SSO, {
        "SSO_HEADER": "X-User",
        "SSO_TRUSTED_PROXIES": "10.1.2.3, 10.1.2.4/32 fd00:0::1/128",
        "SSO_SHARED_SECRET_FILE": str(secret_file),
    })
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f'[["10.1.2.3", "10.1.2.4", "fd00::1"], "{SECRET}"]'


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SSO_SHARED_SECRET": "short"}, "at least 32 characters"),
        ({"SSO_SECRET_HEADER": "X-User"}, "must be different"),
        ({"SSO_SECRET_HEADER": "X Secret"}, "header name"),
    ],
)
def test_bad_secret_settings_are_refused(env: dict[str, str], message: str) -> None:
    result = run_python(PRINT_SSO, {"SSO_HEADER": "X-User", "SSO_TRUSTED_PROXIES": PROXY, **env})
    assert result.returncode != 0
    assert message in result.stderr, result.stderr
