"""make test on two xdist workers (-n 2 --dist loadfile, tests/fixtures/run_alone.py), in a
session of its own: a module fixture is made once, on one worker; an `alone` test runs with no
other test beside it."""

from __future__ import annotations

from pathlib import Path

from tests.inner_pytest import run_pytest

CONFTEST = 'pytest_plugins = ["tests.fixtures.run_alone"]\n'
# Each test appends "start|end <test> <worker>" lines to the log (one write each: O_APPEND).
NOTE = '''\
import os
import time

import pytest

LOG = os.path.join(os.path.dirname(__file__), "events.log")


def note(event, name):
    with open(LOG, "a") as log:
        log.write(f"{event} {name} {os.environ['PYTEST_XDIST_WORKER']}\\n")
'''
FILES = {
    "conftest.py": CONFTEST,
    "test_alone.py": NOTE + '''

@pytest.mark.alone
def test_alone():
    note("start", "alone")
    time.sleep(1.5)
    note("end", "alone")
''',
    "test_plain.py": NOTE + '''

@pytest.mark.parametrize("n", range(8))
def test_plain(n):
    note("start", f"plain{n}")
    time.sleep(0.4)
    note("end", f"plain{n}")
''',
    "test_share.py": NOTE + '''

@pytest.fixture(scope="module")
def made_once():
    note("made", "fixture")
    return object()


@pytest.mark.parametrize("n", range(4))
def test_shares_the_module_fixture(made_once, n):
    note("start", f"shared{n}")
    time.sleep(0.2)
    note("end", f"shared{n}")
''',
}


def test_a_module_fixture_is_made_once_and_an_alone_test_runs_by_itself(
        tmp_path: Path) -> None:
    result = run_pytest(tmp_path, FILES,
                        "-p", "xdist", "-n", "2", "--dist", "loadfile")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "13 passed" in result.stdout
    events = [line.split() for line in (tmp_path / "events.log").read_text().splitlines()]
    [(_, _, maker)] = [event for event in events if event[0] == "made"]  # made once
    shared = {worker for event, name, worker in events if name.startswith("shared")}
    assert shared == {maker}  # the module fixture's tests all ran where it was made
    assert len({worker for _, _, worker in events}) == 2  # and the session did use both
    start = next(index for index, event in enumerate(events) if event[:2] == ["start", "alone"])
    assert events[start + 1][:2] == ["end", "alone"], events  # nothing began or ended meanwhile
    running = {name for event, name, _ in events[:start] if event == "start"} - {
        name for event, name, _ in events[:start] if event == "end"}
    assert running == set(), events  # and nothing was still running when it began
