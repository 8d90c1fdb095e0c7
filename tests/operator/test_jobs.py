"""job_for_run builds the Job dict: names, owner, labels, volume, security, Pipeline fields."""

from __future__ import annotations

from dataclasses import replace

from kubeshowcase_operator.jobs import handshake_of, job_for_run, ttl_patch
from kubeshowcase_operator.settings import Settings
from kubeshowcase_operator.views import JobView, PipelineView, RunView

from .bodies import pipeline_body, run_body


def build(settings: Settings, run: dict | None = None, **spec: object) -> dict:
    return job_for_run(RunView.from_body(run or run_body()),
                       PipelineView.from_body(pipeline_body(**spec)), settings)


def test_it_names_and_owns_the_job(settings: Settings) -> None:
    job = build(settings)
    meta = job["metadata"]
    assert meta["name"] == "run-1" and meta["namespace"] == "kubeshowcase"
    assert meta["ownerReferences"] == [{
        "apiVersion": "kubeshowcase.io/v1alpha1", "kind": "PipelineRun", "name": "run-1",
        "uid": "uid-run-1", "controller": True, "blockOwnerDeletion": True}]
    assert meta["labels"] == {"app.kubernetes.io/managed-by": "kubeshowcase-operator",
                              "kubeshowcase.io/run": "run-1", "kubeshowcase.io/pipeline": "nuclei"}
    assert job["spec"]["template"]["metadata"]["labels"] == meta["labels"]


def test_it_mounts_the_project_folder_as_working_directory(settings: Settings) -> None:
    pod = build(settings)["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["workingDir"] == "/project"
    assert container["volumeMounts"] == [
        {"name": "project", "mountPath": "/project", "subPath": "alice/cells"}]
    assert pod["volumes"] == [
        {"name": "project", "persistentVolumeClaim": {"claimName": "kubeshowcase-data"}}]


def test_it_uses_the_pipelines_mount_path(settings: Settings) -> None:
    container = build(settings, mountPath="/data")["spec"]["template"]["spec"]["containers"][0]
    assert container["workingDir"] == "/data"
    assert container["volumeMounts"][0]["mountPath"] == "/data"


def test_it_copies_the_pipelines_container_fields(settings: Settings) -> None:
    resources = {"limits": {"cpu": "2", "memory": "1Gi"}}
    job = build(settings, imagePullPolicy="IfNotPresent", command=["python", "-m", "nuclei"],
                args=["--fast"], env=[{"name": "MODE", "value": "x"}], resources=resources,
                activeDeadlineSeconds=600, backoffLimit=2)
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "ghcr.io/example/nuclei:1.0"
    assert container["imagePullPolicy"] == "IfNotPresent"
    assert container["command"] == ["python", "-m", "nuclei"]
    assert container["args"] == ["--fast"]
    assert container["resources"] == resources
    assert container["env"] == [{"name": "MODE", "value": "x"},
                                {"name": "KSC_RUN_ID", "value": "run-1"}]
    assert job["spec"]["activeDeadlineSeconds"] == 600
    assert job["spec"]["backoffLimit"] == 2


def test_user_input_never_reaches_the_command_line(settings: Settings) -> None:
    hostile = "'; rm -rf / #"
    job = build(settings, run_body(args=hostile), command=["run-pipeline"])
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert hostile not in repr(job)
    assert container["command"] == ["run-pipeline"] and "args" not in container


def test_the_run_id_variable_cannot_be_shadowed(settings: Settings) -> None:
    job = build(settings, env=[{"name": "KSC_RUN_ID", "value": "forged"}])
    env = job["spec"]["template"]["spec"]["containers"][0]["env"]
    assert env == [{"name": "KSC_RUN_ID", "value": "run-1"}]


def test_it_runs_as_non_root_without_privileges(settings: Settings) -> None:
    pod = build(settings)["spec"]["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"] == {"runAsNonRoot": True, "runAsUser": 1000,
                                      "runAsGroup": 1000, "fsGroup": 1000,
                                      "seccompProfile": {"type": "RuntimeDefault"}}
    assert pod["containers"][0]["securityContext"] == {
        "runAsNonRoot": True, "runAsUser": 1000, "runAsGroup": 1000,
        "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"}}


