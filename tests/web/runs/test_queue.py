"""The queue page: positions from status, others' names hidden, your own runs cancellable."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from tests.web.conftest import Actor
from tests.web.runs.conftest import Cluster


def rows(response) -> list[list[str]]:  # noqa: ANN001
    """The queue table's cells as text, row by row."""
    from html.parser import HTMLParser

    class Cells(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.rows: list[list[str]] = []
            self.cell: list[str] | None = None
            self.in_body = False

        def handle_starttag(self, tag: str, attrs: list) -> None:
            if tag == "tbody":
                self.in_body = True
            elif tag == "tr" and self.in_body:
                self.rows.append([])
            elif tag == "td" and self.in_body:
                self.cell = []

        def handle_endtag(self, tag: str) -> None:
            if tag == "td" and self.cell is not None:
                self.rows[-1].append(" ".join("".join(self.cell).split()))
                self.cell = None

        def handle_data(self, data: str) -> None:
            if self.cell is not None:
                self.cell.append(data)

    parser = Cells()
    parser.feed(response.content.decode())
    return [row[:6] for row in parser.rows]


def fill_queue(cluster: Cluster) -> None:
    cluster.create_run("bob", "secret-project", name="q0-bob-running")
    cluster.set_status("q0-bob-running", phase="Running", jobName="q0-bob-running-job")
    cluster.create_run("alice", "cells", name="q1-alice-head")
    cluster.set_status("q1-alice-head", phase="Queued", queuePosition=1)
    cluster.create_run("bob", "secret-project", name="q2-bob")
    cluster.create_run("alice", "more", name="q3-alice")
    cluster.set_status("q3-alice", phase="Queued")
    cluster.create_run("alice", "old", name="q4-alice-done")
    cluster.set_status("q4-alice-done", phase="Succeeded")


def test_positions_and_hidden_names(alice: Actor, cluster: Cluster) -> None:
    fill_queue(cluster)
    response = alice.client.get(reverse("runs-queue"))
    assert response.status_code == 200
    assert rows(response) == [
        ["running", "—", "nuclei", "another user", "another user", "Running"],
        ["1", "q1-alice-head", "nuclei", "alice", "cells", "Queued"],
        ["2", "—", "nuclei", "another user", "another user", "Queued"],
        ["3", "q3-alice", "nuclei", "alice", "more", "Queued"],
    ]
    html = response.content.decode()
    assert "bob" not in html and "secret-project" not in html
    # Cancel buttons for alice's runs only.
    assert html.count("Cancel q") == 2


def test_the_fragment_is_the_same_table(alice: Actor, cluster: Cluster) -> None:
    fill_queue(cluster)
    fragment = alice.client.get(reverse("runs-queue-table"))
    assert fragment.status_code == 200
    assert b"<html" not in fragment.content
    assert rows(fragment) == rows(alice.client.get(reverse("runs-queue")))
    # The status changes through the API; the next poll shows it.
    cluster.set_status("q3-alice", phase="Running")
    assert ["running", "q3-alice", "nuclei", "alice", "more", "Running"] in rows(
        alice.client.get(reverse("runs-queue-table")))


def test_staff_see_every_name(cluster: Cluster, db) -> None:  # noqa: ANN001
    fill_queue(cluster)
    admin = User.objects.create_user("admin", is_staff=True)
    client = Client()
    client.force_login(admin)
    table = rows(client.get(reverse("runs-queue")))
    assert table[0] == ["running", "q0-bob-running", "nuclei", "bob", "secret-project", "Running"]


def test_empty_queue(alice: Actor, cluster: Cluster) -> None:
    assert b"Nothing is queued or running." in alice.client.get(reverse("runs-queue")).content


def test_signed_out_visitors_go_to_the_login_page(cluster: Cluster, db) -> None:  # noqa: ANN001
    for name in ("runs-queue", "runs-queue-table"):
        response = Client().get(reverse(name))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_queue_is_the_archive(alice: Actor, cluster: Cluster) -> None:
    """A run the watcher has not archived yet is not listed; once archived, it is."""
    cluster.create_run("alice", "cells", name="q1-alice", sync=False)
    assert b"Nothing is queued or running." in alice.client.get(reverse("runs-queue")).content
    cluster.sync()
    assert [row[1] for row in rows(alice.client.get(reverse("runs-queue")))] == ["q1-alice"]


def test_an_unchanged_queue_answers_304_from_one_aggregate(alice: Actor, cluster: Cluster) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    fill_queue(cluster)
    url = reverse("runs-queue-table")
    first = alice.client.get(url)
    etag = first["ETag"]
    assert first.status_code == 200 and etag
    with CaptureQueriesContext(connection) as queries:
        unchanged = alice.client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert unchanged.status_code == 304 and unchanged.content == b""
    on_runs = [q["sql"] for q in queries.captured_queries if "runs_runrecord" in q["sql"]]
    assert len(on_runs) == 1 and "COUNT(" in on_runs[0]  # no row read, nothing rendered
    # Any change the table shows is a new version: a phase, a run leaving, a run arriving.
    cluster.set_status("q3-alice", phase="Running")
    changed = alice.client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert ["running", "q3-alice", "nuclei", "alice", "more", "Running"] in rows(changed)
    etag = changed["ETag"]
    cluster.set_status("q0-bob-running", phase="Succeeded")
    left = alice.client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert left.status_code == 200 and len(rows(left)) == 3
    cluster.create_run("bob", "x", name="q5-bob")
    assert alice.client.get(url, HTTP_IF_NONE_MATCH=left["ETag"]).status_code == 200


def test_the_version_is_per_viewer_and_ages_tick_in_the_browser(
    alice: Actor, bob: Actor, cluster: Cluster
) -> None:
    fill_queue(cluster)
    url = reverse("runs-queue-table")
    alices = alice.client.get(url)
    # bob's table shows other names and buttons: alice's version is not his.
    assert bob.client.get(url, HTTP_IF_NONE_MATCH=alices["ETag"]).status_code == 200
    assert alice.client.get(url, HTTP_IF_NONE_MATCH=alices["ETag"]).status_code == 304
    # Ages carry their timestamp; poll.js writes the text, so they are not in the version.
    assert alices.content.decode().count("data-age>") == 4


def test_a_stale_archive_says_so(alice: Actor, cluster: Cluster) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from runs.models import ArchiveState

    fill_queue(cluster)
    fresh = alice.client.get(reverse("runs-queue-table"))
    assert "run archive" not in fresh.content.decode()
    ArchiveState.objects.filter(kind="pipelineruns").update(
        alive_at=timezone.now() - timedelta(minutes=5))
    stale = alice.client.get(reverse("runs-queue-table"), HTTP_IF_NONE_MATCH=fresh["ETag"])
    assert stale.status_code == 200
    html = stale.content.decode()
    assert "The run archive was last brought up to date 300 s ago" in html
    assert len(rows(stale)) == 4  # the last rows known are still shown


def test_a_refresh_costs_the_same_queries_for_many_runs(
    alice: Actor, django_assert_max_num_queries  # noqa: ANN001
) -> None:
    import uuid

    from django.utils import timezone

    from runs import archive
    from runs.models import ArchiveState

    ArchiveState.objects.create(kind="pipelineruns", alive_at=timezone.now())
    for n in range(40):
        archive.upsert({"metadata": {"name": f"r{n}", "uid": str(uuid.uuid4()),
                                     "creationTimestamp": f"2026-01-01T10:00:{n:02d}Z"},
                        "spec": {"pipeline": "nuclei", "owner": "alice" if n % 2 else "bob",
                                 "project": "x/y"},
                        "status": {"phase": "Running" if n < 3 else "Queued"}})
    alice.client.get(reverse("runs-queue-table"))
    with django_assert_max_num_queries(8):  # session, user, version, rows, freshness: none per row
        assert len(rows(alice.client.get(reverse("runs-queue-table")))) == 40
