"""Run again: the run form starts from the run's parameters, and says what changed since."""

from __future__ import annotations

import re

from django.urls import reverse

from runs.again import again
from tests.web.conftest import Actor
from tests.web.runs.conftest import GROUP, VERSION, Cluster, form_controls, nuclei_form

SCHEMA = {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "string"}}}


def test_the_values_the_form_still_has_and_nothing_else() -> None:
    assert again("r1", {"a": 3, "b": "x"}, 2, "p", 2, SCHEMA) == (
        again("r1", {"a": 3, "b": "x"}, None, "p", 5, SCHEMA))
    same = again("r1", {"a": 3, "b": "x"}, 2, "p", 2, SCHEMA)
    assert (same.values, same.notice) == ({"a": 3, "b": "x"}, "")
    changed = again("r1", {"a": 3, "gone": 1, "old": 2}, 2, "p", 3, SCHEMA)
    assert changed.values == {"a": 3}
    assert "“p” has changed since r1 was started (generation 2, now 3)" in changed.notice
    assert "left out: gone, old." in changed.notice


def run_again_url(actor: Actor, run: str) -> str:
    page = actor.client.get(reverse("runs-detail", args=[run])).content.decode()
    return re.search(r'href="([^"]+)" id="run-again"', page).group(1).replace("&amp;", "&")


def test_run_again_prefills_the_form_and_says_when_the_pipeline_changed(
    alice: Actor, bob: Actor, cluster: Cluster
) -> None:
    alice.project("cells")
    posted = alice.client.post(reverse("runs-new", args=["cells"]), nuclei_form(
        images="raw/*.png", threshold="__number__", threshold__number="0.25", min_area="7",
        split_touching=None))
    assert posted.status_code == 302
    [run] = cluster.runs()
    name = run["metadata"]["name"]
    pipeline = cluster.custom.get_namespaced_custom_object(
        GROUP, VERSION, cluster.namespace, "pipelines", "nuclei")
    cluster.set_status(name, phase="Succeeded",
                       pipelineGeneration=pipeline["metadata"]["generation"])

    url = run_again_url(alice, name)
    page = alice.client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    controls, _ = form_controls(html)
    assert (controls["images"]["value"], controls["min_area"]["value"],
            controls["threshold__number"]["value"]) == ("raw/*.png", "7", "0.25")
    assert "checked" not in controls["split_touching"]
    assert 'id="run-notice"' not in html

    # The admin drops a field from the form: the page says so and leaves that value out.
    cluster.custom.patch_namespaced_custom_object(  # a merge patch: null removes the key
        GROUP, VERSION, cluster.namespace, "pipelines", "nuclei",
        {"spec": {"form": {"properties": {"smoothing_sigma": None}}}})
    cluster.sync()
    html = alice.client.get(url).content.decode()
    notice = re.search(r'id="run-notice">([^<]+)<', html).group(1)
    assert "has changed since" in notice and "left out: smoothing_sigma." in notice
    assert form_controls(html)[0]["min_area"]["value"] == "7"

    bob.project("cells")  # the same address is bob's project: alice's run is still not his
    assert bob.client.get(url).status_code == 404
