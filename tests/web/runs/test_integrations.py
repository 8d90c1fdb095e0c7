"""A Pipeline naming a registered integration gets its form, args and results (word-count)."""

from __future__ import annotations

from django.urls import reverse

from runs.integrations import integration_for
from tests.web.conftest import Actor
from tests.web.runs.conftest import Cluster


def test_the_example_is_registered() -> None:
    assert integration_for({"spec": {"integration": "word-count"}}).name == "word-count"
    assert integration_for({"spec": {"integration": "unknown"}}) is None
    assert integration_for({"spec": {}}) is None


def test_its_form_args_and_results(alice: Actor, cluster: Cluster) -> None:
    cluster.create_pipeline("words", displayName="Word count", integration="word-count",
                            results={"reports": ["results/*.txt"]})
    cells = alice.project("cells")
    url = reverse("runs-new", args=["cells"]) + "?pipeline=words"
    page = alice.client.get(url).content.decode()
    assert 'name="word"' in page and "Word to count" in page

    bad = alice.client.post(reverse("runs-new", args=["cells"]),
                            {"pipeline": "words", "word": "two words"})
    assert bad.status_code == 400
    assert "Enter one word, letters only." in bad.content.decode()
    assert cluster.runs() == []

    alice.client.post(reverse("runs-new", args=["cells"]), {"pipeline": "words", "word": "Nuclei"})
    [run] = cluster.runs()
    assert run["spec"]["args"] == "nuclei\n"
    assert run["spec"]["parameters"] == {"word": "nuclei"}

    (cells / "results").mkdir()
    (cells / "results" / "word-count.txt").write_text("42\n")
    cluster.set_status(run["metadata"]["name"], phase="Succeeded")
    results = alice.client.get(reverse("results-project", args=["cells"])).content.decode()
    assert "The word “nuclei” occurs <strong>42</strong> times." in results
