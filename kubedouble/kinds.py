"""The rules of the storage, networking, policy and CronJob kinds, by resource: what the real
server defaults on decoding, validates on create, and validates on update (the spec again,
plus what may not change). Status writes are not checked: their strategy keeps the spec."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import cronjob_validation as cronjobs
from . import disruption_budget_validation as budgets
from . import network_validation as network
from . import storage_validation as storage

Causes = list[dict[str, str]]
Obj = dict[str, Any]


def _nothing(new: Obj, old: Obj) -> Causes:
    return []


@dataclass(frozen=True)
class KindRules:
    default: Callable[[Obj], None]
    create: Callable[[Obj], Causes]
    immutable: Callable[[Obj, Obj], Causes] = _nothing
    update: Callable[[Obj, Obj], Causes] | None = None  # instead of create + immutable

    def update_causes(self, new: Obj, old: Obj) -> Causes:
        if self.update is not None:
            return self.update(new, old)
        return self.create(new) + self.immutable(new, old)


RULES: dict[str, KindRules] = {
    "persistentvolumeclaims": KindRules(storage.default_claim, storage.claim_causes,
                                        storage.claim_update_causes),
    "persistentvolumes": KindRules(storage.default_volume, storage.volume_causes,
                                   storage.volume_update_causes),
    "storageclasses.storage.k8s.io": KindRules(storage.default_class, storage.class_causes,
                                               storage.class_update_causes),
    "ingresses.networking.k8s.io": KindRules(network.default_ingress, network.ingress_causes),
    "ingressclasses.networking.k8s.io": KindRules(lambda obj: None,
                                                  network.ingress_class_causes,
                                                  network.ingress_class_update_causes),
    "networkpolicies.networking.k8s.io": KindRules(network.default_network_policy,
                                                   network.network_policy_causes),
    "poddisruptionbudgets.policy": KindRules(budgets.default_budget, budgets.budget_causes),
    "cronjobs.batch": KindRules(cronjobs.default_cronjob, cronjobs.cronjob_causes,
                                update=cronjobs.cronjob_update_causes),
}


def prepare_new(qualified: str, obj: Obj) -> Causes:
    """Defaults, then the create validation (nothing for kinds not listed here)."""
    rules = RULES.get(qualified)
    if rules is None:
        return []
    rules.default(obj)
    return rules.create(obj)


def update_causes(qualified: str, new: Obj, old: Obj, subresource: str | None) -> Causes:
    """Defaults the new object (as decoding does), then the update validation."""
    rules = RULES.get(qualified)
    if rules is None:
        return []
    rules.default(new)
    if subresource is not None:
        return []
    return rules.update_causes(new, old)
