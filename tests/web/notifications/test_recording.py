"""The watcher records one Notification per (run, channel) when a run the owner asked about
ends, once however often it sees that end, and never for a run that ended before anyone asked."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from django.contrib.auth.models import User

from notifications.models import EmailMode, Notification, NotifyPreference, RunSubscription
from notifications.preferences import subscribe
from runs.models import ArchiveState
from tests.waiting import wait_until
from tests.web.conftest import Actor
from tests.web.notifications.conftest import end_run
from tests.web.watcher.conftest import wait_for_row, watching

pytestmark = pytest.mark.django_db(transaction=True)


def alice_wants(channels: str = "email+webhook") -> User:
    user = User.objects.get(username="alice")
    NotifyPreference.objects.create(
        user=user, email=EmailMode.ALL if "email" in channels else EmailMode.OFF,
        webhook_url="https://hooks.example.org/runs" if "webhook" in channels else "",
        webhook_secret="s3cret" if "webhook" in channels else "")
    return user


def rows_of(run: dict) -> list[tuple[str, str]]:
    return sorted(Notification.objects.filter(run_uid=uuid.UUID(run["metadata"]["uid"]))
                  .values_list("channel", "phase"))


def test_a_run_ending_records_one_row_per_channel(watched, alice: Actor, web_settings) -> None:  # noqa: ANN001
    web_settings.EMAIL_HOST = "smtp.lab.example"
    web_settings.NOTIFY_SENDER = False
    user = alice_wants()
    run = watched.create_run("alice", "cells")
    asked, unasked = run, watched.create_run("alice", "cells")
    subscribe(user, asked["metadata"]["uid"])
    with watching():
        wait_for_row(asked, phase="Queued")
        watched.set_status(asked["metadata"]["name"], phase="Running")
        wait_for_row(asked, phase="Running")
        assert rows_of(asked) == []  # not before it ends
        end_run(watched, asked, "Failed", reason="OOMKilled")
        end_run(watched, unasked, "Succeeded")
        wait_for_row(unasked, phase="Succeeded")
        wait_until(lambda: rows_of(asked), timeout=20, what="the notifications")
    assert rows_of(asked) == [("email", "Failed"), ("webhook", "Failed")]
    assert rows_of(unasked) == []
    row = Notification.objects.get(run_uid=asked["metadata"]["uid"], channel="email")
    assert (row.run_name, row.reason, row.user) == (asked["metadata"]["name"], "OOMKilled", user)
    assert row.finished_at - row.started_at == timedelta(minutes=3)
    assert RunSubscription.objects.get(run_uid=asked["metadata"]["uid"]).done


def test_restarts_and_relists_record_nothing_twice(watched, alice: Actor, web_settings) -> None:  # noqa: ANN001
    web_settings.NOTIFY_SENDER = False
    user = alice_wants("webhook")
    run = watched.create_run("alice", "cells")
    subscribe(user, run["metadata"]["uid"])
    end_run(watched, run, "Succeeded")
    with watching():
        wait_until(lambda: rows_of(run), timeout=20, what="the notification")
    # A replay from the start, then a full relist, as after a restart and a 410.
    ArchiveState.objects.filter(kind="pipelineruns").update(resource_version="1")
    with watching():
        wait_until(lambda: ArchiveState.objects.get(kind="pipelineruns").resource_version != "1",
                   timeout=20, what="the replay")
    ArchiveState.objects.filter(kind="pipelineruns").update(resource_version="")
    with watching() as watcher:
        wait_until(lambda: watcher.followers[0].lists == 1, timeout=20, what="the relist")
    # The subscription's done mark aside, the (run, channel) constraint holds it to one row.
    RunSubscription.objects.update(done=False)
    with watching():  # a first sync: the row is new again, its end seen again
        pass
    assert rows_of(run) == [("webhook", "Succeeded")]
    assert Notification.objects.count() == 1


def test_a_run_that_ended_before_the_user_asked_is_never_told(watched, alice: Actor,  # noqa: ANN001
                                                              web_settings) -> None:
    """The first sync of a new archive sees old ends: no flood of them."""
    web_settings.NOTIFY_SENDER = False
    user = alice_wants("webhook")
    old = watched.create_run("alice", "cells")
    end_run(watched, old, "Succeeded", ended=datetime.now(timezone.utc) - timedelta(hours=2))
    subscribe(user, old["metadata"]["uid"])  # asked now, about a run that ended two hours ago
    fresh = watched.create_run("alice", "cells")
    subscribe(user, fresh["metadata"]["uid"])
    end_run(watched, fresh, "Cancelled", ended=datetime.now(timezone.utc) + timedelta(seconds=5))
    with watching():
        wait_for_row(old, phase="Succeeded")
        wait_until(lambda: rows_of(fresh), timeout=20, what="the fresh run's notification")
    assert rows_of(old) == []
    assert rows_of(fresh) == [("webhook", "Cancelled")]
    assert RunSubscription.objects.get(run_uid=old["metadata"]["uid"]).done


def test_failures_only_leaves_other_ends_untold(watched, alice: Actor, web_settings) -> None:  # noqa: ANN001
    web_settings.EMAIL_HOST = "smtp.lab.example"
    web_settings.NOTIFY_SENDER = False
    user = User.objects.get(username="alice")
    NotifyPreference.objects.create(user=user, email=EmailMode.FAILURES)
    good, bad = watched.create_run("alice", "cells"), watched.create_run("alice", "cells")
    for run in (good, bad):
        subscribe(user, run["metadata"]["uid"])
    end_run(watched, good, "Succeeded")
    end_run(watched, bad, "Failed")
    with watching():
        wait_until(lambda: rows_of(bad), timeout=20, what="the failure's notification")
        wait_until(lambda: RunSubscription.objects.get(run_uid=good["metadata"]["uid"]).done,
                   timeout=20, what="the success seen")
    assert rows_of(good) == []
    assert rows_of(bad) == [("email", "Failed")]
