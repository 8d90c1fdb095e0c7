"""Command line: run the handshake, segment every selected image, write results and LAST_RUN_ID.

The working directory is the project folder. Exit codes: 0 success (LAST_RUN_ID
written), 1 some image failed (the others' results are kept), 2 unusable
arguments (nothing processed).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from nuclei_segmentation import __version__
from nuclei_segmentation.errors import ArgsError, ImageError
from nuclei_segmentation.handshake import read_run_id, write_last_run_id
from nuclei_segmentation.image_files import load_image, output_stems, write_csv, write_png
from nuclei_segmentation.measurement import OBJECT_COLUMNS, SUMMARY_COLUMNS, measure, summarise
from nuclei_segmentation.overlay import overlay
from nuclei_segmentation.params import Params, load_args, parse_params
from nuclei_segmentation.project_paths import (
    OUTPUT_DIR_ENV,
    find_images,
    resolve_inside,
    run_output_dir,
)
from nuclei_segmentation.segmentation import channel_index, channel_plane, segment

EXIT_IMAGE_FAILED = 1
EXIT_BAD_ARGS = 2
EXIT_TERMINATED = 128 + signal.SIGTERM


def stop_on_sigterm() -> None:
    """Exit at once when Kubernetes stops the pod (a cancelled run). As a container's PID 1,
    Python without this handler would ignore SIGTERM and be killed only when the grace
    period ends (30 s by default), keeping its run's slot and folder busy all that time."""

    def stop(signum: int, frame: object) -> None:
        print("nuclei: stopped (SIGTERM); LAST_RUN_ID not written", file=sys.stderr, flush=True)
        raise SystemExit(EXIT_TERMINATED)

    signal.signal(signal.SIGTERM, stop)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m nuclei_segmentation",
        description="Segment and measure nuclei in the images of the current project folder.",
    )
    parser.add_argument("--args", default=".kubeshowcase/args", help="the JSON args file")
    parser.add_argument("--run-id-file", default=".kubeshowcase/run_id")
    parser.add_argument("--last-run-id-file", default=".kubeshowcase/LAST_RUN_ID")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    options = build_parser().parse_args(argv)
    stop_on_sigterm()
    project = Path.cwd()
    try:
        run_id = read_run_id(resolve_inside(project, options.run_id_file, "--run-id-file"))
        last_run_id = resolve_inside(project, options.last_run_id_file, "--last-run-id-file")
        params = parse_params(load_args(_read_args(project, options.args)))
        output_dir, skipped = output_places(project, params, os.environ.get(OUTPUT_DIR_ENV))
        output = output_folder(project, output_dir)
        images = find_images(project, params.images, exclude=skipped)
    except ArgsError as exc:
        print(f"nuclei: error: {exc}", file=sys.stderr, flush=True)
        return EXIT_BAD_ARGS
    say(f"run {run_id}: {len(images)} image(s); {_describe(params)}; writing to {output_dir}/")
    failed = process(project, images, params, output, output_dir)
    if failed:
        print(
            f"nuclei: error: {failed} of {len(images)} image(s) failed; LAST_RUN_ID not written",
            file=sys.stderr,
            flush=True,
        )
        return EXIT_IMAGE_FAILED
    write_last_run_id(last_run_id, run_id)
    say(f"run {run_id} finished; wrote {options.last_run_id_file}")
    return 0


def output_places(project: Path, params: Params, per_run: str | None) -> tuple[str, list[str]]:
    """Where results go (the operator's KSC_OUTPUT_DIR when set, else output_dir) and the
    folders image discovery skips: output_dir, and with KSC_OUTPUT_DIR every run's folder
    (its parent, runs/), so one run's overlays never become the next run's inputs."""
    if not per_run:
        return params.output_dir, [params.output_dir]
    output_dir = run_output_dir(project, per_run)
    parent = PurePosixPath(output_dir).parent.as_posix()
    return output_dir, [params.output_dir, *([parent] if parent != "." else [output_dir])]


def output_folder(project: Path, relative: str) -> Path:
    output = resolve_inside(project, relative, "output_dir")
    if output.exists() and not output.is_dir():
        raise ArgsError(f"output_dir {relative!r} exists and is not a folder")
    return output


def process(project: Path, images: Sequence[str], params: Params, output: Path,
            output_dir: str = "") -> int:
    """Segment each image and write its results into `output`; returns how many images failed."""
    output.mkdir(parents=True, exist_ok=True)
    stems = output_stems(images)
    summary, failed = [], 0
    for number, name in enumerate(images, start=1):
        try:
            image = load_image(project / name)
            channel = channel_index(image, params.channel)
            plane = channel_plane(image, channel)
        except ImageError as exc:
            failed += 1
            print(f"nuclei: error: {name}: {exc}", file=sys.stderr, flush=True)
            continue
        result = segment(plane, params)
        rows = measure(result.labels, plane)
        write_csv(output / f"{stems[name]}_objects.csv", OBJECT_COLUMNS, rows)
        write_png(output / f"{stems[name]}_overlay.png", overlay(plane, result.labels))
        summary.append(summarise(name, channel, result.threshold, rows))
        say(f"[{number}/{len(images)}] {name}: {len(rows)} nuclei (channel {channel})")
    write_csv(output / "summary.csv", SUMMARY_COLUMNS, summary)
    say(f"wrote {output_dir or params.output_dir}/summary.csv ({len(summary)} image(s))")
    return failed


def _read_args(project: Path, relative: str) -> str:
    path = resolve_inside(project, relative, "--args")
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ArgsError(f"the args file {relative} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ArgsError(f"cannot read the args file {relative}: {exc}") from None


def _describe(params: Params) -> str:
    images = params.images if isinstance(params.images, str) else f"{len(params.images)} listed"
    return (
        f"images={images} channel={params.channel} threshold={params.threshold} "
        f"min_area={params.min_area} smoothing_sigma={params.smoothing_sigma:g} "
        f"split_touching={str(params.split_touching).lower()} output_dir={params.output_dir}"
    )


def say(line: str) -> None:
    # Flushed per line: stdout is the run's live log.
    print(f"nuclei: {line}", flush=True)
