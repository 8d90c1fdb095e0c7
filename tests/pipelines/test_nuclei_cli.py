"""The pipeline end to end: handshake files in, results and LAST_RUN_ID out (or a clear error)."""

from __future__ import annotations

import csv
import signal
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest

from nuclei_segmentation.cli import main
from nuclei_segmentation.measurement import OBJECT_COLUMNS, SUMMARY_COLUMNS
from nuclei_segmentation.project_paths import OUTPUT_DIR_ENV
from tests.pipelines.project import RUN_ID, Project
from tools.sample_data import NUCLEI, composite, nuclei_image


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def test_a_run_writes_results_then_last_run_id(project: Project) -> None:
    project.add_image("field.png", nuclei_image())
    project.add_image("plate/well-b2.tif", composite(nuclei_image(seed=11), channel=2))
    project.add_image("plate/empty.png", np.full((40, 30), 9, np.uint8))
    project.add_image(".kubeshowcase/ignored.png", nuclei_image())
    project.write_args({"images": "**/*", "threshold": "otsu", "min_area": 20})

    run = project.run()

    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    assert project.last_run_id.read_text(encoding="utf-8") == RUN_ID
    assert f"nuclei: run {RUN_ID}: 3 image(s)" in run.stdout
    assert "field.png: 6 nuclei (channel 0)" in run.stdout
    assert "plate/well-b2.tif: 6 nuclei (channel 2)" in run.stdout
    results = project.root / "results"
    columns, summary = read_csv(results / "summary.csv")
    assert columns == list(SUMMARY_COLUMNS)
    assert [(row["image"], row["object_count"]) for row in summary] == [
        ("field.png", str(len(NUCLEI))),
        ("plate/empty.png", "0"),
        ("plate/well-b2.tif", str(len(NUCLEI))),
    ]
    columns, objects = read_csv(results / "field_objects.csv")
    assert columns == list(OBJECT_COLUMNS)
    assert [row["label"] for row in objects] == [str(n) for n in range(1, len(NUCLEI) + 1)]
    assert all(int(row["area"]) >= 20 for row in objects)
    assert read_csv(results / "empty_objects.csv") == (list(OBJECT_COLUMNS), [])
    for stem, shape in [("field", (96, 96)), ("well-b2", (96, 96)), ("empty", (40, 30))]:
        assert iio.imread(results / f"{stem}_overlay.png").shape == (*shape, 3)
    assert sorted(path.name for path in results.iterdir()) == [
        "empty_objects.csv",
        "empty_overlay.png",
        "field_objects.csv",
        "field_overlay.png",
        "summary.csv",
        "well-b2_objects.csv",
        "well-b2_overlay.png",
    ]


def test_it_honours_the_handshake_flags(project: Project) -> None:
    project.add_image("a.png", nuclei_image())
    (project.root / "handoff").mkdir()
    (project.root / "handoff" / "params.json").write_text('{"output_dir": "out"}')
    (project.root / "handoff" / "id").write_text("run-42")

    run = project.run(
        "--args",
        "handoff/params.json",
        "--run-id-file",
        "handoff/id",
        "--last-run-id-file",
        "handoff/done/LAST",
    )

    assert run.returncode == 0, run.stderr
    assert (project.root / "handoff" / "done" / "LAST").read_text() == "run-42"
    assert (project.root / "out" / "a_overlay.png").is_file()
    assert not project.last_run_id.exists()


def test_a_failed_run_leaves_the_previous_last_run_id(project: Project) -> None:
    project.add_image("a.png", nuclei_image())
    project.write_args({}, run_id="run-1")
    assert project.run().returncode == 0
    project.write_args({"threshold": "median"}, run_id="run-2")

    run = project.run()

    assert run.returncode == 2
    assert "nuclei: error: threshold must be one of otsu, li, yen" in run.stderr
    assert project.last_run_id.read_text() == "run-1"


def test_an_unreadable_image_fails_the_run_but_keeps_the_others(project: Project) -> None:
    project.add_image("good.png", nuclei_image())
    (project.root / "bad.png").write_bytes(b"not a png at all")
    project.write_args({})

    run = project.run()

    assert run.returncode == 1
    assert "nuclei: error: bad.png: cannot read it as a PNG image" in run.stderr
    assert "1 of 2 image(s) failed; LAST_RUN_ID not written" in run.stderr
    assert not project.last_run_id.exists()
    _, summary = read_csv(project.root / "results" / "summary.csv")
    assert [row["image"] for row in summary] == ["good.png"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ('{"images": "*.png",', "the args file is not valid JSON"),
        ({"threshold": 2}, "threshold must be one of otsu, li, yen or a number from 0 to 1"),
        ({"threshold": "isodata"}, "threshold must be one of"),
        ({"images": "*.tif"}, "no images match '*.tif' in the project folder"),
        ({"images": ["missing.png"]}, "images: 'missing.png' does not exist"),
        ({"images": "../*/field.png"}, "contains '..'; paths must stay inside the project folder"),
        ({"images": ["/etc/hostname"]}, "is absolute; give a path relative to the project folder"),
        ({"output_dir": "../../results"}, "output_dir '../../results' contains '..'"),
        ({"output_dir": "field.png"}, "output_dir 'field.png' exists and is not a folder"),
        ({"channel": 5}, "channel must be one of 'auto', 0, 1, 2"),
        ({"min_area": "big"}, "min_area must be a whole number"),
        ({"smoothing": 1}, "unknown argument(s) smoothing"),
    ],
)
def test_bad_args_fail_clearly_without_last_run_id(
    in_project: Project, capsys: pytest.CaptureFixture[str], args: object, message: str
) -> None:
    in_project.add_image("field.png", nuclei_image())
    in_project.write_args(args)  # type: ignore[arg-type]

    assert main([]) == 2

    err = capsys.readouterr().err
    assert err.startswith("nuclei: error: ")
    assert message in err
    assert not in_project.last_run_id.exists()
    assert not (in_project.root / "results").exists()


