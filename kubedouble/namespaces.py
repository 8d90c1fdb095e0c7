"""Namespace lifecycle, as the namespace, service-account and root-CA controllers run it.

A new namespace gets its `default` ServiceAccount and its `kube-root-ca.crt` ConfigMap (and
gets them back if they are deleted). Deleting a namespace marks it `Terminating`; new content
is then refused (NamespaceLifecycle admission); its content is deleted, and the namespace
goes once nothing is left and its `spec.finalizers` (`kubernetes`) are done — content held by
finalizers keeps it Terminating, with the conditions the namespace controller reports.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from . import errors
from .clock import now

if TYPE_CHECKING:
    from .operations import Cluster

NS = "namespaces"
ROOT_CA = "kube-root-ca.crt"
# The cluster CA until the double serves: a self-signed certificate whose key was thrown away.
# KubeDouble.start replaces it with its serving certificate (set_root_ca), so that a pod's
# ca.crt verifies the API server, as the root-ca-cert-publisher keeps it in every namespace.
CA_PEM = """-----BEGIN CERTIFICATE-----
MIIBiDCCAS2gAwIBAgIUcSlIfmUlcI/HN9swU8SmXV8rfHowCgYIKoZIzj0EAwIw
GDEWMBQGA1UEAwwNa3ViZWRvdWJsZS1jYTAgFw0yNjEyMDEwNzQ2MDFaGA8yMTI2
MTEwNzA3NDYwMVowGDEWMBQGA1UEAwwNa3ViZWRvdWJsZS1jYTBZMBMGByqGSM49
AgEGCCqGSM49AwEHA0IABLTUzBHsoqeyWzHSxowOjYESDss7zNXsMBPSwHOJMlhD
w1iIIZ6okMvMr/M6AIqOXWUJePAjo8intgoy2ZcIuNujUzBRMB0GA1UdDgQWBBTq
iiRqcVOVC1sBcTEcZ+Hw4+lwFTAfBgNVHSMEGDAWgBTqiiRqcVOVC1sBcTEcZ+Hw
4+lwFTAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0kAMEYCIQCVWjki6ocv
pa8MSAWFc98vp+YWzgwlPcpzsRtivJJx6gIhAJZq5XPokuyqlh938pv2SBYre1Vi
Kik0EDkdaSRkd8+o
-----END CERTIFICATE-----
"""
_CONDITIONS = (
    ("NamespaceDeletionDiscoveryFailure", "ResourcesDiscovered",
     "All resources successfully discovered"),
    ("NamespaceDeletionGroupVersionParsingFailure", "ParsedGroupVersions",
     "All legacy kube types successfully parsed"),
    ("NamespaceDeletionContentFailure", "ContentDeleted", "All content successfully deleted, "
                                                          "may be waiting on finalization"),
)


class NamespaceController:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self._sweeping: set[str] = set()
        self.root_ca = CA_PEM

    def set_root_ca(self, pem: str) -> None:
        """Publish a new cluster CA: every namespace's kube-root-ca.crt says it."""
        self.root_ca = pem
        config_maps = self.cluster.resource("", "v1", "configmaps")
        for found in self.cluster.store.items(config_maps.qualified):
            if found["metadata"]["name"] == ROOT_CA and found.get("data", {}).get("ca.crt") != pem:
                self.cluster.store.put(config_maps.qualified, {**copy.deepcopy(found),
                                                               "data": {"ca.crt": pem}})

    def _namespace(self, name: str) -> dict[str, Any] | None:
        return self.cluster.store.get(NS, "", name)

    def terminating(self, name: str) -> bool:
        namespace = self._namespace(name)
        return bool(namespace and namespace["metadata"].get("deletionTimestamp"))

    # Content every namespace has -----------------------------------------------------------
    def populate(self, namespace: dict[str, Any]) -> None:
        name = namespace["metadata"]["name"]
        if self.terminating(name):
            return
        cluster = self.cluster
        accounts = cluster.resource("", "v1", "serviceaccounts")
        if cluster.store.get(accounts.qualified, name, "default") is None:
            cluster.create(accounts, name, {"metadata": {"name": "default"}})
        config_maps = cluster.resource("", "v1", "configmaps")
        if cluster.store.get(config_maps.qualified, name, ROOT_CA) is None:
            cluster.create(config_maps, name, {
                "metadata": {"name": ROOT_CA, "annotations": {
                    "kubernetes.io/description": (
                        "Contains a CA bundle that can be used to verify the kube-apiserver "
                        "when using internal endpoints such as the internal service IP or "
                        "kubernetes.default.svc. No other usage is guaranteed across "
                        "distributions of Kubernetes clusters.")}},
                "data": {"ca.crt": self.root_ca}})

    def refuse_if_terminating(self, namespace: str, qualified: str, name: str) -> None:
        """NamespaceLifecycle admission: no new content in a namespace being deleted."""
        if qualified in ("events", "events.events.k8s.io") or not self.terminating(namespace):
            return
        raise errors.ApiError(403, "Forbidden", (
            f'{qualified} "{name}" is forbidden: unable to create new content in namespace '
            f"{namespace} because it is being terminated"),
            {"name": name, "kind": qualified.partition(".")[0], "causes": [{
                "reason": "NamespaceTerminating", "field": "metadata.namespace",
                "message": f"namespace {namespace} is being terminated"}]})

    # Deletion ------------------------------------------------------------------------------
    def terminate(self, namespace: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """DELETE on a namespace: mark it Terminating, then let the controller empty it."""
        marked = copy.deepcopy(namespace)
        marked["metadata"].update(deletionTimestamp=now(), deletionGracePeriodSeconds=0)
        marked["status"] = {**(marked.get("status") or {}), "phase": "Terminating"}
        stored = self.cluster.store.put(NS, marked)
        name = stored["metadata"]["name"]
        self.sweep(name)
        current = self._namespace(name)
        return (current or stored), current is None

    def after_removal(self, obj: dict[str, Any]) -> None:
        """Re-sweep a terminating namespace; recreate the default content of an active one."""
        meta = obj["metadata"]
        namespace = meta.get("namespace")
        if not namespace or self._namespace(namespace) is None:
            return
        if self.terminating(namespace):
            self.sweep(namespace)
        elif (obj.get("kind"), meta["name"]) in (("ServiceAccount", "default"),
                                                 ("ConfigMap", ROOT_CA)):
            self.populate(self._namespace(namespace) or {})

    def sweep(self, name: str) -> None:
        if name in self._sweeping or not self.terminating(name):
            return
        self._sweeping.add(name)
        try:
            remaining = self._delete_content(name)
        finally:
            self._sweeping.discard(name)
        namespace = self._namespace(name)
        if namespace is None:
            return
        if remaining:
            self._report(namespace, remaining)
            return
        done = copy.deepcopy(namespace)
        done["spec"] = {**(done.get("spec") or {}), "finalizers": []}
        if done["metadata"].get("finalizers"):
            self.cluster.store.put(NS, done)
        else:
            self.cluster.remove_object(self.cluster.resource("", "v1", NS), done)

    def _delete_content(self, name: str) -> dict[str, list[dict[str, Any]]]:
        cluster, remaining = self.cluster, {}
        for resource in {r.qualified: r for r in cluster.table.all() if r.namespaced}.values():
            for obj in cluster.store.items(resource.qualified, name):
                object_name = obj["metadata"]["name"]
                if cluster.store.get(resource.qualified, name, object_name) is not None:
                    cluster.delete(resource, name, object_name)
            left = cluster.store.items(resource.qualified, name)
            if left:
                remaining[resource.qualified] = left
        return remaining

    def _report(self, namespace: dict[str, Any], remaining: dict[str, list]) -> None:
        stamp = now()
        counts = ", ".join(f"{q} has {len(o)} resource instances"
                           for q, o in sorted(remaining.items()))
        finalizers: dict[str, int] = {}
        for objects in remaining.values():
            for obj in objects:
                for finalizer in obj["metadata"].get("finalizers") or []:
                    finalizers[finalizer] = finalizers.get(finalizer, 0) + 1
        held = ", ".join(f"{f} in {n} resource instances" for f, n in sorted(finalizers.items()))
        conditions = [{"type": t, "status": "False", "lastTransitionTime": stamp, "reason": r,
                       "message": m} for t, r, m in _CONDITIONS]
        conditions.append({"type": "NamespaceContentRemaining", "status": "True",
                           "lastTransitionTime": stamp, "reason": "SomeResourcesRemain",
                           "message": f"Some resources are remaining: {counts}"})
        if held:
            conditions.append({"type": "NamespaceFinalizersRemaining", "status": "True",
                               "lastTransitionTime": stamp, "reason": "SomeFinalizersRemain",
                               "message": "Some content in the namespace has finalizers "
                                          f"remaining: {held}"})
        status = {"phase": "Terminating", "conditions": conditions}
        old = namespace.get("status") or {}
        if [(c["type"], c["message"]) for c in old.get("conditions") or []] != [
                (c["type"], c["message"]) for c in conditions]:
            self.cluster.store.put(NS, {**copy.deepcopy(namespace), "status": status})
