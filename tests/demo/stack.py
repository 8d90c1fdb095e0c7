"""Start and stop `tools/demo.py` (what `make demo` runs) as a real process for tests."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from tests.waiting import wait_until

REPO = Path(__file__).resolve().parents[2]
READY_LINE = re.compile(r"kubeshowcase is running at\s+(?P<url>http://\S+)")
LOGIN_LINE = re.compile(r"demo login:\s+(?P<user>\S+) / (?P<password>\S+)")
SECOND_LOGIN_LINE = re.compile(r"second login:\s+(?P<user>\S+) / (?P<password>\S+)")
METRICS_LINE = re.compile(r"(?P<name>operator|web app|run archive) metrics:\s+(?P<url>http://\S+)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def free_ports(count: int) -> int:
    """The first of `count` consecutive free ports (the demo's metrics ports)."""
    while True:
        first = free_port()
        try:
            with contextlib.ExitStack() as stack:
                for port in range(first, first + count):
                    probe = stack.enter_context(socket.socket())
                    probe.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue


@dataclass
class DemoStack:
    process: subprocess.Popen
    output: Path
    state_dir: Path
    url: str
    user: str
    password: str
    second_user: str
    second_password: str
    metrics: dict[str, str]  # "operator", "web app", "run archive" -> its /metrics URL

    @property
    def kubeconfig(self) -> Path:
        return self.state_dir / "kubeconfig"

    def descendants(self) -> list[psutil.Process]:
        try:
            return psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []

    def interrupt(self, timeout: float = 60) -> None:
        """Ctrl-C, as a person at the terminal would press it."""
        self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout=timeout)


def start_demo(state_dir: Path, timeout: float = 180) -> DemoStack:
    output = state_dir.parent / f"{state_dir.name}-output-{time.monotonic_ns()}.log"
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    with open(output, "wb") as sink:
        process = subprocess.Popen(
            [sys.executable, str(REPO / "tools" / "demo.py"), "--port", str(free_port()),
             "--api-port", str(free_port()), "--metrics-port", str(free_ports(3)),
             "--state-dir", str(state_dir)],
            cwd=REPO, env=env, stdout=sink, stderr=subprocess.STDOUT,
        )

    def ready() -> re.Match[str] | None:
        text = output.read_text(errors="replace")
        if process.poll() is not None:
            raise AssertionError(f"demo exited with {process.returncode}:\n{text}")
        return READY_LINE.search(text)

    try:
        match = wait_until(ready, timeout, "the demo to print its URL", interval=0.2)
    except BaseException:
        stop_demo(process)
        raise
    text = output.read_text()
    login, second = LOGIN_LINE.search(text), SECOND_LOGIN_LINE.search(text)
    assert login and second, text
    metrics = {found["name"]: found["url"] for found in METRICS_LINE.finditer(text)}
    return DemoStack(process, output, state_dir, match["url"].rstrip("/"),
                     login["user"], login["password"], second["user"], second["password"],
                     metrics)


def stop_demo(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
