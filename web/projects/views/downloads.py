"""Downloads: one file as it is, or a folder (or the whole project) as a streamed zip."""

from __future__ import annotations

from django.http import FileResponse, HttpRequest, StreamingHttpResponse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from accounts.decorators import owner_required
from projects.lookup import get_project_for_user
from projects.paths import check_relative
from projects.zipstream import iter_zip


@require_safe
@owner_required
def download_file(request: HttpRequest, project: str, path: str) -> FileResponse:
    found = get_project_for_user(request, project)
    # The handle Project.file checked (a regular file, no link on the way) is what is sent.
    return FileResponse(found.file(path), as_attachment=True, filename=check_relative(path)[-1])


@require_safe
@owner_required
def download_zip(request: HttpRequest, project: str, path: str) -> StreamingHttpResponse:
    found = get_project_for_user(request, project)
    segments = check_relative(path)
    root_name = segments[-1] if segments else found.name
    return StreamingHttpResponse(
        iter_zip(found.folder(path), root_name),  # the stream closes the folder handle
        content_type="application/zip",
        headers={"Content-Disposition": content_disposition_header(True, f"{root_name}.zip")},
    )
