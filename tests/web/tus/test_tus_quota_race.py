"""Uploads at once by one owner cannot together pass the quota: tus creations reserve their
Upload-Length under the owner's lock, and the multipart path counts those reservations."""

from __future__ import annotations


import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from projects.models import OwnerUsage, Upload
from tests.web.owner_lock_race import race
from tests.web.tus.conftest import create, patch

LEFT = "only 40\xa0bytes of your 100\xa0bytes are left"


def tus_upload(client: Client) -> tuple[int, str]:
    response = create(client, "cells", 60, "tus.bin")
    if response.status_code != 201:
        return response.status_code, response.content.decode()
    answer = patch(client, response["Location"], 0, b"t" * 60)
    return answer.status_code, client.get(response["Location"]).json()["message"]


def multipart_upload(client: Client) -> tuple[int, str]:
    response = client.post(reverse("projects-upload", args=["cells", ""]),
                           {"files": [SimpleUploadedFile("form.bin", b"f" * 60)]},
                           HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    return response.status_code, response.json()["message"]


@pytest.fixture
def alice_cells(settings):  # noqa: ANN001, ANN201
    settings.USER_MAX_BYTES = 100
    user = User.objects.create_user("alice", "alice@example.org", "pw")
    client = Client()
    client.force_login(user)
    client.post(reverse("projects-create"), {"name": "cells"})
    return settings.DATA_ROOT / "alice" / "cells"


def landed(folder) -> list[str]:  # noqa: ANN001
    return sorted(path.name for path in folder.iterdir())


@pytest.mark.django_db(transaction=True)
def test_two_tus_uploads_cannot_both_pass_the_quota(alice_cells) -> None:  # noqa: ANN001
    answers = race([tus_upload, tus_upload])
    assert sorted(status for status, _ in answers) == [204, 413]
    assert any(LEFT in message for status, message in answers if status == 413)
    assert Upload.objects.count() == 1
    assert landed(alice_cells) == ["tus.bin"]
    usage = OwnerUsage.objects.get(owner="alice")
    assert (usage.files, usage.bytes) == (1, 60)


@pytest.mark.django_db(transaction=True)
def test_a_tus_upload_and_a_form_upload_cannot_both_pass_the_quota(
        alice_cells) -> None:  # noqa: ANN001
    answers = race([tus_upload, multipart_upload])
    assert sorted(status for status, _ in answers) in ([204, 400], [200, 413])
    assert any(LEFT in message for _, message in answers)
    assert len(landed(alice_cells)) == 1
    usage = OwnerUsage.objects.get(owner="alice")
    assert (usage.files, usage.bytes) == (1, 60)


@pytest.mark.django_db(transaction=True)
def test_a_reserved_upload_refuses_a_form_upload(alice_cells, settings) -> None:  # noqa: ANN001
    client = Client()
    client.force_login(User.objects.get(username="alice"))
    url = create(client, "cells", 60, "tus.bin")["Location"]  # reserved, no byte sent yet
    status, message = multipart_upload(client)
    assert status == 400
    assert LEFT in message
    assert patch(client, url, 0, b"t" * 60).status_code == 204
    assert landed(alice_cells) == ["tus.bin"]
