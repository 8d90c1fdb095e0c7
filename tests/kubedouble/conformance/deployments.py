"""apps/v1 Deployments and ReplicaSets: defaults, validation, the immutable selector, the scale
subresource, discovery and kubectl's columns, and what the Deployment and ReplicaSet
controllers write (controller rows repeat until they hold). Rollouts over time (maxSurge and
maxUnavailable, the progress deadline, kubectl rollout) are in tests/kubedouble/test_deployments.py.
"""

from __future__ import annotations

from typing import Any

from tests.kubedouble.conformance import SA_TOKEN, Row, Step
from tests.kubedouble.conformance.rbac import USER, granted, rule

DEFAULTS = "pkg/apis/apps/v1/defaults.go SetDefaults_Deployment"
RS_DEFAULTS = "pkg/apis/apps/v1/defaults.go SetDefaults_ReplicaSet"
POD_DEFAULTS = "pkg/apis/core/v1/defaults.go SetDefaults_PodSpec"
VALIDATION = "pkg/apis/apps/validation/validation.go"
STRATEGY = "pkg/registry/apps/deployment/strategy.go ValidateUpdate"
RS_STRATEGY = "pkg/registry/apps/replicaset/strategy.go ValidateUpdate"
SCALE = "pkg/registry/apps/deployment/storage/storage.go ScaleREST"
SCALE_VALIDATION = "pkg/apis/autoscaling/validation/validation.go ValidateScale"
PRINTERS = "pkg/printers/internalversion/printers.go"
CONTROLLER = "pkg/controller/deployment/sync.go getNewReplicaSet"
RS_CONTROLLER = "pkg/controller/replicaset/replica_set.go manageReplicas"
STATUS = "pkg/controller/deployment/sync.go calculateStatus"
PROGRESS = "pkg/controller/deployment/progress.go syncRolloutStatus"

DEPLOYMENTS = "/apis/apps/v1/namespaces/{ns}/deployments"
DEPLOYMENT = f"{DEPLOYMENTS}/d"
REPLICASETS = "/apis/apps/v1/namespaces/{ns}/replicasets"
MERGE = {"Content-Type": "application/merge-patch+json"}
WAIT = 30.0


def pod_template(labels: dict[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    container = {"name": "main", "image": "busybox:1.36", "command": ["sleep", "600"]}
    return {"metadata": {"labels": {"app": "d"} if labels is None else labels},
            "spec": {"terminationGracePeriodSeconds": 1, "containers": [container], **spec}}


def deployment(replicas: int = 1, *, selector: Any = "app", template: Any = None,
               **spec: Any) -> dict[str, Any]:
    body_spec: dict[str, Any] = {"replicas": replicas,
                                 "template": template or pod_template(), **spec}
    if selector == "app":
        body_spec["selector"] = {"matchLabels": {"app": "d"}}
    elif selector is not None:
        body_spec["selector"] = selector
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
            "spec": body_spec}


def replica_set(replicas: int = 1, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "r"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "d"}},
                     "template": pod_template(), **spec}}


def refused(field: str, message: str) -> dict[str, Any]:
    return {"reason": "Invalid", "code": 422, "details.causes.0.field": field,
            "details.causes.0.message": message}


