"""Kopf itself against the double: its discovery, watches, JSON-patches with resourceVersion
tests, finalizers and Event posting, from a real `kopf run` subprocess."""

from __future__ import annotations

import subprocess
import textwrap

from kubernetes import client

from tests.kubedouble.helpers import KSR, http, ksr_path, pipeline_run, wait_until

OPERATOR = textwrap.dedent('''
    import kopf

    @kopf.on.startup()
    def configure(settings: kopf.OperatorSettings, **_):
        settings.watching.server_timeout = 5
        settings.posting.level = 20

    @kopf.on.create("kubeshowcase.io", "v1alpha1", "pipelineruns")
    def created(body, patch, **_):
        patch.status["phase"] = "Queued"
        kopf.info(body, reason="Seen", message="queued by kopf")

    @kopf.on.delete("kubeshowcase.io", "v1alpha1", "pipelineruns")
    def deleted(body, **_):
        kopf.info(body, reason="Bye", message="deleted")
''')


def test_kopf_runs_an_operator_end_to_end(apiserver, kube_client, kube_env, tmp_path):
    script = tmp_path / "tiny_operator.py"
    script.write_text(OPERATOR)
    log_path = tmp_path / "kopf.log"
    with log_path.open("w") as log:
        kopf = subprocess.Popen(
            ["kopf", "run", "--standalone", "--namespace", "kubeshowcase", "--verbose",
             str(script)], env=kube_env, stdout=log, stderr=subprocess.STDOUT)
    try:
        custom = client.CustomObjectsApi(kube_client)
        custom.create_namespaced_custom_object(*KSR[:2], "kubeshowcase", KSR[2],
                                               pipeline_run("run-1"))
        args = (*KSR[:2], "kubeshowcase", KSR[2], "run-1")
        queued = wait_until(
            lambda: (lambda r: r if r.get("status", {}).get("phase") == "Queued" else None)(
                custom.get_namespaced_custom_object(*args)), 60, "kopf to queue the run")
        assert queued["metadata"]["finalizers"] == ["kopf.zalando.org/KopfFinalizerMarker"]
        core = client.CoreV1Api(kube_client)
        events = wait_until(lambda: core.list_namespaced_event(
            "kubeshowcase", field_selector="involvedObject.name=run-1,reason=Seen").items, 30,
            "kopf's event")
        assert events[0].message == "queued by kopf"
        custom.delete_namespaced_custom_object(*args)
        wait_until(lambda: http(apiserver, "GET", ksr_path(name="run-1")).status_code == 404,
                   60, "kopf to release its finalizer")
        # Kopf posts events from a queue of its own, so the deletion's event may land after
        # the finalizer is released and the object is gone.
        wait_until(lambda: core.list_namespaced_event(
            "kubeshowcase", field_selector="involvedObject.name=run-1,reason=Bye").items, 30,
            "kopf's event for the deletion")
    finally:
        kopf.terminate()
        try:
            kopf.wait(30)
        except subprocess.TimeoutExpired:
            kopf.kill()
            kopf.wait()
    output = log_path.read_text()
    assert "Traceback" not in output, output
    assert "Handler 'created' succeeded" in output
