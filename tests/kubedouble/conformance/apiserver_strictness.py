"""Authentication, validation of built-in kinds, immutable fields and dryRun."""

from __future__ import annotations

from typing import Any

from tests.kubedouble.conformance import BAD_TOKEN, NO_TOKEN, SA_TOKEN, Row, Step

AUTHN_DOCS = "https://kubernetes.io/docs/reference/access-authn-authz/authentication/"
AUTHN_FILTER = "k8s.io/apiserver/pkg/endpoints/filters/authentication.go Unauthorized"
BEARER = "k8s.io/apiserver/pkg/authentication/request/bearertoken/bearertoken.go invalidToken"
PUBLIC_INFO = ("https://kubernetes.io/docs/reference/access-authn-authz/rbac/#discovery-roles "
               "(system:public-info-viewer; anonymous limited to these paths per KEP-4633)")
DISCOVERY_ROLE = ("https://kubernetes.io/docs/reference/access-authn-authz/rbac/#discovery-roles "
                  "(system:discovery is bound to system:authenticated)")
TOKEN_REQUEST = "pkg/registry/core/serviceaccount/storage/token.go"
TOKEN_VALIDATION = "pkg/apis/authentication/validation/validation.go ValidateTokenRequest"
SA_AUTH = ("https://kubernetes.io/docs/reference/access-authn-authz/service-accounts-admin/"
           "#bound-service-account-token-volume")
WHOAMI = ("https://kubernetes.io/docs/reference/access-authn-authz/authentication/"
          "#self-subject-review")
DNS = "k8s.io/apimachinery/pkg/util/validation/validation.go IsDNS1123Subdomain"
DNS_LABEL = "k8s.io/apimachinery/pkg/util/validation/validation.go IsDNS1123Label"
GENERATE = "k8s.io/apimachinery/pkg/api/validation/objectmeta.go ValidateObjectMetaAccessor"
LABELS = "k8s.io/apimachinery/pkg/api/validate/content/kube.go IsLabelKey, IsLabelValue"
ANNOTATIONS = "k8s.io/apimachinery/pkg/api/validation/objectmeta.go ValidateAnnotations"
OBJECTMETA_UPDATE = ("k8s.io/apimachinery/pkg/api/validation/objectmeta.go "
                     "ValidateObjectMetaAccessorUpdate")
BEFORE_UPDATE = "k8s.io/apiserver/pkg/registry/rest/update.go BeforeUpdate"
PRECONDITION = "k8s.io/apiserver/pkg/storage/interfaces.go Preconditions.Check"
NAMESPACE_MATCH = "k8s.io/apiserver/pkg/registry/rest/meta.go EnsureObjectNamespaceMatchesRequest"
CHECK_NAME = "k8s.io/apiserver/pkg/endpoints/handlers/rest.go checkName"
BODY_LIMIT = "k8s.io/apiserver/pkg/endpoints/handlers/rest.go limitedReadBody"
TOO_LARGE = "k8s.io/apiserver/pkg/endpoints/handlers/rest.go isTooLargeError"
DECODE = "k8s.io/apiserver/pkg/endpoints/handlers/rest.go transformDecodeError"
FIELD_VALIDATION = "https://kubernetes.io/docs/reference/using-api/api-concepts/#field-validation"
OPTIONS = "k8s.io/apimachinery/pkg/apis/meta/v1/validation/validation.go"
CORE = "pkg/apis/core/validation/validation.go"
POD_UPDATE = "pkg/apis/core/validation/validation.go ValidatePodUpdate"
BATCH = "pkg/apis/batch/validation/validation.go"
JOB_DIRECTIVES = ("https://kubernetes.io/docs/concepts/workloads/controllers/job/"
                  "#mutable-scheduling-directives")
IMMUTABLE_CM = ("https://kubernetes.io/docs/concepts/configuration/configmap/"
                "#configmap-immutable")
COORDINATION = "pkg/apis/coordination/validation/validation.go ValidateLeaseSpec"
DRY_RUN = "https://kubernetes.io/docs/reference/using-api/api-concepts/#dry-run"

