"""Names a pipeline may plant that no user could make: the pages that list them still answer."""

from __future__ import annotations

from django.urls import reverse

from tests.web.conftest import Actor


def test_a_planted_line_break_in_a_name_does_not_break_the_folder_page(alice: Actor) -> None:
    """The listing links every entry (reverse() once refused a path with a line break: a 500);
    opening such a name is refused with a clear 400, as any name a user could not make."""
    alice.project("cells", {"line\nbreak.txt": b"x", "sub\nfolder/a.txt": b"y", "ok.txt": b"z"})
    page = alice.client.get(reverse("projects-detail", args=["cells"]))
    assert page.status_code == 200
    html = page.content.decode()
    assert reverse("projects-file", args=["cells", "line\nbreak.txt"]) in html
    assert reverse("projects-browse", args=["cells", "sub\nfolder"]) in html
    assert reverse("projects-file", args=["cells", "ok.txt"]) in html
    for name, path in (("projects-browse", "sub\nfolder"), ("projects-file", "line\nbreak.txt")):
        refused = alice.client.get(reverse(name, args=["cells", path]))
        assert refused.status_code == 400
        assert "we do not accept" in refused.content.decode()
    assert alice.client.get(reverse("results-project", args=["cells"])).status_code == 200
