"""KSC_FAIL_ON_SKIP=1 (CI) fails a run with a skipped test, on one process and under xdist."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.inner_pytest import run_pytest

FILES = {"conftest.py": 'pytest_plugins = ["tests.fixtures.fail_on_skip"]\n',
         "test_some.py": "import pytest\n\n\ndef test_runs():\n    pass\n\n\n"
                         "def test_skips():\n    pytest.skip('no tool')\n"}


@pytest.mark.parametrize("workers", [[], ["-p", "xdist", "-n", "2"]], ids=["serial", "xdist"])
def test_a_skip_fails_the_run_only_when_asked(tmp_path: Path, workers: list[str]) -> None:
    asked = run_pytest(tmp_path, FILES, *workers, env={"KSC_FAIL_ON_SKIP": "1"})
    assert asked.returncode == 1, asked.stdout + asked.stderr
    assert "1 passed, 1 skipped" in asked.stdout
    assert "KSC_FAIL_ON_SKIP: 1 test(s) skipped; failing the run" in asked.stdout
    not_asked = run_pytest(tmp_path, FILES, *workers)
    assert not_asked.returncode == 0, not_asked.stdout + not_asked.stderr
    assert "KSC_FAIL_ON_SKIP" not in not_asked.stdout
