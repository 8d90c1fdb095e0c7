"""The API verbs on objects (create, read, update, patch, delete) with the real server's rules.

HTTP handlers, the Job runner and the garbage collector all write through here.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from . import (apply, apps_validation, builtin_types, builtin_validation, cel, defaults, errors,
               graceful, immutability, kinds, ownerrefs_admission, patching, priority_admission,
               serviceaccount_admission, services, storage_admission, validation)
from .authz_log import DecisionLog
from .bodies import check_size, clone, decoded, random_suffix, typed, without
from .clock import now
from .gc import GarbageCollector
from .namespaces import NamespaceController
from .request_log import RequestLog
from .resources import Resource, ResourceTable
from .selectors import Selector
from .store import Store

SEEDED_NAMESPACES = ("default", "kube-system", "kube-public", "kubeshowcase")
NS = "namespaces"


class Cluster:
    def __init__(self, table: ResourceTable | None = None, store: Store | None = None) -> None:
        self.table = table or ResourceTable()
        self.store = store or Store()
        self.decisions = DecisionLog()  # the authorizer's, for users outside system:masters
        self.request_log = RequestLog()  # every request of those users, with its selectors
        self.gc = GarbageCollector(self)
        self.namespaces = NamespaceController(self)
        namespaces = self.resource("", "v1", NS)
        for name in SEEDED_NAMESPACES:
            self.create(namespaces, "", {"metadata": {"name": name}})

    # Lookups -------------------------------------------------------------------------------
    def resource(self, group: str, version: str, plural: str) -> Resource:
        found = self.table.find(group, version, plural)
        if found is None:
            raise errors.ApiError(404, "NotFound",
                                  "the server could not find the requested resource")
        return found

    def resource_by_qualified(self, qualified: str) -> Resource | None:
        for resource in self.table.all():
            if resource.qualified == qualified:
                return resource
        return None

    def get(self, resource: Resource, namespace: str, name: str) -> dict[str, Any]:
        obj = self.store.get(resource.qualified, namespace if resource.namespaced else "", name)
        if obj is None:
            raise errors.not_found(resource.qualified, name)
        return obj

    def list(self, resource: Resource, namespace: str | None, selector: Selector) -> list[dict]:
        items = self.store.items(resource.qualified, namespace if resource.namespaced else None)
        return [o for o in items if selector.matches(o)]

    # Create --------------------------------------------------------------------------------
    def create(self, resource: Resource, namespace: str, body: Any, *,
               field_validation: str | None = None, dry_run: bool = False) -> dict[str, Any]:
        obj = decoded(resource, typed(resource, body), field_validation)
        meta = obj["metadata"]
        self._place(resource, namespace, meta)
        if resource.qualified == "pods":  # mutating admission, before the name
            serviceaccount_admission.admit(self.store, obj)
        priority_admission.admit(self, resource, obj)
        if not meta.get("name"):
            if not meta.get("generateName"):
                raise errors.invalid(resource.kind_group, "", [errors.cause(
                    "metadata.name", "Required value: name or generateName is required",
                    "FieldValueRequired")])
            meta["name"] = self._generated_name(resource, meta)
        for server_field in ("resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds",
                             "selfLink", "managedFields"):
            meta.pop(server_field, None)
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = now()
        if resource.has_generation:
            meta["generation"] = 1
        if "status" in resource.subresources:
            obj.pop("status", None)
        storage_admission.admit(self, resource, obj)
        self._prepare_new(resource, obj, field_validation)
        ownerrefs_admission.validate(self, resource, obj, None, None)
        apply.track(resource, None, obj, None)
        check_size(obj)
        if self.store.get(resource.qualified, meta.get("namespace", ""), meta["name"]):
            raise errors.already_exists(resource.qualified, meta["name"])
        if dry_run:
            return obj  # as etcd3's dry-run Create answers: no resourceVersion
        stored = self.store.put(resource.qualified, obj)
        self.gc.note_owners(stored)
        if resource.qualified == "customresourcedefinitions.apiextensions.k8s.io":
            self.table.register_crd(stored)
        if resource.qualified == NS:
            self.namespaces.populate(stored)
        return stored

    def _place(self, resource: Resource, namespace: str, meta: dict[str, Any]) -> None:
        if not resource.namespaced:
            meta.pop("namespace", None)
            return
        if meta.get("namespace") not in (None, "", namespace):
            raise errors.bad_request("the namespace of the provided object does not match the "
                                     "namespace sent on the request")
        meta["namespace"] = namespace
        if self.store.get(NS, "", namespace) is None:
            raise errors.not_found(NS, namespace)
        self.namespaces.refuse_if_terminating(namespace, resource.qualified,
                                              meta.get("name") or meta.get("generateName", ""))

    def _generated_name(self, resource: Resource, meta: dict[str, Any]) -> str:
        prefix = meta["generateName"][:58]
        for _ in range(20):
            name = prefix + random_suffix()
            if not self.store.get(resource.qualified, meta.get("namespace", ""), name):
                return name
        raise errors.already_exists(resource.qualified, prefix)

    def _prepare_new(self, resource: Resource, obj: dict[str, Any],
                     field_validation: str | None) -> None:
        prepare = {"jobs.batch": defaults.prepare_job, "pods": defaults.prepare_pod,
                   NS: defaults.prepare_namespace,
                   "customresourcedefinitions.apiextensions.k8s.io": defaults.prepare_crd,
                   "services": lambda o: services.prepare_create(o, self.store.items("services")),
                   **apps_validation.PREPARE}
        causes = prepare[resource.qualified](obj) if resource.qualified in prepare else []
        causes += builtin_validation.causes(resource, obj)
        causes += kinds.prepare_new(resource.qualified, obj)
        if causes:
            raise errors.invalid(resource.kind_group, obj["metadata"]["name"], causes)
        self._check_schema(resource, obj, field_validation)

    def _check_schema(self, resource: Resource, obj: dict[str, Any],
                      field_validation: str | None, old: dict[str, Any] | None = None) -> None:
        if resource.schema is None:
            return
        builtin_types.report_unknown(resource, validation.prune(obj, resource.schema),
                                     field_validation)
        validation.apply_defaults(obj, resource.schema)
        causes = (validation.validate(obj, resource.schema)
                  or cel.validate(resource.schema, obj, old))
        if causes:
            raise errors.invalid(resource.kind_group, obj["metadata"].get("name", ""), causes)

    # Update and patch ----------------------------------------------------------------------
    def replace(self, resource: Resource, namespace: str, name: str, body: Any, *,
                subresource: str | None = None, field_validation: str | None = None,
                dry_run: bool = False) -> dict:
        existing = self.get(resource, namespace, name)
        new = typed(resource, body)
        if resource.custom and not new["metadata"].get("resourceVersion"):
            raise errors.invalid(resource.kind_group, name, [errors.cause(
                "metadata.resourceVersion", "Invalid value: 0x0: must be specified for an update")])
        uid = new["metadata"].get("uid")
        if uid and uid != existing["metadata"]["uid"]:
            # A PUT's uid is a precondition (rest.defaultUpdatedObjectInfo.Preconditions).
            raise errors.precondition_failed(resource.qualified, name, "UID", uid,
                                             existing["metadata"]["uid"])
        return self._update(resource, existing, new, subresource, field_validation, dry_run)

    def patch(self, resource: Resource, namespace: str, name: str, patch: Any, content_type: str,
              *, subresource: str | None = None, field_validation: str | None = None,
              dry_run: bool = False) -> dict:
        existing = self.store.get(resource.qualified, namespace if resource.namespaced else "",
                                  name)
        if existing is None and content_type == patching.APPLY and subresource is None:
            body = dict(patch) if isinstance(patch, dict) else patch
            if isinstance(body, dict):
                body.setdefault("metadata", {})["name"] = name
            with apply.applying(resource, body):
                return self.create(resource, namespace, body, field_validation=field_validation,
                                   dry_run=dry_run)
        if existing is None:
            raise errors.not_found(resource.qualified, name)
        if content_type == patching.JSON_PATCH:
            patched = patching.json_patch(existing, patch)
        elif not isinstance(patch, dict):
            raise errors.bad_request("the patch must be a JSON object")
        elif content_type == patching.STRATEGIC:
            if resource.custom:
                raise errors.unsupported_media_type(patching.accepted_patch_types(True))
            patched = patching.strategic_merge_patch(existing, patch)
        elif content_type == patching.APPLY:
            with apply.applying(resource, patch, subresource):
                patched = apply.apply_patch(resource, existing, typed(resource, patch),
                                            subresource)
                return self._update(resource, existing, typed(resource, patched),
                                    subresource, field_validation, dry_run)
        elif content_type == patching.MERGE:
            patched = patching.merge_patch(existing, patch)
        else:
            raise errors.unsupported_media_type(patching.accepted_patch_types(resource.custom))
        return self._update(resource, existing, typed(resource, patched), subresource,
                            field_validation, dry_run)

    def patch_metadata(self, resource: Resource, obj: dict[str, Any], changes: dict) -> dict:
        """Internal metadata merge-patch (garbage collector, controllers)."""
        meta = obj["metadata"]
        return self.patch(resource, meta.get("namespace", ""), meta["name"],
                          {"metadata": changes}, patching.MERGE)

    def write_status(self, resource: Resource, obj: dict[str, Any], status: dict) -> dict:
        """Internal status write by a controller (replaces the whole status)."""
        new = {**obj, "status": status}
        current = self.get(resource, obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
        return self._update(resource, current, clone(new), "status", None)

    def bind(self, pod: dict[str, Any], node: str) -> dict[str, Any]:
        """What a `pods/binding` create does (the scheduler's write): sets spec.nodeName."""
        resource = self.resource("", "v1", "pods")
        current = self.get(resource, pod["metadata"]["namespace"], pod["metadata"]["name"])
        node_name = current["spec"].get("nodeName")
        if node_name:
            raise errors.ApiError(409, "Conflict", f'pod {pod["metadata"]["name"]} is already '
                                                   f'assigned to node "{node_name}"')
        bound = clone(current)
        bound["spec"]["nodeName"] = node
        stored = self._update(resource, current, bound, "binding", None)
        # The binding registry also sets PodScheduled=True (pkg/registry/core/pod/storage).
        status = clone(stored.get("status") or {})
        status["conditions"] = [c for c in status.get("conditions") or []
                                if c.get("type") != "PodScheduled"] + [{
            "type": "PodScheduled", "status": "True", "lastProbeTime": None,
            "lastTransitionTime": now()}]
        return self._update(resource, stored, {**stored, "status": status}, "status", None)

    def _update(self, resource: Resource, existing: dict[str, Any], new: dict[str, Any],
                subresource: str | None, field_validation: str | None,
                dry_run: bool = False) -> dict[str, Any]:
        new = decoded(resource, new, field_validation)
        old_meta, new_meta = existing["metadata"], new["metadata"]
        name = old_meta["name"]
        if new_meta.get("name") not in (None, name):
            raise errors.bad_request(f"the name of the object ({new_meta['name']}) does not match "
                                     f"the name on the URL ({name})")
        if new_meta.get("namespace") not in (None, "", old_meta.get("namespace", "")):
            raise errors.bad_request("the namespace of the provided object does not match the "
                                     "namespace sent on the request")
        given = new_meta.get("resourceVersion")
        if given and given != old_meta["resourceVersion"]:
            raise errors.conflict(resource.qualified, name)
        if subresource == "status":
            result = clone(existing)
            if "status" in new:
                result["status"] = new["status"]
            else:
                result.pop("status", None)
        else:
            result = new
            if "status" in resource.subresources:
                result.pop("status", None)
                if "status" in existing:
                    result["status"] = clone(existing["status"])
        meta = result["metadata"]
        # rest.BeforeUpdate: these are kept whatever the request says; a uid only if absent.
        for kept in ("creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
                     "generation", "namespace"):
            meta.pop(kept, None)
            if kept in old_meta:
                meta[kept] = old_meta[kept]
        meta["uid"] = meta.get("uid") or old_meta["uid"]
        meta["name"] = name
        meta["resourceVersion"] = old_meta["resourceVersion"]
        new_finalizers = set(meta.get("finalizers") or []) - set(old_meta.get("finalizers") or [])
        if old_meta.get("deletionTimestamp") and new_finalizers:
            raise errors.invalid(resource.kind_group, name, [errors.cause(
                "metadata.finalizers", "Forbidden: no new finalizers can be added if the object "
                                       "is being deleted", "FieldValueForbidden")])
        if subresource is None and resource.qualified in apps_validation.DEFAULTS:
            apps_validation.DEFAULTS[resource.qualified](result)  # a new template gets defaults
        causes = immutability.update_causes(resource, result, existing, subresource)
        if resource.qualified == "services" and subresource is None:
            causes += services.prepare_update(result, existing, self.store.items("services"))
        causes += builtin_validation.causes(resource, result, kind_rules=subresource is None)
        causes += kinds.update_causes(resource.qualified, result, existing, subresource)
        if resource.qualified == "customresourcedefinitions.apiextensions.k8s.io":
            causes += defaults.prepare_crd(result)
        if causes:
            raise errors.invalid(resource.kind_group, name, causes)
        self._check_schema(resource, result, field_validation, old=existing)
        ownerrefs_admission.validate(self, resource, result, existing, subresource)
        if subresource is None:
            priority_admission.admit(self, resource, result, existing)
        check_size(result)
        if result == existing:
            return existing  # a no-op write changes nothing, not even the resourceVersion
        status_apart = "status" in resource.subresources
        ignored = ("metadata", "status") if status_apart else ("metadata",)
        if resource.has_generation and without(result, *ignored) != without(existing, *ignored):
            meta["generation"] = int(old_meta.get("generation", 1)) + 1
        if dry_run:
            return result  # as etcd3's dry-run GuaranteedUpdate: the old resourceVersion
        if (meta.get("deletionTimestamp") and not meta.get("finalizers")
                and not meta.get("deletionGracePeriodSeconds")):
            # store.go shouldDeleteDuringUpdate: the last finalizer gone and no grace left.
            return self._remove(resource, result)
        apply.track(resource, existing, result, subresource)
        stored = self.store.put(resource.qualified, result)
        if meta.get("ownerReferences") != old_meta.get("ownerReferences"):
            self.gc.note_owners(stored)
        if resource.qualified == "customresourcedefinitions.apiextensions.k8s.io":
            self.table.register_crd(stored)
        return stored

    # Delete --------------------------------------------------------------------------------
    def delete(self, resource: Resource, namespace: str, name: str, *,
               propagation: str | None = None, preconditions: dict[str, Any] | None = None,
               grace_period: int | None = None,
               dry_run: bool = False) -> tuple[dict[str, Any], bool]:
        """Returns (object, gone_now). A pod on a node is deleted gracefully (it stays, with a
        deletionTimestamp, until its kubelet deletes it with grace 0); finalizers keep any
        object, marked for deletion, until they are removed (the GC's by its collector)."""
        existing = self.get(resource, namespace, name)
        meta = existing["metadata"]
        for field, label in (("uid", "UID"), ("resourceVersion", "ResourceVersion")):
            wanted = (preconditions or {}).get(field)
            if wanted and wanted != meta.get(field):
                raise errors.precondition_failed(resource.qualified, name, label, wanted,
                                                 meta.get(field, ""))
        if propagation not in (None, "Orphan", "Background", "Foreground"):
            raise errors.bad_request(f'propagationPolicy: Unsupported value: "{propagation}"')
        policy = graceful.propagation_of(propagation, list(meta.get("finalizers") or []),
                                         resource.default_propagation)
        is_pod = resource.qualified == "pods"
        plan = graceful.plan_deletion(existing, graceful=is_pod, requested_grace=grace_period,
                                      propagation=policy)
        if plan.pending:
            return existing, False
        if resource.qualified == NS and not dry_run:
            return self.namespaces.terminate(existing)
        marked = clone(existing)
        marked["metadata"].update(plan.changes)
        for key in [k for k, v in marked["metadata"].items() if v is None]:
            del marked["metadata"][key]
        if plan.removes_now():
            # A pod is marked first even when it goes now (its graceful strategy updates it,
            # then deletes it): watchers see its deletionTimestamp, then DELETED.
            final = marked if is_pod else clone(existing)
            if dry_run:
                return final, True
            if is_pod:
                final = clone(self.store.put(resource.qualified, final))
            return self._remove(resource, final), True
        if dry_run:  # the answer a delete would give, with nothing changed
            return marked, False
        stored = self.store.put(resource.qualified, marked)
        self.gc.attend(stored)
        return stored, False

    def _remove(self, resource: Resource, obj: dict[str, Any]) -> dict[str, Any]:
        removed = self.store.remove(resource.qualified, obj)
        if resource.qualified == "customresourcedefinitions.apiextensions.k8s.io":
            self._drop_crd(removed)
        self.gc.after_removal(removed)
        self.namespaces.after_removal(removed)
        return removed

    remove_object = _remove  # for the controllers beside this class

    def _drop_crd(self, crd: dict[str, Any]) -> None:
        spec = crd.get("spec") or {}
        qualified = f"{(spec.get('names') or {}).get('plural')}.{spec.get('group')}"
        resource = self.resource_by_qualified(qualified)
        if resource is not None:
            for obj in self.store.items(qualified):
                self._remove(resource, clone(obj))
        self.table.unregister_crd(crd["metadata"]["name"])

    def delete_collection(self, resource: Resource, namespace: str | None, selector: Selector,
                          propagation: str | None = None, grace_period: int | None = None,
                          dry_run: bool = False) -> list[dict[str, Any]]:
        deleted = []
        for obj in self.list(resource, namespace, selector):
            meta = obj["metadata"]
            if self.store.get(resource.qualified, meta.get("namespace", ""), meta["name"]):
                deleted.append(self.delete(resource, meta.get("namespace", ""), meta["name"],
                                           propagation=propagation, grace_period=grace_period,
                                           dry_run=dry_run)[0])
        return deleted

    # Events --------------------------------------------------------------------------------
    def record_event(self, involved: dict[str, Any], event_type: str, reason: str, message: str,
                     component: str) -> dict[str, Any]:
        """A core v1 Event about `involved`, as the controllers and the kubelet write them."""
        meta = involved["metadata"]
        namespace = meta.get("namespace") or "default"
        stamp = now()
        body = {
            # Named like client-go's recorder: the hex nanosecond suffix sorts by time.
            "metadata": {"name": f"{meta['name']}.{time.time_ns():x}", "namespace": namespace},
            "involvedObject": {"kind": involved["kind"], "namespace": meta.get("namespace", ""),
                               "name": meta["name"], "uid": meta["uid"],
                               "apiVersion": involved["apiVersion"],
                               "resourceVersion": meta.get("resourceVersion", "")},
            "reason": reason, "message": message, "type": event_type, "count": 1,
            "source": {"component": component}, "firstTimestamp": stamp, "lastTimestamp": stamp,
            "reportingComponent": component, "reportingInstance": "kubedouble",
        }
        if self.store.get(NS, "", namespace) is None:
            return body
        return self.create(self.resource("", "v1", "events"), namespace, body)

