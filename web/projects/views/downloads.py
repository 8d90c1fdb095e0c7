"""Downloads: one file as it is, or a folder (or the whole project) as a streamed zip."""

from __future__ import annotations

from django.http import HttpRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from accounts.decorators import owner_required
from projects.filesend import send_file
from projects.lookup import get_project_for_user
from projects.paths import check_relative
from projects.zipstream import iter_zip


@require_safe
@owner_required
def download_file(request: HttpRequest, project: str, path: str) -> HttpResponseBase:
    """One file, resumable (Range), revalidated (ETag); raster images open inline."""
    found = get_project_for_user(request, project)
    # The handle Project.file checked (a regular file, no link on the way) is what is sent, or
    # with DOWNLOAD_OFFLOAD what the proxy is told to open (refusing links itself).
    return send_file(request, found.file(path), filename=check_relative(path)[-1],
                     volume_path=found.volume_path(path))


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
