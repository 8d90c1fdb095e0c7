"""The tus 1.0.0 endpoints: creating an upload in a folder (POST), and one upload's offset
(HEAD), bytes (PATCH), cancelling (DELETE) and outcome (GET, JSON for the page).

Errors answer a status with the message for people as the plain-text body. Sessions and CSRF
are Django's as for every other write; anyone else's upload does not exist (404)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone

from accounts.decorators import READ_ONLY_MESSAGE
from accounts.identity import Owner
from projects import records
from projects.intake import IntakeRefused, check_room
from projects.lookup import get_project_for_user
from projects.models import Upload
from projects.paths import UnsafePath
from projects.quotas import refuse_new_files, refuse_upload_size
from projects.reservations import with_reservations
from projects.storage import STORAGE_FULL, is_storage_full
from projects.tus import protocol, staging
from projects.tus.landing import expiry_from, land, record
from projects.tus.protocol import ProtocolError
from projects.views.common import busy_refusal

SIGN_IN = "Sign in to upload files."
NO_UPLOAD = "No such upload."
CANCELLED = "The upload was cancelled; nothing was saved."


def _plain(status: int, message: str = "", headers: dict[str, str] | None = None) -> HttpResponse:
    response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    for name, value in {"Tus-Resumable": protocol.VERSION, **(headers or {})}.items():
        response[name] = value
    return response


def _tus(methods: tuple[str, ...]) -> Callable[[Callable[..., HttpResponse]], Any]:
    """Answer OPTIONS as tus says, other methods than `methods` with 405, and the protocol's
    refusals (and 404s, bad paths, a full disk) as plain-text messages."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            owner: Owner | None = getattr(request, "owner", None)
            if request.method == "OPTIONS":
                limit = owner.limits.max_upload_bytes if owner and not owner.read_only else None
                return _plain(204, headers=protocol.options_headers(limit))
            if request.method not in methods:
                return _plain(405, f"{request.method} is not used here.",
                              {"Allow": ", ".join(methods + ("OPTIONS",))})
            response = _answer(view, request, owner, *args, **kwargs)
            if request.method == "HEAD":  # never a body (not every server drops it for us)
                response.content = b""
            return response

        return wrapper

    return decorate


def _answer(view: Callable[..., HttpResponse], request: HttpRequest, owner: Owner | None,
            *args: Any, **kwargs: Any) -> HttpResponse:
    if owner is None:
        return _plain(403, SIGN_IN)
    try:
        return view(request, owner, *args, **kwargs)
    except ProtocolError as error:
        return _plain(error.status, error.message)
    except (Http404, Upload.DoesNotExist):  # (the latter: forgotten by cleanup meanwhile)
        return _plain(404, NO_UPLOAD if "upload" in kwargs else "No such folder.")
    except (UnsafePath, IntakeRefused) as error:
        return _plain(400, str(error))
    except OSError as error:
        if is_storage_full(error):
            return _plain(507, STORAGE_FULL)
        raise


@_tus(("POST",))
def create(request: HttpRequest, owner: Owner, project: str, path: str) -> HttpResponse:
    """The creation extension: a new upload of one file into the folder at path."""
    if owner.read_only:
        return _plain(403, READ_ONLY_MESSAGE)
    wanted = protocol.parse_creation(_tus_headers(request))
    found = get_project_for_user(request, project)
    refusal = busy_refusal(found)
    if refusal:
        return _plain(409, refusal)
    with found.folder(path) as folder:
        try:
            check_room(folder, wanted.filename, replace=wanted.replace, unpack=wanted.unpack)
        except IntakeRefused as error:
            return _plain(409, str(error))
    refusal = refuse_upload_size(owner.limits, wanted.length)
    if refusal:
        return _plain(413, refusal)
    now = timezone.now()
    with records.changing(owner.slug) as ledger:  # the reservation is checked and made at once
        usage = with_reservations(ledger.usage, owner.slug)
        refusal = refuse_new_files(owner.limits, usage, 1, wanted.length)
        if refusal:
            return _plain(413, refusal)
        upload = Upload.objects.create(
            owner=owner.slug, project_id=found.id, folder=path, filename=wanted.filename,
            length=wanted.length, unpack=wanted.unpack, replace=wanted.replace,
            touched_at=now, expires_at=expiry_from(now))
        staging.create(upload.id)
    if upload.length == 0:  # nothing will be sent: it is complete now
        with staging.writing(upload.id) as staged:
            land(upload, staged, owner)
    return _plain(201, headers={"Location": reverse("uploads-tus", args=[upload.id]),
                                **protocol.expires_header(upload.expires_at)})


