"""Where and as whom a pipeline's pod runs: the chart-wide defaults, read and checked at start,
and the pod spec fields a run's Job gets from them and its Pipeline.

A field the Pipeline sets replaces the default whole, lists and maps included (as Helm
replaces lists): a Pipeline with `tolerations: []` tolerates nothing, whatever the default.
The defaults get the checks a mistake would otherwise reveal only as a rejected Job per run;
deeper rules (an affinity's terms) are the API server's, which answers the Job's create.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
# A label key: an optional DNS-subdomain prefix and a name (apimachinery IsQualifiedName).
LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
TOLERATION_FIELDS = frozenset({"key", "operator", "value", "effect", "tolerationSeconds"})
TOLERATION_OPERATORS = ("Exists", "Equal")
TAINT_EFFECTS = ("", "NoSchedule", "PreferNoSchedule", "NoExecute")
AFFINITY_FIELDS = frozenset({"nodeAffinity", "podAffinity", "podAntiAffinity"})
# Pipeline spec field → pod spec field.
POD_FIELDS = {"serviceAccountName": "serviceAccountName", "imagePullSecrets": "imagePullSecrets",
              "nodeSelector": "nodeSelector", "tolerations": "tolerations",
              "affinity": "affinity", "priorityClassName": "priorityClassName"}


class PlacementError(ValueError):
    """A default has a value no pod could be made with."""


@dataclass(frozen=True)
class PodDefaults:
    """The chart's defaults for every Pipeline's pod, as pod spec values (empty: unset)."""

    service_account: str = ""
    image_pull_secrets: tuple[Mapping[str, str], ...] = ()
    node_selector: Mapping[str, str] = field(default_factory=dict)
    tolerations: tuple[Mapping[str, Any], ...] = ()
    affinity: Mapping[str, Any] = field(default_factory=dict)
    priority_class: str = ""

    def pod_fields(self) -> dict[str, Any]:
        """The defaults by their pod spec name, unset ones left out."""
        found = {"serviceAccountName": self.service_account,
                 "imagePullSecrets": list(self.image_pull_secrets),
                 "nodeSelector": dict(self.node_selector), "tolerations": list(self.tolerations),
                 "affinity": dict(self.affinity), "priorityClassName": self.priority_class}
        return {key: value for key, value in found.items() if value}


def pod_placement(pipeline_spec: Mapping[str, Any], defaults: PodDefaults) -> dict[str, Any]:
    """The pod spec fields of a run's pod: each Pipeline field present wins whole over its
    default (an empty list or map clears it); copies, so the Job never shares the inputs."""
    fields = defaults.pod_fields()
    for spec_name, pod_name in POD_FIELDS.items():
        if spec_name in pipeline_spec and pipeline_spec[spec_name] is not None:
            fields[pod_name] = pipeline_spec[spec_name]
    return {key: copy.deepcopy(value) for key, value in fields.items()
            if value not in ("", [], {})}


# Reading the defaults from the environment ------------------------------------------------
def _json(env: Mapping[str, str], name: str, kind: type, empty: Any) -> Any:
    raw = env.get(name, "").strip()
    if not raw:
        return empty
    try:
        value = json.loads(raw)
    except ValueError as problem:
        raise PlacementError(f"{name} must be JSON, got {raw!r}: {problem}") from None
    if value is None:
        return empty
    if not isinstance(value, kind):
        shown = "a JSON array" if kind is list else "a JSON object"
        raise PlacementError(f"{name} must be {shown}, got {raw!r}")
    return value


def _name(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if value and (len(value) > 253 or not DNS_SUBDOMAIN.match(value)):
        raise PlacementError(f"{name} must be a lowercase DNS subdomain of at most 253"
                             f" characters, got {value!r}")
    return value


def _label_key_problem(key: Any) -> str | None:
    if not isinstance(key, str) or not key:
        return "must be a non-empty string"
    prefix, _, name = key.rpartition("/")
    if prefix and (len(prefix) > 253 or not DNS_SUBDOMAIN.match(prefix)):
        return "must have a DNS subdomain as prefix"
    if len(name) > 63 or not LABEL_NAME.match(name):
        return "must be a qualified name (63 characters at most: letters, digits, -, _, .)"
    return None


def _pull_secrets(env: Mapping[str, str]) -> tuple[Mapping[str, str], ...]:
    name = "PIPELINE_IMAGE_PULL_SECRETS"
    found = []
    for index, item in enumerate(_json(env, name, list, [])):
        secret = item.get("name") if isinstance(item, dict) else None
        if (not isinstance(item, dict) or set(item) != {"name"} or not isinstance(secret, str)
                or not DNS_SUBDOMAIN.match(secret)):
            raise PlacementError(f"{name}[{index}] must be {{\"name\": <Secret name>}},"
                                 f" got {json.dumps(item)}")
        found.append({"name": secret})
    return tuple(found)


def _node_selector(env: Mapping[str, str]) -> dict[str, str]:
    name = "PIPELINE_NODE_SELECTOR"
    selector = _json(env, name, dict, {})
    for key, value in selector.items():
        problem = _label_key_problem(key)
        if problem:
            raise PlacementError(f"{name} key {key!r} {problem}")
        if not isinstance(value, str) or len(value) > 63 or not LABEL_VALUE.match(value):
            raise PlacementError(f"{name}[{key!r}] must be a label value (a string of at most"
                                 f" 63 letters, digits, -, _, .), got {json.dumps(value)}")
    return selector


def toleration_problem(item: Any) -> str | None:
    """What makes one toleration invalid (core validation.ValidateTolerations), None if fine."""
    if not isinstance(item, dict):
        return "must be an object"
    unknown = sorted(set(item) - TOLERATION_FIELDS)
    if unknown:
        return f"has unknown field {unknown[0]!r}"
    operator = item.get("operator", "Equal")
    if operator not in TOLERATION_OPERATORS:
        return f"operator must be one of Exists, Equal, got {json.dumps(operator)}"
    if item.get("effect", "") not in TAINT_EFFECTS:
        return (f"effect must be one of NoSchedule, PreferNoSchedule, NoExecute,"
                f" got {json.dumps(item.get('effect'))}")
    key = item.get("key", "")
    if key and _label_key_problem(key):
        return f"key {key!r} {_label_key_problem(key)}"
    if not key and operator != "Exists":
        return "operator must be Exists when key is empty"
    if operator == "Exists" and item.get("value"):
        return "value must be empty when operator is Exists"
    seconds = item.get("tolerationSeconds")
    if seconds is not None and (not isinstance(seconds, int) or isinstance(seconds, bool)):
        return "tolerationSeconds must be an integer"
    if seconds is not None and item.get("effect") != "NoExecute":
        return "effect must be NoExecute when tolerationSeconds is set"
    return None


def _tolerations(env: Mapping[str, str]) -> tuple[Mapping[str, Any], ...]:
    name = "PIPELINE_TOLERATIONS"
    found = _json(env, name, list, [])
    for index, item in enumerate(found):
        problem = toleration_problem(item)
        if problem:
            raise PlacementError(f"{name}[{index}] {problem}: {json.dumps(item)}")
    return tuple(found)


def _affinity(env: Mapping[str, str]) -> dict[str, Any]:
    name = "PIPELINE_AFFINITY"
    affinity = _json(env, name, dict, {})
    for key, value in affinity.items():
        if key not in AFFINITY_FIELDS:
            raise PlacementError(f"{name} has unknown field {key!r} (expected nodeAffinity,"
                                 f" podAffinity or podAntiAffinity)")
        if not isinstance(value, dict):
            raise PlacementError(f"{name}.{key} must be an object, got {json.dumps(value)}")
    return affinity


def load_pod_defaults(env: Mapping[str, str]) -> PodDefaults:
    """The PIPELINE_* placement defaults (JSON where structured), or PlacementError."""
    return PodDefaults(
        service_account=_name(env, "PIPELINE_SERVICE_ACCOUNT"),
        image_pull_secrets=_pull_secrets(env),
        node_selector=_node_selector(env),
        tolerations=_tolerations(env),
        affinity=_affinity(env),
        priority_class=_name(env, "PIPELINE_PRIORITY_CLASS"),
    )
