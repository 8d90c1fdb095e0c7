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
    file_path = found.file(path)
    return FileResponse(
        open(file_path, "rb"), as_attachment=True, filename=check_relative(path)[-1]
    )


@require_safe
@owner_required
def download_zip(request: HttpRequest, project: str, path: str) -> StreamingHttpResponse:
    found = get_project_for_user(request, project)
    folder_path = found.folder(path)
    segments = check_relative(path)
    root_name = segments[-1] if segments else found.name
    return StreamingHttpResponse(
        iter_zip(folder_path, root_name),
        content_type="application/zip",
        headers={"Content-Disposition": content_disposition_header(True, f"{root_name}.zip")},
    )
