"""The places on the data volume, each opened by handle: its root, an owner, staging, caches.

DATA_ROOT/<owner slug>/<project>/... holds what users and pipelines write. Beside the owners,
two folders no pipeline ever mounts (a pipeline pod mounts only its project as subPath):
`.staging` for uploads and unpacking on their way in (and deletions on their way out), and
`.cache/<purpose>/<owner slug>` for what the web app derives, such as thumbnails.
"""

from __future__ import annotations

import os
import secrets

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from projects.safefs import Dir, open_root

STAGING = ".staging"
CACHE = ".cache"


def open_data_root() -> Dir:
    if settings.DATA_ROOT is None:
        raise ImproperlyConfigured("DATA_ROOT is not set")
    return open_root(settings.DATA_ROOT)


def open_owner(slug: str, *, create: bool = False) -> Dir:
    """An owner's folder (slug checked by the caller). NotFound if absent, unless create."""
    with open_data_root() as root:
        if create:
            return root.ensure_dir([slug])
        return root.open_dir([slug])


def open_staging() -> Dir:
    """Scratch space on the projects' filesystem, so finished work is renamed in, never copied."""
    with open_data_root() as root:
        return root.ensure_dir([STAGING], mode=0o700)


def open_cache(purpose: str, owner_slug: str) -> Dir:
    """The web app's own derived files for one owner, outside every project."""
    with open_data_root() as root:
        return root.ensure_dir([CACHE, purpose, owner_slug], mode=0o700)


def unwritable_reason() -> str | None:
    """None when a file can be made (O_EXCL) and removed at DATA_ROOT, else why not, for people.

    Everything the web app stores starts with such a create, so this is the one test that
    tells a read-only or wrongly owned volume apart before a user's upload finds out.
    """
    probe = f".writable-check-{secrets.token_hex(8)}"
    try:
        with open_data_root() as root:
            root.create(probe, mode=0o600).close()
            root.unlink(probe)
    except OSError as error:
        return (
            f"DATA_ROOT {settings.DATA_ROOT} is not writable by uid {os.getuid()} "
            f"gid {os.getgid()} ({error.strerror}): the data volume must be mounted read-write "
            "and owned or group-writable by this user (the chart's podSecurityContext.fsGroup)"
        )
    return None


def require_writable() -> None:
    """Refuse to start serving on a data volume that cannot be written (wsgi/asgi call it)."""
    reason = unwritable_reason()
    if reason is not None:
        raise ImproperlyConfigured(reason)
