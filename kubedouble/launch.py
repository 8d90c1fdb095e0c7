"""Starts a container's process: as is, or through kubedouble/sandbox.py inside its view.

Through the launcher, a failure to make the view or to exec the program comes back on a pipe
and is raised as OSError, as a failed exec would be without it (the kubelet's StartError).
"""

from __future__ import annotations

import asyncio
import os
import signal

from .containers import ContainerPlan
from .termination import signal_group


async def _read_all(fd: int) -> bytes:
    """Everything written to the pipe until its last writer closes it (exec or exit)."""
    loop = asyncio.get_running_loop()
    os.set_blocking(fd, False)
    chunks: list[bytes] = []
    done: asyncio.Future[None] = loop.create_future()

    def readable() -> None:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            return
        if chunk:
            chunks.append(chunk)
        elif not done.done():
            done.set_result(None)

    loop.add_reader(fd, readable)
    try:
        await done
    finally:
        loop.remove_reader(fd)
    return b"".join(chunks)


async def start(plan: ContainerPlan) -> asyncio.subprocess.Process:
    """The running process (output on stdout, stderr merged), or OSError."""
    options = {"cwd": plan.cwd, "env": plan.env, "stdin": asyncio.subprocess.DEVNULL,
               "stdout": asyncio.subprocess.PIPE, "stderr": asyncio.subprocess.STDOUT,
               "start_new_session": True}
    if plan.view is None:
        return await asyncio.create_subprocess_exec(*plan.argv, **options)  # type: ignore[arg-type]
    status_read, status_write = os.pipe()
    try:
        process = await asyncio.create_subprocess_exec(
            *plan.view.launcher(plan.argv, status_write), pass_fds=(status_write,),
            **options)  # type: ignore[arg-type]
    finally:
        os.close(status_write)
    try:
        problem = await _read_all(status_read)
    except BaseException:  # cancelled while it started: it must not run on unowned
        signal_group(process.pid, signal.SIGKILL)
        raise
    finally:
        os.close(status_read)
    if problem:
        await process.communicate()  # reaped, its pipes closed
        raise OSError(problem.decode(errors="replace"))
    return process
