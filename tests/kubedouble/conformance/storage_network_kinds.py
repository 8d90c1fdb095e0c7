"""The chart's other kinds: PersistentVolumeClaims, PersistentVolumes and StorageClasses,
Ingresses, IngressClasses and NetworkPolicies, PodDisruptionBudgets and CronJobs; claims bound
by the default class's provisioner, pods waiting for their claims, claims kept while in use."""

from __future__ import annotations

from typing import Any

from tests.kubedouble.conformance import Row, Step

CORE_VALIDATION = "pkg/apis/core/validation/validation.go"
CORE_DEFAULTS = "pkg/apis/core/v1/defaults.go"
STORAGE_VALIDATION = "pkg/apis/storage/validation/validation.go"
NETWORK_VALIDATION = "pkg/apis/networking/validation/validation.go"
NETWORK_DEFAULTS = "pkg/apis/networking/v1/defaults.go SetDefaults_NetworkPolicy"
POLICY_VALIDATION = "pkg/apis/policy/validation/validation.go ValidatePodDisruptionBudgetSpec"
BATCH_VALIDATION = "pkg/apis/batch/validation/validation.go"
BATCH_DEFAULTS = "pkg/apis/batch/v1/defaults.go SetDefaults_CronJob"
DEFAULT_CLASS = "plugin/pkg/admission/storage/storageclass/setdefault/admission.go"
IN_USE = "plugin/pkg/admission/storage/storageobjectinuseprotection/admission.go"
DYNAMIC = "https://kubernetes.io/docs/concepts/storage/dynamic-provisioning/"
PROTECTION = ("https://kubernetes.io/docs/concepts/storage/persistent-volumes/"
              "#storage-object-in-use-protection")
RECLAIM = "https://kubernetes.io/docs/concepts/storage/persistent-volumes/#delete"
VOLUME_BINDING = "pkg/scheduler/framework/plugins/volumebinding/volume_binding.go podHasPVCs"
PRINTERS = "pkg/printers/internalversion/printers.go"
DISCOVERY = "https://kubernetes.io/docs/reference/kubectl/#resource-types"

NS = "/api/v1/namespaces/{ns}"
CLAIMS = f"{NS}/persistentvolumeclaims"
NETWORKING = "/apis/networking.k8s.io/v1/namespaces/{ns}"
CRONJOBS = "/apis/batch/v1/namespaces/{ns}/cronjobs"
PDBS = "/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets"
TABLE = {"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"}
WAIT = 30.0


def claim(name: str = "data", **spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": name}, "spec": {
        "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}},
        **spec}}


def invalid(kind: str, name: str, field: str, message: str) -> dict[str, Any]:
    return {"reason": "Invalid", "code": 422, "details.kind": kind, "details.name": name,
            "details.causes.0.field": field, "details.causes.0.message": message}


def user_pod(claim_name: str) -> dict[str, Any]:
    return {"metadata": {"name": "p"}, "spec": {
        "restartPolicy": "Never", "terminationGracePeriodSeconds": 1,
        "containers": [{"name": "main", "image": "busybox:1.36", "command": ["sleep", "60"],
                        "volumeMounts": [{"name": "v", "mountPath": "/data"}]}],
        "volumes": [{"name": "v", "persistentVolumeClaim": {"claimName": claim_name}}]}}


def cronjob(schedule: str, **spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": "cj"}, "spec": {"schedule": schedule, "jobTemplate": {
        "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [
            {"name": "c", "image": "busybox:1.36"}]}}}}, **spec}}


def ingress(path: dict[str, Any]) -> dict[str, Any]:
    return {"metadata": {"name": "web"}, "spec": {"rules": [
        {"host": "a.example.com", "http": {"paths": [path]}}]}}


SERVICE = {"service": {"name": "web", "port": {"name": "http"}}}
NOT_HELPFUL = "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."

