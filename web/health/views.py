"""Liveness (/healthz) and readiness (/readyz) answers for Kubernetes probes."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache

from health import checks

logger = logging.getLogger(__name__)


@never_cache
def alive(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok\n", content_type="text/plain")


@never_cache
def ready(request: HttpRequest) -> HttpResponse:
    failures = checks.failing_checks()
    if failures:
        logger.warning(
            "not ready: %s", "; ".join(f"{failure.name}: {failure.reason}" for failure in failures)
        )
        # Names only: the reasons can hold internal detail and the probe URL is public.
        names = ", ".join(failure.name for failure in failures)
        return HttpResponse(f"not ready: {names}\n", status=503, content_type="text/plain")
    return HttpResponse("ready\n", content_type="text/plain")
