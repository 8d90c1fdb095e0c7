"""tus clients for the cast: tuspy (the official Python client) and plain requests against the
live server, signed in with the actor's session and sending Django's CSRF header."""

from __future__ import annotations

import base64
import hashlib
import io
import secrets
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from tusclient.client import TusClient

from projects.models import Upload
from tests.web.conftest import Actor

TUS = {"Tus-Resumable": "1.0.0"}


@dataclass
class TusActor:
    """An actor seen from outside: their cookies and CSRF header on every request."""

    actor: Actor
    base: str
    headers: dict[str, str]

    @property
    def slug(self) -> str:
        return self.actor.slug

    def endpoint(self, project: str, folder: str = "") -> str:
        return self.base + reverse("projects-tus", args=[project, folder])

    def client(self, project: str, folder: str = "") -> TusClient:
        return TusClient(self.endpoint(project, folder), headers=dict(self.headers))

    def upload(self, project: str, data: bytes, filename: str, folder: str = "", *,
               chunk_size: int = 1024 * 1024, **metadata: str) -> str:
        """Upload data with tuspy; the upload's URL."""
        uploader = self.client(project, folder).uploader(
            file_stream=io.BytesIO(data), chunk_size=chunk_size,
            metadata={"filename": filename, **metadata})
        uploader.upload()
        return uploader.url

    def request(self, method: str, url: str, **kwargs) -> requests.Response:  # noqa: ANN003
        headers = {**self.headers, **TUS, **kwargs.pop("headers", {})}
        return requests.request(method, url if "://" in url else self.base + url,
                                headers=headers, timeout=60, **kwargs)

    def outcome(self, url: str) -> dict:
        response = self.request("GET", url)
        assert response.status_code == 200, response.text
        return response.json()


def as_tus(actor: Actor, live_server) -> TusActor:  # noqa: ANN001
    token = secrets.token_hex(16)  # Django takes any 32-character secret as the cookie's
    session = actor.client.cookies[settings.SESSION_COOKIE_NAME].value
    cookie = f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={token}"
    return TusActor(actor=actor, base=live_server.url,
                    headers={"Cookie": cookie, "X-CSRFToken": token})


@pytest.fixture
def tus_alice(alice: Actor, live_server) -> TusActor:  # noqa: ANN001
    alice.project("cells")
    return as_tus(alice, live_server)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def staged_file() -> Path:
    """The one upload's staged file."""
    return Path(settings.DATA_ROOT) / ".staging" / f"tus-{Upload.objects.get().id}.part"


def staged() -> list[str]:
    """The names in DATA_ROOT/.staging."""
    staging = Path(settings.DATA_ROOT) / ".staging"
    return sorted(path.name for path in staging.iterdir()) if staging.exists() else []


# -- the Django test client, for the protocol's corner cases -------------------------------------
def metadata(**values: str) -> str:
    """An Upload-Metadata header."""
    return ",".join(f"{key} {base64.b64encode(value.encode()).decode()}"
                    for key, value in values.items())


def create(client: Client, project: str, length: int, filename: str, folder: str = "",
           **values: str) -> HttpResponse:
    return client.post(reverse("projects-tus", args=[project, folder]), headers={
        **TUS, "Upload-Length": str(length), "Upload-Metadata": metadata(filename=filename,
                                                                          **values)})


def patch(client: Client, url: str, offset: int, data: bytes, *,
          checksum: str | None = None) -> HttpResponse:
    headers = {**TUS, "Upload-Offset": str(offset)}
    if checksum is not None:
        headers["Upload-Checksum"] = checksum
    return client.generic("PATCH", url, data, content_type="application/offset+octet-stream",
                          headers=headers)


def send(client: Client, project: str, data: bytes, filename: str, folder: str = "",
         **values: str) -> str:
    """Create and send the whole file in one PATCH; the upload's URL."""
    response = create(client, project, len(data), filename, folder, **values)
    assert response.status_code == 201, response.content
    url = response["Location"]
    if data:
        answer = patch(client, url, 0, data)
        assert answer.status_code == 204, answer.content
    return url


def head(client: Client, url: str) -> HttpResponse:
    return client.head(url, headers=TUS)


def outcome(client: Client, url: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200
    return response.json()
