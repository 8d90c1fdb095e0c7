"""A project's run history (/projects/<project>/runs): its archived runs by the Project row,
newest first, a page at a time; a renamed project keeps them, a re-made name starts empty."""

from __future__ import annotations

import re
import shutil
import uuid

from django.urls import reverse

from projects.models import Project
from runs import archive
from runs.history import PAGE_SIZE
from tests.web.conftest import Actor
from tests.web.results.conftest import Archive


def history(actor: Actor, project: str = "cells", query: str = "") -> list[str]:
    response = actor.client.get(reverse("runs-project-history", args=[project]) + query)
    assert response.status_code == 200
    return [run.name for run in response.context["runs"]]


def test_it_lists_the_projects_runs_newest_first_with_links(
    alice: Actor, runs_archive: Archive
) -> None:
    runs_archive.nuclei()
    _, cells = runs_archive.project(alice, "cells")
    _, other = runs_archive.project(alice, "other")
    for name in ("r1", "r2", "r3"):
        runs_archive.run(cells, name)
    runs_archive.run(other, "elsewhere")
    assert history(alice) == ["r3", "r2", "r1"]
    html = alice.client.get(reverse("runs-project-history", args=["cells"])).content.decode()
    assert reverse("runs-detail", args=["r2"]) in html
    assert reverse("results-project", args=["cells"]) + "?run=r2" in html
    assert 'id="older"' not in html


def test_the_project_page_links_to_it(alice: Actor, runs_archive: Archive) -> None:
    runs_archive.project(alice, "cells")
    page = alice.client.get(reverse("projects-detail", args=["cells"])).content.decode()
    assert f'href="{reverse("runs-project-history", args=["cells"])}"' in page


def test_it_checks_owner(alice: Actor, bob: Actor, runs_archive: Archive) -> None:
    runs_archive.nuclei()
    _, bobs = runs_archive.project(bob, "secret")
    runs_archive.run(bobs, "r-bob")
    assert alice.client.get(reverse("runs-project-history", args=["secret"])).status_code == 404
    assert history(bob, "secret") == ["r-bob"]


def test_it_rejects_post(alice: Actor, runs_archive: Archive) -> None:
    runs_archive.project(alice, "cells")
    response = alice.client.post(reverse("runs-project-history", args=["cells"]))
    assert response.status_code == 405


def test_a_renamed_project_keeps_its_history_and_results(
    alice: Actor, runs_archive: Archive
) -> None:
    runs_archive.nuclei()
    folder, row = runs_archive.project(alice, "cells", {"results/summary.csv": b"n\n1\n"})
    runs_archive.run(row, "r1", outputs=[])
    runs_archive.run(row, "r2")
    folder.rename(folder.parent / "nuclei-2026")  # what a rename does: the folder and the row
    Project.objects.filter(id=row.id).update(name="nuclei-2026")
    assert history(alice, "nuclei-2026") == ["r2", "r1"]
    results = alice.client.get(reverse("results-project", args=["nuclei-2026"]))
    assert results.context["run"].name == "r2"
    assert [t.relative for t in results.context["results"].tables] == ["results/summary.csv"]
    assert alice.client.get(reverse("results-run", args=["r1"]))["Location"] == (
        reverse("results-project", args=["nuclei-2026"]) + "?run=r1")


def test_a_project_made_again_under_its_old_name_starts_empty(
    alice: Actor, runs_archive: Archive
) -> None:
    runs_archive.nuclei()
    folder, row = runs_archive.project(alice, "cells", {"results/summary.csv": b"n\n1\n"})
    runs_archive.run(row, "r1")
    shutil.rmtree(folder)  # what a delete does: the folder and the row (runs stay, unlinked)
    row.delete()
    runs_archive.project(alice, "cells")
    assert history(alice) == []
    assert "No runs of this project yet." in alice.client.get(
        reverse("runs-project-history", args=["cells"])).content.decode()
    results = alice.client.get(reverse("results-project", args=["cells"]))
    assert results.context["run"] is None
    assert alice.client.get(reverse("results-project", args=["cells"]) + "?run=r1"
                            ).status_code == 404
    assert alice.client.get(reverse("results-run", args=["r1"])).status_code == 404


def test_250_runs_page_by_page(alice: Actor, runs_archive: Archive) -> None:
    """Keyset pages: every run once, in order, ties in created_at included, the runs without
    a created_at last."""
    runs_archive.nuclei()
    _, row = runs_archive.project(alice, "cells")
    for n in range(247):
        runs_archive.run(row, f"run-{n:03d}", same_time=n % 3 == 0)
    for n in range(3):  # archived without a creationTimestamp
        archive.upsert({"metadata": {"name": f"undated-{n}", "uid": str(uuid.uuid4())},
                        "spec": {"pipeline": "nuclei", "owner": "alice",
                                 "project": "alice/cells", "projectId": str(row.id)}})
    expected = [run.name for run in row.runs.order_by("-created_at", "-uid")
                if run.created_at is not None]
    seen: list[str] = []
    query = ""
    pages = 0
    while True:
        response = alice.client.get(reverse("runs-project-history", args=["cells"]) + query)
        assert response.status_code == 200
        names = [run.name for run in response.context["runs"]]
        assert 0 < len(names) <= PAGE_SIZE
        seen += names
        pages += 1
        older = re.search(r'href="([^"]*)" rel="next" id="older"', response.content.decode())
        if not older:
            break
        query = "?" + older.group(1).split("?", 1)[1].replace("&amp;", "&")
    assert pages == 5 and len(seen) == 250 == len(set(seen))
    assert seen[:247] == expected
    assert sorted(seen[247:]) == ["undated-0", "undated-1", "undated-2"]


def test_a_broken_page_link_shows_the_newest_runs(alice: Actor, runs_archive: Archive) -> None:
    runs_archive.nuclei()
    _, row = runs_archive.project(alice, "cells")
    runs_archive.run(row, "r1")
    response = alice.client.get(
        reverse("runs-project-history", args=["cells"]) + "?before=yesterday~nope")
    assert response.status_code == 400
    assert [run.name for run in response.context["runs"]] == ["r1"]
    assert "This page link is not valid" in response.content.decode()
