"""core/v1 Services and discovery.k8s.io/v1 EndpointSlices: defaults, validation, allocation;
probe defaults on pods."""

from __future__ import annotations

from typing import Any

from tests.kubedouble.conformance import Row, Step

DEFAULTS = "pkg/apis/core/v1/defaults.go SetDefaults_Service"
VALIDATE = "pkg/apis/core/validation/validation.go ValidateService"
UPDATE = "pkg/apis/core/validation/validation.go ValidateServiceUpdate"
ALLOC = "pkg/registry/core/service/storage/alloc.go allocClusterIPs"
IPALLOC = "pkg/registry/core/service/ipallocator/interfaces.go ErrNotInRange"
PATCH_ALLOCATED = "pkg/registry/core/service/storage/storage.go patchAllocatedValues"
NODE_PORTS = "https://kubernetes.io/docs/concepts/services-networking/service/#type-nodeport"
DEFAULT_SERVICE = ("https://kubernetes.io/docs/tasks/run-application/access-api-from-pod/"
                   "#directly-accessing-the-rest-api")
SLICE_CONTROLLER = "pkg/controller/endpointslice/reconciler.go placeholderSliceCompare"
PROBE_DEFAULTS = "pkg/apis/core/v1/defaults.go SetDefaults_Probe"

NS = "/api/v1/namespaces/{ns}"
SERVICES = f"{NS}/services"
SLICES = "/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices"


def service(name: str = "s", **spec: Any) -> dict[str, Any]:
    spec.setdefault("ports", [{"port": 80}])
    return {"metadata": {"name": name}, "spec": {"selector": {"app": "demo"}, **spec}}


def invalid(*messages: str) -> tuple[str, ...]:
    return ('"reason":"Invalid"', *messages)


ROWS = [
    Row("a Service gets its defaults and a clusterIP", "POST", SERVICES, DEFAULTS, 201,
        body=service(),
        fields={"spec.type": "ClusterIP", "spec.sessionAffinity": "None",
                "spec.ports.0.protocol": "TCP", "spec.ports.0.targetPort": 80,
                "spec.internalTrafficPolicy": "Cluster", "spec.ipFamilies": ["IPv4"],
                "spec.ipFamilyPolicy": "SingleStack", "status": {"loadBalancer": {}}},
        contains=('"clusterIP":"10.', '"clusterIPs":["10.')),
    Row("several ports each need a name", "POST", SERVICES, VALIDATE, 422,
        body=service(ports=[{"port": 80}, {"port": 81}]),
        contains=invalid("spec.ports[0].name: Required value",
                         "spec.ports[1].name: Required value")),
    Row("a Service port is between 1 and 65535", "POST", SERVICES, VALIDATE, 422,
        body=service(ports=[{"port": 70000}]),
        contains=invalid("spec.ports[0].port: Invalid value: 70000: must be between 1 and "
                         "65535, inclusive")),
    Row("a ClusterIP Service needs ports", "POST", SERVICES, VALIDATE, 422,
        body=service(ports=[]), contains=invalid("spec.ports: Required value")),
    Row("a Service's type is one of four", "POST", SERVICES, VALIDATE, 422,
        body=service(type="Cluster"),
        contains=invalid('spec.type: Unsupported value: \\"Cluster\\": supported values: '
                         '\\"ClusterIP\\", \\"ExternalName\\", \\"LoadBalancer\\", '
                         '\\"NodePort\\"')),
    Row("a named targetPort is an IANA service name", "POST", SERVICES, VALIDATE, 422,
        body=service(ports=[{"port": 80, "targetPort": "Web_Port"}]),
        contains=invalid("spec.ports[0].targetPort: Invalid value: \\\"Web_Port\\\": must "
                         "contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")),
    Row("an ExternalName Service names its host", "POST", SERVICES, VALIDATE, 422,
        body=service(type="ExternalName"), contains=invalid("spec.externalName: Required value")),
    Row("a clusterIP outside the service range is refused", "POST", SERVICES, IPALLOC, 422,
        body=service(clusterIP="10.0.0.7"),
        contains=invalid('spec.clusterIPs: Invalid value: []string{\\"10.0.0.7\\"}: failed to '
                         "allocate IP 10.0.0.7: the provided IP (10.0.0.7) is not in the valid "
                         "range. The range of valid IPs is 10.96.0.0/12")),
    Row("a clusterIP already taken is refused", "POST", SERVICES, ALLOC, 422,
        setup=(Step("POST", SERVICES, service("a", clusterIP="10.100.0.9")),),
        body=service("b", clusterIP="10.100.0.9"),
        contains=invalid("failed to allocate IP 10.100.0.9: provided IP is already allocated")),
    Row("the clusterIP may not change", "PATCH", f"{SERVICES}/s", UPDATE, 422,
        setup=(Step("POST", SERVICES, service(clusterIP="10.100.0.10")),),
        body={"spec": {"clusterIP": "10.100.0.11", "clusterIPs": ["10.100.0.11"]}},
        headers={"Content-Type": "application/merge-patch+json"},
        contains=invalid("spec.clusterIP: Invalid value: \\\"10.100.0.11\\\": field is "
                         "immutable")),
    Row("an update that leaves the clusterIP out keeps it", "PUT", f"{SERVICES}/s",
        PATCH_ALLOCATED, 200,
        setup=(Step("POST", SERVICES, service(clusterIP="10.100.0.12")),),
        body=service(ports=[{"port": 8080}]),
        fields={"spec.clusterIP": "10.100.0.12", "spec.ports.0.targetPort": 8080}),
    Row("a NodePort Service gets a node port", "POST", SERVICES, NODE_PORTS, 201,
        body=service(type="NodePort"),
        fields={"spec.externalTrafficPolicy": "Cluster"}, contains=('"nodePort":3',)),
    Row("the kubernetes Service holds the first address", "GET",
        "/api/v1/namespaces/default/services/kubernetes", DEFAULT_SERVICE, 200,
        fields={"spec.clusterIP": "10.96.0.1", "spec.ports.0.port": 443,
                "spec.ports.0.name": "https"}),
    Row("a Service no pod matches keeps an empty EndpointSlice", "GET", SLICES,
        SLICE_CONTROLLER, 200, setup=(Step("POST", SERVICES, service()),), eventually=10.0,
        query="labelSelector=kubernetes.io%2Fservice-name%3Ds",
        fields={"items.0.addressType": "IPv4", "items.0.endpoints": [],
                "items.0.metadata.ownerReferences.0.kind": "Service"},
        contains=('"generateName":"s-"', '"endpointslice.kubernetes.io/managed-by":'
                                         '"endpointslice-controller.k8s.io"')),
    Row("probes get their defaults", "POST", f"{NS}/pods", PROBE_DEFAULTS, 201,
        body={"metadata": {"name": "p"}, "spec": {"containers": [{
            "name": "main", "image": "busybox:1.36", "command": ["sleep", "60"],
            "readinessProbe": {"httpGet": {"port": 80}},
            "livenessProbe": {"tcpSocket": {"port": 80}}}]}},
        fields={"spec.containers.0.readinessProbe": {
            "httpGet": {"port": 80, "path": "/", "scheme": "HTTP"}, "timeoutSeconds": 1,
            "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3},
            "spec.containers.0.livenessProbe.failureThreshold": 3}),
]
