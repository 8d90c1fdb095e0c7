"""The kubelet's pure parts: container plans, images, volumes, logs, pod status, scheduling."""

from __future__ import annotations

import base64
import os
from decimal import Decimal
from pathlib import Path

import pytest

from kubedouble import defaults, images, podstatus, scheduler
from kubedouble.containers import ConfigError, MountError, plan_container, rewrite
from kubedouble.images import Image, command_line, from_dockerfile, normalise
from kubedouble.logbuffer import LogBuffer, stamp
from kubedouble.podstatus import ContainerState
from kubedouble.quantities import quantity
from kubedouble.volumes import MountFailed, VolumeWriter, pod_folders

REPO = Path(__file__).resolve().parents[2]
PY = Image.of(cmd=["python3"], programs={"python": "/venv/bin/python"})


def _pod(container: dict, volumes: list[dict] | None = None) -> dict:
    return {"metadata": {"name": "p", "namespace": "ns", "uid": "u",
                         "labels": {"app": "x", "tier": "b"}},
            "spec": {"containers": [container], "volumes": volumes or [],
                     "nodeName": "kubedouble", "serviceAccountName": "default"}}


def _objects(**found: dict) -> object:
    return lambda plural, name: found.get(f"{plural}/{name}")


def test_container_plan_maps_volumes_and_paths(tmp_path):
    data = tmp_path / "data"
    (data / "alice").mkdir(parents=True)
    container = {"name": "main", "command": ["python", "/project/run.py"],
                 "args": ["--out=x", "/project/out", "$(WHERE)"], "workingDir": "/project",
                 "env": [{"name": "WHERE", "value": "/project/in"},
                         {"name": "POD",
                          "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
                 "volumeMounts": [{"name": "d", "mountPath": "/project", "subPath": "alice"}]}
    plan = plan_container(_pod(container), container, PY, folders={"d": data},
                          lookup=_objects(), base_env={"PATH": "/bin"}, rootfs=tmp_path / "fs")
    local = str((data / "alice").resolve())
    assert plan.argv == ["/venv/bin/python", f"{local}/run.py", "--out=x", f"{local}/out",
                         f"{local}/in"]
    assert plan.cwd == Path(local)
    assert plan.env == {"PATH": "/bin", "WHERE": f"{local}/in", "POD": "p"}
    assert rewrite("/projectx", [("/project", Path("/l"))]) == "/projectx"


def test_container_plan_refuses_what_cannot_run(tmp_path):
    escaping = {"name": "c", "command": ["x"],
                "volumeMounts": [{"name": "d", "mountPath": "/p", "subPath": "../.."}]}
    with pytest.raises(MountError, match="leaves its volume"):
        plan_container(_pod(escaping), escaping, PY, folders={"d": tmp_path},
                       lookup=_objects(), base_env={}, rootfs=tmp_path)
    bare = {"name": "c"}
    with pytest.raises(ConfigError, match="no command specified"):
        plan_container(_pod(bare), bare, Image(), folders={}, lookup=_objects(), base_env={},
                       rootfs=tmp_path)
    missing = {"name": "c", "command": ["x"], "env": [
        {"name": "A", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "a"}}}]}
    with pytest.raises(ConfigError, match='configmap "cfg" not found'):
        plan_container(_pod(missing), missing, PY, folders={}, lookup=_objects(),
                       base_env={}, rootfs=tmp_path)


def test_env_from_config_maps_and_secrets(tmp_path):
    found = _objects(**{
        "configmaps/cfg": {"metadata": {"namespace": "ns"}, "data": {"a": "1", "b": "2"}},
        "secrets/s": {"metadata": {"namespace": "ns"},
                      "data": {"pw": base64.b64encode(b"hunter2").decode()}}})
    container = {"name": "c", "command": ["x"],
                 "envFrom": [{"configMapRef": {"name": "cfg"}, "prefix": "CFG_"}],
                 "env": [{"name": "PW", "valueFrom": {"secretKeyRef": {"name": "s", "key": "pw"}}},
                         {"name": "NONE", "valueFrom": {"secretKeyRef": {
                             "name": "gone", "key": "k", "optional": True}}}]}
    plan = plan_container(_pod(container), container, PY, folders={}, lookup=found,
                          base_env={}, rootfs=tmp_path)
    assert plan.env == {"CFG_a": "1", "CFG_b": "2", "PW": "hunter2"}
    assert plan.cwd == tmp_path  # no workingDir anywhere: "/" of the container's own fs


