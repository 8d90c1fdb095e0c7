"""The scheduler and kubelet: phases, conditions, container states, images, volumes, logs.

These answers come from controllers, so each row is repeated until it holds (`eventually`).
The double's node has the images of tests/fixtures/apiserver.py `node_images()`.
"""

from __future__ import annotations

from typing import Any

from tests.kubedouble.conformance import Row, Step

LIFECYCLE = "https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/"
GET_PHASE = "pkg/kubelet/kubelet_pods.go getPhase"
GENERATE = "pkg/kubelet/status/generate.go GeneratePodReadyCondition"
CREATE_STRATEGY = "pkg/registry/core/pod/strategy.go PrepareForCreate"
INIT = "https://kubernetes.io/docs/concepts/workloads/pods/init-containers/"
QOS = "https://kubernetes.io/docs/concepts/workloads/pods/pod-qos/"
BINDING = "pkg/registry/core/pod/storage/storage.go setPodHostAndAnnotations"
IMAGES = "https://kubernetes.io/docs/concepts/containers/images/#imagepullbackoff"
IMAGE_MANAGER = "pkg/kubelet/images/image_manager.go EnsureImageExists"
CONTAINER_EVENTS = "pkg/kubelet/kuberuntime/kuberuntime_container.go startContainer"
COMMAND = ("https://kubernetes.io/docs/tasks/inject-data-application/"
           "define-command-argument-container/#notes")
CONFIGMAP_VOLUME = "https://kubernetes.io/docs/concepts/storage/volumes/#configmap"
CONFIGMAP_SETUP = "pkg/volume/configmap/configmap.go SetUpAt"
SECRET_VOLUME = "https://kubernetes.io/docs/concepts/configuration/secret/#optional-secrets"
DOWNWARD = ("https://kubernetes.io/docs/tasks/inject-data-application/"
            "downward-api-volume-expose-pod-information/")
PROJECTED = "https://kubernetes.io/docs/concepts/storage/projected-volumes/"
EMPTY_DIR = "https://kubernetes.io/docs/concepts/storage/volumes/#emptydir"
ENV = "pkg/kubelet/kubelet_pods.go makeEnvironmentVariables"
FIT = "pkg/scheduler/framework/plugins/noderesources/fit.go"
SCHEDULED = "pkg/scheduler/schedule_one.go handleBindingCycleError / bind"
LOG_OPTIONS = "pkg/apis/core/validation/validation.go ValidatePodLogOptions"
LOG_STATUS = "pkg/kubelet/kubelet_pods.go validateContainerLogStatus"
LOG_LOCATION = "pkg/registry/core/pod/strategy.go LogLocation"

NS = "/api/v1/namespaces/{ns}"
PODS, CMS, SECRETS = f"{NS}/pods", f"{NS}/configmaps", f"{NS}/secrets"
POD = f"{PODS}/p"
LOG = f"{POD}/log"
WAIT = 30.0


def pod(command: list[str] | None = None, *, image: str = "busybox:1.36",
        container: dict[str, Any] | None = None, **spec: Any) -> dict[str, Any]:
    main: dict[str, Any] = {"name": "main", "image": image, **(container or {})}
    if command is not None:
        main["command"] = command
    return {"metadata": {"name": "p", "labels": {"app": "demo"}},
            "spec": {"restartPolicy": "Never", "containers": [main], **spec}}


def create(body: dict[str, Any]) -> Step:
    return Step("POST", PODS, body)


def events(reason: str) -> str:
    return f"{NS}/events?fieldSelector=involvedObject.name%3Dp,reason%3D{reason}"


SLEEPER = create(pod(["sleep", "60"]))
NO_IMAGE = create(pod(["true"], image="nosuch:1"))
CONFIG = Step("POST", CMS, {"metadata": {"name": "cfg"},
                            "data": {"greeting": "hello from a configMap"}})
MISSING_CM = create(pod(["true"], container={"volumeMounts": [
    {"name": "cfg", "mountPath": "/etc/cfg"}]}, volumes=[
    {"name": "cfg", "configMap": {"name": "nothere"}}]))