@_tus(("HEAD", "GET", "PATCH", "DELETE"))
def upload(request: HttpRequest, owner: Owner, upload: uuid.UUID) -> HttpResponse:
    found = Upload.objects.filter(id=upload, owner=owner.slug).select_related("project").first()
    if found is None:
        raise Http404(NO_UPLOAD)
    if request.method == "GET":
        return _outcome(found, owner)
    protocol.check_version(request.headers.get("Tus-Resumable"))
    if request.method == "HEAD":
        return _head(found)
    if request.method == "PATCH":
        return _patch(request, found, owner)
    return _terminate(found)


def _head(upload: Upload) -> HttpResponse:
    offset = protocol.head_offset(_status(upload), staging.staged_size(upload.id))
    return _plain(200, headers={"Upload-Offset": str(offset), "Upload-Length": str(upload.length),
                                "Cache-Control": "no-store",
                                **protocol.expires_header(upload.expires_at)})


def _patch(request: HttpRequest, upload: Upload, owner: Owner) -> HttpResponse:
    client_offset = protocol.parse_number("Upload-Offset", request.headers.get("Upload-Offset"))
    if not request.META.get("CONTENT_LENGTH"):
        return _plain(411, "Send each chunk with its Content-Length.")
    length = protocol.parse_number("Content-Length", request.META["CONTENT_LENGTH"])
    checksum = protocol.parse_checksum(request.headers.get("Upload-Checksum"))
    if protocol.acknowledges_end(_status(upload), client_offset, length):
        return _plain(204, headers={"Upload-Offset": str(upload.length),
                                    **protocol.expires_header(upload.expires_at)})
    try:
        with staging.writing(upload.id) as staged:
            upload.refresh_from_db()  # as it is now that this request alone may write it
            protocol.check_patch(_status(upload), request.content_type, client_offset,
                                 staged.size(), length)
            _refuse_over_quota(upload, owner, staged)

            def every() -> None:  # a long PATCH keeps its upload alive, and within the quota
                if not _touch(upload, staged.size()):  # cancelled meanwhile: stop here
                    upload.refresh_from_db()
                    raise protocol.without_staged(_status(upload))
                _refuse_over_quota(upload, owner, staged)

            try:
                staged.receive(request.read, length, checksum, every)
            except staging.Mismatch:
                return _plain(protocol.CHECKSUM_MISMATCH,
                              "The chunk's checksum did not match; send it again.")
            except OSError as error:
                if is_storage_full(error):  # its bytes go at once, to make room again
                    staged.discard()
                    record(upload, Upload.State.REFUSED, STORAGE_FULL)
                raise
            finally:
                _touch(upload, staged.size())
            if upload.offset == upload.length:
                land(upload, staged, owner)
    except staging.Busy:
        return _plain(423, "This upload is being written by another request; try again soon.")
    except staging.Gone:
        upload.refresh_from_db()
        raise protocol.without_staged(_status(upload)) from None
    return _plain(204, headers={"Upload-Offset": str(upload.offset),
                                **protocol.expires_header(upload.expires_at)})


def _refuse_over_quota(upload: Upload, owner: Owner, staged: staging.StagedFile) -> None:
    """Again as bytes arrive (the limit or other uploads may have changed): the whole upload
    must still fit, else it is refused now, its staged bytes dropped (413)."""
    usage = with_reservations(records.usage_of(owner.slug), owner.slug, excluding=upload.id)
    refusal = refuse_upload_size(owner.limits, upload.length) or refuse_new_files(
        owner.limits, usage, 1, upload.length)
    if refusal:
        staged.discard()
        record(upload, Upload.State.REFUSED, refusal)
        raise ProtocolError(413, refusal)


