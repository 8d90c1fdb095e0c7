"""JSON log lines: Kopf's own formatter (`--log-format=json`), with the fields we add.

Kopf's JSON lines carry `timestamp`, `severity`, `message` and, on its per-object lines,
`object`. This filter adds `level`, `logger` and `run` (the run's name, on Kopf's lines about a
PipelineRun; our own lines about a run pass `extra={"run": name}`), so one query finds every
line of one run, whoever wrote it."""

from __future__ import annotations

import logging

RUN_KIND = "PipelineRun"


class RunFields(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.level = record.levelname
        record.logger = record.name
        ref = getattr(record, "k8s_ref", None)
        if not hasattr(record, "run") and isinstance(ref, dict) and ref.get("kind") == RUN_KIND:
            record.run = ref.get("name")
        return True


def add_run_fields() -> None:
    """Give every line the root logger's handlers (Kopf's, once `kopf run` set them) write
    the fields above."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(found, RunFields) for found in handler.filters):
            handler.addFilter(RunFields())
