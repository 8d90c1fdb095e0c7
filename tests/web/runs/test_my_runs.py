"""My runs: your own runs from the archive, newest first, a page of 50 at a time (keyset)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

from django.test import Client
from django.urls import reverse

from runs import archive
from runs.history import PAGE_SIZE
from tests.web.conftest import Actor

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def archived(name: str, owner: str = "alice", project: str = "cells", *, minutes: int = 0,
             phase: str = "Succeeded") -> None:
    """A run as the watcher archives it (retention may have deleted its object long ago)."""
    archive.upsert({
        "metadata": {"name": name, "uid": str(uuid.uuid4()),
                     "creationTimestamp": (T0 + timedelta(minutes=minutes)).isoformat()},
        "spec": {"pipeline": "nuclei", "owner": owner, "project": f"{owner}/{project}"},
        "status": {"phase": phase, "duration": "1m"},
    })


class _Listing(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.runs: list[str] = []
        self.links: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list) -> None:
        found = dict(attrs)
        if tag == "tr" and found.get("data-run"):
            self.runs.append(found["data-run"])
        if tag == "a" and found.get("rel"):
            self.links[found["rel"]] = found["href"]


def listing(client: Client, url: str) -> _Listing:
    response = client.get(url)
    assert response.status_code == 200
    parser = _Listing()
    parser.feed(response.content.decode())
    return parser


def test_it_pages_through_every_run_newest_first(alice: Actor, bob: Actor) -> None:
    total = 2 * PAGE_SIZE + 20
    for n in range(total):
        archived(f"run-{n:04d}", minutes=n // 2)  # pairs share a creation time
    archived("bobs-run", owner="bob", minutes=10**5)
    seen: list[str] = []
    url = reverse("runs-mine")
    pages = 0
    while url:
        page = listing(alice.client, url)
        seen += page.runs
        url = page.links.get("next", "")
        pages += 1
        if pages > 1:
            assert page.links["first"] == reverse("runs-mine")
    assert pages == 3
    assert len(seen) == total and len(set(seen)) == total
    created = [n // 2 for n in (int(name.split("-")[1]) for name in seen)]
    assert created == sorted(created, reverse=True)
    assert "bobs-run" not in seen


def test_a_page_may_end_inside_runs_created_in_the_same_second(alice: Actor) -> None:
    """The next page starts after the last row shown, among rows of its creation time too."""
    total = PAGE_SIZE + 10
    for n in range(total):
        archived(f"run-{n:04d}", minutes=n // 3)  # threes share a time: page 1 ends inside one
    first = listing(alice.client, reverse("runs-mine"))
    second = listing(alice.client, first.links["next"])
    assert len(first.runs) == PAGE_SIZE and len(second.runs) == 10
    assert sorted(first.runs + second.runs) == [f"run-{n:04d}" for n in range(total)]


def test_it_links_each_run_and_its_results(alice: Actor) -> None:
    archived("done")
    archived("going", phase="Running")
    html = alice.client.get(reverse("runs-mine")).content.decode()
    assert f'href="{reverse("runs-detail", args=["done"])}"' in html
    assert f'href="{reverse("results-run", args=["done"])}"' in html
    assert f'href="{reverse("results-run", args=["going"])}"' not in html
    assert ">Running<" in html and ">Succeeded<" in html
    # The site's navigation leads here.
    assert f'href="{reverse("runs-mine")}">My runs<' in alice.client.get(
        reverse("projects-list")).content.decode()


def test_a_bad_cursor_is_a_clear_400(alice: Actor) -> None:
    for before in ("nonsense", "2026-01-01T00:00:00~not-a-uid", f"2026-01-01~{uuid.uuid4()}"):
        response = alice.client.get(reverse("runs-mine"), {"before": before})
        assert response.status_code == 400
        assert "This is not a page of the list." in response.content.decode()


def test_nothing_yet(alice: Actor, guest: Actor) -> None:
    assert b"You have not started any run yet." in alice.client.get(reverse("runs-mine")).content
    assert guest.client.get(reverse("runs-mine")).status_code == 200
    anonymous = Client().get(reverse("runs-mine"))
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_a_page_costs_a_bounded_number_of_queries(alice: Actor, django_assert_max_num_queries
                                                   ) -> None:  # noqa: ANN001
    for n in range(PAGE_SIZE + 5):
        archived(f"run-{n:04d}", minutes=n)
    alice.client.get(reverse("runs-mine"))  # the session and user rows warm up
    with django_assert_max_num_queries(6):  # session, user, the page: never one per run
        alice.client.get(reverse("runs-mine"))
