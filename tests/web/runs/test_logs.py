"""Reading the end of a long log, and filling a viewer URL (pure helpers)."""

from __future__ import annotations

from pathlib import Path

from results.collect import viewer_url
from runs.logs import tail_lines


def test_tail_of_a_file_larger_than_one_block(tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    log.write_text("".join(f"{n:06d} " + "x" * 200 + "\n" for n in range(2000)))
    assert [line[:6] for line in tail_lines(log, 3).splitlines()] == ["001997", "001998", "001999"]
    assert len(tail_lines(log, 1000).splitlines()) == 1000


def test_tail_of_short_and_empty_files(tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    log.write_bytes(b"only \xff line")
    assert tail_lines(log, 5) == "only \ufffd line\n"
    log.write_bytes(b"")
    assert tail_lines(log, 5) == ""


def test_viewer_url_encodes_each_value() -> None:
    assert viewer_url("https://v.example/{owner}/{project}?run={run}&x={other}",
                      "a@b", "my cells/..", "r1") == (
        "https://v.example/a%40b/my%20cells%2F..?run=r1&x={other}")
