"""Answers probe URLs before host validation, sessions or authentication get involved."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from health import views

PROBES: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "/healthz": views.alive,
    "/readyz": views.ready,
}


class ProbeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path_info)
        if probe is not None and request.method in ("GET", "HEAD"):
            return probe(request)
        return self.get_response(request)
