"""Projected ServiceAccount tokens kept fresh while their pod lives, as the kubelet's token
manager does (pkg/kubelet/token/token_manager.go requiresRefresh: a token is renewed once 80 %
of its lifetime has passed, or after 24 h, whichever comes first).

The whole projected volume is written again (atomically, file by file), so a process reading
the token file at each request, as client-go and the Python client do, sees the new one.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from .volumes import TOKEN_SECONDS, MountFailed

MAX_AGE_SECONDS = 24 * 3600


def token_volumes(pod: dict[str, Any]) -> list[dict[str, Any]]:
    return [v for v in pod["spec"].get("volumes") or [] if "projected" in v
            and any("serviceAccountToken" in s for s in v["projected"].get("sources") or [])]


def refresh_period(pod: dict[str, Any], override: float | None) -> float | None:
    """Seconds between renewals of the pod's tokens (None: it has none)."""
    seconds = [int(s["serviceAccountToken"].get("expirationSeconds") or TOKEN_SECONDS)
               for v in token_volumes(pod) for s in v["projected"]["sources"]
               if "serviceAccountToken" in s]
    if not seconds:
        return None
    return override if override is not None else min(0.8 * min(seconds), MAX_AGE_SECONDS)


async def keep_fresh(pod: dict[str, Any], rewrite: Callable[[dict[str, Any]], Any],
                     override: float | None) -> None:
    """Rewrite the pod's token volumes every period, until cancelled."""
    period = refresh_period(pod, override)
    if period is None:
        return
    while True:
        await asyncio.sleep(period)
        for volume in token_volumes(pod):
            with contextlib.suppress(MountFailed, OSError):  # its account went: keep the old
                rewrite(volume)
