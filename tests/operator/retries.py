"""Runs whose first attempt fails and whose retry succeeds, on a Job controller that retries
within half a second, for the tests of what follows a retry (status.podName, the saved log,
failure reasons). A test module takes the fixture by importing it:

    from tests.operator.retries import job_controller_settings  # noqa: F401 (fixture)
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from kubedouble.jobcontroller import JobControllerSettings
from tests.fixtures.operator import KscCluster

# The first attempt (no marker yet) fails; the retry succeeds. Each says which it is in its log.
# Given two go files, each attempt waits for its own before it ends; without, the first lasts
# over a second, so that the retry's pod has a later creationTimestamp (whole seconds; within
# one second the order rests on status.podName: tests/operator/test_logpods.py).
ATTEMPTS = '''\
import os, sys, time
marker, gos = sys.argv[1], sys.argv[2:]
def hold(path):
    while not os.path.exists(path):
        time.sleep(0.05)
if not os.path.exists(marker):
    open(marker, "w").close()
    print("first attempt", flush=True)
    hold(gos[0]) if gos else time.sleep(1.1)
    sys.exit(3)
print("the retry", flush=True)
if gos:
    hold(gos[1])
with open(".kubeshowcase/run_id") as handle, open(".kubeshowcase/LAST_RUN_ID", "w") as last:
    last.write(handle.read())
'''


@pytest.fixture
def job_controller_settings() -> JobControllerSettings:
    """A retry comes after 0.5 s, not the real controller's 10 s (tested in
    tests/kubedouble/test_job_policies.py), so retry tests stay well inside their waits."""
    return JobControllerSettings(pod_failure_backoff_seconds=0.5,
                                 pod_failure_backoff_max_seconds=2.0)


def retrying_pipeline(ksc: KscCluster, folder: Path, *gos: Path) -> None:
    """Pipeline "test": the ATTEMPTS script, one retry allowed (backoffLimit 1)."""
    script = folder / "attempts.py"
    script.write_text(ATTEMPTS)
    ksc.create_pipeline("test", command=[sys.executable, str(script), str(folder / "begun"),
                                         *map(str, gos)], backoffLimit=1)
