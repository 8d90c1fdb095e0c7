"""The run page: Pipelines listed, the nuclei form rendered from its schema, runs created."""

from __future__ import annotations

import json

from django.urls import reverse

from tests.web.conftest import Actor
from tests.web.runs.conftest import Cluster, form_controls, nuclei_form

RUN_PAGE = "runs-new"


def test_it_lists_pipelines_and_renders_the_nuclei_form(alice: Actor, cluster: Cluster) -> None:
    alice.project("cells", {"raw/a.png": b"x", "b.tif": b"y", ".hidden/c.png": b"z"})
    response = alice.client.get(reverse(RUN_PAGE, args=["cells"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nuclei segmentation" in html
    assert "Finds and measures cell nuclei" in html
    controls, options = form_controls(html)
    # project-glob: a free text field with the schema default plus a picker of project files.
    assert controls["images"]["value"] == "**/*"
    assert [value for value, _, _ in options["images__pick"]] == ["", "b.tif", "raw/a.png"]
    # enum with mixed types: a select of JSON values, the default chosen.
    assert options["channel"] == [
        ('"auto"', "auto", True), ("0", "0", False), ("1", "1", False), ("2", "2", False)]
    # anyOf enum + number: a select with "other number" and a number input with its bounds.
    assert options["threshold"] == [
        ('"otsu"', "otsu", True), ('"li"', "li", False), ('"yen"', "yen", False),
        ("__number__", "other number…", False)]
    number = controls["threshold__number"]
    assert (number["type"], number["min"], number["max"], number["step"]) == (
        "number", "0", "1", "any")
    # integer and number inputs with min/max/step; a checked boolean.
    min_area = controls["min_area"]
    assert (min_area["type"], min_area["value"], min_area["min"], min_area["max"],
            min_area["step"]) == ("number", "20", "0", "1000000", "1")
    sigma = controls["smoothing_sigma"]
    assert (sigma["value"], sigma["min"], sigma["max"], sigma["step"]) == ("1.0", "0", "50", "any")
    assert controls["split_touching"]["type"] == "checkbox"
    assert "checked" in controls["split_touching"]


def test_unknown_pipeline_in_the_address_says_so(alice: Actor, cluster: Cluster) -> None:
    alice.project("cells")
    response = alice.client.get(reverse(RUN_PAGE, args=["cells"]) + "?pipeline=nope")
    assert "There is no pipeline named “nope”." in response.content.decode()


def test_submitting_creates_a_valid_pipeline_run(alice: Actor, cluster: Cluster) -> None:
    alice.project("my cells@1")
    response = alice.client.post(
        reverse(RUN_PAGE, args=["my cells@1"]),
        nuclei_form(images="raw/*.png", channel="1", threshold="__number__",
                    threshold__number="0.25", min_area="7", split_touching=None),
    )
    assert response.status_code == 302
    [run] = cluster.runs()
    name = run["metadata"]["name"]
    assert response["Location"] == reverse("runs-detail", args=[name])
    assert name.startswith("alice-my-cells-1-")
    expected = {"images": "raw/*.png", "channel": 1, "threshold": 0.25, "min_area": 7,
                "smoothing_sigma": 1.0, "split_touching": False}
    assert run["spec"]["pipeline"] == "nuclei"
    assert run["spec"]["owner"] == "alice"
    assert run["spec"]["project"] == "alice/my cells@1"
    assert run["spec"]["parameters"] == expected
    assert run["spec"]["args"] == json.dumps(expected, sort_keys=True)
    labels = run["metadata"]["labels"]
    assert labels["kubeshowcase.io/owner"] == "alice"
    # "my cells@1" is no label value: sanitised plus a hash, which is stable.
    assert labels["kubeshowcase.io/project"].startswith("my_cells_1-h")


def test_the_file_picker_is_used_when_no_glob_is_typed(alice: Actor, cluster: Cluster) -> None:
    alice.project("cells", {"raw/a.png": b"x"})
    alice.client.post(reverse(RUN_PAGE, args=["cells"]),
                      nuclei_form(images="", images__pick="raw/a.png"))
    [run] = cluster.runs()
    assert run["spec"]["parameters"]["images"] == "raw/a.png"


def test_validation_errors_are_shown_next_to_fields_and_nothing_is_created(
    alice: Actor, cluster: Cluster
) -> None:
    alice.project("cells")
    response = alice.client.post(
        reverse(RUN_PAGE, args=["cells"]),
        nuclei_form(images="", min_area="-1", smoothing_sigma="lots", threshold="__number__",
                    threshold__number="1.5", channel="7"),
    )
    assert response.status_code == 400
    fields = {field.name: field.errors for field in response.context["fields"]}
    assert fields["min_area"] == ["Must be at least 0."]
    assert fields["smoothing_sigma"] == ["Enter a number."]
    assert fields["threshold"] == ["Pick one of the choices or enter a number in range."]
    assert fields["channel"] == ["Pick one of the choices."]
    html = response.content.decode()
    assert 'id="error-min_area">Must be at least 0.' in html
    # What was typed is shown again.
    assert form_controls(html)[0]["smoothing_sigma"]["value"] == "lots"
    assert cluster.runs() == []


def test_an_empty_required_glob_is_an_error(alice: Actor, cluster: Cluster) -> None:
    alice.project("cells")
    response = alice.client.post(reverse(RUN_PAGE, args=["cells"]), nuclei_form(images=""))
    # Not required by the schema, so leaving it out is fine: the pipeline's default applies.
    assert response.status_code == 302
    [run] = cluster.runs()
    assert "images" not in run["spec"]["parameters"]


def test_the_new_run_is_archived_at_once(alice: Actor, cluster: Cluster) -> None:
    """Before the watcher sees it, the created run has its row: every page shows it."""
    from runs.models import RunRecord

    alice.project("cells")
    response = alice.client.post(reverse(RUN_PAGE, args=["cells"]), nuclei_form())
    assert response.status_code == 302
    [run] = cluster.runs()
    name = run["metadata"]["name"]
    record = RunRecord.objects.get(name=name)
    assert str(record.uid) == run["metadata"]["uid"]
    assert (record.owner, record.project_path, record.phase) == ("alice", "alice/cells", "Queued")
    assert name in alice.client.get(reverse("runs-queue")).content.decode()
    assert name in alice.client.get(reverse("runs-mine")).content.decode()
    assert alice.client.get(response["Location"]).status_code == 200


def test_pipelines_come_from_the_archive(alice: Actor, cluster: Cluster) -> None:
    alice.project("cells")
    cluster.create_pipeline("later", displayName="Added later")
    assert "Added later" in alice.client.get(reverse(RUN_PAGE, args=["cells"])).content.decode()
    cluster.custom.delete_namespaced_custom_object(
        "kubeshowcase.io", "v1alpha1", cluster.namespace, "pipelines", "later")
    cluster.sync()
    page = alice.client.get(reverse(RUN_PAGE, args=["cells"]) + "?pipeline=later")
    assert "There is no pipeline named “later”." in page.content.decode()
