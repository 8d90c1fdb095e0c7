"""The upload handler: streams uploaded files to staging on the data volume, within limits."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest

from accounts.identity import current_owner
from accounts.limits import Limits
from projects.quotas import refuse_upload_size
from projects.storage import staging_dir

NOT_ALLOWED = "You cannot upload files here."
INTERRUPTED = "The upload was interrupted before it finished; nothing was saved."


class StagedUploadedFile(UploadedFile):
    """An upload in DATA_ROOT/.staging, deleted on close unless it was moved away first."""

    def __init__(
        self, name: str, content_type: str, charset: str | None, content_type_extra: Any
    ) -> None:
        file = tempfile.NamedTemporaryFile(prefix="upload-", suffix=".part", dir=staging_dir())
        super().__init__(file, name, content_type, 0, charset, content_type_extra)

    def temporary_file_path(self) -> str:
        return self.file.name

    def close(self) -> None:
        try:
            self.file.close()
        except FileNotFoundError:
            pass  # moved into its project: nothing left to delete


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
        self.file = StagedUploadedFile(
            self.file_name, self.content_type, self.charset, self.content_type_extra
        )
        self.staged.append(self.file)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.received += len(raw_data)
        self._stop_if_over(self.received)
        self.file.write(raw_data)

    def file_complete(self, file_size: int) -> StagedUploadedFile:
        self.file.flush()
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


@contextmanager
def staged_uploads(request: HttpRequest) -> Iterator[list[StagedUploadedFile]]:
    """This request's uploaded files; whatever was not moved into a project is deleted after."""
    try:
        yield [
            file for file in request.FILES.getlist("files") if isinstance(file, StagedUploadedFile)
        ]
    finally:
        handler = _handler(request)
        if handler is not None:
            handler.discard()
