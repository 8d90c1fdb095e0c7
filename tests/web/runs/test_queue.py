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
