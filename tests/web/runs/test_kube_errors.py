"""An unreachable or unconfigured Kubernetes API is a message on the pages that need it, and
never a readiness failure: an API blip must not take every web pod out of service (issue #9).
Pages read the run archive, so they are served without the API (issue #10)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import yaml
from django.test import Client
from django.urls import reverse

from tests.web.conftest import Actor, messages_in
from tests.web.runs.conftest import NUCLEI_PIPELINE, nuclei_form


@pytest.fixture
def dead_api(web_settings, tmp_path: Path) -> None:  # noqa: ANN001
    """A kubeconfig naming a port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = tmp_path / "dead-kubeconfig"
    config.write_text(f"""apiVersion: v1
kind: Config
clusters: [{{name: dead, cluster: {{server: "http://127.0.0.1:{port}"}}}}]
users: [{{name: nobody, user: {{token: x}}}}]
contexts: [{{name: dead, context: {{cluster: dead, user: nobody, namespace: kubeshowcase}}}}]
current-context: dead
""")
    web_settings.KUBECONFIG = str(config)
    web_settings.KUBE_API_TIMEOUT = 3


@pytest.fixture
def fresh_archive(db) -> None:  # noqa: ANN001
    """The archive as a running watcher keeps it: nuclei, alice's running run r1, alive now."""
    import uuid

    from django.utils import timezone

    from runs import archive
    from runs.models import ArchiveState, PipelineRecord

    pipeline = yaml.safe_load(NUCLEI_PIPELINE.read_text())
    PipelineRecord.objects.create(name="nuclei", uid=uuid.uuid4(), generation=1,
                                  spec=pipeline["spec"])
    archive.upsert({
        "metadata": {"name": "r1", "uid": str(uuid.uuid4()),
                     "creationTimestamp": "2026-01-01T10:00:00Z"},
        "spec": {"pipeline": "nuclei", "owner": "alice", "project": "alice/cells"},
        "status": {"phase": "Running", "jobName": "r1-job", "podName": "r1-job-x7k2p"},
    })
    ArchiveState.objects.create(kind="pipelineruns", alive_at=timezone.now())


def test_pages_read_the_archive_and_what_needs_the_api_says_it_cannot_be_reached(
    alice: Actor, dead_api: None, fresh_archive: None
) -> None:
    alice.project("cells")
    for url in (reverse("runs-new", args=["cells"]), reverse("runs-queue"),
                reverse("runs-detail", args=["r1"]), reverse("runs-mine")):
        response = alice.client.get(url)
        assert response.status_code == 200, url
        assert "The Kubernetes API cannot be reached" not in response.content.decode(), url
    assert "Nuclei segmentation" in alice.client.get(
        reverse("runs-new", args=["cells"])).content.decode()
    # Tailing a live run's log, cancelling and starting a run need the API.
    log = alice.client.get(reverse("runs-log", args=["r1"])).content.decode()
    assert log.startswith("(The log cannot be read right now: The Kubernetes API cannot be reached")
    cancel = alice.client.post(reverse("runs-cancel", args=["r1"]), follow=True)
    [message] = messages_in(cancel)
    assert message.startswith("The Kubernetes API cannot be reached to cancel run r1")
    alice.project("other")  # cells is busy with r1
    response = alice.client.post(reverse("runs-new", args=["other"]), nuclei_form())
    assert response.status_code == 503
    assert "The Kubernetes API cannot be reached" in response.content.decode()


def test_changes_are_refused_when_runs_cannot_be_checked(alice: Actor, dead_api: None) -> None:
    cells = alice.project("cells")
    response = alice.client.post(reverse("projects-mkdir", args=["cells", ""]), {"name": "n"},
                                 follow=True)
    [message] = messages_in(response)
    assert message.startswith("“cells” cannot be changed right now: whether a run is using it "
                              "cannot be checked now.")
    assert not (cells / "n").exists()


def test_readyz_stays_ready_and_the_queue_is_served_without_the_api(
    alice: Actor, dead_api: None, fresh_archive: None  # noqa: ANN001
) -> None:
    alice.project("cells")
    assert Client().get("/readyz").content == b"ready\n"
    page = alice.client.get(reverse("runs-queue")).content.decode()
    assert "r1" in page and "The Kubernetes API cannot be reached" not in page
    # What does not need the API keeps working on the same pod.
    assert alice.client.get(reverse("projects-detail", args=["cells"])).status_code == 200


def test_without_configuration_runs_are_off_but_projects_work(
    alice: Actor, web_settings  # noqa: ANN001
) -> None:
    web_settings.KUBECONFIG = ""
    alice.project("cells")
    page = alice.client.get(reverse("runs-new", args=["cells"]))
    assert page.status_code == 503
    assert "no Kubernetes API is configured" in page.content.decode()
    alice.client.post(reverse("projects-mkdir", args=["cells", ""]), {"name": "n"})
    assert (alice.home / "cells" / "n").is_dir()
    assert Client().get("/readyz").status_code == 200
