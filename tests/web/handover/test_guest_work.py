"""Signing in from a guest space offers to keep its work: projects, files, runs and results
move into the account, all or nothing."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.urls import reverse

from accounts.identity import GUEST_LEFT_SESSION_KEY
from projects.models import OwnerUsage, Project
from projects.records import reconcile_owner
from runs import archive
from runs.models import RunRecord
from tests.web.conftest import PASSWORD, Actor, messages_in, tree
from tests.web.results.conftest import Archive

PAGE = "handover-guest-work"


def guest_with_work(guest: Actor, phase: str = "Succeeded") -> tuple[Archive, Project]:
    runs = Archive()
    runs.nuclei()
    _, row = runs.project(guest, "cells", {"a.png": b"png", "results/summary.csv": b"n\n2\n"})
    runs.run(row, "guest-run-1", phase=phase)
    reconcile_owner(guest.slug)  # the counters as uploads would have left them
    return runs, row


def sign_in(actor: Actor) -> None:
    response = actor.client.post(reverse("accounts-login"),
                                 {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302


def test_the_work_moves_into_the_account_with_its_runs_and_results(
    guest: Actor, alice: Actor
) -> None:
    runs, row = guest_with_work(guest)
    alice.project("cells", {"mine.txt": b"alice's"})  # the name is taken: the guest's is renamed
    reconcile_owner("alice")
    sign_in(guest)
    page = guest.client.get(reverse("projects-list")).content.decode()
    assert 'id="guest-work-banner"' in page
    offer = guest.client.get(reverse(PAGE)).content.decode()
    assert "cells" in offer and "1 run of the guest space" in offer

    response = guest.client.post(reverse(PAGE), {"choice": "keep"})
    assert response.status_code == 302
    [message] = messages_in(guest.client.get(reverse("projects-list")))
    assert "cells-guest (1 runs)" in message and "“cells” as “cells-guest”" in message
    home = Path(settings.DATA_ROOT)
    assert tree(home / "alice" / "cells-guest") == [
        ("a.png", b"png"), ("results", None), ("results/summary.csv", b"n\n2\n")]
    assert tree(home / "alice" / "cells") == [("mine.txt", b"alice's")]
    assert not (home / guest.slug / "cells").exists()
    moved = Project.objects.get(id=row.id)
    assert (moved.owner, moved.name, moved.files) == ("alice", "cells-guest", 2)
    usage = {u.owner: (u.projects, u.files) for u in OwnerUsage.objects.all()}
    assert usage["alice"] == (2, 3) and usage[guest.slug] == (0, 0)
    run = RunRecord.objects.get(name="guest-run-1")
    assert (run.owner, run.project_path) == ("alice", "alice/cells-guest")
    assert "guest-run-1" in guest.client.get(reverse("runs-mine")).content.decode()
    results = guest.client.get(reverse("results-project", args=["cells-guest"]))
    assert results.status_code == 200 and results.context["run"].name == "guest-run-1"
    assert GUEST_LEFT_SESSION_KEY not in guest.client.session
    assert 'id="guest-work-banner"' not in guest.client.get(reverse("projects-list")).content.decode()

    # The watcher sees the run's object again (a relist): it still says the guest (spec.owner
    # is immutable), and the archive keeps it the account's.
    obj = {"metadata": {"name": "guest-run-1", "uid": str(run.uid), "resourceVersion": "9"},
           "spec": {"pipeline": "nuclei", "owner": runs.rows["guest-run-1"].owner or guest.slug,
                    "project": f"{guest.slug}/cells", "projectId": str(row.id)},
           "status": {"phase": "Succeeded", "message": "seen again"}}
    archive.upsert(obj)
    again = RunRecord.objects.get(name="guest-run-1")
    assert (again.owner, again.project_path, again.message) == (
        "alice", "alice/cells-guest", "seen again")


def test_nothing_moves_while_a_guest_run_is_active(guest: Actor, alice: Actor) -> None:
    guest_with_work(guest, phase="Queued")
    sign_in(guest)
    response = guest.client.post(reverse(PAGE), {"choice": "keep"})
    assert response.status_code == 409
    assert "still queued or running" in " ".join(messages_in(response))
    assert (Path(settings.DATA_ROOT) / guest.slug / "cells" / "a.png").exists()
    assert RunRecord.objects.get(name="guest-run-1").owner == guest.slug


def test_nothing_moves_past_the_accounts_quota(guest: Actor, alice: Actor, settings) -> None:  # noqa: ANN001
    guest_with_work(guest)
    settings.USER_MAX_FILES = 1
    sign_in(guest)
    response = guest.client.post(reverse(PAGE), {"choice": "keep"})
    assert response.status_code == 409
    assert "no room for it" in " ".join(messages_in(response))
    assert Project.objects.get(name="cells").owner == guest.slug
    assert (Path(settings.DATA_ROOT) / guest.slug / "cells" / "a.png").exists()
    assert not (Path(settings.DATA_ROOT) / "alice" / "cells").exists()


def test_leaving_it_keeps_it_in_the_guest_space(guest: Actor, alice: Actor) -> None:
    guest_with_work(guest)
    sign_in(guest)
    assert guest.client.post(reverse(PAGE), {"choice": "leave"}).status_code == 302
    assert GUEST_LEFT_SESSION_KEY not in guest.client.session
    assert Project.objects.get(name="cells").owner == guest.slug


def test_an_empty_guest_space_is_not_offered(guest: Actor, alice: Actor) -> None:
    sign_in(guest)
    assert GUEST_LEFT_SESSION_KEY not in guest.client.session
    page = guest.client.get(reverse("projects-list")).content.decode()
    assert 'id="guest-work-banner"' not in page
    assert guest.client.get(reverse(PAGE)).status_code == 302


def test_it_is_only_for_signed_in_users(guest: Actor) -> None:
    response = guest.client.get(reverse(PAGE))
    assert response.status_code == 302 and reverse("accounts-login") in response["Location"]


def test_nothing_moves_while_a_guest_upload_is_unfinished(guest: Actor, alice: Actor) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from projects.models import Upload

    _, row = guest_with_work(guest)
    Upload.objects.create(owner=guest.slug, project=row, filename="big.tif", length=10,
                          touched_at=timezone.now(),
                          expires_at=timezone.now() + timedelta(hours=1))
    sign_in(guest)
    response = guest.client.post(reverse(PAGE), {"choice": "keep"})
    assert response.status_code == 409
    assert "upload of your guest space is not finished" in " ".join(messages_in(response))
    assert Project.objects.get(id=row.id).owner == guest.slug
