"""A project with a queued or running run refuses changes, with the run named as the reason."""

from __future__ import annotations

from django.urls import reverse

from tests.web.conftest import Actor, messages_in
from tests.web.runs.conftest import Cluster


def mkdir(actor: Actor, project: str):  # noqa: ANN201
    return actor.client.post(reverse("projects-mkdir", args=[project, ""]), {"name": "new"},
                             follow=True)


def test_a_queued_run_makes_the_project_busy(alice: Actor, cluster: Cluster) -> None:
    cells = alice.project("cells")
    cluster.create_run("alice", "cells", name="r1")
    cluster.set_status("r1", phase="Queued", queuePosition=3)
    assert messages_in(mkdir(alice, "cells")) == [
        "“cells” cannot be changed right now: a run of nuclei (r1) is queued (position 3)."]
    assert not (cells / "new").exists()
    page = alice.client.get(reverse("projects-detail", args=["cells"])).content.decode()
    assert "a run of nuclei (r1) is queued (position 3)." in page


def test_running_then_finished(alice: Actor, cluster: Cluster) -> None:
    cells = alice.project("cells")
    cluster.create_run("alice", "cells", name="r1")
    cluster.set_status("r1", phase="Running")
    response = alice.client.post(reverse("projects-delete", args=["cells"]), follow=True)
    assert messages_in(response) == [
        "“cells” cannot be changed right now: a run of nuclei (r1) is running."]
    assert cells.is_dir()
    cluster.set_status("r1", phase="Succeeded")
    mkdir(alice, "cells")
    assert (cells / "new").is_dir()


def test_other_owners_and_projects_are_not_busy(alice: Actor, bob: Actor, cluster: Cluster) -> None:
    alice.project("other")
    bob.project("cells")
    cluster.create_run("alice", "cells", name="r1")
    mkdir(alice, "other")
    mkdir(bob, "cells")
    assert (alice.home / "other" / "new").is_dir()
    assert (bob.home / "cells" / "new").is_dir()


def test_a_stale_archive_refuses_changes_with_the_reason(alice: Actor, cluster: Cluster) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from runs.models import ArchiveState

    cells = alice.project("cells")
    ArchiveState.objects.filter(kind="pipelineruns").update(
        alive_at=timezone.now() - timedelta(seconds=120))
    [message] = messages_in(mkdir(alice, "cells"))
    assert message.startswith("“cells” cannot be changed right now: whether a run is using it "
                              "cannot be checked now. The run archive was last brought up to "
                              "date 120 s ago")
    assert not (cells / "new").exists()
    cluster.sync()  # the watcher is back
    mkdir(alice, "cells")
    assert (cells / "new").is_dir()


def test_a_run_deleted_while_queued_frees_the_project_once_archived(
    alice: Actor, cluster: Cluster
) -> None:
    """The check reads the archive only; a run deleted while queued (its Job goes with it)
    never ends, and stops counting once the archive knows it is gone."""
    cells = alice.project("cells")
    cluster.create_run("alice", "cells", name="r1")
    cluster.custom.delete_namespaced_custom_object(
        "kubeshowcase.io", "v1alpha1", cluster.namespace, "pipelineruns", "r1")
    assert messages_in(mkdir(alice, "cells")) == [
        "“cells” cannot be changed right now: a run of nuclei (r1) is queued."]
    assert not (cells / "new").exists()
    cluster.sync()
    mkdir(alice, "cells")
    assert (cells / "new").is_dir()
