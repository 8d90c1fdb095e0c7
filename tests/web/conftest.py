"""The web app's test cast (alice, bob, a guest, a demo user) and per-test settings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.identity import GUEST_SESSION_KEY

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(autouse=True)
def web_settings(settings, tmp_path: Path):  # noqa: ANN001, ANN201 (pytest-django's fixture)
    """Each test gets its own DATA_ROOT and the settings a deployment would give."""
    data_root = tmp_path / "data"
    data_root.mkdir()
    settings.SECRET_KEY = "test-only-secret-key-of-sufficient-length-0123456789"
    settings.DATA_ROOT = data_root
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()
    settings.ALLOW_GUESTS = True
    settings.DEMO_USERS = ["demo"]
    settings.SSO_HEADER = ""
    settings.SSO_TRUSTED_PROXIES = []
    # No pyramid builds in the background, outliving the test; tests/web/deepzoom/test_cache*
    # turn the cache on (the pyramid_cache fixture) and wait for their builds.
    settings.DEEPZOOM_CACHE_MAX_BYTES = 0
    # Hashing speed is not under test here (test_settings checks the production hasher list).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The manifest storage needs collectstatic; the browser tests run that for real.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    return settings


@dataclass
class Actor:
    """One member of the cast: a logged-in test client and the folder they own."""

    client: Client
    slug: str

    @property
    def home(self) -> Path:
        return Path(django_settings.DATA_ROOT) / self.slug

    def project(self, name: str, files: dict[str, bytes | None] | None = None, *,
                row: bool = True) -> Path:
        """Make a project folder with files (None makes a folder) straight on disk, and (unless
        row=False: a folder made outside the web app) its Project row."""
        root = self.home / name
        root.mkdir(parents=True, exist_ok=True)
        for relative, content in (files or {}).items():
            path = root / relative
            if content is None:
                path.mkdir(parents=True, exist_ok=True)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content)
        # As if made through the web app: the folder has its Project row (adopted, counted),
        # so runs made for it in the double find their project in the archive.
        if row:
            from projects import records

            records.find(self.slug, name)
        return root


def _user_actor(username: str) -> Actor:
    user = User.objects.create_user(username, f"{username}@example.org", PASSWORD)
    client = Client()
    client.force_login(user)
    return Actor(client=client, slug=username)


@pytest.fixture
def alice(db) -> Actor:  # noqa: ANN001
    return _user_actor("alice")


@pytest.fixture
def bob(db) -> Actor:  # noqa: ANN001
    return _user_actor("bob")


@pytest.fixture
def demo(db) -> Actor:  # noqa: ANN001
    """A user listed in DEMO_USERS: may look, may not change."""
    return _user_actor("demo")


@pytest.fixture
def guest(db) -> Actor:  # noqa: ANN001
    client = Client()
    response = client.post(reverse("accounts-guest"))
    assert response.status_code == 302
    return Actor(client=client, slug=client.session[GUEST_SESSION_KEY])


def messages_in(response) -> list[str]:  # noqa: ANN001
    """The flash messages a (followed) response shows."""
    return [str(message) for message in response.context["messages"]]


def tree(root: Path | None = None) -> list[tuple[str, bytes | None]]:
    """Every path under root (DATA_ROOT by default) with file contents, to compare before/after.

    The staging folder itself may appear empty after any upload and does not count as a change.
    """
    root = root or Path(django_settings.DATA_ROOT)
    return sorted(
        (path.relative_to(root).as_posix(), path.read_bytes() if path.is_file() else None)
        for path in root.rglob("*")
        if path != root / ".staging"
    )


def staging_leftovers() -> list[Path]:
    staging = Path(django_settings.DATA_ROOT) / ".staging"
    return list(staging.rglob("*")) if staging.exists() else []


UPLOAD = "<a file to upload>"  # stands for a fresh upload in parametrized form data


def form(data: dict) -> dict:
    """data with UPLOAD replaced by a new uploaded file (an upload can be read only once)."""
    return {
        key: [SimpleUploadedFile("planted.txt", b"x")] if value == UPLOAD else value
        for key, value in data.items()
    }


@pytest.fixture
def decoys(web_settings, tmp_path: Path):  # noqa: ANN001, ANN201
    """bob's project and a fake token outside DATA_ROOT, for traps to aim at (planted.py)."""
    from tests.web.planted import Decoys

    return Decoys.make(Path(web_settings.DATA_ROOT), tmp_path / "outside")


@pytest.fixture
def planted(alice: Actor, bob: Actor, decoys, settings):  # noqa: ANN001, ANN201
    """alice's project "cells" with a trap at every name (tests/web/planted.py), bob's decoys."""
    from tests.web.planted import plant_project

    settings.USER_MAX_BYTES = 2**40  # the big sparse file must not make uploads refused
    return plant_project(decoys)
