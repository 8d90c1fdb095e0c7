"""Benchmark: how much a web worker's memory rises when it refuses a hostile upload.

    .venv/bin/python -m bench.upload_bombs [--quick] [--json FILE] [--repeat N]

Each case runs in a fresh Python process that loads the web app's settings and code first, so
its peak RSS (getrusage ru_maxrss) before the measured call is a warmed-up worker's. The figure
is that peak's rise over the call. Target for every refused bomb: < 50 MB. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.figures import table
from bench.webstack import manage, postgres

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "web"))  # the web app's zip bound, for the fat-directory case
TARGET_MB = 50.0  # MB = 10**6 bytes, as every RSS figure here
MIB = 2**20


@dataclass(frozen=True)
class Size:
    bomb_entries: int  # entries in a zip-directory bomb (the zip has 400,000)
    allowed_entries: int  # entries of the large zip that is accepted (ZIP_MAX_ENTRIES: 10,000)


FULL = Size(bomb_entries=400_000, allowed_entries=10_000)
QUICK = Size(bomb_entries=40_000, allowed_entries=1_000)


@dataclass(frozen=True)
class Case:
    """One hostile (or normal) input: made by the parent, staged and measured by a child."""

    name: str
    what: str
    make: Callable[[Path, Size], Path]  # parent: writes the input file, returns its path
    setup: Callable[[Path], Any]  # child, not measured: e.g. put the input in staging
    measure: Callable[[Any], str]  # child, measured: the worker's job; returns the outcome
    bomb: bool = True  # the < 50 MB target applies
    reference: bool = False  # shows what the code did before the fix; no target


@dataclass
class Result:
    case: str
    what: str
    input_mb: float
    outcome: str
    peak_rise_mb: float
    peak_mb: float
    seconds: float
    peak_reset: bool  # the peak was lowered to the present RSS before the call (Linux)
    bomb: bool
    reference: bool

    @property
    def verdict(self) -> str:
        if self.reference or not self.bomb:
            return "-"
        return "met" if self.peak_rise_mb < TARGET_MB else "NOT met"


# --- zips -------------------------------------------------------------------------------------


def _normal_zip(workdir: Path, size: Size) -> Path:
    path = workdir / "normal.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for index in range(20):
            archive.writestr(f"images/{index:02d}.txt", f"line {index}\n".encode() * 100)
    return path


def _largest_allowed_zip(workdir: Path, size: Size) -> Path:
    from tests.web.zipcraft import crafted_zip, entry_names

    path = workdir / "10000-entries.zip"
    path.write_bytes(crafted_zip(entry_names(size.allowed_entries)))
    return path


def _fat_directory(workdir: Path, size: Size) -> Path:
    """As many entries as allowed, each as large as the directory bound lets it be."""
    from projects.zipcheck import CENTRAL_HEADER, MAX_DIRECTORY_BYTES_PER_ENTRY
    from tests.web.zipcraft import crafted_zip

    name_bytes = MAX_DIRECTORY_BYTES_PER_ENTRY - CENTRAL_HEADER.size
    names = [f"../{index:06d}".encode().ljust(name_bytes, b"a")
             for index in range(size.allowed_entries)]
    path = workdir / "fat-directory.zip"
    path.write_bytes(crafted_zip(names))
    return path


def _bomb_counted(workdir: Path, size: Size) -> Path:
    from tests.web.zipcraft import crafted_zip, entry_names

    path = workdir / "bomb-zip64.zip"
    path.write_bytes(crafted_zip(entry_names(size.bomb_entries), zip64=True))
    return path


def _bomb_lying(workdir: Path, size: Size) -> Path:
    from tests.web.zipcraft import crafted_zip, entry_names

    path = workdir / "bomb-says-3.zip"
    path.write_bytes(crafted_zip(entry_names(size.bomb_entries), declared=3))
    return path


def _bomb_lying_within_bound(workdir: Path, size: Size) -> Path:
    from tests.web.zipcraft import crafted_zip, entry_names

    path = workdir / "bomb-says-10000.zip"
    path.write_bytes(crafted_zip(entry_names(20_000), declared=10_000))
    return path


def _staged_upload(path: Path) -> Any:
    """The file as the upload handler leaves it: in DATA_ROOT/.staging, written in chunks."""
    from projects.uploads import StagedUploadedFile

    upload = StagedUploadedFile(path.name, "application/zip", None, {})
    with open(path, "rb") as source:
        shutil.copyfileobj(source, upload.file, MIB)
    upload.file.flush()
    upload.file.seek(0)
    upload.size = path.stat().st_size
    return upload


def _take_zip(upload: Any) -> str:
    """What the upload view does with a zip and "unpack" ticked: projects.intake.take_uploads."""
    from accounts.limits import user_limits
    from projects.intake import IntakeRefused, take_uploads
    from projects.models import Project
    from projects.volume import open_owner

    project = Project.objects.get_or_create(owner="bench", name="project")[0]
    try:
        with open_owner("bench", create=True) as owner, owner.ensure_dir(["project"]) as folder:
            result = take_uploads([upload], folder, unpack_zips=True, owner="bench",
                                  project_id=project.id, limits=user_limits())
    except IntakeRefused as refusal:
        return f"refused: {refusal}"
    finally:
        upload.close()
    return f"unpacked {result.files} files"


def _zipfile_alone(upload: Any) -> str:
    """What intake did before the end records were read: zipfile parses the whole directory."""
    with zipfile.ZipFile(upload.temporary_file_path()) as archive:
        return f"zipfile parsed {len(archive.infolist())} entries"


CASES = [
    Case("normal-zip", "20 small files, deflated", _normal_zip, _staged_upload, _take_zip,
         bomb=False),
    Case("large-zip", "M empty files, all accepted", _largest_allowed_zip, _staged_upload,
         _take_zip, bomb=False),
    Case("zip-fat-directory", "M entries of the largest size the bound allows",
         _fat_directory, _staged_upload, _take_zip),
    Case("zip-bomb-zip64", "N empty entries, count in the zip64 record", _bomb_counted,
         _staged_upload, _take_zip),
    Case("zip-bomb-says-3", "N empty entries, end record says 3", _bomb_lying, _staged_upload,
         _take_zip),
    Case("zip-bomb-says-10000", "20,000 entries, end record says 10,000",
         _bomb_lying_within_bound, _staged_upload, _take_zip),
    Case("zipfile-alone", "the zip64 bomb opened by zipfile alone (before #7)", _bomb_counted,
         _staged_upload, _zipfile_alone, reference=True),
]


# --- running the cases --------------------------------------------------------------------------


def _peak_mb() -> float:
    """This process's peak RSS (VmHWM). Unlike ru_maxrss it starts afresh at exec, so the
    parent's memory (which just made a 34 MiB bomb) does not count."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024 / 1e6  # "kB" there is KiB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6  # not Linux: KiB