# https://kubernetes.io/docs/tasks/inject-data-application/define-command-argument-container/
@pytest.mark.parametrize(("container", "argv"), [
    ({}, ["/entry", "default"]),
    ({"args": ["mine"]}, ["/entry", "mine"]),
    ({"command": ["/other"]}, ["/other"]),
    ({"command": ["/other"], "args": ["mine"]}, ["/other", "mine"]),
])
def test_command_and_args_meet_entrypoint_and_cmd(container, argv):
    assert command_line(container, Image.of(entrypoint=["/entry"], cmd=["default"])) == argv


@pytest.mark.parametrize(("reference", "full"), [
    ("python:3.11", "docker.io/library/python:3.11"),
    ("busybox", "docker.io/library/busybox:latest"),
    ("kubeshowcase/hold:test", "docker.io/kubeshowcase/hold:test"),
    ("ghcr.io/kubeshowcase/nuclei:0.1.0", "ghcr.io/kubeshowcase/nuclei:0.1.0"),
    ("localhost:5000/x", "localhost:5000/x:latest"),
    ("x@sha256:ab", "docker.io/library/x@sha256:ab"),
])
def test_references_are_normalised_as_containerd_does(reference, full):
    assert normalise(reference) == full


DIGEST = "sha256:" + "ab" * 32


# containerStatuses[].imageID is the runtime's image ref: containerd's repo digest
# (kuberuntime_container.go toKubeContainerStatus; `kubectl get pod -o yaml` on containerd).
@pytest.mark.parametrize(("reference", "image_id"), [
    ("python:3.11", f"docker.io/library/python@{DIGEST}"),
    ("ghcr.io/kubeshowcase/nuclei:0.1.0", f"ghcr.io/kubeshowcase/nuclei@{DIGEST}"),
    ("localhost:5000/x", f"localhost:5000/x@{DIGEST}"),
    ("x@sha256:" + "cd" * 32, "docker.io/library/x@sha256:" + "cd" * 32),
])
def test_image_ids_are_repo_digests(reference, image_id):
    assert images.image_ref(reference, Image.of(cmd=["sh"], digest=DIGEST)) == image_id


def test_an_image_without_a_digest_gets_one_from_its_config():
    one, same, other = Image.of(cmd=["sh"]), Image.of(cmd=["sh"]), Image.of(cmd=["bash"])
    assert one.content_digest == same.content_digest != other.content_digest
    assert len(one.content_digest) == len(DIGEST) and one.content_digest.startswith("sha256:")


def test_a_pulled_container_reports_its_image_id():
    state = ContainerState("c", "python:3.11", {"running": {}})
    assert state.as_status()["imageID"] == ""
    state.pulled, state.image_id = True, images.image_ref("python:3.11", PY)
    assert state.as_status()["imageID"] == f"docker.io/library/python@{PY.content_digest}"


def test_the_reference_pipeline_image_comes_from_its_dockerfile():
    folder = REPO / "pipelines" / "nuclei"
    image = from_dockerfile(folder / "Dockerfile", base=PY, files={"/app": folder})
    assert image.entrypoint == () and image.cmd == ("python", "-m", "nuclei_segmentation")
    assert dict(image.env)["PYTHONPATH"] == "/app" and image.working_dir == "/project"
    assert image.program("python") == "/venv/bin/python"
    assert image.program("/app/tool") == f"{folder}/tool"


def test_dockerfile_entrypoint_resets_the_inherited_cmd(tmp_path):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM base\nENTRYPOINT /bin/tool --x\nENV A=1 B=\"two words\"\n"
                          "WORKDIR /w\nWORKDIR sub\n")
    image = from_dockerfile(dockerfile, base=PY)
    assert image.entrypoint == ("/bin/sh", "-c", "/bin/tool --x") and image.cmd == ()
    assert dict(image.env) == {"A": "1", "B": "two words"} and image.working_dir == "/w/sub"


