"""Rows for CEL validation rules, server-side apply, watch history, namespaces and OpenAPI.

Each row: `method`, `path`, `query`, `headers`, `body` → `status` and `expect` (JSON fragments
the answer must contain: dicts match as subsets, lists element by element) and `contains`
(substrings of the raw answer); `before` lists requests (or `{"sleep": s}`) made first;
`body_from_current` sends the object at `path` with that merge applied (a PUT of the latest
version); `{"mark_rv": True}` in `before` remembers the current resourceVersion, which
replaces `__rv__` in the query; `source` cites where the behaviour is specified. Rows run
in order on one double started with a 1-second watch history, after SETUP: a sequence, so
`SEQUENTIAL` keeps it out of the independent rows of conformance.all_rows(), and
tests/kubedouble/test_conformance_cel.py plays it.
"""

from __future__ import annotations

from typing import Any

SEQUENTIAL = True

DOCS_CEL = ("https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/"
            "custom-resource-definitions/#validation-rules")
SRC_CEL = ("kubernetes/kubernetes staging/src/k8s.io/apiextensions-apiserver/pkg/apiserver/"
           "schema/cel/validation.go (validateExpressions, fieldErrorForReason; values shown "
           "for scalars, omitted for objects/arrays since kubernetes#133832)")
SRC_CEL_COMPILE = ("kubernetes/kubernetes staging/src/k8s.io/apiextensions-apiserver/pkg/apis/"
                   "apiextensions/validation/validation.go (x-kubernetes-validations rule "
                   "compilation at CRD create/update)")
DOCS_SSA = "https://kubernetes.io/docs/reference/using-api/server-side-apply/"
SRC_CONFLICT = ("kubernetes/kubernetes staging/src/k8s.io/apimachinery/pkg/util/managedfields/"
                "internal/conflict.go (NewConflictError, getConflictMessage, printManager)")
SRC_PATCH_OPTIONS = ("kubernetes/kubernetes staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/"
                     "validation/validation.go (ValidatePatchOptions)")
DOCS_WATCH = ("https://kubernetes.io/docs/reference/using-api/api-concepts/"
              "#efficient-detection-of-changes")
SRC_CACHER = ("kubernetes/kubernetes staging/src/k8s.io/apiserver/pkg/storage/cacher/"
              "cache_watcher.go (convertToWatchEvent)")
DOCS_NS = "https://kubernetes.io/docs/tasks/administer-cluster/namespaces/#deleting-a-namespace"
SRC_NS_ADMISSION = ("kubernetes/kubernetes staging/src/k8s.io/apiserver/pkg/admission/plugin/"
                    "namespace/lifecycle/admission.go")
SRC_NS_DELETER = ("kubernetes/kubernetes pkg/controller/namespace/deletion/"
                  "namespaced_resources_deleter.go")
DOCS_SA = "https://kubernetes.io/docs/concepts/security/service-accounts/#default-service-accounts"
DOCS_ROOT_CA = ("https://kubernetes.io/docs/reference/access-authn-authz/service-accounts-admin/"
                "#root-ca-certificate-configmap")
DOCS_OPENAPI = ("https://kubernetes.io/docs/concepts/overview/kubernetes-api/"
                "#openapi-interface-definition")

W = "/apis/conformance.example.com/v1/namespaces/default/widgets"
CM = "/api/v1/namespaces/default/configmaps"
APPLY = {"Content-Type": "application/apply-patch+yaml"}
MERGE = {"Content-Type": "application/merge-patch+json"}
INT = {"type": "integer"}
IMMUTABLE = {"type": "string", "x-kubernetes-validations": [
    {"rule": "self == oldSelf", "message": "Value is immutable"}]}


