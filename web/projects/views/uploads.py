"""The upload view: many files at once, zips optionally unpacked, all or nothing."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.views.decorators.http import require_POST

from accounts.decorators import owner_required, write_access_required
from accounts.identity import OwnedRequest
from projects.forms import UploadForm
from projects.intake import IntakeRefused, take_uploads
from projects.lookup import get_project_for_user
from projects.uploads import staged_uploads, upload_refusal
from projects.views.common import busy_refusal, folder_url


@require_POST
@owner_required
@write_access_required
def upload(request: OwnedRequest, project: str, path: str) -> HttpResponse:
    # Everything inside the with: whatever happens, staged files not moved in are deleted.
    with staged_uploads(request):
        found = get_project_for_user(request, project)
        back = folder_url(found.name, path)
        with found.folder(path) as folder:
            refusal = upload_refusal(request) or busy_refusal(found)
            if refusal:
                return _answer(request, back, refusal, ok=False)
            form = UploadForm(request.POST, request.FILES)
            form.is_valid()  # never invalid: none chosen is refused below, with the rest
            try:
                result = take_uploads(
                    form.cleaned_data["files"],
                    folder,
                    unpack_zips=form.cleaned_data["unpack_zips"],
                    owner=request.owner.slug,
                    project_id=found.id,
                    limits=request.owner.limits,
                )
            except IntakeRefused as error:
                return _answer(request, back, str(error), ok=False)
    plural = "" if result.files == 1 else "s"
    return _answer(
        request,
        back,
        f"Uploaded {result.files} file{plural} ({filesizeformat(result.bytes)}).",
        ok=True,
    )


def _answer(request: HttpRequest, back: str, message: str, *, ok: bool) -> HttpResponse:
    """JSON for the page's upload script; a message and a redirect for a plain form post."""
    if request.headers.get("X-Requested-With") == "XMLHttpRequest":
        return JsonResponse({"ok": ok, "message": message}, status=200 if ok else 400)
    (messages.success if ok else messages.error)(request, message)
    return redirect(back)
