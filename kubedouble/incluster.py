"""What a pod's processes need to reach the API server "in-cluster": the environment of the
`kubernetes` Service (the kubelet's service env vars) pointing at the double's own HTTPS address.

client-go's rest.InClusterConfig and the Python client's load_incluster_config read
KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT, then the token and ca.crt that the
ServiceAccount admission plugin mounts (kubedouble/serviceaccount_admission.py).

The kubelet (pkg/kubelet/kubelet_pods.go getServiceEnvVarMap) always gives a pod the variables
of the master service `default/kubernetes`, whatever its enableServiceLinks (that flag only
governs the services of the pod's own namespace), so every container gets them all; the
variables' form is pkg/kubelet/envvars FromServices. The double's "service" is its own
listening address, not a cluster IP on port 443.
"""

from __future__ import annotations

WILDCARDS = ("", "0.0.0.0", "::")


def service_host(listen_host: str) -> str:
    """The address a pod dials: the listening host, or loopback when it listens everywhere."""
    return "127.0.0.1" if listen_host in WILDCARDS else listen_host


def master_service_env(host: str, port: int) -> dict[str, str]:
    """FromServices for the `kubernetes` Service with its one port named https."""
    url_host = f"[{host}]" if ":" in host else host
    prefix = f"KUBERNETES_PORT_{port}_TCP"
    return {
        "KUBERNETES_SERVICE_HOST": host,
        "KUBERNETES_SERVICE_PORT": str(port),
        "KUBERNETES_SERVICE_PORT_HTTPS": str(port),
        "KUBERNETES_PORT": f"tcp://{url_host}:{port}",
        prefix: f"tcp://{url_host}:{port}",
        f"{prefix}_PROTO": "tcp",
        f"{prefix}_PORT": str(port),
        f"{prefix}_ADDR": host,
    }
