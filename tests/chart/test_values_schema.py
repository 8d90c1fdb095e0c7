"""values.schema.json refuses typos and bad values with a clear error; values.yaml documents every value."""

from __future__ import annotations

import jsonschema
import pytest
import yaml

from tests.chart.helm import render_error
from tests.chart.sync import VALUES_FILE, documented_paths, load_schema

# Objects whose keys are Kubernetes' or the user's to choose, passed through as they are.
OPEN_OBJECTS = {
    "properties.global",
    "properties.web.properties.affinity",
    "properties.operator.properties.affinity",
    "properties.watcher.properties.affinity",
    "definitions.envList.items.properties.valueFrom",
    # Free-form in the Pipeline CRD too (x-kubernetes-preserve-unknown-fields).
    "definitions.pipelineSpec.properties.form",
    "definitions.pipelineSpec.properties.affinity.properties.podAffinity",
    "definitions.pipelineSpec.properties.affinity.properties.podAntiAffinity",
}


@pytest.mark.parametrize(("assignment", "complaint"), [
    ("webb.replicaCount=2", "additional properties 'webb' not allowed"),
    ("web.replicaCont=2", "additional properties 'replicaCont' not allowed"),
    ("web.ingress.enable=true", "additional properties 'enable' not allowed"),
    ("web.limits.user.maxProject=3", "additional properties 'maxProject' not allowed"),
    ("operator.maxConcurentRuns=3", "additional properties 'maxConcurentRuns' not allowed"),
    ("persistence.existingclaim=data", "additional properties 'existingclaim' not allowed"),
    ("securityContext.readOnlyRootFileSystem=false", "additional properties 'readOnlyRootFileSystem' not allowed"),
    ("pipelines.nuclei.imagee=x", "additional properties 'imagee' not allowed"),
    ("pipelines.nuclei.files.argz=x", "additional properties 'argz' not allowed"),
])
def test_a_typo_fails(assignment, complaint):
    assert complaint in render_error("default-values.yaml", assignment)


@pytest.mark.parametrize(("assignment", "where"), [
    ("operator.maxConcurrentRuns=0", "/operator/maxConcurrentRuns"),
    ("operator.queuePolicy=Lottery", "/operator/queuePolicy"),
    ("operator.maxRunsPerOwner=-1", "/operator/maxRunsPerOwner"),
    ("operator.maxConcurrentRuns=three", "/operator/maxConcurrentRuns"),
    ("web.allowGuests=maybe", "/web/allowGuests"),
    ("web.scheme=ftp", "/web/scheme"),
    ("web.limits.user.maxBytes=-1", "/web/limits/user/maxBytes"),
    ("persistence.accessModes[0]=ReadWriteAll", "/persistence/accessModes/0"),
    ("persistence.mountPath=data", "/persistence/mountPath"),
    ("pipelines.tool.command=python", "/pipelines/tool"),
    ("pipelines.nuclei.backoffLimit=11", "/pipelines/nuclei/backoffLimit"),
    ("web.downloads.offload=apache", "/web/downloads/offload"),
    ("web.downloads.offloadPrefix=protected", "/web/downloads/offloadPrefix"),
])
def test_a_bad_value_fails_naming_where(assignment, where):
    assert f"at '{where}'" in render_error("default-values.yaml", assignment)


def test_a_pipeline_name_must_be_a_dns_label():
    # Helm (v4.3) names a random sibling as the place of a propertyNames error, so only the
    # message is checked.
    error = render_error("default-values.yaml", "pipelines.Bad_Name.image=x")
    assert "invalid propertyName 'Bad_Name'" in error
    assert "does not match pattern" in error


def test_a_pipeline_without_an_image_fails():
    assert "missing property 'image'" in render_error("default-values.yaml", "pipelines.tool.displayName=Tool")


def test_the_required_database_secret_is_named():
    assert "web.database.existingSecret is required" in render_error(None)


def test_persistence_off_needs_an_existing_claim():
    assert "persistence.enabled=false needs persistence.existingClaim" in render_error(
        "default-values.yaml", "persistence.enabled=false")


def closed_object_problems(node, path=""):
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from closed_object_problems(item, f"{path}.{index}")
        return
    if not isinstance(node, dict):
        return
    is_object = node.get("type") == "object" or "object" in (node.get("type") or [])
    if is_object and "additionalProperties" not in node and path.lstrip(".") not in OPEN_OBJECTS:
        yield path.lstrip(".")
    for key, child in node.items():
        yield from closed_object_problems(child, f"{path}.{key}")


def test_every_object_level_is_closed():
    assert list(closed_object_problems(load_schema())) == []


def test_the_defaults_pass_the_schema():
    jsonschema.Draft7Validator(load_schema()).validate(yaml.safe_load(VALUES_FILE.read_text()))


def leaf_paths(node, path=""):
    if isinstance(node, dict) and node:
        for key, child in node.items():
            yield from leaf_paths(child, f"{path}.{key}" if path else key)
    else:
        yield path


def test_every_value_has_a_doc_comment():
    documented = documented_paths(VALUES_FILE.read_text())
    values = yaml.safe_load(VALUES_FILE.read_text())
    undocumented = [path for path in leaf_paths(values)
                    if not any(path == doc or path.startswith(doc + ".") for doc in documented)]
    assert undocumented == []
    # Every documented path is a real value (a comment cannot drift onto a removed key).
    top_level = set(values)
    assert {doc.split(".")[0] for doc in documented} <= top_level