NS = "/api/v1/namespaces/{ns}"
CM, PODS, SECRETS = f"{NS}/configmaps", f"{NS}/pods", f"{NS}/secrets"
EVENTS, SAS = f"{NS}/events", f"{NS}/serviceaccounts"
JOBS = "/apis/batch/v1/namespaces/{ns}/jobs"
LEASES = "/apis/coordination.k8s.io/v1/namespaces/{ns}/leases"
WHOAMI_PATH = "/apis/authentication.k8s.io/v1/selfsubjectreviews"
MERGE = {"Content-Type": "application/merge-patch+json"}
STRATEGIC = {"Content-Type": "application/strategic-merge-patch+json"}
WHOAMI_BODY = {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}
ROBOT = Step("POST", SAS, {"metadata": {"name": "robot"}})
CONFIG_MAP_READER = (  # RBAC: the robot may list the namespace's ConfigMaps
    Step("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/roles", {
        "metadata": {"name": "reader"},
        "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["list"]}]}),
    Step("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings", {
        "metadata": {"name": "reader"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
        "subjects": [{"kind": "ServiceAccount", "name": "robot"}]}))


def config_map(name: str = "cfg", **fields: Any) -> dict[str, Any]:
    metadata = fields.pop("metadata", {"name": name})
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, **fields}


def pod(name: str = "p", **spec: Any) -> dict[str, Any]:
    container = {"name": "main", "image": "busybox:1.36", "command": ["true"],
                 **spec.pop("container", {})}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"restartPolicy": "Never", "containers": [container], **spec}}


def job(name: str = "j", **spec: Any) -> dict[str, Any]:
    template_spec = {"restartPolicy": "Never", "containers": [
        {"name": "main", "image": "busybox:1.36", "command": ["true"]}],
        **spec.pop("pod", {})}
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
            "spec": {"suspend": True, "template": {"spec": template_spec}, **spec}}


def invalid(field: str, message: str) -> dict[str, Any]:
    return {"reason": "Invalid", "code": 422, "details.causes.0.field": field,
            "details.causes.0.message": message}


