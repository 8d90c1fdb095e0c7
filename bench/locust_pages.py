"""Locust users for the runs-at-scale benchmark: each signs in as one owner and views the pages.

Run by bench/runs_at_scale.py as `locust -f bench/locust_pages.py --headless ...`, with
BENCH_LOCUST_PLAN naming a JSON file: {"logins": [{"username", "cookies", "pages": {page name:
path}}], "times_out": path}; the benchmark signed each owner in beforehand (a sign-in is one
PBKDF2 hash, about a second of CPU here: not what is measured). Each view picks one page at random; the queue refresh is what
the page's poller sends (X-Requested-With: fetch), with If-None-Match once the server has sent
an ETag. Each request's time (ms), status and page are written to `times_out` when Locust stops,
so the benchmark computes exact percentiles (Locust's own rounds them).
"""

from __future__ import annotations

import itertools
import json
import os
import random
from pathlib import Path
from typing import Any

from locust import HttpUser, between, events, task

PLAN = json.loads(Path(os.environ["BENCH_LOCUST_PLAN"]).read_text())
REFRESH = "queue refresh"
_next_login = itertools.count()
_samples: list[dict[str, Any]] = []


@events.request.add_listener
def _record(name: str, response_time: float, response: Any = None,
            exception: BaseException | None = None, **_: Any) -> None:
    status = getattr(response, "status_code", 0) if response is not None else 0
    _samples.append({"page": name, "ms": response_time, "status": status,
                     "error": None if exception is None else repr(exception)[:200]})


@events.quitting.add_listener
def _write_samples(**_: Any) -> None:
    Path(PLAN["times_out"]).write_text(json.dumps(_samples))


class PageViewer(HttpUser):
    """One owner at the browser: a page about every second (think time 0.5-1.5 s)."""

    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        login = PLAN["logins"][next(_next_login) % len(PLAN["logins"])]
        self.pages: dict[str, str] = login["pages"]
        self.etag = ""
        for name, value in login["cookies"].items():
            self.client.cookies.set(name, value)

    @task
    def view_a_page(self) -> None:
        """One of the plan's pages, each as likely as the others."""
        page = random.choice(list(self.pages))
        headers = {}
        if page == REFRESH:
            headers["X-Requested-With"] = "fetch"
            if self.etag:
                headers["If-None-Match"] = self.etag
        with self.client.get(self.pages[page], name=page, headers=headers,
                             allow_redirects=False, catch_response=True) as response:
            if response.status_code not in (200, 304):
                response.failure(f"{page} answered {response.status_code}")
            if page == REFRESH:
                self.etag = response.headers.get("ETag", "") or self.etag