def test_dockerfile_env_references_see_the_env_before_the_instruction(tmp_path):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM base\nENV PATH=/venv/bin:$PATH HOME=/h\n"
                          "ENV A=${HOME}/a B=$HOME$NOPE\nENV C $A/c\n")
    base = Image.of(env={"PATH": "/usr/bin:/bin"})
    env = dict(from_dockerfile(dockerfile, base=base).env)
    assert env == {"PATH": "/venv/bin:/usr/bin:/bin", "HOME": "/h", "A": "/h/a", "B": "/h",
                   "C": "/h/a/c"}


def test_pull_messages_are_the_kubelets():
    assert images.back_off("nosuch:1") == 'Back-off pulling image "nosuch:1"'
    assert images.pull_error("nosuch:1").startswith(
        'rpc error: code = NotFound desc = failed to pull and unpack image '
        '"docker.io/library/nosuch:1"')


# Volumes -------------------------------------------------------------------------------------
def test_config_map_secret_and_downward_volumes_become_files(tmp_path):
    found = _objects(**{
        "configmaps/cfg": {"metadata": {"namespace": "ns"}, "data": {"a.txt": "A", "b": "B"},
                           "binaryData": {"bin": base64.b64encode(b"\0\1").decode()}},
        "secrets/s": {"metadata": {"namespace": "ns"},
                      "data": {"key": base64.b64encode(b"secret").decode()}},
        "serviceaccounts/default": {"metadata": {"name": "default"}}})
    volumes = [
        {"name": "whole", "configMap": {"name": "cfg"}},
        {"name": "some", "configMap": {"name": "cfg", "items": [{"key": "b", "path": "d/b.txt"}]}},
        {"name": "sec", "secret": {"secretName": "s", "defaultMode": 0o400}},
        {"name": "down", "downwardAPI": {"items": [
            {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}},
            {"path": "name", "fieldRef": {"fieldPath": "metadata.name"}}]}},
        {"name": "proj", "projected": {"sources": [
            {"configMap": {"name": "cfg", "items": [{"key": "a.txt", "path": "a"}]}},
            {"serviceAccountToken": {"path": "token", "audience": "vault"}}]}},
        {"name": "scratch", "emptyDir": {}},
    ]
    tokens = []
    writer = VolumeWriter(tmp_path, lambda *a: tokens.append(a) or "jwt")
    folders = pod_folders(_pod({"name": "c"}, volumes), writer, {}, found)
    assert sorted(p.name for p in folders["whole"].iterdir()) == ["a.txt", "b", "bin"]
    assert (folders["whole"] / "bin").read_bytes() == b"\0\1"
    assert (folders["some"] / "d" / "b.txt").read_text() == "B"
    assert (folders["sec"] / "key").read_text() == "secret"
    assert os.stat(folders["sec"] / "key").st_mode & 0o777 == 0o400
    assert (folders["down"] / "labels").read_text() == 'app="x"\ntier="b"'
    assert (folders["down"] / "name").read_text() == "p"
    assert (folders["proj"] / "a").read_text() == "A"
    assert (folders["proj"] / "token").read_text() == "jwt"
    # The token is asked for the pod itself (bound to it), with the volume's audience and life.
    assert [(pod["metadata"]["uid"], audiences, seconds) for pod, audiences, seconds in tokens] == [
        ("u", ["vault"], 3607)]
    assert list(folders["scratch"].iterdir()) == []


def test_missing_sources_fail_the_mount_unless_optional(tmp_path):
    writer = VolumeWriter(tmp_path, None)
    pod = _pod({"name": "c"}, [{"name": "cfg", "configMap": {"name": "gone"}}])
    with pytest.raises(MountFailed) as failed:
        pod_folders(pod, writer, {}, _objects())
    assert failed.value.message == ('MountVolume.SetUp failed for volume "cfg" : '
                                    'configmap "gone" not found')
    assert not (tmp_path / "u" / "cfg").exists()
    pod = _pod({"name": "c"}, [{"name": "s", "secret": {"secretName": "gone"}}])
    with pytest.raises(MountFailed, match='secret "gone" not found'):
        pod_folders(pod, writer, {}, _objects())
    pod = _pod({"name": "c"}, [{"name": "s", "secret": {"secretName": "gone", "optional": True}}])
    assert list(pod_folders(pod, writer, {}, _objects())["s"].iterdir()) == []
    pod = _pod({"name": "c"}, [{"name": "h", "hostPath": {"path": "/"}}])
    with pytest.raises(MountFailed, match="hostPath volumes are not supported"):
        pod_folders(pod, writer, {}, _objects())