def _crd(name: str, rules: list[dict[str, Any]]) -> dict[str, Any]:
    spec = {"type": "object", "x-kubernetes-validations": rules, "properties": {
        "replicas": INT, "minReplicas": INT, "maxReplicas": INT, "project": IMMUTABLE,
        "prefix": {"type": "string"},
        "size": {"type": "integer", "x-kubernetes-validations": [
            {"rule": "!oldSelf.hasValue() || self >= oldSelf.value()", "optionalOldSelf": True,
             "message": "size may only grow"}]},
        "ports": {"type": "array", "items": {"type": "object", "properties": {"port": INT},
                                             "x-kubernetes-validations": [
                                                 {"rule": "self.port > 1024",
                                                  "message": "port must be unprivileged"}]}},
        "labels": {"type": "object", "additionalProperties": {"type": "string"},
                   "x-kubernetes-validations": [{"rule": "self.all(k, k.matches('^[a-z]+$'))",
                                                 "message": "label keys must be lowercase"}]},
    }}
    status = {"type": "object", "properties": {"phase": {
        "type": "string", "x-kubernetes-validations": [
            {"rule": "oldSelf != 'Done' || self == 'Done'", "reason": "FieldValueForbidden",
             "message": "a finished widget stays finished"}]}}}
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": name},
            "spec": {"group": "conformance.example.com", "scope": "Namespaced",
                     "names": {"plural": name.split(".")[0], "kind": "Widget"},
                     "versions": [{"name": "v1", "served": True, "storage": True,
                                   "subresources": {"status": {}},
                                   "schema": {"openAPIV3Schema": {
                                       "type": "object",
                                       "x-kubernetes-validations": [
                                           {"rule": "self.metadata.name.startsWith("
                                                    "self.spec.prefix)",
                                            "messageExpression": "'name must start with ' + "
                                                                 "self.spec.prefix"}],
                                       "properties": {"spec": spec, "status": status}}}}]}}


WIDGETS = _crd("widgets.conformance.example.com", [
    {"rule": "self.minReplicas <= self.replicas",
     "message": "replicas should be greater than or equal to minReplicas."},
    {"rule": "self.replicas <= self.maxReplicas", "reason": "FieldValueForbidden",
     "fieldPath": ".replicas"},
])

SETUP: list[dict[str, Any]] = [
    {"method": "POST", "path": "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
     "body": WIDGETS},
]


def widget(name: str, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "conformance.example.com/v1", "kind": "Widget",
            "metadata": {"name": name},
            "spec": {"prefix": "w", "minReplicas": 1, "replicas": 2, "maxReplicas": 3, **spec}}


def cm_yaml(name: str, **data: str) -> str:
    lines = ["apiVersion: v1", "kind: ConfigMap", "metadata:", f"  name: {name}", "data:"]
    return "\n".join(lines + [f"  {k}: \"{v}\"" for k, v in data.items()]) + "\n"


def _invalid(name: str, message: str) -> dict[str, Any]:
    return {"kind": "Status", "status": "Failure", "reason": "Invalid", "code": 422,
            "message": f'Widget.conformance.example.com "{name}" is invalid: {message}'}


