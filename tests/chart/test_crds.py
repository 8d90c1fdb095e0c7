"""The CRDs are chart templates (crds.install, crds.keep) that render exactly the top-level crds/."""

from __future__ import annotations

import yaml

from tests.chart.helm import render
from tests.chart.sync import REPO_CRDS, crd_template

CHART_LABEL_KEYS = ("helm.sh/chart", "app.kubernetes.io/name", "app.kubernetes.io/instance",
                    "app.kubernetes.io/version", "app.kubernetes.io/managed-by",
                    "app.kubernetes.io/part-of", "app.kubernetes.io/component")


def source_crds():
    return {crd["metadata"]["name"]: crd
            for crd in (yaml.safe_load(path.read_text()) for path in sorted(REPO_CRDS.glob("*.yaml")))}


def without_chart_metadata(crd):
    metadata = dict(crd["metadata"])
    assert sorted(metadata.pop("labels")) == sorted(CHART_LABEL_KEYS)
    metadata.pop("annotations", None)
    return {**crd, "metadata": metadata}


def test_the_rendered_crds_are_the_top_level_crds():
    rendered = {crd["metadata"]["name"]: crd for crd in render("default-values.yaml").of_kind("CustomResourceDefinition")}
    assert sorted(rendered) == ["pipelineruns.kubeshowcase.io", "pipelines.kubeshowcase.io"]
    assert {name: without_chart_metadata(crd) for name, crd in rendered.items()} == source_crds()


def test_the_comparison_catches_a_changed_crd():
    # The test above must be able to fail: one changed schema field makes the objects differ.
    rendered = render("default-values.yaml").get("CustomResourceDefinition", "pipelines.kubeshowcase.io")
    changed = yaml.safe_load(yaml.safe_dump(without_chart_metadata(rendered)))
    changed["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["type"] = "string"
    assert changed != source_crds()["pipelines.kubeshowcase.io"]


def test_they_are_kept_on_uninstall_unless_asked():
    manifests = render("default-values.yaml")
    for crd in manifests.of_kind("CustomResourceDefinition"):
        assert crd["metadata"]["annotations"] == {"helm.sh/resource-policy": "keep"}
        assert crd["metadata"]["labels"]["app.kubernetes.io/component"] == "crds"
    for crd in render("default-values.yaml", "crds.keep=false").of_kind("CustomResourceDefinition"):
        assert "annotations" not in crd["metadata"]


def test_crds_install_false_leaves_them_out():
    manifests = render("default-values.yaml", "crds.install=false")
    assert manifests.of_kind("CustomResourceDefinition") == []
    # Installed apart, the API has the kinds: the Pipelines are ordinary objects of the release.
    assert [pipeline["metadata"].get("annotations") for pipeline in manifests.of_kind("Pipeline")] == [None]


def test_pipelines_wait_for_the_crds_of_a_first_install():
    # Helm maps every object before creating any, so with CRDs it brings itself the Pipelines
    # of a first install come as a post-install hook that the next upgrade adopts.
    (pipeline,) = render("default-values.yaml").of_kind("Pipeline")
    assert pipeline["metadata"]["annotations"] == {
        "helm.sh/hook": "post-install", "meta.helm.sh/release-name": "showcase",
        "meta.helm.sh/release-namespace": "imaging"}
    # Once the API serves Pipelines (every upgrade), they are ordinary objects.
    (pipeline,) = render("default-values.yaml", api_versions=("kubeshowcase.io/v1alpha1/Pipeline",)).of_kind("Pipeline")
    assert "annotations" not in pipeline["metadata"]


def test_template_code_in_a_crd_is_printed_literally():
    source = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: x.example.org\nspec:\n  description: a {{ .Values }} b\n"
    template = crd_template("x.example.org.yaml", source)
    assert "{{`{{`}} .Values }}" in template
    assert template.index("  labels:") > template.index("  name: x.example.org")