def _reset_peak() -> bool:
    """Lower the peak to the present RSS (Linux >= 4.0), so setup's own peak does not hide ours."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def child(case_name: str, input_path: Path) -> dict[str, Any]:
    """In the fresh process: load the web app, set up, then measure one call."""
    sys.path[:0] = [str(REPO), str(REPO / "web")]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kubeshowcase.settings")
    import django

    django.setup()
    import projects.intake  # noqa: F401  (every module the measured call uses, loaded first)
    from projects.models import OwnerUsage, Project

    # Each case starts with an owner who has nothing (the counters the quota reads).
    Project.objects.filter(owner="bench").delete()
    OwnerUsage.objects.filter(owner="bench").delete()

    case = next(case for case in CASES if case.name == case_name)
    state = case.setup(input_path)
    reset = _reset_peak()
    before = _peak_mb()
    started = time.perf_counter()
    outcome = case.measure(state)
    seconds = time.perf_counter() - started
    after = _peak_mb()
    return {"outcome": outcome, "peak_rise_mb": round(after - before, 1),
            "peak_mb": round(after, 1), "seconds": round(seconds, 3), "peak_reset": reset}


def run_case(case: Case, size: Size, workdir: Path, database_url: str) -> Result:
    case_dir = workdir / case.name
    data_root = case_dir / "data"
    data_root.mkdir(parents=True)
    input_path = case.make(case_dir, size)
    env = {**os.environ, "DATA_ROOT": str(data_root), "DATABASE_URL": database_url,
           "DJANGO_SETTINGS_MODULE":
           "kubeshowcase.settings", "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "web")])}
    done = subprocess.run(
        [sys.executable, "-m", "bench.upload_bombs", "--child", case.name, str(input_path)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"case {case.name} failed:\n{done.stdout}{done.stderr}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return Result(case=case.name, what=case.what.replace("N ", f"{size.bomb_entries:,} ")
                  .replace("M ", f"{size.allowed_entries:,} "),
                  input_mb=round(input_path.stat().st_size / MIB, 2), bomb=case.bomb,
                  reference=case.reference, **figures)


def report(results: list[Result]) -> str:
    rows = [[r.case, r.what, r.input_mb, r.peak_rise_mb, r.peak_mb, r.seconds, r.verdict,
             r.outcome[:90]] for r in results]
    return table(["case", "input", "file MiB", "peak RSS rise MB", "peak RSS MB", "seconds",
                  f"< {TARGET_MB:.0f} MB", "outcome"], rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.upload_bombs",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"bombs of {QUICK.bomb_entries:,} entries: checks the benchmark works")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each case (default 1)")
    parser.add_argument("--case", action="append", choices=[case.name for case in CASES],
                        help="run only this case (may be repeated)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--child", nargs=2, metavar=("CASE", "INPUT"), help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.child:
        print(json.dumps(child(options.child[0], Path(options.child[1]))))
        return 0
    if options.repeat < 1:
        parser.error("--repeat must be at least 1")
    size = QUICK if options.quick else FULL
    chosen = [case for case in CASES if not options.case or case.name in options.case]
    print(f"upload bombs benchmark: {size}; {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.2f}", flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="bench-bombs-"))
    results = []
    try:
        # The intake updates the owner's usage counters in PostgreSQL (projects.records).
        with postgres() as database_url:
            migrate_env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "bench",
                           "DATA_ROOT": str(workdir / "migrate-data")}
            manage(migrate_env, "migrate", "--noinput", "-v", "0")
            for attempt in range(options.repeat):
                for case in chosen:
                    results.append(run_case(case, size, workdir / f"{attempt}", database_url))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(report(results))
    if options.json:
        options.json.write_text(json.dumps(
            [{**asdict(r), "target_mb": TARGET_MB, "verdict": r.verdict} for r in results],
            indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