ROWS: list[dict[str, Any]] = [
    # CEL x-kubernetes-validations -------------------------------------------------------------
    {"name": "cel: a valid object is created", "method": "POST", "path": W,
     "body": widget("w-ok"), "status": 201, "expect": [{"metadata": {"name": "w-ok"}}],
     "source": DOCS_CEL},
    {"name": "cel: a failing rule on spec is 422 with the rule's message", "method": "POST",
     "path": W, "body": widget("w-min", minReplicas=5, replicas=2, maxReplicas=9),
     "status": 422, "expect": [_invalid("w-min", "spec: Invalid value: replicas should be "
                                                 "greater than or equal to minReplicas."),
                               {"details": {"causes": [{"reason": "FieldValueInvalid",
                                                        "field": "spec"}]}}],
     "source": f"{DOCS_CEL}; {SRC_CEL}"},
    {"name": "cel: reason and fieldPath shape the cause; no message is 'failed rule'",
     "method": "POST", "path": W, "body": widget("w-max", replicas=5),
     "status": 422, "expect": [_invalid("w-max", "spec.replicas: Forbidden: failed rule: "
                                                 "self.replicas <= self.maxReplicas"),
                               {"details": {"causes": [{"reason": "FieldValueForbidden",
                                                        "field": "spec.replicas"}]}}],
     "source": f"{DOCS_CEL} (reason, fieldPath); {SRC_CEL}"},
    {"name": "cel: two failing rules are listed together", "method": "POST", "path": W,
     "body": widget("w-two", minReplicas=9, replicas=5, maxReplicas=1), "status": 422,
     "contains": ['is invalid: [spec: Invalid value: replicas should be greater than or equal '
                  'to minReplicas., spec.replicas: Forbidden: failed rule: '
                  'self.replicas <= self.maxReplicas]'],
     "source": SRC_CEL},
    {"name": "cel: a root rule sees metadata.name; messageExpression words the error",
     "method": "POST", "path": W, "body": widget("x-root"), "status": 422,
     "expect": [_invalid("x-root", "<nil>: Invalid value: name must start with w")],
     "source": f"{DOCS_CEL} (root rules see metadata.name; messageExpression); {SRC_CEL}"},
    {"name": "cel: rules in array items name the item", "method": "POST", "path": W,
     "body": widget("w-ports", ports=[{"port": 8080}, {"port": 80}]), "status": 422,
     "expect": [_invalid("w-ports", "spec.ports[1]: Invalid value: port must be unprivileged")],
     "source": f"{DOCS_CEL} (rule scoped to array items); {SRC_CEL}"},
    {"name": "cel: rules on a map see its keys", "method": "POST", "path": W,
     "body": widget("w-labels", labels={"Bad": "x"}), "status": 422,
     "expect": [_invalid("w-labels", "spec.labels: Invalid value: label keys must be "
                                     "lowercase")],
     "source": f"{DOCS_CEL} (rule scoped to a map, self.all(...))"},
    {"name": "cel: transition rules do not run on create", "method": "POST", "path": W,
     "body": widget("w-imm", project="a", size=5), "status": 201, "source": DOCS_CEL},
    {"name": "cel: self == oldSelf makes a field immutable on merge patch", "method": "PATCH",
     "path": f"{W}/w-imm", "headers": MERGE, "body": {"spec": {"project": "b"}},
     "status": 422, "expect": [_invalid("w-imm", 'spec.project: Invalid value: "b": Value is '
                                                 'immutable')],
     "source": f"{DOCS_CEL} (transition rules); {SRC_CEL}"},
    {"name": "cel: the same value passes a transition rule", "method": "PATCH",
     "path": f"{W}/w-imm", "headers": MERGE, "body": {"spec": {"project": "a", "replicas": 3}},
     "status": 200, "expect": [{"spec": {"project": "a", "replicas": 3}}], "source": DOCS_CEL},
    {"name": "cel: optionalOldSelf rule holds on update", "method": "PATCH",
     "path": f"{W}/w-imm", "headers": MERGE, "body": {"spec": {"size": 4}}, "status": 422,
     "expect": [_invalid("w-imm", "spec.size: Invalid value: 4: size may only grow")],
     "source": f"{DOCS_CEL} (optionalOldSelf); {SRC_CEL}"},
    {"name": "cel: transition rules skip where the old value is absent", "method": "POST",
     "path": W, "body": widget("w-late"), "status": 201, "source": DOCS_CEL},
    {"name": "cel: a field added later is not checked against oldSelf", "method": "PATCH",
     "path": f"{W}/w-late", "headers": MERGE, "body": {"spec": {"project": "new"}},
     "status": 200, "expect": [{"spec": {"project": "new"}}],
     "source": f"{DOCS_CEL} (transition rules need a correlatable old value)"},
    {"name": "cel: rules run on a JSON-patch too", "method": "PATCH", "path": f"{W}/w-late",
     "headers": {"Content-Type": "application/json-patch+json"},
     "body": [{"op": "replace", "path": "/spec/minReplicas", "value": 3}], "status": 422,
     "contains": ["spec: Invalid value: replicas should be greater than or equal to "
                  "minReplicas."], "source": DOCS_CEL},
    {"name": "cel: status subresource writes are checked (transition rule on status)",
     "method": "PATCH", "path": f"{W}/w-ok/status", "headers": MERGE,
     "body": {"status": {"phase": "Done"}}, "status": 200,
     "expect": [{"status": {"phase": "Done"}}], "source": DOCS_CEL},
    {"name": "cel: a finished status cannot go back", "method": "PATCH",
     "path": f"{W}/w-ok/status", "headers": MERGE, "body": {"status": {"phase": "Running"}},
     "status": 422, "expect": [_invalid("w-ok", "status.phase: Forbidden: a finished widget "
                                                "stays finished")],
     "source": f"{DOCS_CEL}; {SRC_CEL}"},
    {"name": "cel: a PUT replace is checked", "method": "PUT", "path": f"{W}/w-ok",
     "body_from_current": {"spec": {"minReplicas": 7}}, "status": 422,
     "contains": ["replicas should be greater than or equal to minReplicas."],
     "source": DOCS_CEL},
    {"name": "cel: a CRD whose rule does not compile is refused", "method": "POST",
     "path": "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
     "body": _crd("gadgets.conformance.example.com", [{"rule": "self.replicas >"}]),
     "status": 422, "expect": [{"reason": "Invalid", "details": {"causes": [{
         "field": "spec.versions[0].schema.openAPIV3Schema.properties[spec]."
                  "x-kubernetes-validations[0].rule"}]}}],
     "contains": ["compilation failed: ERROR: <input>:1:16: Syntax error"],
     "source": f"{DOCS_CEL} (rules are compiled when CRDs are created); {SRC_CEL_COMPILE}"},
    {"name": "cel: a CRD rule with an unknown reason is refused", "method": "POST",
     "path": "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
     "body": _crd("gizmos.conformance.example.com", [{"rule": "true", "reason": "Nope"}]),
     "status": 422, "contains": ['x-kubernetes-validations[0].reason: Unsupported value: '
                                 '\\"Nope\\"'],
     "source": f"{DOCS_CEL} (reason: supported values); {SRC_CEL_COMPILE}"},
    # Server-side apply ---------------------------------------------------------------------
    {"name": "apply: creates the object and records the applier", "method": "PATCH",
     "path": f"{CM}/applied", "query": {"fieldManager": "alice"}, "headers": APPLY,
     "body": cm_yaml("applied", a="1", b="2"), "status": 201,
     "expect": [{"metadata": {"managedFields": [{
         "manager": "alice", "operation": "Apply", "apiVersion": "v1", "fieldsType": "FieldsV1",
         "fieldsV1": {"f:data": {"f:a": {}, "f:b": {}}}}]}}],
     "source": f"{DOCS_SSA} (Field management; managedFields)"},
    {"name": "apply: the same configuration again changes nothing", "method": "PATCH",
     "path": f"{CM}/applied", "query": {"fieldManager": "alice"}, "headers": APPLY,
     "body": cm_yaml("applied", a="1", b="2"), "status": 200,
     "expect": [{"data": {"a": "1", "b": "2"}}], "source": DOCS_SSA},
    {"name": "apply: a second manager setting the same value shares ownership",
     "method": "PATCH", "path": f"{CM}/applied", "query": {"fieldManager": "bob"},
     "headers": APPLY, "body": cm_yaml("applied", a="1"), "status": 200,
     "expect": [{"metadata": {"managedFields": [{"manager": "alice"}, {"manager": "bob"}]}}],
     "source": f"{DOCS_SSA} (Conflicts: co-ownership)"},
    {"name": "apply: changing a field another manager owns is a 409 conflict",
     "method": "PATCH", "path": f"{CM}/applied", "query": {"fieldManager": "carol"},
     "headers": APPLY, "body": cm_yaml("applied", b="9"), "status": 409,
     "expect": [{"kind": "Status", "reason": "Conflict", "code": 409,
                 "message": 'Apply failed with 1 conflict: conflict with "alice": .data.b',
                 "details": {"causes": [{"type": "FieldManagerConflict",
                                         "message": 'conflict with "alice"',
                                         "field": ".data.b"}]}}],
     "source": f"{DOCS_SSA} (Conflicts); {SRC_CONFLICT}"},
    {"name": "apply: conflicts with several managers are listed by manager",
     "method": "PATCH", "path": f"{CM}/applied", "query": {"fieldManager": "carol"},
     "headers": APPLY, "body": cm_yaml("applied", a="7", b="9"), "status": 409,
     "expect": [{"message": 'Apply failed with 3 conflicts: conflicts with "alice":\n- .data.a'
                            '\n- .data.b\nconflicts with "bob":\n- .data.a'}],
     "source": SRC_CONFLICT},
    {"name": "apply: force=true takes the fields over", "method": "PATCH",
     "path": f"{CM}/applied", "query": {"fieldManager": "carol", "force": "true"},
     "headers": APPLY, "body": cm_yaml("applied", b="9"), "status": 200,
     "expect": [{"data": {"a": "1", "b": "9"}, "metadata": {"managedFields": [
         {"manager": "alice", "fieldsV1": {"f:data": {"f:a": {}}}},
         {"manager": "bob", "fieldsV1": {"f:data": {"f:a": {}}}},
         {"manager": "carol", "fieldsV1": {"f:data": {"f:b": {}}}}]}}],
     "source": f"{DOCS_SSA} (Conflicts: overwrite with force)"},
    {"name": "apply: a field the applier stops sending (and nobody else owns) is removed",
     "method": "PATCH", "path": f"{CM}/applied", "query": {"fieldManager": "carol"},
     "headers": APPLY, "body": cm_yaml("applied", c="3"), "status": 200,
     "expect": [{"data": {"a": "1", "c": "3"}}],
     "source": f"{DOCS_SSA} (Merge strategy: fields removed from the configuration)"},
    {"name": "apply: an update by another client takes over what it changes and conflicts "
             "later", "method": "PATCH", "path": f"{CM}/applied",
     "headers": {**MERGE, "User-Agent": "dave-tool/2.0"}, "body": {"data": {"c": "4"}},
     "status": 200, "expect": [{"metadata": {"managedFields": [
         {"manager": "alice", "operation": "Apply"}, {"manager": "bob", "operation": "Apply"},
         {"manager": "dave-tool", "operation": "Update", "fieldsV1": {"f:data": {"f:c": {}}}}]}}],
     "source": f"{DOCS_SSA} (Managers: the manager is taken from the user agent when "
               "fieldManager is unset)"},
    {"name": "apply: conflicts with an Update manager say its API version and time",
     "method": "PATCH", "path": f"{CM}/applied", "query": {"fieldManager": "carol"},
     "headers": APPLY, "body": cm_yaml("applied", c="5"), "status": 409,
     "contains": ['Apply failed with 1 conflict: conflict with \\"dave-tool\\" using v1 at '],
     "source": SRC_CONFLICT},
    {"name": "apply: fieldManager is required for apply", "method": "PATCH",
     "path": f"{CM}/applied", "headers": APPLY, "body": cm_yaml("applied", a="1"),
     "status": 422, "expect": [{"message": 'PatchOptions.meta.k8s.io "" is invalid: '
                                           "fieldManager: Required value: is required for "
                                           "apply patch"}],
     "source": SRC_PATCH_OPTIONS},
    {"name": "apply: force is refused on a non-apply patch", "method": "PATCH",
     "path": f"{CM}/applied", "query": {"force": "true"}, "headers": MERGE,
     "body": {"data": {"a": "1"}}, "status": 422,
     "contains": ["force: Forbidden: may not be specified for non-apply patch"],
     "source": SRC_PATCH_OPTIONS},
    {"name": "apply: a create records the fieldManager as an Update", "method": "POST",
     "path": CM, "query": {"fieldManager": "kubectl-create"},
     "body": {"metadata": {"name": "created"}, "data": {"x": "y"}}, "status": 201,
     "expect": [{"metadata": {"managedFields": [{"manager": "kubectl-create",
                                                 "operation": "Update",
                                                 "fieldsV1": {"f:data": {"f:x": {}}}}]}}],
     "source": f"{DOCS_SSA} (Field management: every create/update records its manager)"},
    {"name": "apply: a custom resource applied by two managers conflicts on spec",
     "method": "PATCH", "path": f"{W}/w-ok", "query": {"fieldManager": "other"},
     "headers": APPLY,
     "body": "apiVersion: conformance.example.com/v1\nkind: Widget\nmetadata:\n  name: w-ok\n"
             "spec:\n  replicas: 3\n", "status": 409,
     "contains": ['Apply failed with 1 conflict: conflict with ', ': .spec.replicas'],
     "source": f"{DOCS_SSA}; {SRC_CONFLICT}"},
    # Watch history and selectors ------------------------------------------------------------
    {"name": "watch: from a compacted resourceVersion is 410 Expired", "method": "GET",
     "path": CM, "query": {"watch": "true", "resourceVersion": "2", "timeoutSeconds": "1"},
     "before": [{"sleep": 1.2}, {"method": "POST", "path": CM,
                                 "body": {"metadata": {"name": "after-compaction"}}}],
     "status": 200, "expect": [{"events": [{"type": "ERROR", "object": {
         "kind": "Status", "code": 410, "reason": "Expired"}}]}],
     "contains": ["too old resource version: 2 ("],
     "source": f"{DOCS_WATCH} (410 Gone once history is compacted); "
               "kube-apiserver --etcd-compaction-interval (default 5m)"},
    {"name": "watch: a labelled watch gets DELETED with the last state when an object leaves",
     "method": "GET", "path": CM,
     "query": {"watch": "true", "labelSelector": "tier=x", "timeoutSeconds": "1",
               "resourceVersion": "__rv__"},
     "before": [{"method": "POST", "path": CM,
                 "body": {"metadata": {"name": "mover", "labels": {"tier": "x"}}}},
                {"mark_rv": True},
                {"method": "PATCH", "path": f"{CM}/mover", "headers": MERGE,
                 "body": {"metadata": {"labels": {"tier": "y"}}}}],
     "status": 200, "expect": [{"events": [{"type": "DELETED", "object": {
         "metadata": {"name": "mover", "labels": {"tier": "x"}}}}]}],
     "source": f"{DOCS_WATCH}; {SRC_CACHER} (leaving the filter: DELETED with the previous "
               "object at the event's resourceVersion)"},
    {"name": "watch: ... and ADDED when it enters", "method": "GET", "path": CM,
     "query": {"watch": "true", "labelSelector": "tier=x", "timeoutSeconds": "1",
               "resourceVersion": "__rv__"},
     "before": [{"mark_rv": True},
                {"method": "PATCH", "path": f"{CM}/mover", "headers": MERGE,
                 "body": {"metadata": {"labels": {"tier": "x"}}}}],
     "status": 200, "expect": [{"events": [{"type": "ADDED", "object": {
         "metadata": {"name": "mover", "labels": {"tier": "x"}}}}]}],
     "source": SRC_CACHER},
    {"name": "watch: a recent resourceVersion replays its history", "method": "GET",
     "path": CM, "query": {"watch": "true", "timeoutSeconds": "1",
                           "resourceVersion": "__rv__"},
     "before": [{"mark_rv": True}, {"method": "POST", "path": CM,
                                    "body": {"metadata": {"name": "recent"}}}],
     "status": 200, "expect": [{"events": [{"type": "ADDED",
                                            "object": {"metadata": {"name": "recent"}}}]}],
     "source": DOCS_WATCH},
    # Namespaces ----------------------------------------------------------------------------
    {"name": "ns: a created namespace is Active with the kubernetes finalizer",
     "method": "POST", "path": "/api/v1/namespaces", "body": {"metadata": {"name": "team"}},
     "status": 201, "expect": [{"spec": {"finalizers": ["kubernetes"]},
                                "status": {"phase": "Active"}}],
     "source": DOCS_NS},
    {"name": "ns: it has a default ServiceAccount", "method": "GET",
     "path": "/api/v1/namespaces/team/serviceaccounts/default", "status": 200,
     "expect": [{"kind": "ServiceAccount", "metadata": {"name": "default"}}],
     "source": DOCS_SA},
    {"name": "ns: it has the kube-root-ca.crt ConfigMap", "method": "GET",
     "path": "/api/v1/namespaces/team/configmaps/kube-root-ca.crt", "status": 200,
     "contains": ["-----BEGIN CERTIFICATE-----"], "source": DOCS_ROOT_CA},
    {"name": "ns: deleting it with finalizer-held content leaves it Terminating",
     "method": "DELETE", "path": "/api/v1/namespaces/team",
     "before": [{"method": "POST", "path": "/api/v1/namespaces/team/configmaps",
                 "body": {"metadata": {"name": "held", "finalizers": ["example.com/keep"]}}}],
     "status": 200, "expect": [{"status": {"phase": "Terminating"}}], "source": DOCS_NS},
    {"name": "ns: its conditions say what remains", "method": "GET",
     "path": "/api/v1/namespaces/team", "status": 200,
     "contains": ["Some resources are remaining: configmaps has 1 resource instances",
                  "Some content in the namespace has finalizers remaining: example.com/keep "
                  "in 1 resource instances"], "source": SRC_NS_DELETER},
    {"name": "ns: new content in a terminating namespace is 403", "method": "POST",
     "path": "/api/v1/namespaces/team/configmaps", "body": {"metadata": {"name": "late"}},
     "status": 403, "expect": [{"reason": "Forbidden", "message": (
         'configmaps "late" is forbidden: unable to create new content in namespace team '
         "because it is being terminated")}], "source": SRC_NS_ADMISSION},
    {"name": "ns: it goes once the last finalizer is removed", "method": "GET",
     "path": "/api/v1/namespaces/team",
     "before": [{"method": "PATCH", "path": "/api/v1/namespaces/team/configmaps/held",
                 "headers": MERGE, "body": {"metadata": {"finalizers": None}}}],
     "status": 404, "expect": [{"reason": "NotFound"}], "source": DOCS_NS},
    # OpenAPI ---------------------------------------------------------------------------------
    {"name": "openapi: v2 publishes CRD schemas", "method": "GET", "path": "/openapi/v2",
     "headers": {"Accept": "application/json"}, "status": 200,
     "expect": [{"swagger": "2.0", "definitions": {"com.example.conformance.v1.Widget": {
         "x-kubernetes-group-version-kind": [{"group": "conformance.example.com",
                                              "version": "v1", "kind": "Widget"}]}}}],
     "source": DOCS_OPENAPI},
    {"name": "openapi: v3 discovery lists each group-version", "method": "GET",
     "path": "/openapi/v3", "status": 200,
     "contains": ['"apis/conformance.example.com/v1":{"serverRelativeURL":'
                  '"/openapi/v3/apis/conformance.example.com/v1?hash='],
     "source": DOCS_OPENAPI},
    {"name": "openapi: a v3 group-version document carries the schema", "method": "GET",
     "path": "/openapi/v3/apis/conformance.example.com/v1", "status": 200,
     "expect": [{"openapi": "3.0.0", "components": {"schemas": {
         "com.example.conformance.v1.Widget": {"type": "object"}}}}],
     "source": DOCS_OPENAPI},
]
