"""/accounts/notifications/: the preferences Form, webhook URLs checked (no private targets),
the secret shown once; signed-in users only, demo users may look."""

from __future__ import annotations

import pytest
from django.urls import reverse

from notifications import webhooks
from notifications.models import NotifyPreference
from tests.web.conftest import Actor

PAGE = reverse("notifications-preferences")


def post(actor: Actor, **data: str):  # noqa: ANN201
    return actor.client.post(PAGE, {"email": "all", "webhook_url": "", **data})


def test_it_works(alice: Actor) -> None:
    response = alice.client.get(PAGE)
    assert response.status_code == 200
    assert 'name="email"' in response.content.decode()


def test_it_saves_the_email_choice(alice: Actor) -> None:
    response = post(alice, email="failures")
    assert response.status_code == 302
    assert NotifyPreference.objects.get(user__username="alice").email == "failures"


@pytest.mark.parametrize(("url", "says"), [
    ("not a url", "Enter a valid URL"),
    ("ftp://hooks.example.org/x", "Enter an https:// URL"),
    ("http://hooks.example.org/x", "must use https"),
    ("https://user:pw@hooks.example.org/x", "Leave the user name and password out"),
    ("https://127.0.0.1/hook", "loopback"),
    ("https://localhost:8443/hook", "loopback"),
    ("https://10.1.2.3/hook", "private"),
    ("https://192.168.0.5/hook", "private"),
    ("https://169.254.169.254/latest/meta-data/", "private"),  # the cloud metadata service
    ("https://[::1]/hook", "loopback"),
    ("https://[::ffff:127.0.0.1]/hook", "loopback"),
    ("https://no-such-host.invalid/hook", "cannot be found"),
])
def test_it_refuses_bad_and_private_webhooks(alice: Actor, url: str, says: str) -> None:
    response = post(alice, webhook_url=url)
    assert response.status_code == 400
    assert says in response.content.decode()
    assert not NotifyPreference.objects.exists()


def test_allowed_hosts_may_be_http_and_private(alice: Actor, web_settings) -> None:  # noqa: ANN001
    web_settings.NOTIFY_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    assert post(alice, webhook_url="http://127.0.0.1:9000/hook").status_code == 302
    # Only the host listed: another loopback name is still refused.
    assert post(alice, webhook_url="http://localhost:9000/hook").status_code == 400


def test_the_secret_is_made_with_the_webhook_and_shown_once(alice: Actor, web_settings) -> None:  # noqa: ANN001
    web_settings.NOTIFY_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    response = post(alice, webhook_url="http://127.0.0.1:9000/hook")
    secret = NotifyPreference.objects.get(user__username="alice").webhook_secret
    assert len(secret) == 64
    assert secret in alice.client.get(response["Location"]).content.decode()
    assert secret not in alice.client.get(PAGE).content.decode()
    # Saving again keeps it; asking for a new one replaces it (and shows that one once).
    post(alice, webhook_url="http://127.0.0.1:9000/other")
    assert NotifyPreference.objects.get(user__username="alice").webhook_secret == secret
    post(alice, webhook_url="http://127.0.0.1:9000/other", new_secret="1")
    renewed = NotifyPreference.objects.get(user__username="alice").webhook_secret
    assert renewed != secret and renewed in alice.client.get(PAGE).content.decode()
    # No webhook, no secret.
    post(alice)
    assert NotifyPreference.objects.get(user__username="alice").webhook_secret == ""


def test_it_is_per_user(alice: Actor, bob: Actor) -> None:
    post(alice, email="failures")
    assert bob.client.get(PAGE).status_code == 200
    post(bob, email="off")
    assert dict(NotifyPreference.objects.values_list("user__username", "email")) == {
        "alice": "failures", "bob": "off"}


def test_guests_are_sent_to_sign_in(guest: Actor) -> None:
    response = guest.client.get(PAGE)
    assert response.status_code == 302 and "login" in response["Location"]


def test_demo_users_may_look_not_change(demo: Actor) -> None:
    assert demo.client.get(PAGE).status_code == 200
    assert post(demo, email="all").status_code == 403
    assert not NotifyPreference.objects.exists()


def test_it_rejects_other_methods(alice: Actor) -> None:
    assert alice.client.put(PAGE).status_code == 405


def test_the_signature_is_the_hmac_of_the_body() -> None:
    # RFC 4231 test case 2: key "Jefe".
    assert webhooks.sign("Jefe", b"what do ya want for nothing?") == (
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")


def test_the_header_links_to_it_for_users_not_guests(alice: Actor, guest: Actor) -> None:
    link = f'href="{PAGE}"'
    assert link in alice.client.get(reverse("projects-list")).content.decode()
    assert link not in guest.client.get(reverse("projects-list")).content.decode()
