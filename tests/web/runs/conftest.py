"""The runs and results tests' cluster: the API-server double with the nuclei Pipeline, and
helpers that play the operator's part by writing PipelineRun status through /status.

Pages read the run archive (PostgreSQL), which `manage.py watch_runs` fills in a deployment:
here `Cluster.sync()` (tests/fixtures/archive.py) does it at once, after every change the helpers
make (pass sync=False to change the API only, as before the watcher saw it)."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.fixtures.archive import sync_archive

REPO = Path(__file__).resolve().parents[3]
NUCLEI_PIPELINE = REPO / "pipelines" / "nuclei" / "pipeline.yaml"
GROUP, VERSION = "kubeshowcase.io", "v1alpha1"


@pytest.fixture
def data_root(web_settings) -> Path:  # noqa: ANN001
    """The double's data volume is the web app's DATA_ROOT (both are tmp_path/data)."""
    return Path(web_settings.DATA_ROOT)


@dataclass
class Cluster:
    """The double as seen by a test: reads and writes through the real API."""

    api_client: Any
    namespace: str
    # False where a served web app's own watcher fills its archive (the browser tests).
    syncs: bool = True

    @property
    def custom(self) -> Any:
        from kubernetes import client

        return client.CustomObjectsApi(self.api_client)

    @property
    def core(self) -> Any:
        from kubernetes import client

        return client.CoreV1Api(self.api_client)

    def create_pipeline(self, name: str, **spec: Any) -> dict:
        body = {
            "apiVersion": f"{GROUP}/{VERSION}", "kind": "Pipeline",
            "metadata": {"name": name}, "spec": {"image": "example/pipeline:1", **spec},
        }
        created = self.custom.create_namespaced_custom_object(
            GROUP, VERSION, self.namespace, "pipelines", body)
        self.sync()
        return created

    def sync(self) -> None:
        """What the watcher does within a moment: the archive as the API is now."""
        if self.syncs:
            sync_archive(self.api_client, self.namespace)

    def create_run(self, owner: str, project: str, *, pipeline: str = "nuclei",
                   name: str | None = None, labels: bool = True, sync: bool = True) -> dict:
        from runs.model import run_labels

        metadata: dict[str, Any] = {"name": name} if name else {"generateName": "test-"}
        if labels:
            metadata["labels"] = run_labels(owner, project)
        body = {
            "apiVersion": f"{GROUP}/{VERSION}", "kind": "PipelineRun", "metadata": metadata,
            "spec": {"pipeline": pipeline, "owner": owner, "project": f"{owner}/{project}",
                     "args": "{}"},
        }
        created = self.custom.create_namespaced_custom_object(
            GROUP, VERSION, self.namespace, "pipelineruns", body)
        if sync:
            self.sync()
        return created

    def run(self, name: str) -> dict:
        return self.custom.get_namespaced_custom_object(
            GROUP, VERSION, self.namespace, "pipelineruns", name)

    def runs(self) -> list[dict]:
        return self.custom.list_namespaced_custom_object(
            GROUP, VERSION, self.namespace, "pipelineruns")["items"]

    def set_status(self, name: str, *, sync: bool = True, **status: Any) -> dict:
        """What the operator does: merge-patch the /status subresource."""
        patched = self.custom.patch_namespaced_custom_object_status(
            GROUP, VERSION, self.namespace, "pipelineruns", name, {"status": status},
            _content_type="application/merge-patch+json")
        if sync:
            self.sync()
        return patched


@pytest.fixture
def cluster(apiserver, kube_client, web_settings, db) -> Cluster:  # noqa: ANN001
    """The double with pipelines/nuclei/pipeline.yaml applied and archived; the web app pointed
    at it with the chart's web account (`cluster` itself acts as the admin, or as the operator
    would)."""
    web_settings.KUBECONFIG = str(apiserver.kubeconfigs["web"])
    web_settings.KUBE_NAMESPACE = apiserver.namespace
    found = Cluster(kube_client, apiserver.namespace)
    pipeline = yaml.safe_load(NUCLEI_PIPELINE.read_text())
    pipeline["metadata"]["namespace"] = apiserver.namespace
    found.custom.create_namespaced_custom_object(
        GROUP, VERSION, apiserver.namespace, "pipelines", pipeline)
    found.sync()
    return found


NUCLEI_FORM = {
    "pipeline": "nuclei",
    "images": "**/*",
    "channel": '"auto"',
    "threshold": '"otsu"',
    "threshold__number": "",
    "min_area": "20",
    "smoothing_sigma": "1.0",
    "split_touching": "on",
}


def nuclei_form(**changes: str | None) -> dict[str, str]:
    """The nuclei run form as a browser posts it by default; None removes a field."""
    data = {**NUCLEI_FORM, **changes}
    return {key: value for key, value in data.items() if value is not None}




class _Controls(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.controls: dict[str, dict[str, str | None]] = {}
        self.options: dict[str, list[tuple[str, str, bool]]] = {}
        self._select: str | None = None
        self._option: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        found = dict(attrs)
        if tag in ("input", "select", "textarea") and found.get("name"):
            self.controls[found["name"]] = found
        if tag == "select":
            self._select = found.get("name")
            self.options.setdefault(self._select or "", [])
        if tag == "option" and self._select:
            self._option = found

    def handle_data(self, data: str) -> None:
        if self._option is not None and self._select:
            option = self._option
            self.options[self._select].append(
                (option.get("value") or "", data.strip(), "selected" in option))
            self._option = None

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def form_controls(html: str) -> tuple[dict[str, dict], dict[str, list[tuple[str, str, bool]]]]:
    """(attributes of each named input/select/textarea, each select's (value, label, selected))."""
    parser = _Controls()
    parser.feed(html)
    return parser.controls, parser.options
