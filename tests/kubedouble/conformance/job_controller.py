"""The Job API and the Job controller: podFailurePolicy validation and defaults, what the
controller writes (counts, interim and final conditions, Suspended, the tracking finalizer),
and the kubelet's own pod deadline. Controller rows repeat until they hold (`eventually`);
timing-dependent behaviour (the failure backoff, suspend/resume, terminating pods) is tested
in tests/kubedouble/test_job_policies.py.
"""

from __future__ import annotations

from typing import Any

from tests.kubedouble.conformance import Row, Step

VALIDATION = "pkg/apis/batch/validation/validation.go"
DEFAULTS = "pkg/apis/batch/v1/defaults.go SetDefaults_Job"
CONTROLLER = "pkg/controller/job/job_controller.go"
POLICY_DOC = ("https://kubernetes.io/docs/concepts/workloads/controllers/job/"
              "#pod-failure-policy")
SUSPEND_DOC = "https://kubernetes.io/docs/concepts/workloads/controllers/job/#suspending-a-job"
TERMINATION_DOC = ("https://kubernetes.io/docs/concepts/workloads/controllers/job/"
                   "#job-termination-and-cleanup")
TRACKING_DOC = ("https://kubernetes.io/docs/concepts/workloads/controllers/job/"
                "#job-tracking-with-finalizers")
POD_DEADLINE = "pkg/kubelet/active_deadline.go"

JOBS = "/apis/batch/v1/namespaces/{ns}/jobs"
JOB = f"{JOBS}/j"
PODS = "/api/v1/namespaces/{ns}/pods"
WAIT = 30.0


def job(command: list[str] | None = None, *, restart: str = "Never",
        **spec: Any) -> dict[str, Any]:
    container = {"name": "main", "image": "busybox:1.36", "command": command or ["true"]}
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"},
            "spec": {"backoffLimit": 0, "template": {"spec": {
                "restartPolicy": restart, "containers": [container]}}, **spec}}


def exit_codes(action: str, operator: str, values: list[int], **extra: Any) -> dict[str, Any]:
    return {"rules": [{"action": action,
                       "onExitCodes": {"operator": operator, "values": values, **extra}}]}


def refused(field: str, message: str) -> dict[str, Any]:
    return {"reason": "Invalid", "code": 422, "details.causes.0.field": field,
            "details.causes.0.message": message}


DISRUPTION = {"rules": [{"action": "Ignore", "onPodConditions": [
    {"type": "DisruptionTarget", "status": "True"}]}]}

