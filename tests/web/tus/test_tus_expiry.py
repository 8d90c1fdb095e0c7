"""Cancelling (DELETE) and expiry: the staged bytes go, the reservation is released, the
upload answers 410, and `manage.py cleanup` forgets it (but never a live upload's bytes)."""

from __future__ import annotations

import fcntl
import io
import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from accounts.identity import Owner
from accounts.limits import user_limits
from projects.models import Upload
from tests.web.conftest import Actor
from projects.tus import staging
from projects.tus.landing import land
from tests.web.tus.conftest import TUS, create, head, outcome, patch, staged, staged_file


def cleanup() -> str:
    out = io.StringIO()
    call_command("cleanup", stdout=out)
    return out.getvalue()


@pytest.fixture
def url(alice: Actor) -> str:
    alice.project("cells")
    response = create(alice.client, "cells", 10, "ten.bin")
    assert patch(alice.client, response["Location"], 0, b"01234").status_code == 204
    return response["Location"]


def age(hours: float) -> None:
    """Make alice's upload as if last written `hours` ago."""
    then = timezone.now() - timedelta(hours=hours)
    Upload.objects.update(touched_at=then,
                          expires_at=then + timedelta(hours=settings.TUS_UPLOAD_EXPIRY_HOURS))


def test_delete_cancels_it(alice: Actor, url: str, settings) -> None:  # noqa: ANN001
    settings.USER_MAX_BYTES = 15
    assert create(alice.client, "cells", 10, "other.bin").status_code == 413  # 10 reserved
    response = alice.client.delete(url, headers=TUS)
    assert response.status_code == 204
    assert staged() == []
    assert head(alice.client, url).status_code == 410
    assert patch(alice.client, url, 5, b"56789").status_code == 410
    answer = outcome(alice.client, url)
    assert (answer["state"], answer["message"]) == (
        "expired", "The upload was cancelled; nothing was saved.")
    assert create(alice.client, "cells", 10, "other.bin").status_code == 201  # released


def test_a_cancel_does_not_wait_for_a_patch_still_writing(
        alice: Actor, url: str, settings) -> None:  # noqa: ANN001
    settings.USER_MAX_BYTES = 15
    with staged_file().open("rb") as other:  # as a PATCH whose client went away holds it
        fcntl.flock(other.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        response = alice.client.delete(url, headers=TUS)
        assert response.status_code == 204
        assert staged() == []
        answer = outcome(alice.client, url)
        assert (answer["state"], answer["message"]) == (
            "expired", "The upload was cancelled; nothing was saved.")
        assert create(alice.client, "cells", 10, "other.bin").status_code == 201  # released
    assert patch(alice.client, url, 5, b"56789").status_code == 410


def test_a_patch_whose_upload_was_cancelled_meanwhile_lands_nothing(
        alice: Actor, url: str) -> None:
    upload = Upload.objects.get()
    with staging.writing(upload.id) as held:  # the PATCH, its last bytes in
        held.receive(io.BytesIO(b"56789").read, 5, None, lambda: None)
        assert alice.client.delete(url, headers=TUS).status_code == 204  # did not wait
        owner = Owner(slug=alice.slug, label=alice.slug, is_guest=False, read_only=False,
                      limits=user_limits())
        land(upload, held, owner)
    assert upload.state == "expired"
    assert not (alice.home / "cells" / "ten.bin").exists()
    assert staged() == []
    assert outcome(alice.client, url)["message"] == "The upload was cancelled; nothing was saved."


def test_a_landed_upload_cannot_be_cancelled(alice: Actor, url: str) -> None:
    patch(alice.client, url, 5, b"56789")
    response = alice.client.delete(url, headers=TUS)
    assert response.status_code == 409
    assert (alice.home / "cells" / "ten.bin").exists()


def test_an_upload_not_written_to_expires(alice: Actor, url: str) -> None:
    response = head(alice.client, url)
    expires = response["Upload-Expires"]
    assert expires.endswith(" GMT")
    age(settings.TUS_UPLOAD_EXPIRY_HOURS + 0.1)
    assert head(alice.client, url).status_code == 410
    response = patch(alice.client, url, 5, b"56789")
    assert response.status_code == 410
    assert response.content.decode() == "This upload has expired or was cancelled; start it again."
    assert outcome(alice.client, url)["state"] == "expired"
    assert len(staged()) == 1  # until the cleanup
    upload = Upload.objects.get()
    assert cleanup() == (f"removed expired upload {upload.id} (alice: ten.bin, receiving)\n")
    assert staged() == []
    assert not Upload.objects.exists()
    assert head(alice.client, url).status_code == 404


def test_cleanup_keeps_a_live_upload_however_old_its_bytes(alice: Actor, url: str,
                                                           settings) -> None:  # noqa: ANN001
    """Resumable for TUS_UPLOAD_EXPIRY_HOURS, even past STAGING_MAX_AGE_HOURS of silence."""
    settings.STAGING_MAX_AGE_HOURS = 1
    settings.TUS_UPLOAD_EXPIRY_HOURS = 72
    age(48)
    part = Path(settings.DATA_ROOT) / ".staging" / staged()[0]
    os.utime(part, (time.time() - 48 * 3600,) * 2)
    leftover = part.with_name("upload-0123.part")  # a killed worker's multipart leftover
    leftover.write_bytes(b"x")
    os.utime(leftover, (time.time() - 48 * 3600,) * 2)
    output = cleanup()
    assert output.startswith("removed staging file upload-0123.part")
    assert staged() == [part.name]
    assert head(alice.client, url)["Upload-Offset"] == "5"
    assert patch(alice.client, url, 5, b"56789").status_code == 204
    assert (alice.home / "cells" / "ten.bin").read_bytes() == b"0123456789"


def test_cleanup_leaves_an_upload_being_written(alice: Actor, url: str) -> None:
    import fcntl

    age(settings.TUS_UPLOAD_EXPIRY_HOURS + 1)
    part = Path(settings.DATA_ROOT) / ".staging" / staged()[0]
    with part.open("rb") as writer:  # a PATCH still streaming in another worker
        fcntl.flock(writer.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert "expired upload" not in cleanup()
    assert staged() == [part.name]
    assert Upload.objects.exists()


def test_old_outcomes_are_forgotten(alice: Actor, url: str) -> None:
    patch(alice.client, url, 5, b"56789")
    age(settings.TUS_UPLOAD_EXPIRY_HOURS + 1)
    assert "expired upload" in cleanup()
    assert not Upload.objects.exists()
    assert (alice.home / "cells" / "ten.bin").exists()
