"""Graceful pod deletion and garbage collection: what a DELETE answers, and what the kubelet and
the collector do afterwards (rows with `eventually` wait for them).

A pod created with `spec.nodeName` is on the double's node from the start (no scheduler), so
its DELETE is graceful whatever the kubelet has done yet; `sleep` (busybox) is PID 1 without a
SIGTERM handler and lives until the SIGKILL.
"""

from __future__ import annotations

from typing import Any

from tests.kubedouble.conformance import Row, Step

CHECK_GRACEFUL = "pkg/registry/core/pod/strategy.go CheckGracefulDelete"
BEFORE_DELETE = "staging/src/k8s.io/apiserver/pkg/registry/rest/delete.go BeforeDelete"
TERMINATION = "https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-termination"
FORCED = ("https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/"
          "#pod-termination-forced")
KUBECTL_DELETE = "staging/src/k8s.io/kubectl/pkg/cmd/delete/delete.go"
DECODE_OPTIONS = "staging/src/k8s.io/apiserver/pkg/endpoints/handlers/delete.go DeleteResource"
UPDATE_THEN_DELETE = ("staging/src/k8s.io/apiserver/pkg/registry/generic/registry/store.go "
                      "updateForGracefulDeletionAndFinalizers")
DRY_RUN = "https://kubernetes.io/docs/reference/using-api/api-concepts/#dry-run"
STATUS_MANAGER = "pkg/kubelet/status/status_manager.go canBeDeleted"
GC_FINALIZERS = ("staging/src/k8s.io/apiserver/pkg/registry/generic/registry/store.go "
                 "deletionFinalizersForGarbageCollection")
GC_DOC = "https://kubernetes.io/docs/concepts/architecture/garbage-collection/"
OWNERS = "https://kubernetes.io/docs/concepts/overview/working-with-objects/owners-dependents/"
JOB_STRATEGY = "pkg/registry/batch/job/strategy.go DefaultGarbageCollectionPolicy"
PRINT_POD = "pkg/printers/internalversion/printers.go printPod"
ORPHANING = "pkg/controller/garbagecollector/garbagecollector.go orphanDependents"

NS = "/api/v1/namespaces/{ns}"
PODS, CMS = f"{NS}/pods", f"{NS}/configmaps"
POD, CM = f"{PODS}/p", f"{CMS}/owner"
JOBS = "/apis/batch/v1/namespaces/{ns}/jobs"
TABLE = {"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"}
WAIT = 30.0


def bound_pod(**spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": "p"}, "spec": {
        "nodeName": "kubedouble", "restartPolicy": "Never",
        "containers": [{"name": "main", "image": "busybox:1.36", "command": ["sleep", "60"]}],
        **spec}}


SLEEPER = Step("POST", PODS, bound_pod())
# The kubelet removes at once a deleted pod whose containers never ran (canBeDeleted): rows about
# the grace of a running pod wait for it to run first.
RUNNING = Step("GET", POD, contains=('"phase":"Running"',), wait=WAIT)
DELETE = Step("DELETE", POD)
HELD = Step("POST", PODS, {**bound_pod(), "metadata": {"name": "p",
                                                       "finalizers": ["example.com/hold"]}})
UNSCHEDULABLE = Step("POST", PODS, {"metadata": {"name": "p"}, "spec": {"containers": [
    {"name": "main", "image": "busybox:1.36", "command": ["true"],
     "resources": {"requests": {"cpu": "1000"}}}]}})
OWNER = Step("POST", CMS, {"metadata": {"name": "owner"}})
SUSPENDED_JOB = Step("POST", JOBS, {"metadata": {"name": "j"}, "spec": {
    "suspend": True, "template": {"spec": {"restartPolicy": "Never", "containers": [
        {"name": "main", "image": "busybox:1.36", "command": ["true"]}]}}}})
DANGLING = Step("POST", CMS, {"metadata": {"name": "child", "ownerReferences": [
    {"apiVersion": "v1", "kind": "ConfigMap", "name": "gone",
     "uid": "00000000-0000-0000-0000-000000000000"}]}})

