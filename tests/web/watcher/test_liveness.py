"""The watcher's liveness (runs/liveness.py): GET /livez fails once a thread of the watcher has
ended or its main loop has stalled, and never asks the API or the database."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from runs import liveness
from tests.demo.stack import free_port
from tests.fixtures.watcher import running_watcher
from tests.waiting import wait_until
from tests.web.watcher.conftest import watching
from tests.web.watcher.test_command import database_url  # noqa: F401 (fixture)


def ended_thread(name: str) -> threading.Thread:
    thread = threading.Thread(target=lambda: None, name=name)
    thread.start()
    thread.join()
    return thread


def live_thread(name: str, stop: threading.Event) -> threading.Thread:
    thread = threading.Thread(target=stop.wait, name=name, daemon=True)
    thread.start()
    return thread


def test_a_watcher_is_alive_while_its_threads_run_and_its_loop_comes_round() -> None:
    stop = threading.Event()
    try:
        threads = [live_thread("watch-pipelineruns", stop), live_thread("notify", stop)]
        assert liveness.problem(threads, ticked_at=100.0, now=130.0, stall_seconds=60) is None
        assert liveness.problem(threads, ticked_at=100.0, now=161.0, stall_seconds=60) == (
            "the main loop last came round 61 s ago (more than 60 s)")
        threads.append(threading.Thread(target=stop.wait, name="not started yet"))
        assert liveness.problem(threads, ticked_at=100.0, now=101.0, stall_seconds=60) is None
        threads += [ended_thread("watch-pipelines"), ended_thread("watch-configmaps")]
        assert liveness.problem(threads, ticked_at=100.0, now=101.0, stall_seconds=60) == (
            "thread(s) ended: watch-configmaps, watch-pipelines")
    finally:
        stop.set()


@pytest.mark.usefixtures("watched")
def test_the_running_watcher_reports_a_stalled_loop_and_an_ended_thread() -> None:
    with watching() as watcher:
        assert [thread.name for thread in watcher.threads] == [
            "watch-pipelineruns", "watch-pipelines", "watch-configmaps", "notify"]
        # Its run() starts them in its own thread: add one only once that is done.
        wait_until(lambda: all(thread.ident for thread in watcher.threads), 10, "the threads")
        assert watcher.liveness_problem(stall_seconds=60) is None
        assert "main loop" in watcher.liveness_problem(stall_seconds=0)
        watcher.threads.append(ended_thread("watch-extra"))
        assert watcher.liveness_problem(stall_seconds=60) == "thread(s) ended: watch-extra"
        watcher.stop.set()
        assert watcher.liveness_problem(stall_seconds=60) is None  # stopping: on purpose


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_manage_py_watch_runs_answers_livez_on_its_health_port(
        apiserver, database_url: str, tmp_path: Path) -> None:  # noqa: ANN001, F811
    port = free_port()
    with running_watcher(apiserver, database_url, tmp_path / "watcher.log",
                         WATCHER_HEALTH_PORT=str(port)):
        assert get(f"http://127.0.0.1:{port}/livez") == (200, "ok\n")
        assert get(f"http://127.0.0.1:{port}/metrics")[0] == 404
    assert f"liveness on port {port}, GET /livez" in (tmp_path / "watcher.log").read_text()
