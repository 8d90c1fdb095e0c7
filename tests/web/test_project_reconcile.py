"""manage.py reconcile_usage sets the counters from the disk (pipelines write files too), adopts
folders without a row, drops rows without a folder, and never follows a link while counting."""

from __future__ import annotations

import io
import os
from datetime import timedelta
from pathlib import Path

from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.identity import GUEST_SESSION_KEY
from accounts.models import Guest
from projects.models import OwnerUsage, Project
from tests.web.conftest import Actor


def reconcile() -> list[str]:
    out = io.StringIO()
    call_command("reconcile_usage", stdout=out)
    return out.getvalue().splitlines()


def make(actor: Actor, name: str, **contents: bytes) -> Project:
    """A project made through the web app, with files uploaded into it."""
    actor.client.post(reverse("projects-create"), {"name": name})
    if contents:
        from django.core.files.uploadedfile import SimpleUploadedFile

        response = actor.client.post(
            reverse("projects-upload", args=[name, ""]),
            {"files": [SimpleUploadedFile(n, body) for n, body in contents.items()]})
        assert response.status_code == 302
    return Project.objects.get(owner=actor.slug, name=name)


def usage(owner: str) -> tuple[int, int, int]:
    row = OwnerUsage.objects.get(owner=owner)
    return row.projects, row.files, row.bytes


def test_it_fixes_a_counter_a_pipeline_changed(alice: Actor) -> None:
    project = make(alice, "cells", a=b"12345", b=b"678")
    assert usage("alice") == (1, 2, 8)
    (alice.home / "cells" / "results").mkdir()
    (alice.home / "cells" / "results" / "out.csv").write_bytes(b"x" * 100)  # the pipeline's
    (alice.home / "cells" / "b").unlink()
    assert reconcile() == ["alice/cells: 2 → 2 files, 8 → 105 bytes"]
    project.refresh_from_db()
    assert (project.files, project.bytes) == (2, 105)
    assert usage("alice") == (1, 2, 105)
    assert reconcile() == ["every counter was right"]


def test_it_adopts_unknown_folders_and_drops_rows_whose_folder_is_gone(
    alice: Actor, settings  # noqa: ANN001
) -> None:
    kept = make(alice, "kept", a=b"1")
    make(alice, "gone")
    alice.project("by-admin", {"x/y.txt": b"yy"}, row=False)  # after alice's rows exist: not counted yet
    carol = Path(settings.DATA_ROOT) / "carol" / "old-project"  # from before rows existed
    carol.mkdir(parents=True)
    (carol / "data.bin").write_bytes(b"d" * 10)
    os.rmdir(alice.home / "gone")

    assert reconcile() == [
        "alice/gone: dropped (its folder is gone)",
        "alice/by-admin: adopted (1 files, 2 bytes)",
        "carol/old-project: adopted (1 files, 10 bytes)",
    ]
    assert sorted(Project.objects.values_list("owner", "name")) == [
        ("alice", "by-admin"), ("alice", "kept"), ("carol", "old-project")]
    assert Project.objects.get(name="kept").id == kept.id
    assert usage("alice") == (2, 2, 3)
    assert usage("carol") == (1, 1, 10)


def test_an_upgraded_install_shows_every_folder_on_the_first_page(alice: Actor) -> None:
    alice.project("cells", {"a.tif": b"12345"}, row=False)  # made before projects were rows
    alice.project("nuclei", row=False)
    assert not Project.objects.exists()
    response = alice.client.get(reverse("projects-list"))
    assert [project.name for project in response.context["projects"]] == ["cells", "nuclei"]
    assert usage("alice") == (2, 1, 5)


def test_counting_never_follows_a_planted_link(alice: Actor, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "big.bin").write_bytes(b"x" * 4096)
    make(alice, "cells", real=b"123")
    project = alice.home / "cells"
    (project / "to-outside").symlink_to(outside)
    (project / "to-file").symlink_to(outside / "big.bin")
    (project / "to-self").symlink_to(project)
    (project / "loop").symlink_to("loop")
    os.mkfifo(project / "fifo")  # counting must not open it (it would hang)
    (alice.home / "linked-project").symlink_to(outside)  # no project: not adopted
    (Path(alice.home.parent) / "mallory").symlink_to(alice.home)  # no owner either
    assert reconcile() == ["every counter was right"]
    assert usage("alice") == (1, 1, 3)
    assert not Project.objects.filter(name="linked-project").exists()
    assert not Project.objects.filter(owner="mallory").exists()


def test_a_removed_guest_takes_its_rows_along(db, settings) -> None:  # noqa: ANN001
    client = Client()
    client.post(reverse("accounts-guest"))
    guest = Actor(client=client, slug=client.session[GUEST_SESSION_KEY])
    make(guest, "mine", a=b"a")
    assert Project.objects.filter(owner=guest.slug).count() == 1
    Guest.objects.filter(slug=guest.slug).update(
        created_at=timezone.now() - timedelta(hours=settings.GUEST_LIFETIME_HOURS, seconds=1))
    call_command("cleanup", stdout=io.StringIO())
    assert not guest.home.exists()
    assert not Project.objects.filter(owner=guest.slug).exists()
    assert not OwnerUsage.objects.filter(owner=guest.slug).exists()
