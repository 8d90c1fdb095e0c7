"""Landing a finished upload: zips unpacked within bounds, clashes, replacing, planted links;
the outcome told by GET."""

from __future__ import annotations

import io
import zipfile

import pytest

from projects.models import OwnerUsage, Upload
from tests.web.conftest import Actor
from tests.web.tus.conftest import create, outcome, patch, send, staged


def make_zip(*members: tuple[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture
def cells(alice: Actor) -> Actor:
    alice.project("cells", {"old.txt": b"old", "sub": None})
    return alice


def usage() -> tuple[int, int]:
    row = OwnerUsage.objects.get(owner="alice")
    return row.files, row.bytes


def test_a_zip_is_unpacked_and_its_files_reported(cells: Actor) -> None:
    data = make_zip(("plate/A01.tif", b"a" * 10), ("plate/A02.tif", b"b" * 20), ("notes.txt", b"n"))
    url = send(cells.client, "cells", data, "run 1/scan.zip", "sub", unpack="1")
    folder = cells.home / "cells" / "sub" / "run 1"
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == [
        "notes.txt", "plate/A01.tif", "plate/A02.tif"]
    answer = outcome(cells.client, url)
    assert answer["state"] == "landed"
    assert sorted(answer["paths"]) == [
        "run 1/notes.txt", "run 1/plate/A01.tif", "run 1/plate/A02.tif"]
    assert answer["message"] == "Unpacked run 1/scan.zip: 3 files (31\xa0bytes)."
    assert usage() == (4, 34)
    assert staged() == []


def test_a_zip_kept_packed_lands_as_a_file(cells: Actor) -> None:
    data = make_zip(("a.txt", b"a"))
    url = send(cells.client, "cells", data, "keep.zip")
    assert (cells.home / "cells" / "keep.zip").read_bytes() == data
    assert outcome(cells.client, url)["paths"] == ["keep.zip"]


def test_a_zip_out_of_bounds_is_refused_with_the_reason(
        cells: Actor, settings) -> None:  # noqa: ANN001
    settings.ZIP_MAX_ENTRIES = 2
    data = make_zip(("a", b"a"), ("b", b"b"), ("c", b"c"))
    url = send(cells.client, "cells", data, "three.zip", unpack="1")
    answer = outcome(cells.client, url)
    assert answer["state"] == "refused"
    assert answer["message"] == "three.zip: The zip has 3 entries; at most 2 are allowed."
    assert answer["paths"] == []
    assert sorted(p.name for p in (cells.home / "cells").iterdir()) == ["old.txt", "sub"]
    assert usage() == (1, 3)
    assert staged() == []


def test_a_damaged_zip_is_refused(cells: Actor) -> None:
    url = send(cells.client, "cells", b"PK\x03\x04 not really", "bad.zip", unpack="1")
    answer = outcome(cells.client, url)
    assert (answer["state"], answer["message"]) == (
        "refused", "bad.zip is not a zip file that can be read.")
    assert staged() == []


def test_a_name_taken_meanwhile_is_refused_at_landing(cells: Actor) -> None:
    url = create(cells.client, "cells", 4, "new.txt")["Location"]
    (cells.home / "cells" / "new.txt").write_bytes(b"by a pipeline")
    assert patch(cells.client, url, 0, b"mine").status_code == 204  # the last byte: it lands
    answer = outcome(cells.client, url)
    assert (answer["state"], answer["message"]) == (
        "refused", "“new.txt” already exists here; rename or delete it first.")
    assert (cells.home / "cells" / "new.txt").read_bytes() == b"by a pipeline"
    assert staged() == []
    assert usage() == (1, 3)


def test_replace_renames_over_the_old_file(cells: Actor) -> None:
    url = send(cells.client, "cells", b"newer!", "old.txt", replace="1")
    assert (cells.home / "cells" / "old.txt").read_bytes() == b"newer!"
    assert outcome(cells.client, url)["state"] == "landed"
    assert usage() == (1, 6)  # one file still, 3 bytes more


def test_replace_of_a_name_still_free_is_a_new_file(cells: Actor) -> None:
    send(cells.client, "cells", b"1234", "fresh.txt", replace="1")
    assert (cells.home / "cells" / "fresh.txt").read_bytes() == b"1234"
    assert usage() == (2, 7)


def test_replace_never_writes_through_a_link(cells: Actor, tmp_path) -> None:  # noqa: ANN001
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"keep me")
    url = create(cells.client, "cells", 4, "old.txt", replace="1")["Location"]
    (cells.home / "cells" / "old.txt").unlink()
    (cells.home / "cells" / "old.txt").symlink_to(outside)
    patch(cells.client, url, 0, b"mine")
    assert outside.read_bytes() == b"keep me"
    assert not (cells.home / "cells" / "old.txt").is_symlink()
    assert (cells.home / "cells" / "old.txt").read_bytes() == b"mine"


def test_a_link_planted_on_the_way_after_creation_is_refused(
        cells: Actor, tmp_path) -> None:  # noqa: ANN001
    outside = tmp_path / "outside"
    outside.mkdir()
    url = create(cells.client, "cells", 4, "plate1/A01.tif")["Location"]
    (cells.home / "cells" / "plate1").symlink_to(outside)
    assert patch(cells.client, url, 0, b"mine").status_code == 204
    answer = outcome(cells.client, url)
    assert answer["state"] == "refused"
    assert answer["message"] == (
        "“plate1” is not a folder here (a link or a file is in the way), "
        "so nothing can be put in it.")
    assert list(outside.iterdir()) == []
    assert staged() == []


def test_the_quota_is_checked_again_at_landing(cells: Actor, settings) -> None:  # noqa: ANN001
    settings.USER_MAX_BYTES = 1000
    data = make_zip(("zeros.bin", bytes(5000)))  # small packed, large unpacked
    url = send(cells.client, "cells", data, "z.zip", unpack="1")
    answer = outcome(cells.client, url)
    assert answer["state"] == "refused"
    assert answer["message"].startswith("This needs 4.9\xa0KB but only 997\xa0bytes")
    assert Upload.objects.get().state == "refused"
