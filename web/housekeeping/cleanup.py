"""Removing what has outlived its use: expired guests (runs, folder, project rows, account),
expired sessions, expired tus uploads, old notifications, staging leftovers, stale
thumbnails and deep-zoom pyramids past their cache's bound. `manage.py cleanup` runs it; every step is safe to repeat.

The data volume is touched only through projects.safefs: links are removed, never followed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts.models import GUEST_PREFIX, Guest
from deepzoom.pyramids import prune as prune_pyramids
from projects.records import forget_owner
from projects.safefs import Dir, Entry, NotFound
from notifications.retention import remove_old_notifications
from projects.tus.expiry import live_staged_names, remove_expired_uploads
from projects.volume import STAGING, open_data_root
from results.thumbnails import prune_all_thumbnails
from runs import kube
from runs.model import OWNER_LABEL, label_value


@dataclass
class Report:
    dry_run: bool
    done: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def note(self, what: str) -> None:
        self.done.append(f"{'would remove' if self.dry_run else 'removed'} {what}")


def clean_up(*, dry_run: bool = False, now: datetime | None = None) -> Report:
    now = now or timezone.now()
    report = Report(dry_run=dry_run)
    try:
        with open_data_root() as root:
            remove_gone_guests(root, now, report)
            for line in remove_expired_uploads(now, dry_run=dry_run):
                report.note(line)
            remove_staging_leftovers(root, now, report)
        remove_stale_thumbnails(report)
        remove_pyramids_past_bound(report)
    except OSError as error:  # no volume mounted: guests are kept until their folders can go
        report.problems.append(f"DATA_ROOT cannot be opened ({error}); no guest was removed")
    remove_expired_sessions(now, report)
    for line in remove_old_notifications(now, dry_run=dry_run):
        report.note(line)
    return report


def remove_gone_guests(root: Dir, now: datetime, report: Report) -> None:
    """Expired guests, and guest folders whose guest row is gone: runs, then folder, then row.

    The folders are listed before the live guests are read: a folder is made only after its
    guest's row is committed, so a folder of a guest admitted meanwhile is never taken for gone.
    """
    folders = {entry.name for entry in root.entries() if entry.name.startswith(GUEST_PREFIX)}
    live = set(Guest.objects.live(now).values_list("slug", flat=True))
    expired = set(Guest.objects.expired(now).values_list("slug", flat=True))
    gone = sorted(expired | (folders - live))
    if not gone:
        return
    try:
        runs = kube.list_runs() if kube.configured() else []
    except kube.KubeError as error:
        report.problems.append(f"guests kept for the next cleanup: {error}")
        return
    for slug in gone:
        remove_guest(root, slug, [run for run in runs if _belongs_to(run, slug)], report)


def remove_guest(root: Dir, slug: str, runs: list[dict[str, Any]], report: Report) -> None:
    removed = []
    for run in runs:
        name = run["metadata"]["name"]
        if not report.dry_run:
            try:
                kube.delete_run(name)
            except kube.KubeError as error:
                report.problems.append(f"guest {slug} kept for the next cleanup: {error}")
                return
        removed.append(f"run {name}")
    try:
        has_folder = root.exists(slug)
        if has_folder and not report.dry_run:
            root.remove_tree(slug)
    except OSError as error:
        report.problems.append(f"guest {slug} kept for the next cleanup: its folder: {error}")
        return
    if has_folder:
        removed.append("its folder")
    if not report.dry_run:
        forget_owner(slug)  # its projects' rows and counters go with the folder
    rows = Guest.objects.filter(slug=slug)
    if rows.exists():
        if not report.dry_run:
            rows.delete()
        removed.append("its account")
    report.note(f"guest {slug}: {', '.join(removed)}")


def remove_staging_leftovers(root: Dir, now: datetime, report: Report) -> None:
    """Files and folders in DATA_ROOT/.staging untouched for STAGING_MAX_AGE_HOURS.

    Uploads in progress and unpacking touch their files all the time, so only what a crashed
    or killed worker left behind is that old. A tus upload's staged bytes are kept while it has
    its row, however long it waits to be resumed: its expiry decides (remove_expired_uploads).
    """
    cutoff = (now - timedelta(hours=settings.STAGING_MAX_AGE_HOURS)).timestamp()
    try:
        staging = root.open_dir([STAGING])
    except NotFound as error:  # absent, or a link or a file where the folder should be
        if root.exists(STAGING):
            report.problems.append(f"{STAGING} cannot be opened as a folder: {error}")
        return
    with staging:
        entries = sorted(staging.entries(), key=lambda e: e.name)
        live = live_staged_names([entry.name for entry in entries])
        for entry in entries:
            if entry.mtime_ns / 1e9 < cutoff and entry.name not in live:
                _remove_leftover(staging, entry, report)


def _remove_leftover(staging: Dir, entry: Entry, report: Report) -> None:
    kind = "folder" if entry.is_dir else "file"
    try:
        if not report.dry_run:
            staging.remove_tree(entry.name)
    except OSError as error:
        report.problems.append(f"staging {kind} {entry.name}: {error}")
        return
    report.note(f"staging {kind} {entry.name} (untouched since {_when(entry.mtime_ns / 1e9)})")


def remove_stale_thumbnails(report: Report) -> None:
    """Thumbnails whose source image is gone or changed (their cache is outside every project)."""
    if report.dry_run:
        return
    pruned = prune_all_thumbnails()
    if pruned:
        report.note(f"{pruned} stale thumbnail{'s' if pruned != 1 else ''}")


def remove_pyramids_past_bound(report: Report) -> None:
    """The least recently viewed deep-zoom pyramids past DEEPZOOM_CACHE_MAX_BYTES (all of them
    when it is 0), and builds left unfinished by a process that died."""
    if report.dry_run:
        return
    removed = prune_pyramids()
    if removed:
        report.note(f"{len(removed)} deep-zoom cache file{'s' if len(removed) != 1 else ''}")


def remove_expired_sessions(now: datetime, report: Report) -> None:
    """What `manage.py clearsessions` does, counted first (database sessions only)."""
    expired = Session.objects.filter(expire_date__lt=now).count()
    if expired and not report.dry_run:
        import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
    if expired:
        report.note(f"{expired} expired session{'s' if expired != 1 else ''}")


def _belongs_to(run: dict[str, Any], slug: str) -> bool:
    labels = (run.get("metadata") or {}).get("labels") or {}
    owner = (run.get("spec") or {}).get("owner")
    return owner == slug or labels.get(OWNER_LABEL) == label_value(slug)


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=timezone.get_current_timezone()).strftime(
        "%Y-%m-%d %H:%M"
    )
