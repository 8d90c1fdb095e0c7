"""Times every request (but the probes, answered before it) by view name and status."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse

from monitoring.metrics import REQUEST_DURATION, record_upload

UNRESOLVED = "unresolved"  # no route matched (a 404 before any view), or a middleware answered


class RequestMetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        status = 500  # what the handler makes of an exception that gets this far
        try:
            response = self.get_response(request)
            status = response.status_code
        finally:
            match = request.resolver_match
            view = match.view_name if match is not None and match.view_name else UNRESOLVED
            REQUEST_DURATION.labels(view, str(status)).observe(time.perf_counter() - started)
        _count_uploads(request)
        return response


def _count_uploads(request: HttpRequest) -> None:
    """Files the view had Django parse out of a multipart body (never parses one itself:
    the body may be gone, and a view that read none had no upload)."""
    files = request.__dict__.get("_files")
    if not files:
        return
    received = [item for key in files for item in files.getlist(key)
                if isinstance(item, UploadedFile)]
    if received:
        record_upload(len(received), sum(item.size or 0 for item in received))
