"""manage.py cleanup against the real database and the API-server double: expired guests go with
their runs and folders, nothing else is touched, links are never followed, and it is repeatable."""

from __future__ import annotations

import io
import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.identity import GUEST_SESSION_KEY
from accounts.models import Guest
from kubedouble.faults import FaultRule
from tests.web.conftest import Actor, tree
from tests.web.runs.conftest import GROUP, VERSION, Cluster

DAY = 86400


@pytest.fixture
def data_root(web_settings) -> Path:  # noqa: ANN001
    """The double's data volume is the web app's DATA_ROOT."""
    return Path(web_settings.DATA_ROOT)


@pytest.fixture
def cluster(apiserver, kube_client, web_settings, db) -> Cluster:  # noqa: ANN001
    """`manage.py cleanup` runs as the chart's cleanup CronJob does, with its account."""
    web_settings.KUBECONFIG = str(apiserver.kubeconfigs["cleanup"])
    web_settings.KUBE_NAMESPACE = apiserver.namespace
    return Cluster(kube_client, apiserver.namespace)


def new_guest(address: str = "192.0.2.1") -> Actor:
    client = Client(REMOTE_ADDR=address)
    client.post(reverse("accounts-guest"))
    return Actor(client=client, slug=client.session[GUEST_SESSION_KEY])


def expire(actor: Actor, settings) -> None:  # noqa: ANN001
    Guest.objects.filter(slug=actor.slug).update(
        created_at=timezone.now() - timedelta(hours=settings.GUEST_LIFETIME_HOURS, seconds=1)
    )


def cleanup(*args: str) -> str:
    out = io.StringIO()
    call_command("cleanup", *args, stdout=out)
    return out.getvalue()


def owned_job(cluster: Cluster, run: dict) -> str:
    """A suspended Job owned by the run, as the operator makes one (it never starts here)."""
    from kubernetes import client

    body = {
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {
            "generateName": "run-",
            "ownerReferences": [{
                "apiVersion": f"{GROUP}/{VERSION}", "kind": "PipelineRun", "controller": True,
                "name": run["metadata"]["name"], "uid": run["metadata"]["uid"],
            }],
        },
        "spec": {"suspend": True, "template": {"spec": {
            "restartPolicy": "Never",
            "containers": [{"name": "main", "image": "example/pipeline:1", "command": ["true"]}],
        }}},
    }
    job = client.BatchV1Api(cluster.api_client).create_namespaced_job(cluster.namespace, body)
    return job.metadata.name


def jobs(cluster: Cluster) -> list[str]:
    from kubernetes import client

    found = client.BatchV1Api(cluster.api_client).list_namespaced_job(cluster.namespace)
    return sorted(job.metadata.name for job in found.items)