def _touch(upload: Upload, offset: int) -> bool:
    """Record the offset and renew the expiry; False when the upload is no longer receiving."""
    now = timezone.now()
    upload.offset, upload.touched_at, upload.expires_at = offset, now, expiry_from(now)
    return bool(Upload.objects.filter(id=upload.id, state=Upload.State.RECEIVING).update(
        offset=offset, touched_at=now, expires_at=upload.expires_at))


def _terminate(upload: Upload) -> HttpResponse:
    """The termination extension: the staged bytes go, and with them the reservation."""
    try:
        with staging.writing(upload.id) as staged:
            upload.refresh_from_db()
            if upload.state in (Upload.State.LANDING, Upload.State.LANDED):
                return _plain(409, "This upload has landed already; delete the file instead.")
            staged.discard()
            record(upload, Upload.State.EXPIRED, CANCELLED, expires_at=timezone.now())
    except staging.Busy:
        # A PATCH is writing (perhaps one whose client went away and that waits out its
        # timeout): the cancel does not wait for it. The row says cancelled at once, which
        # stops that PATCH at its next check and keeps it from landing, and the bytes go.
        if not _cancel_receiving(upload):
            upload.refresh_from_db()
            if upload.state in (Upload.State.LANDING, Upload.State.LANDED):
                return _plain(409, "This upload has landed already; delete the file instead.")
        staging.drop(upload.id)
    except staging.Gone:
        upload.refresh_from_db()
        if upload.state in (Upload.State.LANDING, Upload.State.LANDED):
            return _plain(409, "This upload has landed already; delete the file instead.")
        record(upload, Upload.State.EXPIRED, upload.message or CANCELLED,
               expires_at=min(upload.expires_at, timezone.now()))
    return _plain(204)


def _cancel_receiving(upload: Upload) -> bool:
    """Mark a receiving upload cancelled; False when it is not receiving (landing, or over)."""
    now = timezone.now()
    return bool(Upload.objects.filter(id=upload.id, state=Upload.State.RECEIVING).update(
        state=Upload.State.EXPIRED, message=CANCELLED, expires_at=now))


def _outcome(upload: Upload, owner: Owner) -> JsonResponse:
    """What the page shows. An upload whose bytes are all in but whose landing died with its
    worker (nobody holds its staged file) is landed now, by this request."""
    finished = upload.state == Upload.State.LANDING or (
        upload.state == Upload.State.RECEIVING and staging.staged_size(upload.id) == upload.length)
    if finished:
        try:
            with staging.writing(upload.id) as staged:
                upload.refresh_from_db()
                if upload.state in (Upload.State.RECEIVING, Upload.State.LANDING) and (
                        staged.size() == upload.length):
                    land(upload, staged, owner)
        except (staging.Busy, staging.Gone):
            pass  # being landed by another request, or landed
        upload.refresh_from_db()
    status = _status(upload)
    state = protocol.shown_state(status)
    offset = staging.staged_size(upload.id) if state == Upload.State.RECEIVING else None
    response = JsonResponse({
        "state": state, "offset": upload.offset if offset is None else offset,
        "length": upload.length, "message": upload.message or (
            protocol.GONE if state == Upload.State.EXPIRED else ""),
        "paths": upload.paths,
    })
    response["Cache-Control"] = "no-store"
    return response


def _status(upload: Upload) -> protocol.Status:
    return protocol.Status(state=upload.state, offset=upload.offset, length=upload.length,
                           message=upload.message, expired=upload.expires_at <= timezone.now())


def _tus_headers(request: HttpRequest) -> dict[str, str | None]:
    return {name: request.headers.get(name) for name in (
        "Tus-Resumable", "Upload-Length", "Upload-Defer-Length", "Upload-Metadata")}
