"""Usage lives in counters changed with every write under the owner's lock: quotas read them,
and two uploads at once cannot both pass the quota."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from projects.models import OwnerUsage, Project
from tests.web.owner_lock_race import race
from tests.web.conftest import Actor, messages_in


def upload(client: Client, project: str, folder: str = "", **contents: bytes) -> Client:
    return client.post(
        reverse("projects-upload", args=[project, folder]),
        {"files": [SimpleUploadedFile(name.replace("__", "."), data)
                   for name, data in contents.items()]},
        HTTP_X_REQUESTED_WITH="XMLHttpRequest",
    )


def counters(owner: str, project: str) -> tuple[int, int, int, int]:
    row = Project.objects.get(owner=owner, name=project)
    usage = OwnerUsage.objects.get(owner=owner)
    assert (usage.files, usage.bytes) == tuple(
        map(sum, zip(*Project.objects.filter(owner=owner).values_list("files", "bytes")))
    ), "the owner's sums are the sums of their projects"
    return row.files, row.bytes, usage.files, usage.bytes


def test_every_write_changes_the_counters(alice: Actor) -> None:
    alice.client.post(reverse("projects-create"), {"name": "cells"})
    alice.client.post(reverse("projects-create"), {"name": "other"})
    assert upload(alice.client, "other", a=b"12").status_code == 200
    assert upload(alice.client, "cells", a__txt=b"abc", b__txt=b"defg").status_code == 200
    assert counters("alice", "cells") == (2, 7, 3, 9)
    alice.client.post(reverse("projects-mkdir", args=["cells", ""]), {"name": "sub"})
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as made:
        made.writestr("x/one.bin", b"1" * 10)
        made.writestr("x/two.bin", b"2" * 20)
    response = alice.client.post(
        reverse("projects-upload", args=["cells", "sub"]),
        {"files": [SimpleUploadedFile("pack.zip", archive.getvalue())], "unpack_zips": "on"},
    )
    assert response.status_code == 302
    assert counters("alice", "cells") == (4, 37, 5, 39)
    alice.client.post(reverse("projects-entry-rename", args=["cells", "a.txt"]),
                      {"new_name": "c.txt"})
    assert counters("alice", "cells") == (4, 37, 5, 39)
    alice.client.post(reverse("projects-entry-delete", args=["cells", "sub"]))
    assert counters("alice", "cells") == (2, 7, 3, 9)
    alice.client.post(reverse("projects-entry-delete", args=["cells", "c.txt"]))
    assert counters("alice", "cells") == (1, 4, 2, 6)
    alice.client.post(reverse("projects-delete", args=["cells"]))
    usage = OwnerUsage.objects.get(owner="alice")
    assert (usage.projects, usage.files, usage.bytes) == (1, 1, 2)


def test_the_quota_reads_the_counters_not_the_disk(alice: Actor, settings) -> None:  # noqa: ANN001
    settings.USER_MAX_BYTES = 100
    alice.client.post(reverse("projects-create"), {"name": "cells"})
    Project.objects.filter(owner="alice").update(bytes=90)  # as reconcile_usage last counted
    OwnerUsage.objects.filter(owner="alice").update(bytes=90)
    response = upload(alice.client, "cells", a=b"x" * 20)
    assert response.status_code == 400
    assert "only 10\xa0bytes of your 100\xa0bytes are left" in response.json()["message"]
    assert list((alice.home / "cells").iterdir()) == []


def test_the_project_list_reads_rows_only(alice: Actor) -> None:
    alice.client.post(reverse("projects-create"), {"name": "cells"})
    upload(alice.client, "cells", a=b"12345")
    (alice.home / "cells" / "by-a-pipeline.bin").write_bytes(b"x" * 1000)  # not yet counted
    response = alice.client.get(reverse("projects-list"))
    assert [project.name for project in response.context["projects"]] == ["cells"]
    assert b"1 of 100000 files" in response.content
    assert b"5\xc2\xa0bytes of" in response.content


@pytest.mark.django_db(transaction=True)
def test_two_uploads_at_once_cannot_both_pass_the_quota(settings) -> None:  # noqa: ANN001
    settings.USER_MAX_BYTES = 100
    user = User.objects.create_user("alice", "alice@example.org", "pw")
    client = Client()
    client.force_login(user)
    client.post(reverse("projects-create"), {"name": "cells"})

    def sender(name: str):  # noqa: ANN202
        def send(client: Client) -> tuple[int, str]:
            response = upload(client, "cells", **{name: b"x" * 60})
            return response.status_code, response.json()["message"]
        return send

    answers = race([sender("a"), sender("b")])
    assert sorted(status for status, _ in answers) == [200, 400]
    assert any("only 40\xa0bytes of your 100\xa0bytes are left" in message
               for _, message in answers)
    assert len(list((settings.DATA_ROOT / "alice" / "cells").iterdir())) == 1
    usage = OwnerUsage.objects.get(owner="alice")
    assert (usage.files, usage.bytes) == (1, 60)


def test_a_refused_upload_says_so_next_to_the_form(alice: Actor, settings) -> None:  # noqa: ANN001
    settings.USER_MAX_FILES = 1
    alice.client.post(reverse("projects-create"), {"name": "cells"})
    response = alice.client.post(
        reverse("projects-upload", args=["cells", ""]),
        {"files": [SimpleUploadedFile("a", b"a"), SimpleUploadedFile("b", b"b")]}, follow=True)
    assert messages_in(response)[-1] == (
        "This would make 2 files; you can keep at most 1 (you have 0).")
    assert counters("alice", "cells") == (0, 0, 0, 0)