AUTHENTICATION = [
    Row("no token is refused", "GET", "/api/v1/namespaces", AUTHN_FILTER, 401, token=NO_TOKEN,
        fields={"kind": "Status", "reason": "Unauthorized", "message": "Unauthorized",
                "code": 401}),
    Row("an unknown token is refused", "GET", "/api/v1/namespaces", BEARER, 401,
        token=BAD_TOKEN, fields={"reason": "Unauthorized"}),
    Row("an unknown token is refused on /healthz too", "GET", "/healthz", BEARER, 401,
        token=BAD_TOKEN),
    Row("discovery needs a user", "GET", "/apis", DISCOVERY_ROLE, 401, token=NO_TOKEN),
    Row("writes need a user", "POST", CM, AUTHN_FILTER, 401, token=NO_TOKEN,
        body=config_map(), then=(Step("GET", f"{CM}/cfg", status=404),)),
    Row("healthz is open", "GET", "/healthz", PUBLIC_INFO, 200, token=NO_TOKEN,
        contains=("ok",)),
    Row("livez is open", "GET", "/livez", PUBLIC_INFO, 200, token=NO_TOKEN),
    Row("readyz is open", "GET", "/readyz", PUBLIC_INFO, 200, token=NO_TOKEN),
    Row("version is open", "GET", "/version", PUBLIC_INFO, 200, token=NO_TOKEN,
        contains=('"gitVersion"',)),
    Row("the admin token is the admin", "POST", WHOAMI_PATH, WHOAMI, 201, body=WHOAMI_BODY,
        fields={"kind": "SelfSubjectReview", "status.userInfo.username": "kubernetes-admin"},
        contains=('"system:masters"', '"system:authenticated"')),
    Row("a TokenRequest issues a token", "POST", f"{SAS}/robot/token", TOKEN_REQUEST, 201,
        body={"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {}},
        setup=(ROBOT,), contains=('"token":"', '"expirationTimestamp"'),
        fields={"kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1",
                "spec.expirationSeconds": 3600,
                "spec.audiences": ["https://kubernetes.default.svc.cluster.local"]}),
    Row("a token lives at least ten minutes", "POST", f"{SAS}/robot/token", TOKEN_VALIDATION,
        422, body={"spec": {"expirationSeconds": 599}}, setup=(ROBOT,),
        fields=invalid("spec.expirationSeconds", "Invalid value: 599: may not specify a "
                                                 "duration less than 10 minutes")),
    Row("no token for a missing ServiceAccount", "POST", f"{SAS}/ghost/token", TOKEN_REQUEST,
        404, body={"spec": {}}, fields={"reason": "NotFound",
                                        "message": 'serviceaccounts "ghost" not found'}),
    Row("a ServiceAccount token names its account", "POST", WHOAMI_PATH, SA_AUTH, 201,
        body=WHOAMI_BODY, token=SA_TOKEN, setup=(ROBOT, Step("TOKEN", "robot")),
        fields={"status.userInfo.username": "system:serviceaccount:{ns}:robot"},
        contains=('"system:serviceaccounts"', '"system:serviceaccounts:{ns}"')),
    Row("a ServiceAccount token reads the API", "GET", CM, SA_AUTH, 200, token=SA_TOKEN,
        setup=(ROBOT, Step("TOKEN", "robot"), *CONFIG_MAP_READER)),
    Row("a token dies with its ServiceAccount", "GET", CM, SA_AUTH, 401, token=SA_TOKEN,
        setup=(ROBOT, Step("TOKEN", "robot"), Step("DELETE", f"{SAS}/robot"))),
    Row("a token for another audience is refused", "GET", CM, AUTHN_FILTER, 401,
        token=SA_TOKEN, setup=(ROBOT, Step("TOKEN", "robot", {"audiences": ["vault"]}))),
]

NAMES_AND_METADATA = [
    Row("a name is a DNS subdomain", "POST", CM, DNS, 422, body=config_map("Bad_Name"),
        fields=invalid("metadata.name", "Invalid value: \"Bad_Name\": a lowercase RFC 1123 "
                       "subdomain must consist of lower case alphanumeric characters, '-' or "
                       "'.', and must start and end with an alphanumeric character (e.g. "
                       "'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*"
                       "[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"),
        contains=('ConfigMap \\"Bad_Name\\" is invalid: metadata.name: Invalid value: ',)),
    Row("a name has at most 253 characters", "POST", CM, DNS, 422,
        body=config_map("a" * 254), contains=("must be no more than 253 characters",)),
    Row("a namespace name is a DNS label", "POST", "/api/v1/namespaces", DNS_LABEL, 422,
        body={"metadata": {"name": "a.b"}},
        fields=invalid("metadata.name", 'Invalid value: "a.b": must not contain dots')),
    Row("a namespace name has at most 63 characters", "POST", "/api/v1/namespaces", DNS_LABEL,
        422, body={"metadata": {"name": "n" * 64}},
        contains=("must be no more than 63 characters",)),
    Row("name or generateName is required", "POST", CM, GENERATE, 422,
        body=config_map(metadata={}),
        fields=invalid("metadata.name", "Required value: name or generateName is required")),
    Row("generateName is checked as a name prefix", "POST", PODS, GENERATE, 422,
        body={**pod(), "metadata": {"generateName": "Bad-"}},
        contains=('"field":"metadata.generateName"',)),
    Row("generateName gives a name", "POST", CM, GENERATE, 201,
        body=config_map(metadata={"generateName": "cfg-"}),
        fields={"metadata.generateName": "cfg-"}, contains=('"name":"cfg-',)),
    Row("a label key is a qualified name", "POST", CM, LABELS, 422,
        body=config_map(metadata={"name": "cfg", "labels": {"bad key": "v"}}),
        fields=invalid("metadata.labels", "Invalid value: \"bad key\": name part must consist "
                       "of alphanumeric characters, '-', '_' or '.', and must start and end "
                       "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or "
                       "'123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?"
                       "[A-Za-z0-9]')")),
    Row("a label key prefix is a DNS subdomain", "POST", CM, LABELS, 422,
        body=config_map(metadata={"name": "cfg", "labels": {"Example.com/x": "v"}}),
        contains=("prefix part a lowercase RFC 1123 subdomain",)),
    Row("a label key has at most one slash", "POST", CM, LABELS, 422,
        body=config_map(metadata={"name": "cfg", "labels": {"a/b/c": "v"}}),
        contains=("a valid label key must consist of alphanumeric characters",)),
    Row("a label value has at most 63 bytes", "POST", CM, LABELS, 422,
        body=config_map(metadata={"name": "cfg", "labels": {"k": "v" * 64}}),
        fields={"details.causes.0.field": "metadata.labels"},
        contains=("must be no more than 63 bytes",)),
    Row("a label value is label-safe", "POST", CM, LABELS, 422,
        body=config_map(metadata={"name": "cfg", "labels": {"k": "a b"}}),
        contains=("a valid label must be an empty string or consist of alphanumeric",)),
    Row("annotation keys are qualified names", "POST", CM, ANNOTATIONS, 422,
        body=config_map(metadata={"name": "cfg", "annotations": {"a b": "v"}}),
        fields={"details.causes.0.field": "metadata.annotations"}),
    Row("annotations total at most 256 KiB", "POST", CM, ANNOTATIONS, 422,
        body=config_map(metadata={"name": "cfg", "annotations": {"a": "x" * 262144}}),
        fields=invalid("metadata.annotations", "Too long: may not be more than 262144 bytes")),
    Row("a Job's name must fit its pods' job-name label", "POST", JOBS, BATCH, 422,
        body=job("j" * 64), contains=('"field":"spec.template.labels"',
                                      "must be no more than 63 bytes")),
]

SIZES_AND_TYPES = [
    Row("ConfigMap data totals at most 1 MiB", "POST", CM, f"{CORE} ValidateConfigMap", 422,
        body=config_map(data={"big": "x" * (1024 * 1024 + 1)}),
        contains=("Too long: may not be more than 1048576 bytes",)),
    Row("a request body over 3 MiB is refused", "POST", CM, BODY_LIMIT, 413,
        body=config_map(data={"big": "x" * (3 * 1024 * 1024)}),
        fields={"reason": "RequestEntityTooLarge",
                "message": "Request entity too large: limit is 3145728"}),
    Row("an object over etcd's 1.5 MiB is refused", "POST", PODS, TOO_LARGE, 500,
        body=pod(container={"env": [{"name": "BIG", "value": "x" * 1_700_000}]}),
        fields={"message": "etcdserver: request is too large"},
        then=(Step("GET", f"{PODS}/p", status=404),)),
    Row("a string where an int goes is a 400", "POST", JOBS, DECODE, 400,
        body=job(backoffLimit="6"),
        fields={"reason": "BadRequest", "message": 'Job in version "v1" cannot be handled as a '
                "Job: json: cannot unmarshal string into Go struct field JobSpec.spec."
                "backoffLimit of type int32"}),
    Row("a number where a string goes is a 400", "POST", PODS, DECODE, 400,
        body=pod(container={"image": 5}),
        contains=("cannot unmarshal number into Go struct field Container.spec.containers.image"
                  " of type string",)),
    Row("a string where a bool goes is a 400", "POST", PODS, DECODE, 400,
        body=pod(hostNetwork="yes"), contains=("PodSpec.spec.hostNetwork of type bool",)),
    Row("a fraction where an int goes is a 400", "POST", LEASES, DECODE, 400,
        body={"metadata": {"name": "l"}, "spec": {"leaseDurationSeconds": 1.5}},
        contains=("cannot unmarshal number 1.5 into Go struct field LeaseSpec.spec."
                  "leaseDurationSeconds of type int32",)),
    Row("a quantity must parse", "POST", PODS, "k8s.io/apimachinery/pkg/api/resource/"
        "quantity.go UnmarshalJSON", 400,
        body=pod(container={"resources": {"limits": {"cpu": "lots"}}}),
        contains=("quantities must match the regular expression",)),
    Row("Secret data is base64", "POST", SECRETS, DECODE, 400,
        body={"metadata": {"name": "s"}, "data": {"k": "not base64!"}},
        contains=('Secret in version \\"v1\\" cannot be handled as a Secret: illegal base64 '
                  "data at input byte",)),
    Row("stringData is merged into data", "POST", SECRETS, "pkg/apis/core/v1/conversion.go",
        201, body={"metadata": {"name": "s"}, "stringData": {"k": "v"}},
        fields={"data.k": "dg==", "type": "Opaque"}, absent=("stringData",)),
    Row("Strict refuses an unknown field", "POST", PODS, FIELD_VALIDATION, 400,
        query="fieldValidation=Strict", body=pod(foo=1),
        fields={"message": 'Pod in version "v1" cannot be handled as a Pod: strict decoding '
                           'error: unknown field "spec.foo"'}),
    Row("Strict names a nested unknown field", "POST", PODS, FIELD_VALIDATION, 400,
        query="fieldValidation=Strict", body=pod(container={"imagePullPolicyy": "Always"}),
        contains=('unknown field \\"spec.containers[0].imagePullPolicyy\\"',)),
    Row("Warn drops an unknown field and says so", "POST", PODS, FIELD_VALIDATION, 201,
        query="fieldValidation=Warn", body=pod(foo=1), absent=('"foo"',),
        response_headers={"Warning": '299 - "unknown field \\"spec.foo\\""'}),
    Row("Warn is the default", "POST", CM, "k8s.io/apiserver/pkg/endpoints/handlers/rest.go "
        "fieldValidation", 201, body=config_map(extra=1),
        response_headers={"Warning": 'unknown field \\"extra\\"'}),
    Row("Ignore drops an unknown field silently", "POST", CM, FIELD_VALIDATION, 201,
        query="fieldValidation=Ignore", body=config_map(extra=1),
        response_headers={"Warning": ""}, absent=('"extra"',)),
    Row("fieldValidation takes three values", "POST", CM, f"{OPTIONS} ValidateFieldValidation",
        422, query="fieldValidation=Loose", body=config_map(),
        contains=('CreateOptions.meta.k8s.io \\"\\" is invalid: fieldValidation: Unsupported '
                  'value: \\"Loose\\"',)),
]

KIND_RULES = [
    Row("a pod restartPolicy is one of three", "POST", PODS, f"{CORE} validateRestartPolicy",
        422, body=pod(restartPolicy="Sometimes"),
        fields=invalid("spec.restartPolicy", 'Unsupported value: "Sometimes": supported '
                                             'values: "Always", "OnFailure", "Never"')),
    Row("container names are unique", "POST", PODS, f"{CORE} validateContainers", 422,
        body={**pod(), "spec": {"containers": [{"name": "a", "image": "x"},
                                               {"name": "a", "image": "y"}]}},
        fields=invalid("spec.containers[1].name", 'Duplicate value: "a"')),
    Row("a volumeMount names a volume", "POST", PODS, f"{CORE} validateVolumeMounts", 422,
        body=pod(container={"volumeMounts": [{"name": "data", "mountPath": "/data"}]}),
        fields=invalid("spec.containers[0].volumeMounts[0].name", 'Not found: "data"')),
    Row("a request is at most its limit", "POST", PODS, f"{CORE} validateResourceRequirements",
        422, body=pod(container={"resources": {"requests": {"cpu": "2"},
                                               "limits": {"cpu": "1"}}}),
        fields=invalid("spec.containers[0].resources.requests",
                       'Invalid value: "2": must be less than or equal to cpu limit of 1')),
    Row("a Job backoffLimit is not negative", "POST", JOBS, f"{BATCH} validateJobSpec", 422,
        body=job(backoffLimit=-1),
        fields=invalid("spec.backoffLimit", "Invalid value: -1: must be greater than or equal "
                                            "to 0")),
    Row("a Job's selector is generated", "POST", JOBS, f"{BATCH} ValidateGeneratedSelector",
        422, body=job(selector={"matchLabels": {"app": "x"}}),
        contains=('"field":"spec.selector"', "`selector` not auto-generated")),
    Row("a Job template restartPolicy is Never or OnFailure", "POST", JOBS,
        f"{BATCH} validateJobSpec", 422, body=job(pod={"restartPolicy": "Always"}),
        contains=('"field":"spec.template.spec.restartPolicy"',)),
    Row("ConfigMap keys are config keys", "POST", CM, f"{CORE} ValidateConfigMap", 422,
        body=config_map(data={"bad key": "v"}),
        fields={"details.causes.0.field": "data[bad key]"},
        contains=("a valid config key must consist of alphanumeric characters",)),
    Row("a TLS Secret holds tls.crt and tls.key", "POST", SECRETS, f"{CORE} ValidateSecret",
        422, body={"metadata": {"name": "s"}, "type": "kubernetes.io/tls", "data": {}},
        contains=('"field":"data[tls.crt]"', '"field":"data[tls.key]"')),
    Row("an Event lives in its object's namespace", "POST", EVENTS, f"{CORE} "
        "ValidateEventCreate", 422,
        body={"metadata": {"name": "e"}, "reason": "R", "message": "m", "involvedObject": {
            "kind": "Pod", "name": "p", "namespace": "elsewhere"}},
        fields=invalid("involvedObject.namespace",
                       'Invalid value: "elsewhere": does not match event.namespace')),
    Row("a Lease lasts more than zero seconds", "POST", LEASES, COORDINATION, 422,
        body={"metadata": {"name": "l"}, "spec": {"leaseDurationSeconds": 0}},
        fields=invalid("spec.leaseDurationSeconds",
                       "Invalid value: 0: must be greater than 0")),
]

POD = Step("POST", PODS, pod(activeDeadlineSeconds=100))
SUSPENDED_JOB = Step("POST", JOBS, job(parallelism=1))
IMMUTABLE_CONFIG = Step("POST", CM, config_map(data={"k": "v"}, immutable=True))
IMMUTABLE_FIELDS = [
    Row("a pod's spec is immutable", "PATCH", f"{PODS}/p", POD_UPDATE, 422, setup=(POD,),
        headers=MERGE, body={"spec": {"restartPolicy": "Always"}},
        contains=('"field":"spec"', "Forbidden: pod updates may not change fields other than "
                                    "`spec.containers[*].image`,`spec.initContainers[*].image`,"
                                    "`spec.activeDeadlineSeconds`")),
    Row("a pod's image may change", "PATCH", f"{PODS}/p", POD_UPDATE, 200, setup=(POD,),
        headers=STRATEGIC, body={"spec": {"containers": [{"name": "main",
                                                          "image": "busybox:1.37"}]}},
        fields={"spec.containers.0.image": "busybox:1.37"}),
    Row("a pod keeps its containers", "PATCH", f"{PODS}/p", POD_UPDATE, 422, setup=(POD,),
        headers=STRATEGIC, body={"spec": {"containers": [{"name": "side", "image": "x"}]}},
        fields=invalid("spec.containers", "Forbidden: pod updates may not add or remove "
                                          "containers")),
    Row("a pod's deadline may only shrink", "PATCH", f"{PODS}/p", POD_UPDATE, 422,
        setup=(POD,), headers=MERGE, body={"spec": {"activeDeadlineSeconds": 200}},
        fields=invalid("spec.activeDeadlineSeconds", "Invalid value: 200: must be less than "
                                                     "or equal to previous value")),
    Row("a pod's deadline may shrink", "PATCH", f"{PODS}/p", POD_UPDATE, 200, setup=(POD,),
        headers=MERGE, body={"spec": {"activeDeadlineSeconds": 50}},
        fields={"spec.activeDeadlineSeconds": 50}),
    Row("a pod's labels may change", "PATCH", f"{PODS}/p", POD_UPDATE, 200, setup=(POD,),
        headers=MERGE, body={"metadata": {"labels": {"a": "b"}}},
        fields={"metadata.labels.a": "b"}),
    Row("a Job's template is immutable", "PATCH", f"{JOBS}/j", f"{BATCH} ValidateJobSpecUpdate",
        422, setup=(SUSPENDED_JOB,), headers=STRATEGIC,
        body={"spec": {"template": {"spec": {"containers": [{"name": "main",
                                                              "image": "busybox:1.37"}]}}}},
        fields={"details.causes.0.field": "spec.template"}, contains=("field is immutable",)),
    Row("a suspended Job that never ran may change its scheduling", "PATCH", f"{JOBS}/j",
        JOB_DIRECTIVES, 200, setup=(SUSPENDED_JOB,), headers=MERGE,
        body={"spec": {"template": {"spec": {"nodeSelector": {"zone": "a"}}}}},
        fields={"spec.template.spec.nodeSelector.zone": "a"}),
    Row("a Job's selector is immutable", "PATCH", f"{JOBS}/j", f"{BATCH} ValidateJobSpecUpdate",
        422, setup=(SUSPENDED_JOB,), headers=MERGE, body={"spec": {"selector": {
            "matchLabels": {"batch.kubernetes.io/controller-uid": "other"}}}},
        contains=('"field":"spec.selector"', "field is immutable")),
    Row("a Job's completions are immutable", "PATCH", f"{JOBS}/j",
        f"{BATCH} ValidateJobSpecUpdate", 422, setup=(SUSPENDED_JOB,), headers=MERGE,
        body={"spec": {"completions": 3}},
        fields=invalid("spec.completions", "Invalid value: 3: field is immutable")),
    Row("a Job's parallelism may change", "PATCH", f"{JOBS}/j",
        f"{BATCH} ValidateJobSpecUpdate", 200, setup=(SUSPENDED_JOB,), headers=MERGE,
        body={"spec": {"parallelism": 0}}, fields={"spec.parallelism": 0}),
    Row("a patched uid is refused", "PATCH", f"{CM}/cfg", OBJECTMETA_UPDATE, 422,
        setup=(Step("POST", CM, config_map()),), headers=MERGE,
        body={"metadata": {"uid": "0000"}},
        fields=invalid("metadata.uid", 'Invalid value: "0000": field is immutable')),
    Row("a PUT's uid is a precondition", "PUT", f"{CM}/cfg", PRECONDITION, 409,
        setup=(Step("POST", CM, config_map()),), body=config_map(metadata={
            "name": "cfg", "uid": "0000"}),
        fields={"reason": "Conflict"},
        contains=('Operation cannot be fulfilled on configmaps \\"cfg\\": Precondition failed: '
                  "UID in precondition: 0000, UID in object meta: ",)),
    Row("creationTimestamp is kept on update", "PUT", f"{CM}/cfg", BEFORE_UPDATE, 200,
        setup=(Step("POST", CM, config_map()),), body=config_map(metadata={
            "name": "cfg", "creationTimestamp": "2000-01-01T00:00:00Z"}),
        absent=("2000-01-01",)),
    Row("a PUT's name matches the URL", "PUT", f"{CM}/cfg", CHECK_NAME, 400,
        setup=(Step("POST", CM, config_map()),), body=config_map("other"),
        fields={"message": "the name of the object (other) does not match the name on the URL "
                           "(cfg)"}),
    Row("a PUT's namespace matches the URL", "PUT", f"{CM}/cfg", NAMESPACE_MATCH, 400,
        setup=(Step("POST", CM, config_map()),), body=config_map(metadata={
            "name": "cfg", "namespace": "default"}),
        fields={"message": "the namespace of the provided object does not match the namespace "
                           "sent on the request"}),
    Row("a delete's uid is a precondition", "DELETE", f"{CM}/cfg", PRECONDITION, 409,
        setup=(Step("POST", CM, config_map()),),
        body={"kind": "DeleteOptions", "apiVersion": "v1", "preconditions": {"uid": "0000"}},
        contains=("Precondition failed: UID in precondition: 0000",),
        then=(Step("GET", f"{CM}/cfg", status=200),)),
    Row("an immutable ConfigMap keeps its data", "PATCH", f"{CM}/cfg", IMMUTABLE_CM, 422,
        setup=(IMMUTABLE_CONFIG,), headers=MERGE, body={"data": {"k": "w"}},
        fields=invalid("data", "Forbidden: field is immutable when `immutable` is set")),
    Row("an immutable ConfigMap stays immutable", "PATCH", f"{CM}/cfg", IMMUTABLE_CM, 422,
        setup=(IMMUTABLE_CONFIG,), headers=MERGE, body={"immutable": False},
        fields=invalid("immutable", "Forbidden: field is immutable when `immutable` is set")),
    Row("an immutable ConfigMap may change its labels", "PATCH", f"{CM}/cfg", IMMUTABLE_CM,
        200, setup=(IMMUTABLE_CONFIG,), headers=MERGE,
        body={"metadata": {"labels": {"a": "b"}}}),
    Row("a Secret's type is immutable", "PATCH", f"{SECRETS}/s", f"{CORE} ValidateSecretUpdate",
        422, setup=(Step("POST", SECRETS, {"metadata": {"name": "s"}}),), headers=MERGE,
        body={"type": "example.com/other"},
        fields=invalid("type", 'Invalid value: "example.com/other": field is immutable')),
]

DRY_RUNS = [
    Row("a dry-run create stores nothing", "POST", CM, DRY_RUN, 201, query="dryRun=All",
        body=config_map(), fields={"metadata.name": "cfg"}, absent=('"resourceVersion"',),
        contains=('"uid"',), then=(Step("GET", f"{CM}/cfg", status=404),)),
    Row("a dry-run create is validated", "POST", CM, DRY_RUN, 422, query="dryRun=All",
        body=config_map("Bad_Name")),
    Row("a dry-run create is checked for conflicts", "POST", CM, DRY_RUN, 409,
        query="dryRun=All", body=config_map(), setup=(Step("POST", CM, config_map()),),
        fields={"reason": "AlreadyExists"}),
    Row("dryRun takes only All", "POST", CM, f"{OPTIONS} ValidateDryRun", 422,
        query="dryRun=Yes", body=config_map(),
        contains=('dryRun: Unsupported value: [\\"Yes\\"]: supported values: \\"All\\"',),
        then=(Step("GET", f"{CM}/cfg", status=404),)),
    Row("a dry-run patch changes nothing", "PATCH", f"{CM}/cfg", DRY_RUN, 200,
        query="dryRun=All", headers=MERGE, body={"data": {"k": "new"}},
        setup=(Step("POST", CM, config_map(data={"k": "old"})),), fields={"data.k": "new"},
        then=(Step("GET", f"{CM}/cfg", contains=('"k":"old"',)),)),
    Row("a dry-run patch is checked for immutability", "PATCH", f"{PODS}/p", DRY_RUN, 422,
        query="dryRun=All", setup=(POD,), headers=MERGE,
        body={"spec": {"restartPolicy": "Always"}}),
    Row("a dry-run update changes nothing", "PUT", f"{CM}/cfg", DRY_RUN, 200,
        query="dryRun=All", body=config_map(data={"k": "new"}),
        setup=(Step("POST", CM, config_map(data={"k": "old"})),),
        then=(Step("GET", f"{CM}/cfg", contains=('"k":"old"',)),)),
    Row("a dry-run delete deletes nothing", "DELETE", f"{CM}/cfg", DRY_RUN, 200,
        query="dryRun=All", setup=(Step("POST", CM, config_map()),),
        then=(Step("GET", f"{CM}/cfg", status=200),)),
    Row("a dry-run Job runs nothing", "POST", JOBS, DRY_RUN, 201, query="dryRun=All",
        body={**job(), "spec": {**job()["spec"], "suspend": False}},
        then=(Step("GET", f"{JOBS}/j", status=404), Step("GET", PODS, absent=('"name":"j-',)))),
    Row("a dry-run namespace delete keeps its objects", "DELETE", "/api/v1/namespaces/{ns}",
        DRY_RUN, 200, query="dryRun=All", setup=(Step("POST", CM, config_map()),),
        then=(Step("GET", f"{CM}/cfg", status=200), Step("GET", NS, status=200))),
    Row("a dry-run delete-collection deletes nothing", "DELETE", CM, DRY_RUN, 200,
        query="dryRun=All", setup=(Step("POST", CM, config_map()),), contains=('"cfg"',),
        then=(Step("GET", f"{CM}/cfg", status=200),)),
]

ROWS = AUTHENTICATION + NAMES_AND_METADATA + SIZES_AND_TYPES + KIND_RULES + IMMUTABLE_FIELDS \
    + DRY_RUNS
