"""`make demo-chart`: the chart comes up on the double, prints a URL and a login that work,
and Ctrl-C leaves no process behind."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import psutil

from tests.demo.stack import LOGIN_LINE, READY_LINE, free_port, stop_demo
from tests.waiting import wait_until
from tests.web_client import WebUser

REPO = Path(__file__).resolve().parents[2]


def test_the_chart_demo_serves_a_login_and_stops_cleanly(tmp_path: Path) -> None:
    output = tmp_path / "demo-chart.log"
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    with open(output, "wb") as sink:
        process = subprocess.Popen(
            [sys.executable, str(REPO / "tools" / "demo_chart.py"), "--port", str(free_port()),
             "--state-dir", str(tmp_path / "state")],
            cwd=REPO, env=env, stdout=sink, stderr=subprocess.STDOUT)

    def printed() -> re.Match[str] | None:
        text = output.read_text(errors="replace")
        assert process.poll() is None, f"demo-chart exited {process.returncode}:\n{text}"
        return READY_LINE.search(text)

    try:
        url = wait_until(printed, 240, "demo-chart to print its URL", interval=0.2)["url"]
        login = LOGIN_LINE.search(output.read_text())
        assert login, output.read_text()
        user = WebUser(url.rstrip("/"))
        user.sign_in(login["user"], login["password"])
        assert "Projects" in user.get("/projects/").text
        children = psutil.Process(process.pid).children(recursive=True)
        assert children, "the chart's pods run as processes of the demo"
    finally:
        stop_demo(process)
    assert process.returncode == 0, output.read_text()
    _, alive = psutil.wait_procs(children, timeout=15)
    assert alive == [], f"left behind: {alive}"
    assert "stopped" in output.read_text()