# Logs ----------------------------------------------------------------------------------------
def test_the_log_keeps_only_its_newest_part():
    log = LogBuffer(max_bytes=10)
    log.append(b"aaaa\nbbbb\n")
    log.append(b"cc\n")
    assert log.read(log.start(None, None), False)[0] == b"bbbb\ncc\n"
    log.append(b"x" * 25)
    assert log.read(log.start(None, None), False)[0] == b"x" * 10


def test_tail_since_and_timestamps():
    log = LogBuffer()
    log.append(b"one\ntwo\n", at=100.0)
    log.append(b"thr", at=200.5)
    log.append(b"ee\n", at=201.0)
    assert log.read(log.start(1, None), False)[0] == b"three\n"
    assert log.read(log.start(None, 150.0), False)[0] == b"three\n"
    assert log.read(log.start(0, None), False)[0] == b""
    text, _ = log.read(log.start(2, None), True)
    assert text == b"1970-01-01T00:01:40.000000000Z two\n1970-01-01T00:03:20.500000000Z three\n"
    assert stamp(0.25) == b"1970-01-01T00:00:00.250000000Z "


def test_a_follower_reads_on_from_where_it_stopped():
    log = LogBuffer(max_bytes=8)
    text, position = log.read(log.start(None, None), False)
    log.append(b"ab")
    text, position = log.read(position, False)
    log.append(b"c\nde\n")
    more, position = log.read(position, False)
    assert (text, more) == (b"ab", b"c\nde\n")
    log.append(b"fffffff\n")  # rotates past what the reader had
    assert log.read(position, False)[0] == b"fffffff\n"


# Pod status ----------------------------------------------------------------------------------
def _containers(*states: dict) -> list[ContainerState]:
    return [ContainerState(f"c{n}", "python:3.11", state) for n, state in enumerate(states)]


WAIT, RUN = {"waiting": {"reason": "ContainerCreating"}}, {"running": {"startedAt": "t"}}


@pytest.mark.parametrize(("states", "policy", "expected"), [
    ((WAIT,), "Never", "Pending"),
    ((RUN, WAIT), "Never", "Pending"),  # getPhase: one container not started yet
    ((RUN,), "Never", "Running"),
    ((podstatus.terminated(0, None),), "Never", "Succeeded"),
    ((podstatus.terminated(0, None), podstatus.terminated(1, None)), "Never", "Failed"),
    ((podstatus.terminated(1, None), RUN), "Never", "Running"),
    ((podstatus.terminated(1, None),), "OnFailure", "Running"),
    ((podstatus.terminated(0, None),), "Always", "Running"),
])
def test_phase_follows_the_containers(states, policy, expected):
    assert podstatus.phase(_containers(*states), policy) == expected


def test_a_container_waiting_to_restart_has_stopped():
    [crashing] = _containers({"waiting": {"reason": "CrashLoopBackOff"}})
    crashing.last_state, crashing.restart_count = podstatus.terminated(1, None), 1
    assert podstatus.phase([crashing], "OnFailure") == "Running"  # not Pending again
    status = crashing.as_status()
    assert (status["restartCount"], status["lastState"]["terminated"]["exitCode"]) == (1, 1)


def test_conditions_as_the_kubelet_generates_them():
    def table(containers, phase, sandbox=True, previous=()):
        made = podstatus.conditions(containers, phase, sandbox, list(previous))
        return made, [(c["type"], c["status"], c.get("reason"), c.get("message")) for c in made]
    _, creating = table(_containers(WAIT, RUN), "Pending", sandbox=False)
    assert creating == [
        ("PodReadyToStartContainers", "False", None, None), ("Initialized", "True", None, None),
        ("Ready", "False", "ContainersNotReady", "containers with unready status: [c0]"),
        ("ContainersReady", "False", "ContainersNotReady",
         "containers with unready status: [c0]"), ("PodScheduled", "True", None, None)]
    running, rows = table(_containers(RUN), "Running")
    assert [r[1] for r in rows] == ["True"] * 5
    running[0]["lastTransitionTime"] = "then"
    again, _ = table(_containers(RUN), "Running", previous=running)
    assert again[0]["lastTransitionTime"] == "then"  # unchanged status: the time stays
    _, done = table(_containers(podstatus.terminated(0, None)), "Succeeded")
    assert [r[:3] for r in done[:4]] == [
        ("PodReadyToStartContainers", "False", None), ("Initialized", "True", "PodCompleted"),
        ("Ready", "False", "PodCompleted"), ("ContainersReady", "False", "PodCompleted")]
    _, failed = table(_containers(podstatus.terminated(2, None)), "Failed")
    assert failed[2][2] == "PodFailed"


