"""A project is a row with a stable id: rename keeps it, a name made again gets a new one, and
the runs started on it carry it (spec.projectId and a label), checked by the CRD."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse
from kubernetes.client.exceptions import ApiException

from projects.models import OwnerUsage, Project
from tests.web.conftest import Actor, messages_in
from tests.web.runs.conftest import (  # noqa: F401 (cluster, data_root: fixtures)
    GROUP,
    VERSION,
    Cluster,
    cluster,
    data_root,
    nuclei_form,
)


def create(actor: Actor, name: str) -> Project:
    response = actor.client.post(reverse("projects-create"), {"name": name})
    assert response.status_code == 302
    return Project.objects.get(owner=actor.slug, name=name)


def test_creating_makes_the_row_then_the_folder(alice: Actor) -> None:
    project = create(alice, "cells")
    assert (alice.home / "cells").is_dir()
    assert isinstance(project.id, uuid.UUID)
    assert OwnerUsage.objects.get(owner="alice").projects == 1


def test_rename_keeps_the_id(alice: Actor) -> None:
    project = create(alice, "cells")
    alice.client.post(reverse("projects-rename", args=["cells"]), {"new_name": "cells-v2"})
    renamed = Project.objects.get(id=project.id)
    assert (renamed.owner, renamed.name) == ("alice", "cells-v2")
    assert not Project.objects.filter(owner="alice", name="cells").exists()


def test_delete_and_create_again_gives_a_new_id(alice: Actor) -> None:
    first = create(alice, "exp1")
    alice.client.post(reverse("projects-delete", args=["exp1"]))
    assert not Project.objects.filter(id=first.id).exists()
    assert OwnerUsage.objects.get(owner="alice").projects == 0
    second = create(alice, "exp1")
    assert second.id != first.id


def test_a_name_held_by_a_stray_file_makes_neither_row_nor_folder(alice: Actor) -> None:
    alice.home.mkdir(parents=True)
    (alice.home / "cells").write_bytes(b"not a project")
    response = alice.client.post(reverse("projects-create"), {"name": "cells"}, follow=True)
    assert messages_in(response) == ["You already have a project called “cells”."]
    assert not Project.objects.filter(owner="alice").exists()
    assert OwnerUsage.objects.get(owner="alice").projects == 0
    assert (alice.home / "cells").read_bytes() == b"not a project"


def test_a_rename_onto_a_stray_file_renames_neither(alice: Actor) -> None:
    project = create(alice, "cells")
    (alice.home / "taken").write_bytes(b"x")
    response = alice.client.post(
        reverse("projects-rename", args=["cells"]), {"new_name": "taken"}, follow=True
    )
    assert messages_in(response)[-1] == "You already have a project called “taken”."
    assert Project.objects.get(id=project.id).name == "cells"
    assert (alice.home / "cells").is_dir() and (alice.home / "taken").read_bytes() == b"x"


def test_a_folder_made_outside_the_web_app_is_adopted_when_opened(alice: Actor) -> None:
    create(alice, "first")  # alice is known (reconciled) before the folder appears
    alice.project("by-admin", {"a.txt": b"abc"}, row=False)
    assert alice.client.get(reverse("projects-detail", args=["by-admin"])).status_code == 200
    adopted = Project.objects.get(owner="alice", name="by-admin")
    assert (adopted.files, adopted.bytes) == (1, 3)
    usage = OwnerUsage.objects.get(owner="alice")
    assert (usage.projects, usage.files, usage.bytes) == (2, 1, 3)


def test_someone_elses_project_is_404_and_gets_no_row(alice: Actor, bob: Actor) -> None:
    alice.project("cells", row=False)
    assert bob.client.get(reverse("projects-detail", args=["cells"])).status_code == 404
    assert not Project.objects.filter(owner="bob").exists()


def test_a_run_carries_the_project_id(alice: Actor, cluster: Cluster) -> None:  # noqa: F811
    project = create(alice, "cells")
    response = alice.client.post(reverse("runs-new", args=["cells"]), nuclei_form())
    assert response.status_code == 302
    [run] = cluster.runs()
    assert run["spec"]["projectId"] == str(project.id)
    assert run["metadata"]["labels"]["kubeshowcase.io/project-id"] == str(project.id)


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"spec": {"projectId": str(uuid.uuid4())}}, "spec.projectId is immutable"),
        ({"spec": {"projectId": None}}, "spec.projectId is immutable"),
    ],
)
def test_the_crd_keeps_the_project_id_fixed(
    alice: Actor, cluster: Cluster, patch: dict, message: str  # noqa: F811
) -> None:
    create(alice, "cells")
    alice.client.post(reverse("runs-new", args=["cells"]), nuclei_form())
    [run] = cluster.runs()
    with pytest.raises(ApiException) as refused:
        cluster.custom.patch_namespaced_custom_object(
            GROUP, VERSION, cluster.namespace, "pipelineruns", run["metadata"]["name"], patch,
            _content_type="application/merge-patch+json")
    assert refused.value.status == 422
    assert message in refused.value.body


def test_the_crd_refuses_a_project_id_that_is_no_uuid(cluster: Cluster) -> None:  # noqa: F811
    body = {
        "apiVersion": f"{GROUP}/{VERSION}", "kind": "PipelineRun",
        "metadata": {"generateName": "test-"},
        "spec": {"pipeline": "nuclei", "owner": "alice", "project": "alice/cells",
                 "projectId": "../../etc"},
    }
    with pytest.raises(ApiException) as refused:
        cluster.custom.create_namespaced_custom_object(
            GROUP, VERSION, cluster.namespace, "pipelineruns", body)
    assert refused.value.status == 422
    assert "spec.projectId" in refused.value.body
