"""LOG_FORMAT=json: every line the real operator writes is a JSON object; a run's carry `run`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.fixtures.operator import KscCluster, wait_until


def json_lines(log: str) -> list[dict]:
    return [json.loads(line) for line in log.splitlines() if line.strip()]


def test_json_lines_carry_timestamp_level_logger_message_and_the_run(
        operator_factory, ksc: KscCluster, pipeline_script: Path) -> None:
    ksc.project()
    ksc.create_pipeline("test", command=[sys.executable, str(pipeline_script)])
    handle = operator_factory(entry_point="module", LOG_FORMAT="json")
    ksc.create_run("run-1", args={"exit": 3})
    assert ksc.wait_phase("run-1", "Failed")["phase"] == "Failed"
    wait_until(lambda: "run run-1: Failed" in handle.log, 10, "the run's end logged")
    handle.terminate()

    lines = json_lines(handle.log)  # fails on any line that is not JSON
    ours = [line for line in lines if line.get("logger", "").startswith("kubeshowcase_operator")]
    assert ours, "the operator's own lines are there"
    for line in ours:
        assert {"timestamp", "level", "logger", "message"} <= set(line), line
    about_run = [line for line in lines if "run-1" in line["message"]]
    assert len(about_run) >= 3  # Queued, Started, Failed
    assert all(line.get("run") == "run-1" for line in about_run), about_run
    assert [line["level"] for line in about_run if "Failed" in line["message"]] == ["INFO"]


def test_text_lines_stay_text(operator_factory, ksc: KscCluster) -> None:
    handle = operator_factory(entry_point="module")
    wait_until(lambda: "now holds the lease" in handle.log, 30, "the operator to lead")
    assert not handle.log.lstrip().startswith("{")


def test_kopfs_lines_about_a_run_get_its_name_and_others_do_not() -> None:
    import logging

    from kubeshowcase_operator.logformat import RunFields

    def record(kind: str) -> logging.LogRecord:
        found = logging.LogRecord("kopf.objects", logging.WARNING, __file__, 1, "x", (), None)
        found.k8s_ref = {"kind": kind, "name": "run-9", "namespace": "ns"}
        return found

    about_run, about_job = record("PipelineRun"), record("Job")
    assert RunFields().filter(about_run) and RunFields().filter(about_job)
    assert (about_run.run, about_run.level, about_run.logger) == ("run-9", "WARNING",
                                                                  "kopf.objects")
    assert not hasattr(about_job, "run")
