"""New guests: a site-wide cap on live ones, a rate per client address, a truthful lifetime."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.admission import GuestRefused, admit_guest, duration_text
from accounts.identity import GUEST_SESSION_KEY
from accounts.models import Guest
from kubeshowcase.env import env_rate
from tests.web.conftest import PASSWORD, Actor, messages_in
from tests.web.test_settings import run_python


def start_guest_from(address: str):  # noqa: ANN201
    client = Client(REMOTE_ADDR=address)
    return client, client.post(reverse("accounts-guest"), follow=True)


def age(guest_slug: str, hours: float) -> None:
    Guest.objects.filter(slug=guest_slug).update(
        created_at=timezone.now() - timedelta(hours=hours)
    )


def test_the_cap_on_live_guests_is_a_message_on_the_login_page(
    db, settings  # noqa: ANN001
) -> None:
    settings.GUEST_MAX_LIVE = 2
    start_guest_from("192.0.2.1")
    start_guest_from("192.0.2.2")
    client, response = start_guest_from("192.0.2.3")
    assert response.status_code == 200
    assert response.redirect_chain == [(reverse("accounts-login"), 302)]
    assert messages_in(response) == [
        "No guest space can be started right now: the site has as many guests as it can take. "
        "Try again later, or sign in."
    ]
    assert b"as many guests as it can take" in response.content
    assert GUEST_SESSION_KEY not in client.session
    assert Guest.objects.count() == 2


def test_expired_guests_do_not_count_against_the_cap(db, settings) -> None:  # noqa: ANN001
    settings.GUEST_MAX_LIVE = 1
    first, _ = start_guest_from("192.0.2.1")
    age(first.session[GUEST_SESSION_KEY], settings.GUEST_LIFETIME_HOURS)
    client, response = start_guest_from("192.0.2.2")
    assert messages_in(response) == []
    assert Guest.objects.live().get().slug == client.session[GUEST_SESSION_KEY]


def test_one_address_may_start_only_so_many_guests_per_period(db, settings) -> None:  # noqa: ANN001
    settings.GUEST_RATE = (2, 3600)
    start_guest_from("198.51.100.7")
    start_guest_from("198.51.100.7")
    client, response = start_guest_from("198.51.100.7")
    assert messages_in(response) == [
        "Too many guest spaces were started from your address recently (2 in 1 hour). "
        "Try again later, or sign in."
    ]
    assert GUEST_SESSION_KEY not in client.session
    _, other = start_guest_from("198.51.100.8")
    assert other.redirect_chain[-1][0] == reverse("projects-list")
    assert Guest.objects.filter(created_from="198.51.100.7").count() == 2


def test_the_rate_counts_only_the_period(db, settings) -> None:  # noqa: ANN001
    settings.GUEST_RATE = (1, 3600)
    first, _ = start_guest_from("2001:db8::1")
    age(first.session[GUEST_SESSION_KEY], 1.01)
    client, response = start_guest_from("2001:db8::1")
    assert messages_in(response) == []
    assert GUEST_SESSION_KEY in client.session


def test_a_rate_of_zero_starts_no_guest(db, settings) -> None:  # noqa: ANN001
    settings.GUEST_RATE = (0, 3600)
    _, response = start_guest_from("192.0.2.1")
    assert "Too many guest spaces" in messages_in(response)[0]
    assert Guest.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_replicas_admitting_at_once_never_pass_the_cap(settings) -> None:  # noqa: ANN001
    """Each thread has its own database connection, as each web replica would."""
    settings.GUEST_MAX_LIVE = 3
    outcomes: list[str] = []
    start = threading.Barrier(8)

    def admit(index: int) -> None:
        start.wait()
        try:
            admit_guest(f"192.0.2.{index}")
            outcomes.append("admitted")
        except GuestRefused:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=admit, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["admitted"] * 3 + ["refused"] * 5
    assert Guest.objects.count() == 3


def test_an_expired_guest_is_nobody_even_before_cleanup(
    guest: Actor, settings  # noqa: ANN001
) -> None:
    guest.project("mine")
    age(guest.slug, settings.GUEST_LIFETIME_HOURS)
    response = guest.client.get(reverse("projects-detail", args=["mine"]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts-login"))


def test_a_guest_session_ends_when_the_guest_space_does(guest: Actor) -> None:
    expires_at = Guest.objects.get(slug=guest.slug).expires_at
    assert abs(guest.client.session.get_expiry_date() - expires_at) < timedelta(seconds=1)


def test_signing_in_gives_back_the_normal_session_length(
    guest: Actor, alice: Actor, settings  # noqa: ANN001
) -> None:
    guest.client.post(reverse("accounts-login"), {"username": "alice", "password": PASSWORD})
    assert guest.client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE


def test_the_notices_say_how_long_a_guest_space_lasts(db, settings) -> None:  # noqa: ANN001
    settings.GUEST_LIFETIME_HOURS = 6
    login_page = Client().get(reverse("accounts-login"))
    assert b"a small space of your own for 6 hours" in login_page.content
    client, _ = start_guest_from("192.0.2.1")
    listing = client.get(reverse("projects-list")).content.decode()
    assert "This space lasts 6 hours from its start: in 5\xa0hours, 59\xa0minutes" in listing


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(86400, "1 day"), (172800, "2 days"), (3600 * 36, "36 hours"), (5400, "90 minutes"),
     (45, "45 seconds"), (1, "1 second")],
)
def test_durations_are_said_in_their_largest_whole_unit(seconds: int, text: str) -> None:
    assert duration_text(seconds) == text


@pytest.mark.parametrize(
    ("text", "rate"),
    [("10/hour", (10, 3600)), ("10/h", (10, 3600)), ("3/15m", (3, 900)), ("100/day", (100, 86400)),
     ("0/hour", (0, 3600)), (" 5 / 2 hours ", (5, 7200)), ("7/30s", (7, 30))],
)
def test_env_rate_reads_counts_per_period(text: str, rate: tuple[int, int]) -> None:
    assert env_rate("GUEST_RATE", "1/h", environ={"GUEST_RATE": text}) == rate


@pytest.mark.parametrize("text", ["ten/hour", "10", "10/0h", "10/ms", "-1/h", "10/fortnight"])
def test_env_rate_refuses_nonsense(text: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="GUEST_RATE must be a rate such as 10/hour"):
        env_rate("GUEST_RATE", "1/h", environ={"GUEST_RATE": text})


def test_a_rate_period_longer_than_the_lifetime_is_refused_at_start() -> None:
    result = run_python(
        "import django.conf; django.conf.settings.GUEST_RATE",
        {"GUEST_RATE": "10/day", "GUEST_LIFETIME_HOURS": "12"},
    )
    assert result.returncode != 0
    assert "GUEST_RATE's period cannot be longer than GUEST_LIFETIME_HOURS" in result.stderr