GREEDY = create(pod(["true"], container={"resources": {"requests": {"cpu": "3"}}}))
SHORT_CPU = ("0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are "
             "available: 1 Preemption is not helpful for scheduling.")
TWO_LINES = create(pod(["python", "-c", "print('alpha'); print('beta')"], image="python:3.11"))


def cat(path: str, volumes: list[dict[str, Any]], mount: str) -> Step:
    return create(pod(["cat", path], container={"volumeMounts": [
        {"name": "v", "mountPath": mount}]}, volumes=volumes))


ROWS = [
    # Phases and conditions ------------------------------------------------------------------
    Row("a new pod is Pending", "POST", PODS, CREATE_STRATEGY, 201, body=pod(["sleep", "60"]),
        fields={"status.phase": "Pending"}, absent=('"nodeName"',)),
    Row("the scheduler binds a pod that fits", "GET", POD, BINDING, 200, setup=(SLEEPER,),
        eventually=WAIT, fields={"spec.nodeName": "kubedouble",
                                 "status.conditions.4.type": "PodScheduled",
                                 "status.conditions.4.status": "True"}),
    Row("a running container makes the pod Running and Ready", "GET", POD, GENERATE, 200,
        setup=(SLEEPER,), eventually=WAIT,
        fields={"status.phase": "Running", "status.conditions.0.type":
                "PodReadyToStartContainers", "status.conditions.0.status": "True",
                "status.conditions.1.type": "Initialized", "status.conditions.1.status": "True",
                "status.conditions.2.type": "Ready", "status.conditions.2.status": "True",
                "status.conditions.3.type": "ContainersReady",
                "status.conditions.3.status": "True", "status.containerStatuses.0.ready": True,
                "status.containerStatuses.0.started": True, "status.hostIP": "127.0.0.1",
                "status.containerStatuses.0.image": "docker.io/library/busybox:1.36"},
        contains=('"running":{"startedAt":"', '"startTime":"', '"containerID":"',
                  '"podIP":"127.')),
    Row("a container exiting 0 completes the pod", "GET", POD, GET_PHASE, 200,
        setup=(create(pod(["true"])),), eventually=WAIT,
        fields={"status.phase": "Succeeded",
                "status.containerStatuses.0.state.terminated.exitCode": 0,
                "status.containerStatuses.0.state.terminated.reason": "Completed",
                "status.conditions.2.status": "False",
                "status.conditions.2.reason": "PodCompleted",
                "status.conditions.0.status": "False"},
        contains=('"finishedAt":"', '"startedAt":"')),
    Row("a completed pod was initialised", "GET", POD, GENERATE, 200,
        setup=(create(pod(["true"])),), eventually=WAIT, fields={
            "status.phase": "Succeeded", "status.conditions.1.type": "Initialized",
            "status.conditions.1.status": "True", "status.conditions.1.reason": "PodCompleted"}),
    Row("init containers run before the others", "GET", POD, INIT, 200,
        setup=(create(pod(["sleep", "60"], initContainers=[
            {"name": "setup", "image": "busybox:1.36", "command": ["sleep", "60"]}])),),
        eventually=WAIT, fields={
            "status.phase": "Pending", "status.conditions.1.status": "False",
            "status.conditions.1.reason": "ContainersNotInitialized",
            "status.conditions.1.message": "containers with incomplete status: [setup]",
            "status.containerStatuses.0.state.waiting.reason": "PodInitializing"},
        contains=('"initContainerStatuses":[{"name":"setup","state":{"running":{"startedAt"',)),
    Row("a failed init container fails a never-restarting pod", "GET", POD, GET_PHASE, 200,
        setup=(create(pod(["true"], initContainers=[
            {"name": "setup", "image": "busybox:1.36", "command": ["false"]}])),),
        eventually=WAIT, fields={
            "status.phase": "Failed",
            "status.initContainerStatuses.0.state.terminated.exitCode": 1,
            "status.containerStatuses.0.state.waiting.reason": "PodInitializing"}),
    Row("requests equal to limits are Guaranteed", "POST", PODS, QOS, 201,
        body=pod(["true"], container={"resources": {"limits": {"cpu": "100m",
                                                              "memory": "64Mi"}}}),
        fields={"status.qosClass": "Guaranteed",
                "spec.containers.0.resources.requests.cpu": "100m"}),
    Row("requests below limits are Burstable", "POST", PODS, QOS, 201,
        body=pod(["true"], container={"resources": {"requests": {"cpu": "50m"},
                                                    "limits": {"cpu": "100m"}}}),
        fields={"status.qosClass": "Burstable"}),
    Row("a container exiting non-zero fails the pod", "GET", POD, GET_PHASE, 200,
        setup=(create(pod(["python", "-c", "raise SystemExit(3)"], image="python:3.11")),),
        eventually=WAIT, fields={
            "status.phase": "Failed",
            "status.containerStatuses.0.state.terminated.exitCode": 3,
            "status.containerStatuses.0.state.terminated.reason": "Error",
            "status.conditions.2.reason": "PodFailed",
            "status.conditions.3.reason": "PodFailed"}),
    Row("the kubelet's container events", "GET", events("Started"), CONTAINER_EVENTS, 200,
        setup=(SLEEPER,), eventually=WAIT,
        contains=('"message":"Started container main"', '"component":"kubelet"')),
    Row("a created container is an Event", "GET", events("Created"), CONTAINER_EVENTS, 200,
        setup=(SLEEPER,), eventually=WAIT, contains=('"message":"Created container: main"',)),
    Row("a present image is not pulled again", "GET", events("Pulled"), IMAGE_MANAGER, 200,
        setup=(SLEEPER,), eventually=WAIT,
        contains=('Container image \\"busybox:1.36\\" already present on machine',)),
    Row("binding is a Scheduled Event", "GET", events("Scheduled"), SCHEDULED, 200,
        setup=(SLEEPER,), eventually=WAIT,
        contains=('"message":"Successfully assigned {ns}/p to kubedouble"',
                  '"component":"default-scheduler"')),
    # Images ---------------------------------------------------------------------------------
    Row("an image the node cannot pull backs off", "GET", POD, IMAGES, 200, setup=(NO_IMAGE,),
        eventually=WAIT, fields={
            "status.phase": "Pending",
            "status.containerStatuses.0.state.waiting.reason": "ImagePullBackOff",
            "status.containerStatuses.0.state.waiting.message":
                'Back-off pulling image "nosuch:1"'}),
    Row("a failed pull is an Event with the runtime's error", "GET", events("Failed"),
        IMAGE_MANAGER, 200, setup=(NO_IMAGE,), eventually=WAIT,
        contains=('Failed to pull image \\"nosuch:1\\": rpc error: code = NotFound desc = '
                  'failed to pull and unpack image \\"docker.io/library/nosuch:1\\"',
                  '"message":"Error: ErrImagePull"', '"message":"Error: ImagePullBackOff"')),
    Row("pulling is an Event", "GET", events("Pulling"), IMAGE_MANAGER, 200, setup=(NO_IMAGE,),
        eventually=WAIT, contains=('"message":"Pulling image \\"nosuch:1\\""',)),
    Row("back-off is an Event", "GET", events("BackOff"), IMAGE_MANAGER, 200, setup=(NO_IMAGE,),
        eventually=WAIT, contains=('"message":"Back-off pulling image \\"nosuch:1\\""',)),
    Row("pull policy Never never pulls", "GET", POD, IMAGE_MANAGER, 200,
        setup=(create(pod(["true"], image="nosuch:1",
                          container={"imagePullPolicy": "Never"})),), eventually=WAIT,
        fields={"status.containerStatuses.0.state.waiting.reason": "ErrImageNeverPull",
                "status.containerStatuses.0.state.waiting.message":
                    'Container image "nosuch:1" is not present with pull policy of Never'}),
    Row("args alone replace the image's CMD", "GET", LOG, COMMAND, 200,
        setup=(create(pod(container={"args": ["echo", "from", "args"]})),), eventually=WAIT,
        contains=("from args",)),
    Row("neither command nor args runs the image's CMD", "GET", POD, COMMAND, 200,
        setup=(create(pod(image="python:3.11")),), eventually=WAIT,
        fields={"status.phase": "Succeeded"}),
    # pods/log ---------------------------------------------------------------------------------
    Row("the log of a container waiting for its image", "GET", LOG, LOG_STATUS, 400,
        setup=(NO_IMAGE,), eventually=WAIT,
        contains=('container \\"main\\" in pod \\"p\\" is waiting to start: trying and '
                  'failing to pull image',)),
    Row("the log of a pod with no node is empty", "GET", LOG, LOG_LOCATION, 200,
        setup=(GREEDY,), absent=("waiting",)),
    Row("tailLines keeps the last lines", "GET", LOG, LOG_OPTIONS, 200, query="tailLines=1",
        setup=(TWO_LINES,), eventually=WAIT, contains=("beta",), absent=("alpha",)),
    Row("timestamps prefix each line", "GET", LOG, LOG_OPTIONS, 200, query="timestamps=true",
        setup=(TWO_LINES,), eventually=WAIT, contains=("Z alpha\n", "Z beta\n")),
    Row("a negative tailLines is invalid", "GET", LOG, LOG_OPTIONS, 422, query="tailLines=-1",
        setup=(TWO_LINES,), contains=(
            "tailLines: Invalid value: -1: must be greater than or equal to 0",)),
    Row("sinceSeconds must be positive", "GET", LOG, LOG_OPTIONS, 422, query="sinceSeconds=0",
        setup=(TWO_LINES,), contains=("sinceSeconds: Invalid value: 0: must be greater "
                                      "than 0",)),
    Row("sinceSeconds and sinceTime exclude each other", "GET", LOG, LOG_OPTIONS, 422,
        query="sinceSeconds=5&sinceTime=2025-01-01T00:00:00Z", setup=(TWO_LINES,),
        contains=("at most one of `sinceTime` or `sinceSeconds` may be specified",)),
    Row("no previous container before a restart", "GET", LOG, LOG_STATUS, 400,
        query="previous=true", setup=(TWO_LINES,), eventually=WAIT,
        contains=('previous terminated container \\"main\\" in pod \\"p\\" not found',)),
    # Volumes --------------------------------------------------------------------------------
    Row("a configMap volume holds its keys as files", "GET", LOG, CONFIGMAP_VOLUME, 200,
        setup=(CONFIG, cat("/etc/cfg/greeting", [{"name": "v", "configMap": {"name": "cfg"}}],
                           "/etc/cfg")), eventually=WAIT, contains=("hello from a configMap",)),
    Row("a missing configMap keeps the pod ContainerCreating", "GET", POD, CONFIGMAP_SETUP, 200,
        setup=(MISSING_CM,), eventually=WAIT, fields={
            "status.phase": "Pending",
            "status.containerStatuses.0.state.waiting.reason": "ContainerCreating",
            "status.conditions.0.type": "PodReadyToStartContainers",
            "status.conditions.0.status": "False"}),
    Row("a missing configMap is a FailedMount Event", "GET", events("FailedMount"),
        CONFIGMAP_SETUP, 200, setup=(MISSING_CM,), eventually=WAIT,
        contains=('"message":"MountVolume.SetUp failed for volume \\"cfg\\" : configmap '
                  '\\"nothere\\" not found"', '"type":"Warning"')),
    Row("an optional missing configMap mounts empty", "GET", LOG, CONFIGMAP_VOLUME, 200,
        setup=(create(pod(["python", "-c", "import os, sys; print(os.listdir(sys.argv[1]))",
                           "/etc/cfg"], image="python:3.11", container={"volumeMounts": [
                               {"name": "v", "mountPath": "/etc/cfg"}]}, volumes=[
                               {"name": "v", "configMap": {"name": "gone", "optional": True}}])),),
        eventually=WAIT, contains=("[]",)),
    Row("a secret volume holds decoded values", "GET", LOG, SECRET_VOLUME, 200,
        setup=(Step("POST", SECRETS, {"metadata": {"name": "s"},
                                      "stringData": {"password": "hunter2"}}),
               cat("/etc/s/password", [{"name": "v", "secret": {"secretName": "s"}}],
                   "/etc/s")), eventually=WAIT, contains=("hunter2",)),
    Row("a downwardAPI volume holds the pod's fields", "GET", LOG, DOWNWARD, 200,
        setup=(cat("/etc/pod/labels", [{"name": "v", "downwardAPI": {"items": [
            {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]}}], "/etc/pod"),),
        eventually=WAIT, contains=('app="demo"',)),
    Row("a projected volume holds a token and the root CA", "GET", LOG, PROJECTED, 200,
        setup=(create(pod(["cat", "/var/run/api/ca.crt", "/var/run/api/token"],
                          container={"volumeMounts": [
                              {"name": "v", "mountPath": "/var/run/api"}]},
                          volumes=[{"name": "v", "projected": {"sources": [
                              {"serviceAccountToken": {"path": "token"}},
                              {"configMap": {"name": "kube-root-ca.crt"}}]}}])),),
        eventually=WAIT, contains=("-----BEGIN CERTIFICATE-----", "eyJ")),
    Row("an emptyDir is a writable scratch folder", "GET", LOG, EMPTY_DIR, 200,
        setup=(create(pod(["python", "-c", "import sys; open(sys.argv[1], 'w').write('kept'); "
                                           "print(open(sys.argv[1]).read())", "/scratch/f"],
                          image="python:3.11", container={"volumeMounts": [
                              {"name": "v", "mountPath": "/scratch"}]},
                          volumes=[{"name": "v", "emptyDir": {}}])),),
        eventually=WAIT, contains=("kept",)),
    # Environment ------------------------------------------------------------------------------
    Row("env from a missing configMap cannot start", "GET", POD, ENV, 200,
        setup=(create(pod(["true"], container={"envFrom": [
            {"configMapRef": {"name": "nothere"}}]})),), eventually=WAIT, fields={
            "status.containerStatuses.0.state.waiting.reason": "CreateContainerConfigError",
            "status.containerStatuses.0.state.waiting.message": 'configmap "nothere" not found'}),
    Row("env from a configMap key", "GET", LOG, ENV, 200,
        setup=(CONFIG, create(pod(["python", "-c", "import os; print(os.environ['G'])"],
                                  image="python:3.11", container={"env": [
                                      {"name": "G", "valueFrom": {"configMapKeyRef": {
                                          "name": "cfg", "key": "greeting"}}}]}))),
        eventually=WAIT, contains=("hello from a configMap",)),
    # Scheduling -------------------------------------------------------------------------------
    Row("requests above the node's cpu are Unschedulable", "GET", POD, FIT, 200,
        setup=(GREEDY,), eventually=WAIT, absent=('"nodeName"',), fields={
            "status.phase": "Pending", "status.conditions.0.type": "PodScheduled",
            "status.conditions.0.status": "False", "status.conditions.0.reason": "Unschedulable",
            "status.conditions.0.message": SHORT_CPU}),
    Row("an unschedulable pod is a FailedScheduling Event", "GET", events("FailedScheduling"),
        FIT, 200, setup=(GREEDY,), eventually=WAIT,
        contains=(f'"message":"{SHORT_CPU}"', '"type":"Warning"',
                  '"component":"default-scheduler"')),
    Row("limits stand for unset requests", "GET", POD, FIT, 200,
        setup=(create(pod(["true"], container={"resources": {"limits": {"memory": "9Gi"}}})),),
        eventually=WAIT, fields={"status.conditions.0.message": (
            "0/1 nodes are available: 1 Insufficient memory. preemption: 0/1 nodes are "
            "available: 1 Preemption is not helpful for scheduling.")}),
]
