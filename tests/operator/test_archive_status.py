"""What the archive keeps of a run, as the operator writes it while it runs and when cancelled."""

from __future__ import annotations

import sys
from pathlib import Path

from kubedouble.images import image_ref
from kubedouble.scheduler import NODE
from tests.fixtures.apiserver import PYTHON, TEST_PIPELINE_IMAGE
from tests.fixtures.operator import KscCluster, wait_until

# Writes one output into its own folder, then waits (SIGTERM ends it) for a release file.
WRITER = '''\
import os, signal, sys, time
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
with open(os.path.join(os.environ["KSC_OUTPUT_DIR"], "partial.csv"), "w") as handle:
    handle.write("written before the cancel\\n")
while not os.path.exists(sys.argv[1]):
    time.sleep(0.05)
'''


def test_the_image_is_recorded_while_it_runs_and_a_cancelled_runs_outputs_are_kept(
        operator_factory, ksc: KscCluster, tmp_path: Path) -> None:
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    project = ksc.project()
    ksc.create_pipeline("test", command=[sys.executable, str(script), str(tmp_path / "never")],
                        results={"perRun": True})
    operator_factory()
    ksc.create_run("run-1")

    running = wait_until(lambda: (s := ksc.status("run-1")).get("imageID") and s, 30,
                         "status.imageID while Running")
    assert running["phase"] == "Running"
    assert running["imageID"] == image_ref(TEST_PIPELINE_IMAGE, PYTHON)
    assert running["outputs"] == {"dir": "runs/run-1"}
    assert running["pipelineGeneration"] == 1
    wait_until(lambda: (project / "runs/run-1/partial.csv").exists(), 30, "the output")
    ksc.cancel("run-1")
    status = ksc.wait_phase("run-1", "Cancelled", "Failed", "Succeeded", timeout=60)

    assert status["phase"] == "Cancelled", status
    assert status["imageID"] == running["imageID"]
    # Recorded while it ran (its pod is gone at its end); a cancelled pipeline has no exit code.
    assert status["nodeName"] == NODE and "exitCode" not in status
    assert status["outputs"]["dir"] == "runs/run-1" and status["outputs"]["complete"] is True
    assert [entry["path"] for entry in status["outputs"]["files"]] == ["runs/run-1/partial.csv"]


def test_the_node_and_the_exit_code_land_in_status_of_a_run_that_succeeded_or_failed(
        operator_factory, ksc: KscCluster, pipeline_script: Path) -> None:
    ksc.project()
    ksc.create_pipeline("test", command=[sys.executable, str(pipeline_script)])
    operator_factory()
    ksc.create_run("run-ok")
    succeeded = ksc.wait_phase("run-ok", "Succeeded", "Failed", "Cancelled", timeout=60)
    ksc.create_run("run-bad", args={"exit": 3})
    failed = ksc.wait_phase("run-bad", "Succeeded", "Failed", "Cancelled", timeout=60)

    assert succeeded["phase"] == "Succeeded", succeeded
    assert (succeeded["nodeName"], succeeded["exitCode"]) == (NODE, 0)
    assert failed["phase"] == "Failed", failed
    assert (failed["nodeName"], failed["exitCode"]) == (NODE, 3)
