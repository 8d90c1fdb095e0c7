"""Downloading one file, or a folder or whole project as a zip streamed as it is made."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

from django.http import FileResponse, StreamingHttpResponse
from django.urls import reverse

from projects.safefs import open_root
from projects.zipstream import CHUNK, iter_zip
from tests.web.conftest import Actor


def test_a_file_downloads_as_an_attachment(alice: Actor) -> None:
    alice.project("cells", {"raw/image 1.tif": b"TIFFDATA"})
    response = alice.client.get(reverse("projects-file", args=["cells", "raw/image 1.tif"]))
    assert response.status_code == 200
    assert isinstance(response, FileResponse)
    assert b"".join(response.streaming_content) == b"TIFFDATA"
    assert response["Content-Disposition"] == 'attachment; filename="image 1.tif"'


def test_a_folder_is_not_a_file(alice: Actor) -> None:
    alice.project("cells", {"raw": None})
    assert alice.client.get(reverse("projects-file", args=["cells", "raw"])).status_code == 404
    assert alice.client.get(reverse("projects-file", args=["cells", "nope.txt"])).status_code == 404


def test_a_file_behind_a_symlink_out_of_the_project_is_refused(
    alice: Actor, tmp_path: Path
) -> None:
    (tmp_path / "secret.txt").write_text("secret")
    project = alice.project("cells")
    (project / "leak.txt").symlink_to(tmp_path / "secret.txt")
    response = alice.client.get(reverse("projects-file", args=["cells", "leak.txt"]))
    assert response.status_code == 404  # a link is not a file
    assert b"secret" not in response.content


def test_the_whole_project_streams_as_a_zip(alice: Actor) -> None:
    alice.project("cells", {"a.txt": b"A" * 1000, "raw/b.tif": b"B", "empty": None})
    response = alice.client.get(reverse("projects-zip", args=["cells", ""]))
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == 'attachment; filename="cells.zip"'
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.testzip() is None
    assert sorted(archive.namelist()) == [
        "cells/",
        "cells/a.txt",
        "cells/empty/",
        "cells/raw/",
        "cells/raw/b.tif",
    ]
    assert archive.read("cells/a.txt") == b"A" * 1000


def test_a_sub_folder_streams_as_a_zip_named_after_it(alice: Actor) -> None:
    alice.project("cells", {"raw/b.tif": b"B", "other.txt": b"o"})
    response = alice.client.get(reverse("projects-zip", args=["cells", "raw"]))
    assert response["Content-Disposition"] == 'attachment; filename="raw.zip"'
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert sorted(archive.namelist()) == ["raw/", "raw/b.tif"]


def test_the_zip_leaves_out_symlinks(alice: Actor, tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("secret")
    project = alice.project("cells", {"a.txt": b"a"})
    (project / "leak.txt").symlink_to(tmp_path / "secret.txt")
    (project / "leak-dir").symlink_to(tmp_path)
    response = alice.client.get(reverse("projects-zip", args=["cells", ""]))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert sorted(archive.namelist()) == ["cells/", "cells/a.txt"]


def test_zip_chunks_stay_small_however_big_the_file(tmp_path: Path) -> None:
    # Incompressible data: the archive is as big as the file, yet no chunk is much over CHUNK.
    (tmp_path / "big.bin").write_bytes(os.urandom(6 * CHUNK))
    chunks = list(iter_zip(open_root(tmp_path), "big"))
    assert len(chunks) > 5
    assert max(len(chunk) for chunk in chunks) < CHUNK + 64 * 1024
    archive = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    assert archive.read("big/big.bin") == (tmp_path / "big.bin").read_bytes()


def test_downloads_check_owner(alice: Actor, bob: Actor, guest: Actor) -> None:
    alice.project("cells", {"a.txt": b"a"})
    for client in (bob.client, guest.client):
        assert client.get(reverse("projects-file", args=["cells", "a.txt"])).status_code == 404
        assert client.get(reverse("projects-zip", args=["cells", ""])).status_code == 404


def test_demo_users_can_download(demo: Actor) -> None:
    demo.project("cells", {"a.txt": b"a"})
    assert demo.client.get(reverse("projects-file", args=["cells", "a.txt"])).status_code == 200
    assert demo.client.get(reverse("projects-zip", args=["cells", ""])).status_code == 200


def test_downloads_reject_post(alice: Actor) -> None:
    alice.project("cells", {"a.txt": b"a"})
    assert alice.client.post(reverse("projects-file", args=["cells", "a.txt"])).status_code == 405
    assert alice.client.post(reverse("projects-zip", args=["cells", ""])).status_code == 405


def test_a_folder_swapped_for_a_link_while_zipping_is_left_out(tmp_path: Path) -> None:
    root = tmp_path / "p"
    (root / "a-first").mkdir(parents=True)
    (root / "a-first" / "x.txt").write_bytes(b"x")
    (root / "b-later").mkdir()
    (root / "b-later" / "mine.txt").write_bytes(b"mine")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "secret.txt").write_bytes(b"secret")
    chunks = iter_zip(open_root(root), "p")
    first = [next(chunks)]  # the walk has listed p/ and is under way
    (root / "b-later").rename(tmp_path / "b-gone")
    (root / "b-later").symlink_to(tmp_path / "elsewhere")
    data = b"".join(first + list(chunks))
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert "p/b-later/secret.txt" not in archive.namelist()
    assert b"secret" not in b"".join(archive.read(name) for name in archive.namelist())
    assert archive.read("p/a-first/x.txt") == b"x"


def test_a_zip_that_is_never_read_still_lets_go_of_its_folder(tmp_path: Path) -> None:
    before = len(os.listdir("/proc/self/fd"))
    iter_zip(open_root(tmp_path), "never-read").close()
    assert len(os.listdir("/proc/self/fd")) == before


def test_zipping_a_big_folder_keeps_memory_flat(tmp_path: Path) -> None:
    # 48 MiB that does not compress, in three files: what Python allocates while the whole
    # archive streams (zlib's buffers included: it allocates through Python) stays a few MiB.
    import tracemalloc

    for name in ("a.bin", "b.bin", "c.bin"):
        (tmp_path / name).write_bytes(os.urandom(16 * CHUNK))
    tracemalloc.start()
    try:
        sent = sum(len(chunk) for chunk in iter_zip(open_root(tmp_path), "big"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert sent > 48 * CHUNK
    assert peak < 8 * CHUNK, f"peak {peak / CHUNK:.1f} MiB"


def test_files_that_do_not_compress_are_stored_the_rest_deflated(alice: Actor) -> None:
    """Deflate costs CPU for nothing on an already compressed image: such files are stored."""
    noise = os.urandom(3 * CHUNK + 5)
    text = b"label,area\n" + b"nucleus,123\n" * 200_000
    alice.project("cells", {"noise.tif": noise, "measures.csv": text, "tiny.txt": b"x"})
    response = alice.client.get(reverse("projects-zip", args=["cells", ""]))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.testzip() is None
    kinds = {info.filename: info.compress_type for info in archive.infolist()}
    assert kinds["cells/noise.tif"] == zipfile.ZIP_STORED
    assert kinds["cells/measures.csv"] == zipfile.ZIP_DEFLATED
    assert archive.getinfo("cells/measures.csv").compress_size < len(text) // 10
    assert (archive.read("cells/noise.tif"), archive.read("cells/measures.csv"),
            archive.read("cells/tiny.txt")) == (noise, text, b"x")
