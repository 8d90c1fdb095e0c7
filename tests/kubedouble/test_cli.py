"""`python -m kubedouble`: the ready line, kubeconfig, start-up manifests, state across restarts,
and a clean stop that kills job processes."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from kubernetes import client, config

from tests.kubedouble.helpers import KSR, job, pipeline_run, process_alive, sleeper, wait_until

REPO = Path(__file__).resolve().parents[2]
PIPELINE = """\
apiVersion: kubeshowcase.io/v1alpha1
kind: Pipeline
metadata:
  name: nuclei
spec:
  image: nuclei:1
"""


def _start(*args: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen([sys.executable, "-m", "kubedouble", "--port", "0", *args],
                               cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith("kubedouble listening on https://127.0.0.1:"), line
    return process, line.split()[-1]


def _stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGTERM)
    assert process.wait(30) == 0


def _client(kubeconfig: Path) -> client.ApiClient:
    configuration = client.Configuration()
    config.load_kube_config(config_file=str(kubeconfig), client_configuration=configuration)
    return client.ApiClient(configuration)


def test_the_cli_serves_applies_persists_and_cleans_up(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    manifest = tmp_path / "pipeline.yaml"
    manifest.write_text(PIPELINE)
    kubeconfig, state = tmp_path / "kubeconfig", tmp_path / "state.json"
    images = tmp_path / "images.yaml"
    images.write_text(f"python:3.11: {{cmd: [python3], programs: {{python: {sys.executable}}}}}\n")
    args = ["--crds", str(REPO / "crds"), "--volume", f"kubeshowcase-data={data}",
            "--images", str(images),
            "--job-env", "GREETING=hi", "--kubeconfig-out", str(kubeconfig),
            "--apply", str(manifest), "--state", str(state)]
    process, url = _start(*args)
    try:
        api = _client(kubeconfig)
        assert api.configuration.host == url
        custom = client.CustomObjectsApi(api)
        pipeline = custom.get_namespaced_custom_object("kubeshowcase.io", "v1alpha1",
                                                       "kubeshowcase", "pipelines", "nuclei")
        assert pipeline["spec"]["files"]["args"] == ".kubeshowcase/args"
        first = custom.create_namespaced_custom_object(*KSR[:2], "kubeshowcase", KSR[2],
                                                       pipeline_run("run-1"))
        pid_file = data / "pid"
        script = sleeper(pid_file, "os.environ['GREETING'] + ' '")
        client.BatchV1Api(api).create_namespaced_job(
            "kubeshowcase", job("long", [sys.executable, "-c", script]))
        greeting, pid = wait_until(lambda: pid_file.exists() and pid_file.read_text().split(),
                                   30, "the job process")
        assert greeting == "hi" and process_alive(int(pid))
    finally:
        _stop(process)
    assert not process_alive(int(pid))
    assert state.exists()

    process, url = _start(*args)
    try:
        custom = client.CustomObjectsApi(_client(kubeconfig))
        kept = custom.get_namespaced_custom_object(*KSR[:2], "kubeshowcase", KSR[2], "run-1")
        assert kept["metadata"]["uid"] == first["metadata"]["uid"]
        second = custom.create_namespaced_custom_object(*KSR[:2], "kubeshowcase", KSR[2],
                                                        pipeline_run("run-2"))
        assert int(second["metadata"]["resourceVersion"]) > int(
            kept["metadata"]["resourceVersion"])
        lost = client.CoreV1Api(_client(kubeconfig)).list_namespaced_pod(
            "kubeshowcase", label_selector="job-name=long").items
        wait_until(lambda: client.BatchV1Api(_client(kubeconfig)).read_namespaced_job(
            "long", "kubeshowcase").status.failed, 30, "the lost pod to count as failed")
        assert len(lost) == 1
    finally:
        _stop(process)


def test_bad_flags_get_a_clear_error(tmp_path):
    result = subprocess.run([sys.executable, "-m", "kubedouble", "--port", "0", "--volume",
                             "no-equals-sign"], cwd=REPO, capture_output=True, text=True,
                            timeout=30)
    assert result.returncode != 0
    assert "--volume expects NAME=VALUE" in result.stderr


def test_bad_node_sizes_and_missing_image_files_get_a_clear_error(tmp_path):
    for flags, words in ((["--node-cpu", "lots"], "quantities must match"),
                         (["--images", str(tmp_path / "none.yaml")], "is not a file")):
        result = subprocess.run([sys.executable, "-m", "kubedouble", "--port", "0", *flags],
                                cwd=REPO, capture_output=True, text=True, timeout=30)
        assert result.returncode != 0 and words in result.stderr
