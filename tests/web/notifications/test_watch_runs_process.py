"""manage.py watch_runs as the chart runs it (a process, settings from environment variables)
records a run's end and sends its e-mail through the SMTP server named by EMAIL_HOST/PORT."""

from __future__ import annotations

from pathlib import Path

import psycopg

from tests.fixtures.watcher import running_watcher
from tests.waiting import wait_until
from tests.web.notifications.conftest import end_run, text_of
from tests.web.runs.conftest import Cluster
from tests.web.watcher.test_command import database_url  # noqa: F401 (fixture)


def add_user_asking_about(url: str, run_uid: str) -> None:
    with psycopg.connect(url) as connection:
        [user_id] = connection.execute(
            "INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, "
            "email, is_staff, is_active, date_joined) VALUES ('!', false, 'alice', '', '', "
            "'alice@example.org', false, true, now()) RETURNING id").fetchone()
        connection.execute(
            "INSERT INTO notifications_runsubscription (run_uid, user_id, requested_at, done) "
            "VALUES (%s, %s, now(), false)", [run_uid, user_id])


def test_the_watcher_process_sends_the_email(apiserver, kube_client, database_url: str,  # noqa: ANN001, F811
                                             smtp_server, web_settings, tmp_path: Path) -> None:
    cluster = Cluster(kube_client, apiserver.namespace, syncs=False)
    run = cluster.create_run("alice", "cells", name="told")
    add_user_asking_about(database_url, run["metadata"]["uid"])
    env = {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(web_settings.EMAIL_PORT),
           "DEFAULT_FROM_EMAIL": "runs@lab.example", "SITE_URL": "https://lab.example",
           "NOTIFY_DIGEST_SECONDS": "0", "NOTIFY_POLL_SECONDS": "1"}
    with running_watcher(apiserver, database_url, tmp_path / "watcher.log", **env):
        end_run(cluster, run, "Succeeded")
        wait_until(lambda: smtp_server.messages, timeout=30, what="the e-mail")
    [message] = smtp_server.messages
    assert (message["To"], message["From"]) == ("alice@example.org", "runs@lab.example")
    assert "told: Succeeded, took 3m00s" in text_of(message)
    assert "https://lab.example/runs/told/" in text_of(message)
    with psycopg.connect(database_url) as connection:
        assert connection.execute(
            "SELECT channel, state, attempts FROM notifications_notification").fetchall() == [
            ("email", "sent", 1)]
