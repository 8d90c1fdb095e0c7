"""Reading the end of a long log, and filling a viewer URL (pure helpers)."""

from __future__ import annotations

from pathlib import Path

from results.collect import viewer_url
from runs.logs import tail_lines


def tail(log: Path, lines: int, max_bytes: int = 2**20) -> str:
    with log.open("rb") as handle:
        return tail_lines(handle, lines, max_bytes)


def test_tail_of_a_file_larger_than_one_block(tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    log.write_text("".join(f"{n:06d} " + "x" * 200 + "\n" for n in range(2000)))
    assert [line[:6] for line in tail(log, 3).splitlines()] == ["001997", "001998", "001999"]
    assert len(tail(log, 1000).splitlines()) == 1000


def test_tail_of_short_and_empty_files(tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    log.write_bytes(b"only \xff line")
    assert tail(log, 5) == "only \ufffd line\n"
    log.write_bytes(b"")
    assert tail(log, 5) == ""


def test_the_tail_reads_at_most_its_byte_budget(tmp_path: Path) -> None:
    """A 2 MiB line and a budget of 1000 bytes: the part line is dropped, whole lines kept."""
    log = tmp_path / "run.log"
    log.write_bytes(b"y" * 2**21 + b"\n" + b"".join(b"line %03d\n" % n for n in range(200)))
    shown = tail(log, 500, max_bytes=1000)
    assert len(shown) <= 1000 and "y" not in shown
    assert shown.splitlines()[-1] == "line 199" and shown.splitlines()[0].startswith("line ")


def test_viewer_url_encodes_each_value() -> None:
    assert viewer_url("https://v.example/{owner}/{project}?run={run}&x={other}",
                      "a@b", "my cells/..", "r1") == (
        "https://v.example/a%40b/my%20cells%2F..?run=r1&x={other}")