@pytest.mark.parametrize(
    ("flags", "prepare", "message"),
    [
        ([], "no-run-id", "the run id file"),
        ([], "empty-run-id", "must hold one line of 1 to 256 characters"),
        ([], "no-args", "the args file .kubeshowcase/args does not exist"),
        (["--args", "/etc/passwd"], "", "--args '/etc/passwd' is absolute"),
        (["--run-id-file", "../run_id"], "", "--run-id-file '../run_id' contains '..'"),
        (
            ["--last-run-id-file", "../LAST_RUN_ID"],
            "",
            "--last-run-id-file '../LAST_RUN_ID' contains '..'",
        ),
    ],
)
def test_bad_handshake_files_fail_clearly(
    in_project: Project,
    capsys: pytest.CaptureFixture[str],
    flags: list[str],
    prepare: str,
    message: str,
) -> None:
    in_project.add_image("field.png", nuclei_image())
    in_project.write_args({})
    handshake = in_project.root / ".kubeshowcase"
    if prepare == "no-run-id":
        (handshake / "run_id").unlink()
    elif prepare == "empty-run-id":
        (handshake / "run_id").write_text("\n")
    elif prepare == "no-args":
        (handshake / "args").unlink()

    assert main(flags) == 2

    assert message in capsys.readouterr().err
    assert not in_project.last_run_id.exists()
    assert not (in_project.root.parent / "LAST_RUN_ID").exists()


def test_it_runs_in_process_on_a_listed_image_with_an_empty_args_file(
    in_project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    in_project.add_image("raw/a.png", nuclei_image())
    in_project.add_image("raw/b.png", np.zeros((8, 8), np.uint8))
    in_project.write_args({"images": ["raw/a.png"], "split_touching": False})

    assert main([]) == 0

    out = capsys.readouterr().out
    assert "raw/a.png: 5 nuclei" in out  # the touching pair stays one object
    assert "raw/b.png" not in out
    assert in_project.last_run_id.read_text() == RUN_ID
    in_project.write_args("", run_id="run-empty")
    assert main([]) == 0
    assert in_project.last_run_id.read_text() == "run-empty"


def test_sigterm_stops_a_run_at_once_without_last_run_id(project: Project) -> None:
    """A cancelled run's pod gets SIGTERM; the pipeline (PID 1 in its container, where an
    unhandled SIGTERM is ignored) handles it, so it ends without waiting for SIGKILL."""
    for number in range(60):
        project.add_image(f"plate/well-{number:02}.png", nuclei_image(seed=number))
    project.write_args({"images": "plate/*.png"})
    process = project.start()
    assert process.stdout is not None
    assert "image(s)" in process.stdout.readline()  # handler installed, images under way
    caught = int(next(line for line in Path(f"/proc/{process.pid}/status").read_text()
                      .splitlines() if line.startswith("SigCgt:")).split()[1], 16)
    assert caught & (1 << (signal.SIGTERM - 1))  # what the kubelet's PID 1 rule looks at
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 143
    assert "stopped (SIGTERM); LAST_RUN_ID not written" in stderr
    assert not project.last_run_id.exists()
    summary = project.root / "results" / "summary.csv"
    assert not summary.exists()  # written only after the last image


def test_a_run_with_a_folder_of_its_own_writes_there_and_reads_no_earlier_run(
        project: Project) -> None:
    project.add_image("field.png", nuclei_image())
    project.add_image("runs/earlier/field_overlay.png", nuclei_image())  # an earlier run's
    (project.root / "runs" / RUN_ID).mkdir()
    project.extra_env[OUTPUT_DIR_ENV] = str(project.root / "runs" / RUN_ID)
    project.write_args({"images": "**/*"})

    run = project.run()

    assert run.returncode == 0, run.stderr
    assert f"nuclei: run {RUN_ID}: 1 image(s)" in run.stdout
    assert f"writing to runs/{RUN_ID}/" in run.stdout
    assert sorted(p.name for p in (project.root / "runs" / RUN_ID).iterdir()) == [
        "field_objects.csv", "field_overlay.png", "summary.csv"]
    assert not (project.root / "results").exists()


def test_an_output_folder_outside_the_project_is_refused(project: Project,
                                                         tmp_path: Path) -> None:
    project.add_image("field.png", nuclei_image())
    project.extra_env[OUTPUT_DIR_ENV] = str(tmp_path)
    project.write_args({})

    run = project.run()

    assert run.returncode == 2 and "KSC_OUTPUT_DIR" in run.stderr
    assert not project.last_run_id.exists()
