"""Runs the real `helm` binary on the chart and parses what it renders."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import yaml

from tests.chart.sync import CHART, REPO

CI_DIR = CHART / "ci"
SCENARIOS = sorted(path.name for path in CI_DIR.glob("*-values.yaml"))
RELEASE = "showcase"
NAMESPACE = "imaging"
# Generous: a shared two-core machine can be slow, but helm itself answers in well under a second.
HELM_TIMEOUT_SECONDS = 60


def helm_binary() -> str | None:
    venv_helm = REPO / ".venv" / "bin" / "helm"
    if venv_helm.exists():
        return str(venv_helm)
    return shutil.which("helm")


class HelmFailed(AssertionError):
    """helm exited non-zero; the message carries its stderr."""


def run_helm(*args: str) -> subprocess.CompletedProcess[str]:
    binary = helm_binary()
    assert binary, "helm is not installed: run `make` (tools/install_kube_binaries.py puts it in .venv/bin)"
    # Offline and private: no cluster to reach, none of the developer's helm repositories or cache.
    scratch = Path(tempfile.gettempdir()) / "ksc-chart-tests"
    env = {**os.environ, "KUBECONFIG": str(scratch / "no-kubeconfig"),
           "HELM_CACHE_HOME": str(scratch / "cache"), "HELM_CONFIG_HOME": str(scratch / "config"),
           "HELM_DATA_HOME": str(scratch / "data")}
    return subprocess.run([binary, *args], capture_output=True, text=True, env=env,
                          timeout=HELM_TIMEOUT_SECONDS, check=False)


def value_args(scenario: str | None, sets: tuple[str, ...], files: tuple[Path, ...]) -> list[str]:
    args = ["--values", str(CI_DIR / scenario)] if scenario else []
    for path in files:
        args += ["--values", str(path)]
    for assignment in sets:
        args += ["--set", assignment]
    return args


# libyaml's parser where PyYAML has it: the same safe loading, ten times faster on the
# chart's thousands of lines (every chart test parses a render).
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.lru_cache(maxsize=64)
def _render_text(scenario: str | None, sets: tuple[str, ...], files: tuple[Path, ...],
                 api_versions: tuple[str, ...] = ()) -> str:
    extra = [arg for version in api_versions for arg in ("--api-versions", version)]
    result = run_helm("template", RELEASE, str(CHART), "--namespace", NAMESPACE,
                      *value_args(scenario, sets, files), *extra)
    if result.returncode != 0:
        raise HelmFailed(f"helm template failed:\n{result.stderr}")
    return result.stdout


def render_error(scenario: str | None, *sets: str, files: tuple[Path, ...] = ()) -> str:
    """helm template's stderr for values that must be refused (fails if it renders)."""
    try:
        _render_text(scenario, tuple(sets), tuple(files))
    except HelmFailed as failure:
        return str(failure)
    raise AssertionError(f"helm template accepted values it should refuse: {scenario} {sets} {files}")


@dataclass(frozen=True)
class Manifests:
    """The objects `helm template` rendered, in order."""

    objects: tuple[dict[str, Any], ...]

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [obj for obj in self.objects if obj["kind"] == kind]

    def get(self, kind: str, name: str) -> dict[str, Any] | None:
        found = [obj for obj in self.of_kind(kind) if obj["metadata"]["name"] == name]
        assert len(found) <= 1, f"{len(found)} {kind} objects named {name}"
        return found[0] if found else None

    def component(self, kind: str, component: str) -> dict[str, Any]:
        found = [obj for obj in self.of_kind(kind)
                 if obj["metadata"]["labels"].get("app.kubernetes.io/component") == component]
        assert len(found) == 1, f"expected one {kind} of component {component}, got {len(found)}"
        return found[0]

    def pod_specs(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """(kind/name, pod spec) for every object that runs pods."""
        for obj in self.objects:
            spec = pod_spec_of(obj)
            if spec is not None:
                yield f"{obj['kind']}/{obj['metadata']['name']}", spec


def pod_spec_of(obj: dict[str, Any]) -> dict[str, Any] | None:
    if obj["kind"] == "Pod":
        return obj["spec"]
    if obj["kind"] in {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}:
        return obj["spec"]["template"]["spec"]
    if obj["kind"] == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return None


def containers_of(pod_spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [*pod_spec.get("initContainers", []), *pod_spec["containers"]]


def render(scenario: str | None = None, *sets: str, files: tuple[Path, ...] = (),
           api_versions: tuple[str, ...] = ()) -> Manifests:
    """Render the chart with a ci/ scenario, extra `--set`s and values files; `api_versions`
    are the APIs the cluster is taken to serve (helm's `--api-versions`)."""
    text = _render_text(scenario, tuple(sets), tuple(files), tuple(api_versions))
    objects = tuple(doc for doc in yaml.load_all(text, Loader=SAFE_LOADER) if doc is not None)
    return Manifests(objects)


def notes(scenario: str | None, *sets: str) -> str:
    """The NOTES.txt an install prints (a client-side dry run: no cluster needed)."""
    result = run_helm("install", RELEASE, str(CHART), "--namespace", NAMESPACE, "--dry-run=client",
                      *value_args(scenario, sets, ()))
    if result.returncode != 0:
        raise HelmFailed(f"helm install --dry-run=client failed:\n{result.stderr}")
    return result.stdout.partition("\nNOTES:\n")[2]


def env_of(container: dict[str, Any]) -> dict[str, Any]:
    """A container's env as name -> value (or the valueFrom dict)."""
    names = [item["name"] for item in container.get("env", [])]
    assert len(names) == len(set(names)), f"duplicate env vars in {container['name']}: {names}"
    return {item["name"]: item.get("value", item.get("valueFrom")) for item in container.get("env", [])}