ROWS = [
    Row("a new claim is defaulted, protected and given the default class", "POST", CLAIMS,
        DEFAULT_CLASS, 201, body=claim(),
        fields={"spec.volumeMode": "Filesystem", "spec.storageClassName": "standard",
                "metadata.finalizers": ["kubernetes.io/pvc-protection"],
                "status.phase": "Pending"}),
    Row("an explicit empty class is kept", "POST", CLAIMS, DEFAULT_CLASS, 201,
        body=claim(storageClassName=""), fields={"spec.storageClassName": ""}),
    Row("a claim needs its storage request", "POST", CLAIMS,
        CORE_VALIDATION + " ValidatePersistentVolumeClaimSpec", 422,
        body={"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"]}},
        fields=invalid("PersistentVolumeClaim", "data", "spec.resources[storage]",
                       "Required value")),
    Row("a claim needs an access mode", "POST", CLAIMS,
        CORE_VALIDATION + " ValidatePersistentVolumeClaimSpec", 422,
        body=claim(accessModes=[]),
        fields=invalid("PersistentVolumeClaim", "data", "spec.accessModes",
                       "Required value: at least 1 access mode is required")),
    Row("the default class's provisioner binds a claim", "GET", f"{CLAIMS}/data", DYNAMIC, 200,
        setup=(Step("POST", CLAIMS, claim()),), eventually=WAIT,
        fields={"status.phase": "Bound", "status.capacity.storage": "1Gi",
                "status.accessModes": ["ReadWriteOnce"]},
        contains=('"pv.kubernetes.io/bind-completed":"yes"',)),
    Row("a bound claim's spec is immutable but for its storage request", "PATCH",
        f"{CLAIMS}/data", CORE_VALIDATION + " ValidatePersistentVolumeClaimUpdate", 422,
        headers={"Content-Type": "application/merge-patch+json"},
        body={"spec": {"accessModes": ["ReadWriteMany"]}},
        setup=(Step("POST", CLAIMS, claim()),),
        contains=("spec: Forbidden: spec is immutable after creation except resources.requests "
                  "and volumeAttributesClassName for bound claims",)),
    Row("a claim may not shrink", "PATCH", f"{CLAIMS}/data",
        CORE_VALIDATION + " ValidatePersistentVolumeClaimUpdate", 422,
        headers={"Content-Type": "application/merge-patch+json"},
        body={"spec": {"resources": {"requests": {"storage": "1Mi"}}}},
        setup=(Step("POST", CLAIMS, claim()),), eventually=WAIT,
        fields=invalid("PersistentVolumeClaim", "data", "spec.resources.requests.storage",
                       "Forbidden: field can not be less than previous value")),
    Row("a pod naming a missing claim is not scheduled", "GET", f"{NS}/pods/p",
        VOLUME_BINDING, 200, setup=(Step("POST", f"{NS}/pods", user_pod("ghost")),),
        eventually=WAIT, fields={
            "status.phase": "Pending", "status.conditions.0.reason": "Unschedulable",
            "status.conditions.0.message": '0/1 nodes are available: persistentvolumeclaim '
                                           f'"ghost" not found. {NOT_HELPFUL}'}),
    Row("a pod waits for its unbound claim", "GET", f"{NS}/pods/p", VOLUME_BINDING, 200,
        setup=(Step("POST", CLAIMS, claim(storageClassName="")),
               Step("POST", f"{NS}/pods", user_pod("data"))), eventually=WAIT,
        fields={"status.conditions.0.message": "0/1 nodes are available: pod has unbound "
                                               f"immediate PersistentVolumeClaims. {NOT_HELPFUL}"}),
    Row("a claim in use stays Terminating", "GET", f"{CLAIMS}/data", PROTECTION, 200,
        setup=(Step("POST", CLAIMS, claim()), Step("POST", f"{NS}/pods", user_pod("data")),
               Step("DELETE", f"{CLAIMS}/data")), eventually=WAIT,
        fields={"metadata.finalizers": ["kubernetes.io/pvc-protection"],
                "status.phase": "Bound"}, contains=('"deletionTimestamp"',)),
    Row("a claim no pod uses goes at once, its volume with it", "GET",
        "/api/v1/persistentvolumes", RECLAIM, 200,
        setup=(Step("POST", CLAIMS, claim("gone")), Step("DELETE", f"{CLAIMS}/gone")),
        eventually=WAIT, absent=('"name":"{ns}/gone"', '"namespace":"{ns}","name":"gone"')),
    Row("a volume needs a source", "POST", "/api/v1/persistentvolumes",
        CORE_VALIDATION + " ValidatePersistentVolumeSpec", 422,
        body={"metadata": {"name": "{ns}-v"}, "spec": {"accessModes": ["ReadWriteOnce"],
                                                       "capacity": {"storage": "1Gi"}}},
        fields=invalid("PersistentVolume", "{ns}-v", "spec",
                       "Required value: must specify a volume type")),
    Row("a new volume is Available, protected and Retained", "GET",
        "/api/v1/persistentvolumes/{ns}-v", IN_USE, 200,
        setup=(Step("POST", "/api/v1/persistentvolumes", {
            "metadata": {"name": "{ns}-v"}, "spec": {
                "accessModes": ["ReadWriteOnce"], "capacity": {"storage": "1Gi"},
                "storageClassName": "manual", "hostPath": {"path": "/tmp"}}}),),
        eventually=WAIT, fields={"status.phase": "Available",
                                 "spec.persistentVolumeReclaimPolicy": "Retain",
                                 "metadata.finalizers": ["kubernetes.io/pv-protection"]}),
    Row("the default StorageClass", "GET", "/apis/storage.k8s.io/v1/storageclasses/standard",
        DYNAMIC, 200, fields={"reclaimPolicy": "Delete", "volumeBindingMode": "Immediate"},
        contains=('"storageclass.kubernetes.io/is-default-class":"true"',)),
    Row("a StorageClass's provisioner is fixed", "PATCH",
        "/apis/storage.k8s.io/v1/storageclasses/{ns}", STORAGE_VALIDATION
        + " ValidateStorageClassUpdate", 422,
        headers={"Content-Type": "application/merge-patch+json"},
        body={"provisioner": "example.com/other"},
        setup=(Step("POST", "/apis/storage.k8s.io/v1/storageclasses", {
            "metadata": {"name": "{ns}"}, "provisioner": "example.com/disk"}),),
        fields=invalid("StorageClass", "{ns}", "provisioner",
                       "Forbidden: updates to provisioner are forbidden.")),
    Row("kubectl get pvc columns", "GET", CLAIMS, PRINTERS + " printPersistentVolumeClaim",
        200, headers=TABLE, setup=(Step("POST", CLAIMS, claim()),), eventually=WAIT, fields={
            "columnDefinitions.1.name": "Status", "columnDefinitions.2.name": "Volume",
            "columnDefinitions.3.name": "Capacity", "columnDefinitions.4.name": "Access Modes",
            "columnDefinitions.5.name": "StorageClass", "rows.0.cells.1": "Bound",
            "rows.0.cells.3": "1Gi", "rows.0.cells.4": "RWO", "rows.0.cells.5": "standard"}),
    Row("an Ingress path needs its pathType", "POST", f"{NETWORKING}/ingresses",
        NETWORK_VALIDATION + " validateHTTPIngressPath", 422,
        body=ingress({"path": "/", "backend": SERVICE}),
        fields=invalid("Ingress", "web", "spec.rules[0].http.paths[0].pathType",
                       "Required value: pathType must be specified")),
    Row("an Ingress backend needs a port", "POST", f"{NETWORKING}/ingresses",
        NETWORK_VALIDATION + " validateIngressBackend", 422,
        body=ingress({"path": "/", "pathType": "Prefix",
                      "backend": {"service": {"name": "web"}}}),
        fields=invalid("Ingress", "web", "spec.rules[0].http.paths[0].backend",
                       "Required value: port name or number is required")),
    Row("kubectl get ing columns", "GET", f"{NETWORKING}/ingresses", PRINTERS + " printIngress",
        200, headers=TABLE,
        setup=(Step("POST", f"{NETWORKING}/ingresses",
                    ingress({"path": "/", "pathType": "Prefix", "backend": SERVICE})),),
        fields={"columnDefinitions.1.name": "Class", "columnDefinitions.2.name": "Hosts",
                "columnDefinitions.4.name": "Ports", "rows.0.cells.1": "<none>",
                "rows.0.cells.2": "a.example.com", "rows.0.cells.4": "80"}),
    Row("an IngressClass's controller is a domain-prefixed path", "POST",
        "/apis/networking.k8s.io/v1/ingressclasses", NETWORK_VALIDATION
        + " validateIngressClassSpec", 422,
        body={"metadata": {"name": "{ns}"}, "spec": {"controller": "nginx"}},
        fields=invalid("IngressClass", "{ns}", "spec.controller", 'Invalid value: "nginx": '
                       'must be a domain-prefixed path (such as "acme.io/foo")')),
    Row("a NetworkPolicy's policyTypes are derived", "POST", f"{NETWORKING}/networkpolicies",
        NETWORK_DEFAULTS, 201,
        body={"metadata": {"name": "np"}, "spec": {"podSelector": {}, "egress": [{}]}},
        fields={"spec.policyTypes": ["Ingress", "Egress"], "metadata.generation": 1}),
    Row("a NetworkPolicy peer must say something", "POST", f"{NETWORKING}/networkpolicies",
        NETWORK_VALIDATION + " ValidateNetworkPolicyPeer", 422,
        body={"metadata": {"name": "np"}, "spec": {"podSelector": {}, "ingress": [
            {"from": [{}]}]}},
        fields=invalid("NetworkPolicy", "np", "spec.ingress[0].from[0]",
                       "Required value: must specify a peer")),
    Row("a PDB takes minAvailable or maxUnavailable, not both", "POST", PDBS,
        POLICY_VALIDATION, 422,
        body={"metadata": {"name": "b"}, "spec": {"minAvailable": 1, "maxUnavailable": 1}},
        contains=("minAvailable and maxUnavailable cannot be both set",),
        fields={"details.causes.0.field": "spec"}),
    Row("a new PDB has an empty status", "POST", PDBS,
        "pkg/registry/policy/poddisruptionbudget/strategy.go PrepareForCreate", 201,
        body={"metadata": {"name": "b"}, "spec": {"maxUnavailable": "50%"}},
        fields={"status.disruptionsAllowed": 0, "status.expectedPods": 0}),
    Row("kubectl get pdb columns", "GET", PDBS, PRINTERS + " printPodDisruptionBudget", 200,
        headers=TABLE, setup=(Step("POST", PDBS, {"metadata": {"name": "b"},
                                                  "spec": {"minAvailable": 1}}),),
        fields={"columnDefinitions.1.name": "Min Available",
                "columnDefinitions.2.name": "Max Unavailable",
                "columnDefinitions.3.name": "Allowed Disruptions", "rows.0.cells.1": "1",
                "rows.0.cells.2": "N/A"}),
    Row("a CronJob is defaulted", "POST", CRONJOBS, BATCH_DEFAULTS, 201,
        body=cronjob("*/5 * * * *"), fields={
            "spec.concurrencyPolicy": "Allow", "spec.suspend": False,
            "spec.successfulJobsHistoryLimit": 3, "spec.failedJobsHistoryLimit": 1}),
    Row("a CronJob schedule is parsed as cron", "POST", CRONJOBS,
        BATCH_VALIDATION + " validateScheduleFormat", 422, body=cronjob("61 * * * *"),
        fields=invalid("CronJob", "cj", "spec.schedule", 'Invalid value: "61 * * * *": end '
                       "of range (61) above maximum (59): 61")),
    Row("a CronJob schedule may not carry TZ", "POST", CRONJOBS,
        BATCH_VALIDATION + " validateScheduleFormat", 422, body=cronjob("TZ=UTC 0 * * * *"),
        fields=invalid("CronJob", "cj", "spec.schedule", 'Invalid value: "TZ=UTC 0 * * * *": '
                       "cannot use TZ or CRON_TZ in schedule, use timeZone field instead")),
    Row("a CronJob timeZone is in the tz database", "POST", CRONJOBS,
        BATCH_VALIDATION + " validateTimeZone", 422,
        body=cronjob("0 * * * *", timeZone="Europe/Atlantis"),
        fields=invalid("CronJob", "cj", "spec.timeZone", 'Invalid value: "Europe/Atlantis": '
                       "unknown time zone Europe/Atlantis")),
    Row("a CronJob's template is validated as a Job's", "POST", CRONJOBS,
        BATCH_VALIDATION + " ValidateJobTemplateSpec", 422,
        body={"metadata": {"name": "cj"}, "spec": {"schedule": "@hourly", "jobTemplate": {
            "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "x"}]}}}}}},
        fields=invalid("CronJob", "cj", "spec.jobTemplate.spec.template.spec.restartPolicy",
                       'Required value: valid values: "OnFailure", "Never"')),
    Row("kubectl get cj columns", "GET", CRONJOBS, PRINTERS + " printCronJob", 200,
        headers=TABLE, setup=(Step("POST", CRONJOBS, cronjob("@hourly",
                                                             timeZone="Europe/Paris")),),
        fields={"columnDefinitions.1.name": "Schedule", "columnDefinitions.2.name": "Timezone",
                "columnDefinitions.3.name": "Suspend", "columnDefinitions.4.name": "Active",
                "columnDefinitions.5.name": "Last Schedule", "rows.0.cells.1": "@hourly",
                "rows.0.cells.2": "Europe/Paris", "rows.0.cells.3": "False",
                "rows.0.cells.5": "<none>"}),
    Row("the kinds have their short names", "GET", "/apis/batch/v1", DISCOVERY, 200,
        contains=('"shortNames":["cj"]', '"categories":["all"]')),
]