ROWS = [
    # What the DELETE answers -----------------------------------------------------------------
    Row("a DELETE of a pod on a node marks it for graceful deletion", "DELETE", POD,
        CHECK_GRACEFUL, 200, setup=(SLEEPER,),
        fields={"kind": "Pod", "metadata.deletionGracePeriodSeconds": 30},
        contains=('"deletionTimestamp":"',)),
    Row("the pod stays during its grace period", "GET", POD, TERMINATION, 200,
        setup=(SLEEPER, RUNNING, DELETE), fields={"metadata.deletionGracePeriodSeconds": 30},
        contains=('"deletionTimestamp":"',)),
    Row("gracePeriodSeconds in the query sets the grace", "DELETE", POD, BEFORE_DELETE, 200,
        setup=(SLEEPER,), query="gracePeriodSeconds=5",
        fields={"metadata.deletionGracePeriodSeconds": 5}),
    Row("the pod's terminationGracePeriodSeconds is the default grace", "DELETE", POD,
        CHECK_GRACEFUL, 200, setup=(Step("POST", PODS, bound_pod(
            terminationGracePeriodSeconds=7)),),
        fields={"metadata.deletionGracePeriodSeconds": 7}),
    Row("DeleteOptions in the body set the grace, as kubectl sends them", "DELETE", POD,
        KUBECTL_DELETE, 200, setup=(SLEEPER,),
        body={"kind": "DeleteOptions", "apiVersion": "v1", "gracePeriodSeconds": 4,
              "propagationPolicy": "Background"},
        fields={"metadata.deletionGracePeriodSeconds": 4}),
    Row("a later DELETE cannot lengthen the grace", "DELETE", POD, BEFORE_DELETE, 200,
        setup=(SLEEPER, RUNNING, DELETE), query="gracePeriodSeconds=60",
        fields={"metadata.deletionGracePeriodSeconds": 30}),
    Row("a later DELETE may shorten the grace", "DELETE", POD, BEFORE_DELETE, 200,
        setup=(SLEEPER, RUNNING, DELETE), query="gracePeriodSeconds=10",
        fields={"metadata.deletionGracePeriodSeconds": 10}),
    Row("a negative grace counts as one second", "DELETE", POD, BEFORE_DELETE, 200,
        setup=(SLEEPER,), query="gracePeriodSeconds=-1",
        fields={"metadata.deletionGracePeriodSeconds": 1}),
    Row("a grace that is not a number is refused", "DELETE", POD, DECODE_OPTIONS, 400,
        setup=(SLEEPER,), query="gracePeriodSeconds=soon", fields={"reason": "BadRequest"}),
    Row("a forced delete answers the pod as it was marked before it went", "DELETE", POD,
        UPDATE_THEN_DELETE, 200, setup=(SLEEPER,), query="gracePeriodSeconds=0",
        fields={"kind": "Pod", "metadata.deletionGracePeriodSeconds": 0},
        contains=('"deletionTimestamp":"',)),
    Row("gracePeriodSeconds=0 removes the pod at once", "GET", POD, FORCED, 404,
        setup=(SLEEPER, Step("DELETE", f"{POD}?gracePeriodSeconds=0"))),
    Row("a pod never scheduled goes at once", "GET", POD, CHECK_GRACEFUL, 404,
        setup=(UNSCHEDULABLE, DELETE)),
    Row("dryRun=All answers the marked pod", "DELETE", POD, DRY_RUN, 200, setup=(SLEEPER,),
        query="dryRun=All", fields={"metadata.deletionGracePeriodSeconds": 30},
        contains=('"deletionTimestamp":"',)),
    Row("dryRun=All leaves the pod unmarked", "GET", POD, DRY_RUN, 200,
        setup=(SLEEPER, Step("DELETE", f"{POD}?dryRun=All")), absent=('"deletionTimestamp"',)),
    Row("kubectl's STATUS of a pod being deleted is Terminating", "GET", PODS, PRINT_POD, 200,
        setup=(SLEEPER, RUNNING, DELETE), headers=TABLE, contains=('"Terminating"',)),
    Row("a terminal pod held by a finalizer is not shown Terminating", "GET", PODS, PRINT_POD,
        200, setup=(HELD, Step("DELETE", f"{POD}?gracePeriodSeconds=1")), headers=TABLE,
        eventually=WAIT, contains=('"p"',), absent=('"Terminating"',)),
    # What the kubelet does -------------------------------------------------------------------
    Row("the kubelet deletes the pod once its process is gone", "GET", POD, STATUS_MANAGER, 404,
        setup=(SLEEPER, Step("DELETE", f"{POD}?gracePeriodSeconds=1")), eventually=WAIT),
    Row("a pod held by a finalizer stays, terminal, after the kubelet deleted it", "GET", POD,
        STATUS_MANAGER, 200, setup=(HELD, Step("DELETE", f"{POD}?gracePeriodSeconds=1")),
        eventually=WAIT,
        fields={"metadata.deletionGracePeriodSeconds": 0, "status.phase": "Failed"}),
    # Garbage collection --------------------------------------------------------------------
    Row("Orphan marks the owner with the orphan finalizer", "DELETE", CM, GC_FINALIZERS, 200,
        setup=(OWNER,), query="propagationPolicy=Orphan",
        fields={"metadata.finalizers": ["orphan"]}, contains=('"deletionTimestamp":"',)),
    Row("Foreground marks the owner with the foregroundDeletion finalizer", "DELETE", CM,
        GC_FINALIZERS, 200, setup=(OWNER,), query="propagationPolicy=Foreground",
        fields={"metadata.finalizers": ["foregroundDeletion"]}),
    Row("the collector drops the orphan finalizer, then the owner goes", "GET", CM, ORPHANING,
        404, setup=(OWNER, Step("DELETE", f"{CM}?propagationPolicy=Orphan")),
        eventually=WAIT),
    Row("a foreground owner without dependents goes once the collector looked", "GET", CM,
        GC_DOC, 404, setup=(OWNER, Step("DELETE", f"{CM}?propagationPolicy=Foreground")),
        eventually=WAIT),
    Row("a Job deleted without a policy orphans its dependents", "DELETE", f"{JOBS}/j",
        JOB_STRATEGY, 200, setup=(SUSPENDED_JOB,), fields={"metadata.finalizers": ["orphan"]}),
    Row("a dependent whose owner does not exist is collected", "GET", f"{CMS}/child", OWNERS,
        404, setup=(DANGLING,), eventually=WAIT),
]
