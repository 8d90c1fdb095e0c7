"""Who may use an upload: only its owner (anyone else gets 404), with Django's CSRF check."""

from __future__ import annotations

import pytest
from django.test import Client

from projects.models import Upload
from tests.web.conftest import Actor
from tests.web.tus.conftest import TUS, TusActor, create, metadata, patch, staged


@pytest.fixture
def url(alice: Actor) -> str:
    alice.project("cells")
    return create(alice.client, "cells", 10, "ten.bin")["Location"]


@pytest.mark.parametrize("method", ["HEAD", "GET", "PATCH", "DELETE"])
def test_another_owners_upload_does_not_exist(url: str, bob: Actor, method: str) -> None:
    response = bob.client.generic(method, url, b"0123",
                                  content_type="application/offset+octet-stream",
                                  headers={**TUS, "Upload-Offset": "0"})
    assert response.status_code == 404
    if method != "HEAD":
        assert response.content.decode() == "No such upload."
    assert Upload.objects.get().state == "receiving"
    assert len(staged()) == 1


def test_nobody_signed_in_gets_nothing(url: str) -> None:
    assert patch(Client(), url, 0, b"0123").status_code == 403
    assert Client().get(url).status_code == 403


def test_an_unknown_upload_is_404(alice: Actor) -> None:
    response = alice.client.get("/uploads/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404


def test_writes_need_the_csrf_header(tus_alice: TusActor) -> None:
    without = {"Cookie": tus_alice.headers["Cookie"]}  # the session, but no X-CSRFToken
    response = tus_alice.request("POST", tus_alice.endpoint("cells"), headers={
        "X-CSRFToken": "", **without, "Upload-Length": "4",
        "Upload-Metadata": metadata(filename="a.bin")})
    assert response.status_code == 403
    assert "came from another site, so nothing was changed" in response.text  # 403_csrf.html
    assert not Upload.objects.exists()
    created = tus_alice.request("POST", tus_alice.endpoint("cells"), headers={
        "Upload-Length": "4", "Upload-Metadata": metadata(filename="a.bin")})
    assert created.status_code == 201
    url = created.headers["Location"]
    for method in ["PATCH", "DELETE"]:
        response = tus_alice.request(method, url, data=b"0123", headers={
            "X-CSRFToken": "", "Upload-Offset": "0",
            "Content-Type": "application/offset+octet-stream"})
        assert response.status_code == 403, method
    assert tus_alice.request("HEAD", url).headers["Upload-Offset"] == "0"
    assert Upload.objects.get().state == "receiving"


def test_unknown_methods_are_refused(url: str, alice: Actor) -> None:
    response = alice.client.put(url, b"", headers=TUS)
    assert response.status_code == 405
    assert response["Allow"] == "HEAD, GET, PATCH, DELETE, OPTIONS"