def wait_for(condition, timeout: float = 10.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_it_removes_expired_guests_with_their_runs_and_folders_and_nothing_else(
    cluster: Cluster, alice: Actor, settings  # noqa: ANN001
) -> None:
    expired, live = new_guest("192.0.2.1"), new_guest("192.0.2.2")
    expired.project("cells", {"raw/a.tif": b"A", "results/out.csv": b"x"})
    live.project("mine", {"a.txt": b"keep"})
    alice.project("cells", {"a.txt": b"alice"})
    doomed_run = cluster.create_run(expired.slug, "cells")
    doomed_job = owned_job(cluster, doomed_run)
    kept = [cluster.create_run(live.slug, "mine"), cluster.create_run("alice", "cells")]
    kept_job = owned_job(cluster, kept[1])
    expire(expired, settings)
    before = [(path, body) for path, body in tree() if not path.startswith(expired.slug)]

    output = cleanup()

    assert output.splitlines() == [
        f"removed guest {expired.slug}: run {doomed_run['metadata']['name']}, its folder, "
        "its account"
    ]
    assert not expired.home.exists()
    assert tree() == before
    assert sorted(run["metadata"]["name"] for run in cluster.runs()) == sorted(
        run["metadata"]["name"] for run in kept
    )
    wait_for(lambda: doomed_job not in jobs(cluster))  # the garbage collector's part
    assert kept_job in jobs(cluster)
    assert list(Guest.objects.values_list("slug", flat=True)) == [live.slug]
    assert expired.client.get(reverse("projects-list")).status_code == 302
    assert live.client.get(reverse("projects-detail", args=["mine"])).status_code == 200


def test_it_is_idempotent(cluster: Cluster, settings) -> None:  # noqa: ANN001
    guest = new_guest()
    guest.project("cells", {"a.txt": b"a"})
    expire(guest, settings)
    assert cleanup().startswith(f"removed guest {guest.slug}")
    assert cleanup() == "nothing to remove\n"


def test_a_dry_run_says_what_would_go_and_removes_nothing(
    cluster: Cluster, settings  # noqa: ANN001
) -> None:
    guest = new_guest()
    guest.project("cells", {"a.txt": b"a"})
    run = cluster.create_run(guest.slug, "cells")
    expire(guest, settings)
    staging = Path(settings.DATA_ROOT) / ".staging"
    staging.mkdir()
    (staging / "upload-old.part").write_bytes(b"x")
    os.utime(staging / "upload-old.part", (time.time() - 2 * DAY,) * 2)
    before = tree()

    output = cleanup("--dry-run").splitlines()

    assert output[0] == (
        f"would remove guest {guest.slug}: run {run['metadata']['name']}, its folder, "
        "its account"
    )
    assert output[1].startswith("would remove staging file upload-old.part (untouched since ")
    assert tree() == before
    assert (staging / "upload-old.part").exists()
    assert len(cluster.runs()) == 1
    assert Guest.objects.filter(slug=guest.slug).exists()


def test_links_planted_in_a_guest_folder_are_removed_never_followed(
    cluster: Cluster, alice: Actor, settings  # noqa: ANN001
) -> None:
    alice.project("cells", {"results.csv": b"alice's", "deep/b.txt": b"b"})
    guest = new_guest()
    project = guest.project("cells", {"a.txt": b"a"})
    (project / "to-alice").symlink_to(alice.home)
    (project / "to-file").symlink_to(alice.home / "cells" / "results.csv")
    (project / "to-passwd").symlink_to("/etc/passwd")
    os.mkfifo(project / "fifo")
    expire(guest, settings)
    before = tree(alice.home)

    cleanup()

    assert not guest.home.exists()
    assert tree(alice.home) == before
    assert Path("/etc/passwd").exists()


def test_a_guest_named_link_in_the_data_root_is_unlinked_not_followed(
    cluster: Cluster, alice: Actor  # noqa: ANN001
) -> None:
    """A guest-* folder with no guest row is garbage (the prefix is reserved); a link is too."""
    alice.project("cells", {"a.txt": b"alice"})
    planted = Path(alice.home.parent) / "guest-0123456789abcdef"
    planted.symlink_to(alice.home)
    orphan = Path(alice.home.parent) / "guest-fedcba9876543210"
    (orphan / "p").mkdir(parents=True)

    assert cleanup().splitlines() == [
        "removed guest guest-0123456789abcdef: its folder",
        "removed guest guest-fedcba9876543210: its folder",
    ]
    assert not os.path.lexists(planted) and not orphan.exists()
    assert (alice.home / "cells" / "a.txt").read_bytes() == b"alice"


def test_it_removes_old_staging_leftovers_only(
    cluster: Cluster, alice: Actor, settings  # noqa: ANN001
) -> None:
    alice.project("cells", {"a.txt": b"alice"})
    staging = Path(settings.DATA_ROOT) / ".staging"
    (staging / "unzip-old" / "images").mkdir(parents=True)
    (staging / "unzip-old" / "images" / "a.tif").write_bytes(b"a")
    (staging / "unzip-old" / "to-alice").symlink_to(alice.home)
    (staging / "upload-old.part").write_bytes(b"x")
    (staging / "link-old").symlink_to(alice.home / "cells")
    (staging / "upload-new.part").write_bytes(b"uploading")
    old = time.time() - DAY - 60
    for name in ("unzip-old", "upload-old.part", "link-old"):
        os.utime(staging / name, (old, old), follow_symlinks=False)

    lines = cleanup().splitlines()

    assert [line.split(" (")[0] for line in lines] == [
        "removed staging file link-old",
        "removed staging folder unzip-old",
        "removed staging file upload-old.part",
    ]
    assert sorted(path.name for path in staging.iterdir()) == ["upload-new.part"]
    assert (alice.home / "cells" / "a.txt").read_bytes() == b"alice"


def test_a_link_in_place_of_the_staging_folder_is_not_followed(
    cluster: Cluster, alice: Actor  # noqa: ANN001
) -> None:
    old_file = alice.project("cells", {"a.txt": b"alice"}) / "a.txt"
    os.utime(old_file, (time.time() - 2 * DAY,) * 2)
    (Path(alice.home.parent) / ".staging").symlink_to(alice.home / "cells")
    with pytest.raises(CommandError):
        cleanup()
    assert old_file.read_bytes() == b"alice"


def test_it_removes_expired_sessions(db) -> None:  # noqa: ANN001
    now = timezone.now()
    Session.objects.create(session_key="a" * 32, session_data="", expire_date=now - timedelta(1))
    Session.objects.create(session_key="b" * 32, session_data="", expire_date=now + timedelta(1))
    assert cleanup() == "removed 1 expired session\n"
    assert list(Session.objects.values_list("session_key", flat=True)) == ["b" * 32]


def test_guests_are_kept_when_their_runs_cannot_be_removed(
    cluster: Cluster, apiserver, settings  # noqa: ANN001
) -> None:
    guest = new_guest()
    guest.project("cells", {"a.txt": b"a"})
    cluster.create_run(guest.slug, "cells")
    expire(guest, settings)
    apiserver.faults.add(FaultRule(path="pipelineruns", method="DELETE", status=500))

    with pytest.raises(CommandError, match="1 thing"):
        cleanup()

    assert guest.home.exists()
    assert Guest.objects.filter(slug=guest.slug).exists()
    apiserver.faults.clear()
    assert cleanup().startswith(f"removed guest {guest.slug}: run ")
    assert cluster.runs() == []


def test_without_a_cluster_configured_guests_still_go(db, settings) -> None:  # noqa: ANN001
    settings.KUBECONFIG = ""
    guest = new_guest()
    guest.project("cells")
    expire(guest, settings)
    assert cleanup() == f"removed guest {guest.slug}: its folder, its account\n"
