"""Browsing folders and making new ones."""

from __future__ import annotations

import os

from django.urls import reverse

from tests.web.conftest import Actor, messages_in


def test_the_project_page_lists_its_top_folder(alice: Actor) -> None:
    alice.project("cells", {"raw": None, "b.txt": b"bb", "A.txt": b"a"})
    response = alice.client.get(reverse("projects-detail", args=["cells"]))
    assert response.status_code == 200
    assert [row.entry.name for row in response.context["rows"]] == ["raw", "A.txt", "b.txt"]
    assert [row.path for row in response.context["rows"]] == ["raw", "A.txt", "b.txt"]
    assert b'id="upload-form"' in response.content


def test_it_browses_into_sub_folders_with_breadcrumbs(alice: Actor) -> None:
    alice.project("cells", {"raw/day 1/img.tif": b"x"})
    response = alice.client.get(reverse("projects-browse", args=["cells", "raw/day 1"]))
    assert response.status_code == 200
    assert [row.path for row in response.context["rows"]] == ["raw/day 1/img.tif"]
    assert [(crumb.name, crumb.path) for crumb in response.context["crumbs"]] == [
        ("raw", "raw"),
        ("day 1", "raw/day 1"),
    ]
    assert b'href="/projects/cells/browse/raw/day%201"' in response.content
    assert b'href="/projects/cells/file/raw/day%201/img.tif"' in response.content


def test_names_with_url_characters_survive_the_round_trip(alice: Actor) -> None:
    alice.project("cells", {"what?#100%/x.txt": b"x"})
    response = alice.client.get(reverse("projects-detail", args=["cells"]))
    link = reverse("projects-browse", args=["cells", "what?#100%"])
    assert link == "/projects/cells/browse/what%3F%23100%25"
    assert f'href="{link}"'.encode() in response.content
    assert alice.client.get(link).context["rows"][0].entry.name == "x.txt"


def test_a_missing_folder_is_404(alice: Actor) -> None:
    alice.project("cells", {"file.txt": b"x"})
    assert alice.client.get(reverse("projects-browse", args=["cells", "nope"])).status_code == 404
    assert (
        alice.client.get(reverse("projects-browse", args=["cells", "file.txt"])).status_code == 404
    )
    assert alice.client.get(reverse("projects-detail", args=["nope"])).status_code == 404


def test_it_lists_links_without_following_them(alice: Actor, tmp_path) -> None:  # noqa: ANN001
    project = alice.project("cells")
    (project / "outside").symlink_to(tmp_path)
    response = alice.client.get(reverse("projects-detail", args=["cells"]))
    row = response.context["rows"][0]
    assert (row.entry.name, row.entry.is_dir, row.entry.is_file) == ("outside", False, False)
    assert (
        alice.client.get(reverse("projects-browse", args=["cells", "outside"])).status_code == 404
    )


def test_it_rejects_post(alice: Actor) -> None:
    alice.project("cells")
    assert alice.client.post(reverse("projects-detail", args=["cells"])).status_code == 405


def test_making_a_folder_works(alice: Actor) -> None:
    alice.project("cells", {"raw": None})
    response = alice.client.post(
        reverse("projects-mkdir", args=["cells", "raw"]), {"name": "day 2"}, follow=True
    )
    assert messages_in(response) == ["Created folder “day 2”."]
    assert response.redirect_chain[-1][0] == reverse("projects-browse", args=["cells", "raw"])
    assert (alice.home / "cells" / "raw" / "day 2").is_dir()


def test_making_a_folder_refuses_bad_and_existing_names(alice: Actor) -> None:
    alice.project("cells", {"raw": None})
    for name, message in [
        ("..", "cannot be used"),
        ("a/b", "cannot contain"),
        ("raw", "already exists"),
    ]:
        response = alice.client.post(
            reverse("projects-mkdir", args=["cells", ""]), {"name": name}, follow=True
        )
        assert message in messages_in(response)[0]
    assert [p.name for p in (alice.home / "cells").iterdir()] == ["raw"]