ROWS = [
    # Defaults
    Row("a Deployment defaults to one replica, RollingUpdate 25%/25%, 10 revisions, 600 s",
        "POST", DEPLOYMENTS, DEFAULTS, 201,
        body={**deployment(), "spec": {k: v for k, v in deployment()["spec"].items()
                                       if k != "replicas"}},
        fields={"spec.replicas": 1, "spec.strategy.type": "RollingUpdate",
                "spec.strategy.rollingUpdate.maxSurge": "25%",
                "spec.strategy.rollingUpdate.maxUnavailable": "25%",
                "spec.revisionHistoryLimit": 10, "spec.progressDeadlineSeconds": 600}),
    Row("a Deployment's pod template gets the pod defaults", "POST", DEPLOYMENTS,
        POD_DEFAULTS, 201, body=deployment(),
        fields={"spec.template.spec.restartPolicy": "Always",
                "spec.template.spec.dnsPolicy": "ClusterFirst",
                "spec.template.spec.schedulerName": "default-scheduler",
                "spec.template.spec.containers.0.imagePullPolicy": "IfNotPresent",
                "spec.template.spec.containers.0.terminationMessagePath":
                    "/dev/termination-log"}),
    Row("Recreate gets no rollingUpdate", "POST", DEPLOYMENTS, DEFAULTS, 201,
        body=deployment(strategy={"type": "Recreate"}), absent=('"rollingUpdate"',)),
    Row("a ReplicaSet defaults to one replica", "POST", REPLICASETS, RS_DEFAULTS, 201,
        body={**replica_set(), "spec": {k: v for k, v in replica_set()["spec"].items()
                                        if k != "replicas"}},
        fields={"spec.replicas": 1, "spec.template.spec.restartPolicy": "Always"}),
    # Validation
    Row("a Deployment needs a selector", "POST", DEPLOYMENTS,
        f"{VALIDATION} ValidateDeploymentSpec", 422, body=deployment(selector=None),
        fields=refused("spec.selector", "Required value")),
    Row("an empty selector is refused", "POST", DEPLOYMENTS,
        f"{VALIDATION} ValidateDeploymentSpec", 422, body=deployment(selector={}),
        fields=refused("spec.selector",
                       "Invalid value: {}: empty selector is invalid for deployment")),
    Row("the selector must match the template's labels", "POST", DEPLOYMENTS,
        f"{VALIDATION} ValidatePodTemplateSpecForReplicaSet", 422,
        body=deployment(template=pod_template({"app": "other"})),
        fields=refused("spec.template.metadata.labels", 'Invalid value: {"app":"other"}: '
                       "`selector` does not match template `labels`")),
    Row("a Deployment's pods restart Always", "POST", DEPLOYMENTS,
        f"{VALIDATION} ValidatePodTemplateSpecForReplicaSet", 422,
        body=deployment(template=pod_template(restartPolicy="OnFailure")),
        fields=refused("spec.template.spec.restartPolicy",
                       'Unsupported value: "OnFailure": supported values: "Always"')),
    Row("a ReplicaSet's pods have no activeDeadlineSeconds", "POST", REPLICASETS,
        f"{VALIDATION} ValidatePodTemplateSpecForReplicaSet", 422,
        body=replica_set(template=pod_template(activeDeadlineSeconds=5)),
        fields=refused("spec.template.spec.activeDeadlineSeconds",
                       "Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported")),
    Row("a pod template needs containers", "POST", DEPLOYMENTS,
        "pkg/apis/core/validation/validation.go validateContainers", 422,
        body=deployment(template={"metadata": {"labels": {"app": "d"}}, "spec": {}}),
        fields=refused("spec.template.spec.containers", "Required value")),
    Row("replicas are not negative", "POST", DEPLOYMENTS,
        f"{VALIDATION} ValidateDeploymentSpec", 422, body=deployment(-1),
        fields=refused("spec.replicas", "Invalid value: -1: must be greater than or equal "
                                        "to 0")),
    Row("the strategy type is Recreate or RollingUpdate", "POST", DEPLOYMENTS,
        f"{VALIDATION} ValidateDeploymentStrategy", 422,
        body=deployment(strategy={"type": "BlueGreen"}),
        fields=refused("spec.strategy.Type", 'Unsupported value: "BlueGreen": supported '
                                             'values: "Recreate", "RollingUpdate"')),
    Row("Recreate takes no rollingUpdate", "POST", DEPLOYMENTS,
        f"{VALIDATION} ValidateDeploymentStrategy", 422,
        body=deployment(strategy={"type": "Recreate", "rollingUpdate": {"maxSurge": 1}}),
        fields=refused("spec.strategy.rollingUpdate", "Forbidden: may not be specified when "
                                                      "strategy `type` is 'Recreate'")),
    Row("maxUnavailable and maxSurge are not both 0", "POST", DEPLOYMENTS,
        f"{VALIDATION} ValidateRollingUpdateDeployment", 422,
        body=deployment(strategy={"type": "RollingUpdate",
                                  "rollingUpdate": {"maxSurge": 0, "maxUnavailable": "0%"}}),
        fields=refused("spec.strategy.rollingUpdate.maxUnavailable",
                       'Invalid value: "0%": may not be 0 when `maxSurge` is 0')),
    Row("maxSurge is an integer or a percentage", "POST", DEPLOYMENTS,
        f"{VALIDATION} ValidatePositiveIntOrPercent", 422,
        body=deployment(strategy={"type": "RollingUpdate", "rollingUpdate": {
            "maxSurge": "lots"}}),
        fields=refused("spec.strategy.rollingUpdate.maxSurge",
                       "Invalid value: \"lots\": must be an integer or percentage (e.g '5%')")),
    Row("maxUnavailable is at most 100%", "POST", DEPLOYMENTS,
        f"{VALIDATION} ValidateRollingUpdateDeployment", 422,
        body=deployment(strategy={"type": "RollingUpdate", "rollingUpdate": {
            "maxUnavailable": "150%"}}),
        fields=refused("spec.strategy.rollingUpdate.maxUnavailable",
                       'Invalid value: "150%": must not be greater than 100%')),
    Row("progressDeadlineSeconds exceeds minReadySeconds", "POST", DEPLOYMENTS,
        f"{VALIDATION} ValidateDeploymentSpec", 422,
        body=deployment(minReadySeconds=10, progressDeadlineSeconds=10),
        fields=refused("spec.progressDeadlineSeconds",
                       "Invalid value: 10: must be greater than minReadySeconds")),
    Row("a Deployment's selector is immutable in apps/v1", "PATCH", DEPLOYMENT, STRATEGY, 422,
        setup=(Step("POST", DEPLOYMENTS, deployment(0)),), headers=MERGE,
        body={"spec": {"selector": {"matchLabels": {"app": "d", "tier": "x"}},
                       "template": pod_template({"app": "d", "tier": "x"})}},
        fields=refused("spec.selector", 'Invalid value: {"matchLabels":{"app":"d","tier":'
                                        '"x"}}: field is immutable')),
    Row("a ReplicaSet's selector is immutable in apps/v1", "PATCH", f"{REPLICASETS}/r",
        RS_STRATEGY, 422, setup=(Step("POST", REPLICASETS, replica_set(0)),), headers=MERGE,
        body={"spec": {"selector": {"matchLabels": {"app": "d", "tier": "x"}},
                       "template": pod_template({"app": "d", "tier": "x"})}},
        fields={"details.causes.0.field": "spec.selector"}),
    Row("a template change bumps the generation", "PATCH", DEPLOYMENT,
        "pkg/registry/apps/deployment/strategy.go PrepareForUpdate", 200,
        setup=(Step("POST", DEPLOYMENTS, deployment(0)),), headers=MERGE,
        body={"spec": {"template": {"metadata": {"annotations": {"a": "b"}}}}},
        fields={"metadata.generation": 2}),
    # The scale subresource
    Row("the scale subresource answers an autoscaling/v1 Scale", "GET", f"{DEPLOYMENT}/scale",
        SCALE, 200, setup=(Step("POST", DEPLOYMENTS, deployment(0)),),
        fields={"kind": "Scale", "apiVersion": "autoscaling/v1", "spec.replicas": 0,
                "status.selector": "app=d", "metadata.name": "d"}),
    Row("a scale patch sets spec.replicas", "PATCH", f"{DEPLOYMENT}/scale", SCALE, 200,
        setup=(Step("POST", DEPLOYMENTS, deployment(0, paused=True)),), headers=MERGE,
        body={"spec": {"replicas": 4}}, fields={"spec.replicas": 4},
        then=(Step("GET", DEPLOYMENT, contains=('"replicas":4',)),)),
    Row("a Scale's replicas are not negative", "PUT", f"{REPLICASETS}/r/scale",
        SCALE_VALIDATION, 422, setup=(Step("POST", REPLICASETS, replica_set(0)),),
        body={"apiVersion": "autoscaling/v1", "kind": "Scale", "metadata": {"name": "r"},
              "spec": {"replicas": -2}},
        fields={"details.kind": "Scale", "details.group": "autoscaling",
                "details.causes.0.field": "spec.replicas"}),
    Row("a stale Scale is a conflict", "PUT", f"{REPLICASETS}/r/scale", SCALE, 409,
        setup=(Step("POST", REPLICASETS, replica_set(0)),),
        body={"apiVersion": "autoscaling/v1", "kind": "Scale",
              "metadata": {"name": "r", "resourceVersion": "1"}, "spec": {"replicas": 2}}),
    Row("scaling needs the deployments/scale subresource in RBAC", "PATCH",
        f"{DEPLOYMENT}/scale", "plugin/pkg/auth/authorizer/rbac/rbac.go", 403, token=SA_TOKEN,
        setup=(*granted(rule(["deployments"], ["get", "patch"], groups=["apps"])),
               Step("POST", DEPLOYMENTS, deployment(0, paused=True))),
        headers=MERGE, body={"spec": {"replicas": 2}},
        fields={"message": f'deployments.apps "d" is forbidden: User "{USER}" cannot patch '
                           'resource "deployments/scale" in API group "apps" in the namespace '
                           '"{ns}"'}),
    Row("deployments/scale granted, a ServiceAccount scales", "PATCH", f"{DEPLOYMENT}/scale",
        "https://kubernetes.io/docs/reference/access-authn-authz/rbac/#referring-to-resources",
        200, token=SA_TOKEN,
        setup=(*granted(rule(["deployments/scale"], ["patch"], groups=["apps"])),
               Step("POST", DEPLOYMENTS, deployment(0, paused=True))),
        headers=MERGE, body={"spec": {"replicas": 2}}, fields={"spec.replicas": 2}),
    # Discovery and columns
    Row("apps/v1 lists deployments with their short name, category and scale", "GET",
        "/apis/apps/v1", "https://kubernetes.io/docs/reference/using-api/api-concepts/", 200,
        contains=('"name":"deployments","singularName":"deployment"', '"shortNames":["deploy"]',
                  '"categories":["all"]', '"name":"deployments/scale","singularName":"",'
                  '"namespaced":true,"kind":"Scale","verbs":["get","patch","update"],'
                  '"group":"autoscaling","version":"v1"', '"shortNames":["rs"]')),
    Row("kubectl get deploy: READY UP-TO-DATE AVAILABLE AGE", "GET", DEPLOYMENTS,
        f"{PRINTERS} deploymentColumnDefinitions", 200,
        headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"},
        setup=(Step("POST", DEPLOYMENTS, deployment(0)),),
        contains=('"name":"Ready"', '"name":"Up-to-date"', '"name":"Available"',
                  '"name":"Age"', '"cells":["d","0/0",0,0,')),
    Row("kubectl get rs: DESIRED CURRENT READY AGE", "GET", REPLICASETS,
        f"{PRINTERS} replicaSetColumnDefinitions", 200,
        headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"},
        setup=(Step("POST", REPLICASETS, replica_set(0)),),
        contains=('"name":"Desired"', '"name":"Current"', '"cells":["r",0,0,0,')),
    # What the controllers write
    Row("the new ReplicaSet is named and labelled by the pod-template-hash", "GET",
        REPLICASETS, CONTROLLER, 200, setup=(Step("POST", DEPLOYMENTS, deployment(1)),),
        eventually=WAIT,
        contains=('"pod-template-hash":', '"deployment.kubernetes.io/revision":"1"',
                  '"deployment.kubernetes.io/desired-replicas":"1"',
                  '"deployment.kubernetes.io/max-replicas":"2"',
                  '"kind":"Deployment","name":"d"', '"controller":true',
                  '"blockOwnerDeletion":true', '"name":"d-')),
    Row("the Deployment carries its revision and reports itself available", "GET", DEPLOYMENT,
        STATUS, 200, setup=(Step("POST", DEPLOYMENTS, deployment(2)),), eventually=WAIT,
        contains=('"deployment.kubernetes.io/revision":"1"',
                  '"reason":"MinimumReplicasAvailable"', '"reason":"NewReplicaSetAvailable"',
                  'has successfully progressed.'),
        fields={"status.replicas": 2, "status.updatedReplicas": 2, "status.readyReplicas": 2,
                "status.availableReplicas": 2, "status.unavailableReplicas": 0,
                "status.observedGeneration": 1}),
    Row("a ReplicaSet's pods are generated from its name and owned by it", "GET",
        "/api/v1/namespaces/{ns}/pods", RS_CONTROLLER, 200,
        setup=(Step("POST", REPLICASETS, replica_set(2)),), eventually=WAIT,
        contains=('"generateName":"r-"', '"kind":"ReplicaSet","name":"r"', '"controller":true',
                  '"blockOwnerDeletion":true'),
        fields={"items.1.metadata.labels.app": "d"}),
    Row("a ReplicaSet reports its pods", "GET", f"{REPLICASETS}/r",
        "pkg/controller/replicaset/replica_set_utils.go calculateStatus", 200,
        setup=(Step("POST", REPLICASETS, replica_set(2)),), eventually=WAIT,
        fields={"status.replicas": 2, "status.fullyLabeledReplicas": 2,
                "status.readyReplicas": 2, "status.availableReplicas": 2,
                "status.observedGeneration": 1}),
    Row("a scaled-up Deployment says so in a ScalingReplicaSet event", "GET",
        "/api/v1/namespaces/{ns}/events", "pkg/controller/deployment/sync.go scaleReplicaSet",
        200, setup=(Step("POST", DEPLOYMENTS, deployment(1)),), eventually=WAIT,
        contains=('"reason":"ScalingReplicaSet"', '"message":"Scaled up replica set d-',
                  'from 0 to 1"', '"component":"deployment-controller"')),
    Row("a paused Deployment reports DeploymentPaused", "GET", DEPLOYMENT,
        "pkg/controller/deployment/sync.go checkPausedConditions", 200,
        setup=(Step("POST", DEPLOYMENTS, deployment(1, paused=True)),), eventually=WAIT,
        contains=('"type":"Progressing","status":"Unknown"', '"reason":"DeploymentPaused"',
                  '"message":"Deployment is paused"'),
        then=(Step("GET", REPLICASETS, absent=('"name":"d-',)),)),  # no ReplicaSet made
]