def test_init_containers_come_first():
    def init(*states: dict) -> list[ContainerState]:
        return [ContainerState(f"i{n}", "busybox:1.36", state, init=True)
                for n, state in enumerate(states)]
    waiting = _containers({"waiting": {"reason": "PodInitializing"}})
    ok, bad = podstatus.terminated(0, None), podstatus.terminated(1, None)
    assert podstatus.phase(waiting, "Never", init(ok, RUN)) == "Pending"
    assert podstatus.phase(waiting, "Never", init(bad)) == "Failed"
    assert podstatus.phase(waiting, "OnFailure", init(bad)) == "Pending"
    [made] = [c for c in podstatus.conditions(waiting, "Pending", True, [], init(ok, RUN))
              if c["type"] == "Initialized"]
    assert (made["status"], made["reason"], made["message"]) == (
        "False", "ContainersNotInitialized", "containers with incomplete status: [i1]")
    assert [c.as_status()["ready"] for c in init(ok, RUN)] == [True, False]


def test_terminated_states():
    assert podstatus.terminated(0, "s")["terminated"]["reason"] == "Completed"
    state = podstatus.terminated(137, "s", container_id="kubedouble://1")["terminated"]
    assert (state["exitCode"], state["reason"], state["startedAt"], state["containerID"]) == (
        137, "Error", "s", "kubedouble://1")


# Scheduling ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "value"), [
    ("500m", "0.5"), ("2", "2"), ("8Gi", str(8 * 2**30)), ("1e3", "1000"), ("1.5k", "1500")])
def test_quantities(text, value):
    assert quantity(text) == Decimal(value)


def _requesting(cpu: str | None = None, memory: str | None = None):
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v}
    return {"spec": {"containers": [{"name": "c", "resources": {"requests": requests}}]}}


def test_fit_counts_what_bound_pods_request():
    node = scheduler.NodeCapacity(cpu="2", memory="8Gi")
    assert scheduler.insufficient(_requesting("500m", "512Mi"), [], node) == ([], True)
    assert scheduler.insufficient(_requesting("3"), [], node) == (["cpu"], False)
    assert scheduler.insufficient(_requesting("1", "9Gi"), [], node) == (["memory"], False)
    taken = [_requesting("1500m")]
    assert scheduler.insufficient(_requesting("1"), taken, node) == (["cpu"], True)


@pytest.mark.parametrize(("resources", "qos"), [
    ({}, "BestEffort"),
    ({"requests": {"cpu": "1"}}, "Burstable"),
    ({"limits": {"cpu": "1", "memory": "1Gi"}}, "Guaranteed"),
    ({"requests": {"cpu": "1000m", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "1Gi"}},
     "Guaranteed"),
    ({"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "1Gi"}},
     "Burstable"),
])
def test_qos_class_and_requests_defaulted_from_limits(resources, qos):
    pod = {"metadata": {}, "spec": {"containers": [
        {"name": "c", "image": "x:1", "resources": resources}]}}
    defaults.prepare_pod(pod)
    assert pod["status"]["qosClass"] == qos
    if "requests" not in resources:  # requests, when unset, are the limits
        assert pod["spec"]["containers"][0]["resources"].get("requests", {}) == resources.get(
            "limits", {})


def test_failed_scheduling_is_worded_as_the_scheduler_does():
    assert scheduler.unschedulable_message(["cpu"], False) == (
        "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: "
        "1 Preemption is not helpful for scheduling.")
    assert scheduler.unschedulable_message(["cpu", "memory"], True) == (
        "0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory. preemption: 0/1 "
        "nodes are available: 1 No preemption victims found for incoming pod.")
