"""Two submissions by one owner are serialised, so both cannot pass the queued-run limit."""

from __future__ import annotations

import threading

import pytest
from django.db import connections
from django.urls import reverse

from runs.views.newrun import owner_lock_key
from tests.waiting import wait_until
from tests.web.conftest import Actor
from tests.web.runs.conftest import Cluster, nuclei_form


@pytest.mark.django_db(transaction=True)
def test_a_submission_waits_for_the_owners_lock(alice: Actor, cluster: Cluster) -> None:
    alice.project("cells")
    holder = connections.create_connection("default")  # another worker's database session
    answers: list[int] = []

    def submit() -> None:
        try:
            answers.append(
                alice.client.post(reverse("runs-new", args=["cells"]), nuclei_form()).status_code)
        finally:
            connections.close_all()

    try:
        with holder.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [owner_lock_key("alice")])
        worker = threading.Thread(target=submit)
        worker.start()

        def waiting_for_lock() -> bool:
            with holder.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_locks "
                               "WHERE locktype = 'advisory' AND NOT granted")
                return cursor.fetchone()[0] > 0

        wait_until(waiting_for_lock, what="the submission to wait for the lock")
        assert cluster.runs() == []
        with holder.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [owner_lock_key("alice")])
        worker.join(60)
        assert answers == [302]
        assert len(cluster.runs()) == 1
    finally:
        holder.close()
