"""E-mail notifications through Django's SMTP settings, to a real SMTP server (aiosmtpd):
runs that end together come as one digest, with their names, phases, durations and links."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from notifications.models import EmailMode, Notification, NotifyPreference, State
from notifications.preferences import subscribe
from tests.waiting import wait_until
from tests.web.conftest import Actor
from tests.web.notifications.conftest import end_run, text_of
from tests.web.watcher.conftest import watching

pytestmark = pytest.mark.django_db(transaction=True)


def test_runs_ending_together_come_in_one_email(watched, alice: Actor, bob: Actor,  # noqa: ANN001
                                                smtp_server, web_settings) -> None:
    web_settings.NOTIFY_DIGEST_SECONDS = 5
    alice_user, bob_user = (User.objects.get(username=name) for name in ("alice", "bob"))
    NotifyPreference.objects.create(user=alice_user, email=EmailMode.ALL)
    runs = [watched.create_run("alice", "cells") for _ in range(3)]
    bobs = watched.create_run("bob", "tissue")
    for run in runs:
        subscribe(alice_user, run["metadata"]["uid"])
    subscribe(bob_user, bobs["metadata"]["uid"])  # "off", ticked anyway: e-mail
    with watching(notify_seconds=0.2):
        end_run(watched, runs[0], "Succeeded", minutes=2)
        end_run(watched, runs[1], "Failed", minutes=75, reason="OOMKilled")
        end_run(watched, runs[2], "Cancelled")
        end_run(watched, bobs, "Succeeded")
        wait_until(lambda: len(smtp_server.messages) >= 2, timeout=30, what="two e-mails")
        later = watched.create_run("alice", "cells")
        subscribe(alice_user, later["metadata"]["uid"])
        end_run(watched, later, "Succeeded")
        wait_until(lambda: len(smtp_server.messages) >= 3, timeout=30, what="a later e-mail")
    by_recipient = {message["To"]: message for message in smtp_server.messages[:2]}
    digest = by_recipient["alice@example.org"]
    assert digest["From"] == "kubeshowcase@lab.example"
    assert digest["Subject"] == "[kubeshowcase] 3 runs ended: 1 cancelled, 1 failed, 1 succeeded"
    body = text_of(digest)
    names = [run["metadata"]["name"] for run in runs]
    assert f"  {names[0]}: Succeeded, took 2m00s" in body
    assert f"  {names[1]}: Failed (OOMKilled), took 1h15m00s" in body
    assert f"  {names[2]}: Cancelled, took 3m00s" in body
    for name in names:
        assert f"    https://showcase.lab.example/runs/{name}/" in body
    assert "https://showcase.lab.example/accounts/notifications/" in body
    assert text_of(by_recipient["bob@example.org"]).count("Succeeded") == 1
    assert smtp_server.messages[2]["Subject"] == (
        f"[kubeshowcase] Run {later['metadata']['name']} succeeded")
    assert len(smtp_server.messages) == 3
    assert set(Notification.objects.values_list("state", flat=True)) == {State.SENT}


def test_a_refused_email_is_kept_and_sent_on_a_later_try(alice: Actor, smtp_server,  # noqa: ANN001
                                                         web_settings) -> None:
    web_settings.NOTIFY_DIGEST_SECONDS = 0
    user = User.objects.get(username="alice")
    row = Notification.objects.create(user=user, run_uid="7b6c1a56-0d0b-4c1e-9f37-2b1d3c4e5f60",
                                      channel="email", run_name="alice-cells-x1",
                                      phase="Succeeded")
    port = web_settings.EMAIL_PORT
    web_settings.EMAIL_PORT = 9  # nothing listens: the connection is refused
    call_command("send_notifications", "--once")
    row.refresh_from_db()
    assert (row.state, row.attempts, smtp_server.messages) == (State.PENDING, 1, [])
    assert "refused" in row.last_error.lower()
    assert row.next_attempt_at > row.created_at
    web_settings.EMAIL_PORT = port
    Notification.objects.update(next_attempt_at=row.created_at)  # the backoff is over
    call_command("send_notifications", "--once")
    row.refresh_from_db()
    assert (row.state, row.attempts, len(smtp_server.messages)) == (State.SENT, 2, 1)
