"""The results page over a project a malicious pipeline planted: links, FIFOs, folders and huge
files at every results name. Nothing outside the project is read or changed, nothing hangs or
fails with a 500, and a huge CSV renders within the page's cell budget."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.urls import reverse

from tests.web.conftest import Actor
from tests.web.planted import PLANTS, Decoys
from tests.web.results.conftest import Archive

RESULTS = {
    "images": ["out/*.png"],
    "tables": ["out/*.csv", "out/**/*.csv"],
    "reports": ["out/*.txt"],
    "files": ["out/*.bin", "deep/**"],
}
PLANTED_NAMES = ("out/a.png", "out/t.csv", "out/r.txt", "out/f.bin", "out/sub", "deep")


@pytest.fixture
def finished_run(alice: Actor, runs_archive: Archive) -> Path:
    """alice's project `cells` with a finished run of a pipeline naming RESULTS (archived
    before manifests, so the page walks the folder by its globs)."""
    cells, row = runs_archive.project(
        alice, "cells", {"out/good.csv": b"a,b\n1,2\n", "out/good.txt": b"fine\n"})
    runs_archive.pipeline("custom", results=RESULTS)
    runs_archive.run(row, "r1", pipeline="custom")
    return cells


@pytest.mark.parametrize("kind", PLANTS)
def test_no_planted_name_is_followed_or_shown(
    alice: Actor, decoys: Decoys, finished_run: Path, kind: str
) -> None:
    for name in PLANTED_NAMES:
        decoys.plant(finished_run / name, kind)
    before = decoys.checksums()
    response = alice.client.get(reverse("results-project", args=["cells"]))
    assert response.status_code == 200
    decoys.check(response, before)
    results = response.context["results"]
    shown = [o.relative for section in ("images", "tables", "reports", "files")
             for o in getattr(results, section)]
    # Only the real files; a planted folder's own regular file is fine to list, never a link.
    assert {"out/good.csv", "out/good.txt"} <= set(shown)
    assert not set(shown) & set(PLANTED_NAMES)
    for relative in shown:
        assert not (finished_run / relative).is_symlink()
        assert (finished_run / relative).is_file()


def test_links_inside_a_results_folder_are_never_entered(
    alice: Actor, decoys: Decoys, finished_run: Path
) -> None:
    """`out/**/*.csv` meets out/sub -> bob's project: bob's results.csv is not collected."""
    decoys.plant(finished_run / "out" / "sub", "link-bob-folder")
    (finished_run / "out" / "real").mkdir()
    (finished_run / "out" / "real" / "deeper.csv").write_bytes(b"x\n1\n")
    response = alice.client.get(reverse("results-project", args=["cells"]))
    tables = [o.relative for o in response.context["results"].tables]
    assert tables == ["out/good.csv", "out/real/deeper.csv"]


def test_a_16_mib_csv_renders_within_the_cell_budget(
    alice: Actor, finished_run: Path, web_settings  # noqa: ANN001
) -> None:
    web_settings.RESULTS_MAX_TABLE_ROWS = 10**6  # only the byte and cell budgets apply
    row = b",".join(b"1" for _ in range(8)) + b"\n"
    with (finished_run / "out" / "huge.csv").open("wb") as out:
        out.write(b",".join(b"c%d" % n for n in range(8)) + b"\n")
        for _ in range(16 * 2**20 // len(row)):
            out.write(row)
    assert (finished_run / "out" / "huge.csv").stat().st_size >= 16 * 2**20 - len(row)
    response = alice.client.get(reverse("results-project", args=["cells"]))
    assert response.status_code == 200
    huge = next(o for o in response.context["results"].tables if o.relative == "out/huge.csv")
    cells = len(huge.table.header) + sum(len(r) for r in huge.table.rows)
    all_cells = sum(len(o.table.header) + sum(len(r) for r in o.table.rows)
                    for o in response.context["results"].tables)
    assert 0 < cells and all_cells <= web_settings.RESULTS_MAX_CELLS
    assert huge.size > 16 * 2**20 - 100
    html = response.content.decode()
    assert "Table cut:" in html and "20,000 table cells" in html
    assert html.count("<td>") <= web_settings.RESULTS_MAX_CELLS


def test_a_table_is_read_within_its_byte_budget(
    alice: Actor, finished_run: Path, web_settings  # noqa: ANN001
) -> None:
    web_settings.RESULTS_MAX_TABLE_BYTES = 1000
    lines = [b"n,text\n"] + [b"%d,%s\n" % (n, b"x" * 40) for n in range(100)]
    (finished_run / "out" / "long.csv").write_bytes(b"".join(lines))
    response = alice.client.get(reverse("results-project", args=["cells"]))
    long = next(o for o in response.context["results"].tables if o.relative == "out/long.csv")
    assert len(long.table.rows) < 100 and long.table.rows[-1][1] == "x" * 40  # whole rows only
    shown = len(b"n,text\n") + sum(len(",".join(row)) + 1 for row in long.table.rows)
    assert shown <= 1000
    html = response.content.decode().replace("\xa0", " ")
    assert "only the first 1000 bytes of the file were read" in html


def test_wide_rows_and_long_cells_are_cut(
    alice: Actor, finished_run: Path, web_settings  # noqa: ANN001
) -> None:
    web_settings.RESULTS_MAX_COLUMNS = 3
    (finished_run / "out" / "wide.csv").write_bytes(
        b"a,b,c,d,e\n" + b"1,2," + b"z" * 5000 + b",4,5\n")
    response = alice.client.get(reverse("results-project", args=["cells"]))
    wide = next(o for o in response.context["results"].tables if o.relative == "out/wide.csv")
    assert wide.table.header == ["a", "b", "c"]
    assert wide.table.rows == [["1", "2", "z" * 1000 + "…"]]
    assert "rows are cut after 3 columns" in response.content.decode()


def test_reports_share_the_pages_byte_budget(
    alice: Actor, finished_run: Path, web_settings  # noqa: ANN001
) -> None:
    web_settings.RESULTS_MAX_REPORT_BYTES = 3000
    web_settings.RESULTS_MAX_PAGE_BYTES = 5000
    for name in ("r1.txt", "r2.txt", "r3.txt"):
        (finished_run / "out" / name).write_bytes(name.encode() + b"." * 10_000)
    response = alice.client.get(reverse("results-project", args=["cells"]))
    reports = {o.relative: o for o in response.context["results"].reports}
    read = sum(len(o.text) for o in reports.values()) + sum(
        len(o.table.header) for o in response.context["results"].tables)
    assert len(reports["out/r1.txt"].text) == 3000 and reports["out/r1.txt"].text_cut
    assert sum(len(o.text) for o in reports.values()) <= 5000 and read > 0
    assert all(o.text_cut for name, o in reports.items() if name != "out/good.txt")
    assert "The report is long" in response.content.decode()


def test_a_file_swapped_for_a_fifo_after_listing_does_not_hang(
    alice: Actor, decoys: Decoys, finished_run: Path
) -> None:
    """A FIFO under a results name is never opened for a blocking read (O_NONBLOCK + fstat)."""
    os.mkfifo(finished_run / "out" / "pipe.csv")
    os.mkfifo(finished_run / "out" / "pipe.txt")
    response = alice.client.get(reverse("results-project", args=["cells"]))
    assert response.status_code == 200
    assert "out/pipe.csv" not in response.content.decode()
