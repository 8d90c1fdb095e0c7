"""LOG_FORMAT=json: one JSON object per line, as the operator's (Kopf's python-json-logger).

Every line has `timestamp` (ISO 8601, UTC), `level`, `logger` and `message`; an `extra` field
such as `run` (the run's name, on lines about a run) joins the object."""

from __future__ import annotations

from typing import Any

from gunicorn import glogging
from pythonjsonlogger.json import JsonFormatter

FIELDS = "%(levelname)s %(name)s %(message)s"
RENAMED = {"levelname": "level", "name": "logger"}


def json_lines() -> JsonFormatter:
    """The formatter (settings.LOGGING names this factory)."""
    return JsonFormatter(FIELDS, rename_fields=RENAMED, timestamp=True)


class GunicornJsonLogger(glogging.Logger):
    """gunicorn's own lines (its error log and access log) as JSON too (its `logger_class`):
    its handlers keep their streams and get the same formatter."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(json_lines())