def test_making_a_folder_never_writes_through_a_symlink(alice: Actor, tmp_path) -> None:  # noqa: ANN001
    project = alice.project("cells")
    (project / "inner").mkdir()
    (project / "alias").symlink_to(project / "inner")
    response = alice.client.post(reverse("projects-mkdir", args=["cells", "alias"]), {"name": "x"})
    assert response.status_code == 404
    assert list((project / "inner").iterdir()) == []


def test_making_a_folder_rejects_get(alice: Actor) -> None:
    alice.project("cells")
    assert alice.client.get(reverse("projects-mkdir", args=["cells", ""])).status_code == 405


def test_making_a_folder_requires_write_access(demo: Actor) -> None:
    demo.project("cells")
    assert (
        demo.client.post(reverse("projects-mkdir", args=["cells", ""]), {"name": "x"}).status_code
        == 403
    )
    assert list((demo.home / "cells").iterdir()) == []


def test_demo_users_see_no_change_buttons(demo: Actor) -> None:
    demo.project("cells", {"a.txt": b"a"})
    response = demo.client.get(reverse("projects-detail", args=["cells"]))
    assert response.status_code == 200
    for marker in [b'id="upload-form"', b"Create folder", b"Delete", b"Rename", b'name="new_name"']:
        assert marker not in response.content
    assert b"Download the project as zip" in response.content
    assert b"read-only demo" in response.content
    listing = demo.client.get(reverse("projects-list"))
    assert b"Create project" not in listing.content


def test_a_folder_of_100000_files_is_browsed_a_page_at_a_time(alice: Actor) -> None:
    alice.client.post(reverse("projects-create"), {"name": "cells"})  # a row: no adoption count
    project = alice.project("cells", {"b-folder": None, "a-folder": None})
    fd = os.open(project, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for number in range(100_000):
            os.close(os.open(f"f{number:06d}", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd))
    finally:
        os.close(fd)
    first = alice.client.get(reverse("projects-detail", args=["cells"]))
    assert first.status_code == 200
    names = [row.entry.name for row in first.context["rows"]]
    assert names[:3] == ["a-folder", "b-folder", "f000000"]  # folders first, then by name
    assert names[-1] == "f000197" and len(names) == 200
    assert b"Page 1 of 501" in first.content
    later = alice.client.get(reverse("projects-detail", args=["cells"]) + "?page=400")
    names = [row.entry.name for row in later.context["rows"]]
    assert names[0] == f"f{399 * 200 - 2:06d}" and names[-1] == f"f{400 * 200 - 3:06d}"
    assert all(row.entry.is_file and row.entry.size == 0 for row in later.context["rows"])
    last = alice.client.get(reverse("projects-detail", args=["cells"]) + "?page=501")
    assert [row.entry.name for row in last.context["rows"]] == ["f099998", "f099999"]


def test_a_page_stats_only_what_it_shows(alice: Actor) -> None:
    project = alice.project("cells", {"a.txt": b"a", "b.txt": b"bb"})
    (project / "c-link").symlink_to("/nonexistent")
    response = alice.client.get(reverse("projects-detail", args=["cells"]))
    assert [(row.entry.name, row.entry.kind) for row in response.context["rows"]] == [
        ("a.txt", "file"), ("b.txt", "file"), ("c-link", "link")]
    assert b"Page 1 of" not in response.content  # one page: no page links
    # A page number that is no page shows the last one rather than an error.
    for page in ("9999", "x", "-1"):
        shown = alice.client.get(reverse("projects-detail", args=["cells"]) + f"?page={page}")
        assert (shown.status_code, shown.context["page"].number) == (200, 1)


def test_listing_urls_are_what_reverse_makes() -> None:
    """The folder page builds its rows' URLs from one reverse() per kind (projects.views.common
    .path_urls): for every kind of awkward name they are reverse()'s, character for character."""
    from projects.views.common import path_urls

    paths = ["a", "sub dir/f.txt", "100%.csv", "q?x=1#y", "ünïcødé/ß", "a;b,c=d&e+f'(g)!*$",
             "~user:at@x", "tab\there", "%2F..%2e", "deep/er/still", "-", "_"]
    for name in ("projects-browse", "projects-file", "projects-entry-rename",
                 "projects-entry-delete"):
        for project in ("cells", "my project"):
            url = path_urls(name, project)
            assert [url(path) for path in paths] == [
                reverse(name, args=[project, path]) for path in paths]
