"""Landing a tus upload whose last byte arrived: through projects.intake (names, clashes,
zips, quota under the owner's lock), with the outcome recorded on its row."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.http import Http404
from django.template.defaultfilters import filesizeformat

from accounts.identity import Owner
from monitoring.metrics import record_upload
from projects import busy
from projects.intake import IntakeRefused, IntakeResult, take_uploads
from projects.lookup import Project
from projects.models import Upload
from projects.paths import UnsafePath
from projects.tus.staging import StagedFile

logger = logging.getLogger(__name__)
FOLDER_GONE = "The folder this upload was going to is gone; nothing was saved."
FAILED = "The upload could not be saved because of an error on our side; nothing was saved."


def expiry_from(now: datetime) -> datetime:
    return now + timedelta(hours=settings.TUS_UPLOAD_EXPIRY_HOURS)


def record(upload: Upload, state: str, message: str, **fields: object) -> None:
    """Set the row's state and message (and other fields) in the row and the database."""
    for name, value in {"state": state, "message": message, **fields}.items():
        setattr(upload, name, value)
    Upload.objects.filter(id=upload.id).update(state=state, message=message, **fields)


def land(upload: Upload, staged: StagedFile, owner: Owner) -> None:
    """Move the finished upload into its folder (unpacked, if asked), all or nothing, and
    record what happened; a refusal drops the staged bytes. Called holding the staged file."""
    started = Upload.objects.filter(
        id=upload.id, state__in=(Upload.State.RECEIVING, Upload.State.LANDING)).update(
        state=Upload.State.LANDING, message="", offset=upload.length)
    if not started:  # cancelled (or expired) while its last bytes arrived: nothing lands
        staged.discard()
        upload.refresh_from_db()
        return
    upload.state, upload.message, upload.offset = Upload.State.LANDING, "", upload.length
    project = Project(owner=owner, name=upload.project.name, id=upload.project_id)
    try:
        reason = busy.project_is_busy(owner.slug, project.name)
        if reason is not None:
            raise IntakeRefused(f"“{project.name}” cannot be changed right now: {reason}")
        with project.folder(upload.folder) as folder:
            take_uploads(
                [staged.as_staged(upload.filename)], folder, unpack_zips=upload.unpack,
                replace=upload.replace, owner=owner.slug, project_id=project.id,
                limits=owner.limits, upload_id=upload.id,
                on_landed=lambda result: record(  # in the transaction that moves the files
                    upload, Upload.State.LANDED, landed_message(upload, result),
                    paths=result.paths),
            )
        record_upload(1, upload.length)
    except IntakeRefused as error:
        record(upload, Upload.State.REFUSED, str(error))
    except (Http404, UnsafePath):
        record(upload, Upload.State.REFUSED, FOLDER_GONE)
    except Exception:
        logger.exception("landing upload %s failed", upload.id)
        record(upload, Upload.State.REFUSED, FAILED)
    finally:
        staged.discard()  # a landed plain file left staging already; an unpacked zip goes now


def landed_message(upload: Upload, result: IntakeResult) -> str:
    size = filesizeformat(result.bytes)
    if upload.unpack and upload.filename.lower().endswith(".zip"):
        plural = "" if result.files == 1 else "s"
        return f"Unpacked {upload.filename}: {result.files} file{plural} ({size})."
    return f"Uploaded {upload.filename} ({size})."