def test_the_ids_come_from_the_settings(settings: Settings) -> None:
    ids = replace(settings, pipeline_run_as_user=10001, pipeline_run_as_group=10002,
                  pipeline_fs_group=10003)
    pod = build(ids)["spec"]["template"]["spec"]
    assert {k: pod["securityContext"][k] for k in ("runAsUser", "runAsGroup", "fsGroup")} == {
        "runAsUser": 10001, "runAsGroup": 10002, "fsGroup": 10003}
    assert pod["containers"][0]["securityContext"]["runAsGroup"] == 10002


def test_the_pipeline_may_choose_its_user(settings: Settings) -> None:
    pod = build(settings, runAsUser=4242, runAsGroup=77)["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsUser"] == 4242
    assert pod["securityContext"]["runAsGroup"] == 77
    assert pod["containers"][0]["securityContext"]["runAsUser"] == 4242
    assert pod["securityContext"]["fsGroup"] == 1000  # the data volume's group stays


def test_a_job_gets_its_ttl_only_once_its_outcome_is_written(settings: Settings) -> None:
    job = build(settings)
    assert "ttlSecondsAfterFinished" not in job["spec"]
    assert ttl_patch(settings) == {"spec": {"ttlSecondsAfterFinished": 3600}}
    assert job["spec"]["backoffLimit"] == 0


def test_every_job_has_a_deadline(settings: Settings) -> None:
    assert build(settings)["spec"]["activeDeadlineSeconds"] == 86400  # the operator's default
    own = job_for_run(RunView.from_body(run_body()),
                      PipelineView.from_body(pipeline_body(activeDeadlineSeconds=60)), settings)
    assert own["spec"]["activeDeadlineSeconds"] == 60


def test_evictions_do_not_count_as_failures(settings: Settings) -> None:
    policy = build(settings)["spec"]["podFailurePolicy"]
    assert policy == {"rules": [{"action": "Ignore", "onPodConditions": [
        {"type": "DisruptionTarget", "status": "True"}]}]}


def test_a_long_run_name_gets_a_short_job_name(settings: Settings) -> None:
    job = build(settings, run_body(name="a" * 100))
    assert len(job["metadata"]["name"]) <= 63
    assert len(job["metadata"]["labels"]["kubeshowcase.io/run"]) <= 63
    assert job["metadata"]["ownerReferences"][0]["name"] == "a" * 100


def test_the_handshake_has_the_crd_defaults() -> None:
    handshake = handshake_of(PipelineView.from_body(pipeline_body()))
    assert (handshake.mount_path, handshake.args, handshake.run_id, handshake.last_run_id,
            handshake.clear_paths) == ("/project", ".kubeshowcase/args", ".kubeshowcase/run_id",
                                       ".kubeshowcase/LAST_RUN_ID", ())
    custom = handshake_of(PipelineView.from_body(pipeline_body(
        files={"args": "in/args.json", "lastRunId": "out/done"}, clearPaths=["out/"])))
    assert (custom.args, custom.run_id, custom.last_run_id, custom.clear_paths) == (
        "in/args.json", ".kubeshowcase/run_id", "out/done", ("out/",))


def test_it_records_what_the_job_was_built_from(settings: Settings) -> None:
    pipeline = pipeline_body()
    pipeline["metadata"]["generation"] = 7
    job = job_for_run(RunView.from_body(run_body()), PipelineView.from_body(pipeline), settings)
    found = JobView.from_body(job)
    assert found.pipeline_generation == 7 and found.output_dir == ""


def test_a_per_run_pipeline_gets_a_folder_of_its_own(settings: Settings) -> None:
    job = build(settings, results={"perRun": True}, mountPath="/data")
    env = job["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "KSC_OUTPUT_DIR", "value": "/data/runs/run-1"} in env
    assert JobView.from_body(job).output_dir == "runs/run-1"
    plain = build(settings, results={"images": ["*.png"]})
    assert all(item["name"] != "KSC_OUTPUT_DIR"
               for item in plain["spec"]["template"]["spec"]["containers"][0]["env"])


def test_the_output_folder_variable_cannot_be_shadowed(settings: Settings) -> None:
    job = build(settings, results={"perRun": True},
                env=[{"name": "KSC_OUTPUT_DIR", "value": "/etc"}])
    env = job["spec"]["template"]["spec"]["containers"][0]["env"]
    assert [item["value"] for item in env if item["name"] == "KSC_OUTPUT_DIR"] == [
        "/project/runs/run-1"]