VALIDATION_ROWS = [
    Row("a podFailurePolicy needs restartPolicy Never", "POST", JOBS,
        f"{VALIDATION} validateJobSpec", 422, body=job(restart="OnFailure",
                                                       podFailurePolicy=DISRUPTION),
        fields=refused("spec.template.spec.restartPolicy", 'Invalid value: "OnFailure": only '
                       '"Never" is supported when podFailurePolicy is specified')),
    Row("FailIndex needs backoffLimitPerIndex", "POST", JOBS,
        f"{VALIDATION} validatePodFailurePolicyRule", 422,
        body=job(podFailurePolicy=exit_codes("FailIndex", "In", [1])),
        fields=refused("spec.podFailurePolicy.rules[0].action", 'Invalid value: "FailIndex": '
                       "requires the backoffLimitPerIndex to be set")),
    Row("a rule's action is one of four", "POST", JOBS,
        f"{VALIDATION} validatePodFailurePolicyRule", 422,
        body=job(podFailurePolicy=exit_codes("Retry", "In", [1])),
        fields=refused("spec.podFailurePolicy.rules[0].action", 'Unsupported value: "Retry": '
                       'supported values: "Count", "FailIndex", "FailJob", "Ignore"')),
    Row("In never names exit code 0", "POST", JOBS,
        f"{VALIDATION} validatePodFailurePolicyRuleOnExitCodes", 422,
        body=job(podFailurePolicy=exit_codes("FailJob", "In", [0, 1])),
        fields=refused("spec.podFailurePolicy.rules[0].onExitCodes.values[0]",
                       "Invalid value: 0: must not be 0 for the In operator")),
    Row("exit codes are ordered", "POST", JOBS,
        f"{VALIDATION} validatePodFailurePolicyRuleOnExitCodes", 422,
        body=job(podFailurePolicy=exit_codes("FailJob", "NotIn", [3, 1])),
        fields=refused("spec.podFailurePolicy.rules[0].onExitCodes.values",
                       "Invalid value: [3,1]: must be ordered")),
    Row("onExitCodes names a container of the template", "POST", JOBS,
        f"{VALIDATION} validatePodFailurePolicyRuleOnExitCodes", 422,
        body=job(podFailurePolicy=exit_codes("FailJob", "In", [1], containerName="other")),
        fields=refused("spec.podFailurePolicy.rules[0].onExitCodes.containerName",
                       'Invalid value: "other": must be one of the container or initContainer '
                       "names in the pod template")),
    Row("a rule has onExitCodes or onPodConditions, not both", "POST", JOBS,
        f"{VALIDATION} validatePodFailurePolicyRule", 422,
        body=job(podFailurePolicy={"rules": [{
            "action": "Ignore", "onExitCodes": {"operator": "In", "values": [1]},
            "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]}]}),
        fields=refused("spec.podFailurePolicy.rules[0]", "Invalid value: specifying both "
                       "OnExitCodes and OnPodConditions is not supported")),
    Row("a rule has onExitCodes or onPodConditions", "POST", JOBS,
        f"{VALIDATION} validatePodFailurePolicyRule", 422,
        body=job(podFailurePolicy={"rules": [{"action": "Ignore"}]}),
        fields=refused("spec.podFailurePolicy.rules[0]", "Invalid value: specifying one of "
                       "OnExitCodes and OnPodConditions is required")),
    Row("a pod condition pattern has a status", "POST", JOBS,
        f"{VALIDATION} validatePodFailurePolicyRuleOnPodConditions", 422,
        body=job(podFailurePolicy={"rules": [{"action": "Ignore", "onPodConditions": [
            {"type": "DisruptionTarget", "status": "Maybe"}]}]}),
        fields=refused("spec.podFailurePolicy.rules[0].onPodConditions[0].status",
                       'Unsupported value: "Maybe": supported values: "False", "True", '
                       '"Unknown"')),
    Row("at most 20 rules", "POST", JOBS, f"{VALIDATION} validatePodFailurePolicy", 422,
        body=job(podFailurePolicy={"rules": DISRUPTION["rules"] * 21}),
        fields=refused("spec.podFailurePolicy.rules",
                       "Too many: 21: must have at most 20 items")),
    Row("with a podFailurePolicy only failed pods are replaced", "POST", JOBS,
        f"{VALIDATION} validatePodReplacementPolicy", 422,
        body=job(podFailurePolicy=DISRUPTION, podReplacementPolicy="TerminatingOrFailed"),
        fields=refused("spec.podReplacementPolicy", 'Unsupported value: "TerminatingOrFailed"'
                       ': supported values: "Failed"')),
    Row("podReplacementPolicy defaults to Failed with a podFailurePolicy", "POST", JOBS,
        DEFAULTS, 201, body=job(podFailurePolicy=DISRUPTION, suspend=True),
        fields={"spec.podReplacementPolicy": "Failed"}),
    Row("podReplacementPolicy defaults to TerminatingOrFailed", "POST", JOBS, DEFAULTS, 201,
        body=job(suspend=True), fields={"spec.podReplacementPolicy": "TerminatingOrFailed"}),
    Row("a podFailurePolicy is immutable", "PATCH", JOB, f"{VALIDATION} ValidateJobSpecUpdate",
        422, setup=(Step("POST", JOBS, job(podFailurePolicy=DISRUPTION, suspend=True)),),
        headers={"Content-Type": "application/merge-patch+json"},
        body={"spec": {"podFailurePolicy": exit_codes("FailJob", "In", [1])}},
        contains=('"field":"spec.podFailurePolicy"', "field is immutable")),
]

CONTROLLER_ROWS = [
    Row("a FailJob rule fails the Job with the pod's exit code", "GET", JOB, POLICY_DOC, 200,
        setup=(Step("POST", JOBS, job(["sh", "-c", "exit 42"], backoffLimit=6,
                                      podFailurePolicy=exit_codes("FailJob", "In", [42]))),),
        eventually=WAIT, fields={
            "status.conditions.0.type": "FailureTarget",
            "status.conditions.0.reason": "PodFailurePolicy",
            "status.conditions.1.type": "Failed", "status.conditions.1.reason":
                "PodFailurePolicy", "status.failed": 1},
        contains=('"message":"Container main for pod {ns}/j-',
                  " failed with exit code 42 matching FailJob rule at index 0")),
    Row("a finished Job's counters and uncounted pods", "GET", JOB, TRACKING_DOC, 200,
        setup=(Step("POST", JOBS, job()),), eventually=WAIT,
        fields={"status.succeeded": 1, "status.ready": 0, "status.terminating": 0,
                "status.uncountedTerminatedPods": {},
                "status.conditions.0.type": "SuccessCriteriaMet",
                "status.conditions.1.type": "Complete"},
        absent=('"active"', '"failed"')),
    Row("a running Job's pod is active and ready", "GET", JOB, f"{CONTROLLER} syncJob", 200,
        setup=(Step("POST", JOBS, job(["sleep", "60"])),), eventually=WAIT,
        fields={"status.active": 1, "status.ready": 1, "status.terminating": 0}),
    Row("the Job's pods carry the tracking finalizer while they run", "GET", PODS, TRACKING_DOC,
        200, query="labelSelector=job-name%3Dj",
        setup=(Step("POST", JOBS, job(["sleep", "60"])),), eventually=WAIT,
        fields={"items.0.metadata.finalizers": ["batch.kubernetes.io/job-tracking"],
                "items.0.status.phase": "Running"}),
    Row("a counted pod loses the tracking finalizer", "GET", PODS, TRACKING_DOC, 200,
        query="labelSelector=job-name%3Dj", setup=(Step("POST", JOBS, job()),),
        eventually=WAIT, fields={"items.0.status.phase": "Succeeded"},
        absent=("batch.kubernetes.io/job-tracking",)),
    Row("a Job created suspended says so and has not started", "GET", JOB, SUSPEND_DOC, 200,
        setup=(Step("POST", JOBS, job(suspend=True)),), eventually=WAIT,
        fields={"status.conditions.0.type": "Suspended", "status.conditions.0.status": "True",
                "status.conditions.0.reason": "JobSuspended",
                "status.conditions.0.message": "Job suspended"},
        absent=('"startTime"', '"active"')),
    Row("backoffLimit 0: the first failure fails the Job", "GET", JOB, TERMINATION_DOC, 200,
        setup=(Step("POST", JOBS, job(["false"])),), eventually=WAIT,
        fields={"status.failed": 1, "status.conditions.1.type": "Failed",
                "status.conditions.1.reason": "BackoffLimitExceeded",
                "status.conditions.1.message": "Job has reached the specified backoff limit"}),
    Row("a pod past its activeDeadlineSeconds is failed by the kubelet", "GET",
        f"{PODS}/p", POD_DEADLINE, 200, setup=(Step("POST", PODS, {
            "metadata": {"name": "p"}, "spec": {
                "restartPolicy": "Never", "activeDeadlineSeconds": 1,
                "terminationGracePeriodSeconds": 1,  # busybox's sleep ignores SIGTERM
                "containers": [{"name": "main", "image": "busybox:1.36",
                                "command": ["sleep", "60"]}]}}),),
        eventually=WAIT, fields={
            "status.phase": "Failed", "status.reason": "DeadlineExceeded",
            "status.message": "Pod was active on the node longer than the specified deadline"}),
]

ROWS = VALIDATION_ROWS + CONTROLLER_ROWS
