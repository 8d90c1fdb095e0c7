"""Webhook notifications to a real HTTP receiver: JSON signed with the user's secret (HMAC),
retried with backoff after 5xx answers, delivered once, given up after NOTIFY_MAX_ATTEMPTS."""

from __future__ import annotations

import json
import time

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone

from notifications.delivery import deliver_due, retry_delay
from notifications.models import EmailMode, Notification, NotifyPreference, State
from notifications.preferences import subscribe
from tests.waiting import wait_until
from tests.web.conftest import Actor
from tests.web.notifications.conftest import Receiver, end_run, json_of
from tests.web.watcher.conftest import watching

pytestmark = pytest.mark.django_db(transaction=True)
SECRET = "0f" * 32


def webhook_for(username: str, url: str) -> User:
    user = User.objects.get(username=username)
    NotifyPreference.objects.create(user=user, email=EmailMode.OFF, webhook_url=url,
                                    webhook_secret=SECRET)
    return user


def pending(run_name: str, user: User) -> Notification:
    return Notification.objects.create(
        user=user, run_uid="5a1f0c9e-8b7d-4e6f-a5b4-c3d2e1f0a9b8", channel="webhook",
        run_name=run_name, phase="Failed", reason="Error", pipeline="nuclei",
        project_path="alice/cells")


def test_two_500s_then_200_is_delivered_once_after_retries(watched, alice: Actor,  # noqa: ANN001
                                                          receiver: Receiver,
                                                          web_settings) -> None:
    web_settings.NOTIFY_DIGEST_SECONDS = 2
    web_settings.NOTIFY_RETRY_SECONDS = 1
    receiver.answers = [500, 500]
    user = webhook_for("alice", receiver.url)
    runs = [watched.create_run("alice", "cells") for _ in range(2)]
    for run in runs:
        subscribe(user, run["metadata"]["uid"])
    with watching(notify_seconds=0.2):
        end_run(watched, runs[0], "Succeeded")
        end_run(watched, runs[1], "Failed", reason="Error")
        wait_until(lambda: Notification.objects.filter(state=State.SENT).count() == 2,
                   timeout=40, what="delivered after two 500s")
    assert [call["status"] for call in receiver.calls] == [500, 500, 200]
    # Each try is the same digest of both runs, signed with alice's secret.
    for call in receiver.calls:
        assert call["path"] == "/hooks/runs?from=kubeshowcase"
        assert call["headers"]["Content-Type"] == "application/json"
        assert receiver.signature_ok(call, SECRET)
        assert abs(int(call["headers"]["X-Kubeshowcase-Timestamp"]) - time.time()) < 120
    assert len({json.dumps(json_of(call)["runs"]) for call in receiver.calls}) == 1
    assert len({call["headers"]["X-Kubeshowcase-Delivery"] for call in receiver.calls}) == 1
    # The waits between tries grew: at least 1 s, then at least 2 s.
    first, second, third = (call["at"] for call in receiver.calls)
    assert second - first >= 1 and third - second >= 2
    body = json_of(receiver.calls[-1])
    assert (body["event"], body["user"]) == ("runs.ended", "alice")
    assert sorted((run["name"], run["phase"]) for run in body["runs"]) == sorted(
        [(runs[0]["metadata"]["name"], "Succeeded"), (runs[1]["metadata"]["name"], "Failed")])
    assert {run["url"] for run in body["runs"]} == {
        f"https://showcase.lab.example/runs/{run['metadata']['name']}/" for run in runs}
    assert {run["duration"] for run in body["runs"]} == {"3m00s"}
    assert set(Notification.objects.values_list("attempts", flat=True)) == {3}


def test_the_backoff_doubles_up_to_an_hour(web_settings) -> None:  # noqa: ANN001
    web_settings.NOTIFY_RETRY_SECONDS = 30
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 4, 10)] == [
        30, 60, 120, 240, 3600]


def test_a_wrong_secret_would_not_check(alice: Actor, receiver: Receiver,  # noqa: ANN001
                                        web_settings) -> None:
    web_settings.NOTIFY_DIGEST_SECONDS = 0
    pending("alice-cells-a", webhook_for("alice", receiver.url))
    assert deliver_due() == {"sent": 1}
    [call] = receiver.calls
    assert receiver.signature_ok(call, SECRET)
    assert not receiver.signature_ok(call, "another secret")
    assert not receiver.signature_ok({**call, "body": call["body"] + b" "}, SECRET)


def test_it_gives_up_after_max_attempts_and_says_why(alice: Actor, receiver: Receiver,  # noqa: ANN001
                                                     web_settings) -> None:
    web_settings.NOTIFY_DIGEST_SECONDS = 0
    web_settings.NOTIFY_MAX_ATTEMPTS = 3
    receiver.answers = [503] * 10
    row = pending("alice-cells-b", webhook_for("alice", receiver.url))
    for _ in range(5):
        call_command("send_notifications", "--once")
        Notification.objects.update(next_attempt_at=timezone.now())  # skip the backoff
    row.refresh_from_db()
    assert (row.state, row.attempts, len(receiver.calls)) == (State.FAILED, 3, 3)
    assert "503" in row.last_error


def test_a_webhook_host_that_turned_private_is_not_called(alice: Actor, receiver: Receiver,  # noqa: ANN001
                                                          web_settings) -> None:
    """Saved while allowed; the check at each call refuses it once it is not."""
    web_settings.NOTIFY_DIGEST_SECONDS = 0
    row = pending("alice-cells-c", webhook_for("alice", receiver.url))
    web_settings.NOTIFY_WEBHOOK_ALLOWED_HOSTS = []
    assert deliver_due() == {"gave up": 1}
    row.refresh_from_db()
    assert (row.state, receiver.calls) == (State.FAILED, [])
    assert "https" in row.last_error
    # https to a loopback name: refused for its address, still never called.
    Notification.objects.update(state=State.PENDING)
    NotifyPreference.objects.update(webhook_url=f"https://localhost:{receiver.port}/hooks")
    assert deliver_due() == {"gave up": 1}
    row.refresh_from_db()
    assert "loopback" in row.last_error and receiver.calls == []


def test_a_host_not_found_is_tried_again_later(alice: Actor, web_settings) -> None:  # noqa: ANN001
    web_settings.NOTIFY_DIGEST_SECONDS = 0
    row = pending("alice-cells-d", webhook_for("alice", "https://hooks.example.invalid/runs"))
    assert deliver_due() == {"failed": 1}
    row.refresh_from_db()
    assert (row.state, row.attempts) == (State.PENDING, 1)
    assert "cannot be found" in row.last_error and row.next_attempt_at > timezone.now()
