"""The upload handler: streams uploaded files to staging on the data volume, within limits."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest

from accounts.identity import current_owner
from accounts.limits import Limits
from projects.quotas import refuse_upload_size
from projects.safefs import Dir
from projects.storage import STORAGE_FULL, Move, is_storage_full
from projects.volume import open_staging

NOT_ALLOWED = "You cannot upload files here."
INTERRUPTED = "The upload was interrupted before it finished; nothing was saved."


class StagedUploadedFile(UploadedFile):
    """An upload in DATA_ROOT/.staging, made with O_EXCL there and deleted on close unless it
    was moved into a project first (as_move)."""

    def __init__(
        self, name: str, content_type: str, charset: str | None, content_type_extra: Any
    ) -> None:
        self.staging: Dir = open_staging()
        self.staged_name = f"upload-{secrets.token_hex(8)}.part"
        try:
            file = self.staging.create(self.staged_name, 0o600)
        except BaseException:
            self.staging.close()
            raise
        super().__init__(file, name, content_type, 0, charset, content_type_extra)

    def temporary_file_path(self) -> str:
        """Our own open handle as a path (/proc/self/fd/N): opening it never resolves a name on
        the data volume, so it is the staged file whatever happens in staging meanwhile."""
        return f"/proc/self/fd/{self.file.fileno()}"

    def as_move(self, mode: int) -> Move:
        """The move that takes this file, with its final mode, to its name in a project."""
        os.fchmod(self.file.fileno(), mode)  # staged files are born 0600
        return Move(self.staging, self.staged_name, self.name)

    def close(self) -> None:
        if self.staging.fd < 0:
            return
        try:
            self.file.close()
        except OSError:
            pass  # the disk filled while buffered bytes were flushed: the file goes anyway
        self.staging.unlink(self.staged_name, missing_ok=True)  # gone if moved into its project
        self.staging.close()


class StagedUploadHandler(FileUploadHandler):
    """Writes each file to staging as it arrives (constant memory, whatever the size).

    Stops reading files once the request exceeds the acting owner's per-upload limit (read-only
    and anonymous owners have none), and records why for the view; see upload_refusal().
    """

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.limits: Limits | None = None
        self.request_length = 0
        self.received = 0
        self.refusal: str | None = None
        self.staged: list[StagedUploadedFile] = []

    def handle_raw_input(
        self, input_data: Any, META: Any, content_length: int, boundary: Any, encoding: Any = None
    ) -> None:
        owner = current_owner(self.request) if self.request is not None else None
        self.limits = owner.limits if owner is not None and not owner.read_only else None
        self.request_length = content_length
        return None

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self._stop_if_over(self.request_length)
        try:
            self.file = StagedUploadedFile(
                self.file_name, self.content_type, self.charset, self.content_type_extra
            )
        except OSError as error:
            self._stop_if_full(error)
            raise
        self.staged.append(self.file)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.received += len(raw_data)
        self._stop_if_over(self.received)
        try:
            self.file.write(raw_data)
        except OSError as error:
            self._stop_if_full(error)
            raise

    def file_complete(self, file_size: int) -> StagedUploadedFile:
        try:
            self.file.flush()
        except OSError as error:
            self._stop_if_full(error)
            raise
        self.file.seek(0)
        self.file.size = file_size
        return self.file

    def upload_interrupted(self) -> None:
        self.refusal = self.refusal or INTERRUPTED
        self.discard()

    def discard(self) -> None:
        for staged in self.staged:
            staged.close()

    def _stop_if_over(self, size: int) -> None:
        refusal = NOT_ALLOWED if self.limits is None else refuse_upload_size(self.limits, size)
        if refusal:
            self._stop(refusal)

    def _stop_if_full(self, error: OSError) -> None:
        """A full disk stops the upload with a clear message (the caller re-raises otherwise)."""
        if is_storage_full(error):
            self._stop(STORAGE_FULL)

    def _stop(self, refusal: str) -> None:
        self.refusal = refusal
        self.discard()
        # Read (and drop) the rest of the body so the browser gets our answer, not a reset.
        raise StopUpload(connection_reset=False)


def _handler(request: HttpRequest) -> StagedUploadHandler | None:
    return next((h for h in request.upload_handlers if isinstance(h, StagedUploadHandler)), None)


def upload_refusal(request: HttpRequest) -> str | None:
    """Why the upload handler stopped or lost this request's files, if it did."""
    request.FILES  # noqa: B018  (parses the body if nothing did yet)
    handler = _handler(request)
    return handler.refusal if handler else None


def staged_files(files: list[Any]) -> list[StagedUploadedFile]:
    """The uploaded files the staging handler kept."""
    return [file for file in files if isinstance(file, StagedUploadedFile)]


@contextmanager
def staged_uploads(request: HttpRequest) -> Iterator[list[StagedUploadedFile]]:
    """This request's uploaded files; whatever was not moved into a project is deleted after."""
    try:
        yield staged_files(request.FILES.getlist("files"))
    finally:
        handler = _handler(request)
        if handler is not None:
            handler.discard()
