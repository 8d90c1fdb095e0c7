"""Kubernetes probes: /healthz (alive) and /readyz (can serve: database reachable, data volume
writable; never the Kubernetes API, see tests/web/runs/test_kube_errors.py)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from health import checks
from tests.read_only import unwritable_folder

WEB = Path(__file__).resolve().parents[2] / "web"


def test_healthz_answers_without_touching_the_database() -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"


def test_probes_answer_whatever_the_host_header(db) -> None:  # noqa: ANN001
    # kubelet probes use the pod IP as Host, which ALLOWED_HOSTS does not list.
    assert Client().get("/healthz", HTTP_HOST="10.244.0.17:8000").status_code == 200
    assert Client().get("/readyz", HTTP_HOST="10.244.0.17:8000").status_code == 200
    assert Client().get("/accounts/login/", HTTP_HOST="10.244.0.17:8000").status_code == 400


def test_readyz_checks_the_database(db) -> None:  # noqa: ANN001
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert response.content == b"ready\n"


def test_readyz_names_a_failing_check_and_logs_its_reason(
    db, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture  # noqa: ANN001
) -> None:
    monkeypatch.setattr(checks, "READINESS_CHECKS", dict(checks.READINESS_CHECKS))
    checks.register(lambda: "unreachable at https://10.96.0.1:443 (token expired)", name="queue")
    with caplog.at_level(logging.WARNING, logger="health.views"):
        response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.content == b"not ready: queue\n"
    assert "queue: unreachable at https://10.96.0.1:443 (token expired)" in caplog.text


def test_a_check_that_raises_is_a_failing_check_not_a_500(
    db, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture  # noqa: ANN001
) -> None:
    def broken() -> str | None:
        raise RuntimeError("secret detail /var/run/secrets/token")

    monkeypatch.setattr(checks, "READINESS_CHECKS", dict(checks.READINESS_CHECKS))
    checks.register(broken, name="broken")
    with caplog.at_level(logging.WARNING):
        response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.content == b"not ready: broken\n"
    assert "secret detail" in caplog.text


def test_readyz_is_not_ready_when_the_database_is_unreachable(
    transactional_db, caplog: pytest.LogCaptureFixture  # noqa: ANN001
) -> None:
    connection.close()
    real_name = connection.settings_dict["NAME"]
    connection.settings_dict["NAME"] = "no_such_database"
    try:
        with caplog.at_level(logging.WARNING, logger="health.views"):
            response = Client().get("/readyz")
    finally:
        connection.close()
        connection.settings_dict["NAME"] = real_name
    assert response.status_code == 503
    # PostgreSQL's own words (database name, host) reach the log, never the body.
    assert response.content == b"not ready: database\n"
    assert "no_such_database" in caplog.text


def test_readyz_is_not_ready_when_the_data_volume_is_not_writable(
    db, web_settings, tmp_path: Path, caplog: pytest.LogCaptureFixture  # noqa: ANN001
) -> None:
    with unwritable_folder(tmp_path / "read-only") as folder:
        web_settings.DATA_ROOT = folder
        with caplog.at_level(logging.WARNING, logger="health.views"):
            response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.content == b"not ready: data-volume\n"
    assert f"DATA_ROOT {folder} is not writable by uid {os.getuid()}" in caplog.text


def test_the_readiness_check_leaves_nothing_on_the_volume(db, web_settings) -> None:  # noqa: ANN001
    assert Client().get("/readyz").status_code == 200
    assert list(web_settings.DATA_ROOT.iterdir()) == []


def test_the_web_app_refuses_to_start_on_an_unwritable_volume(tmp_path: Path) -> None:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(WEB),
        "SECRET_KEY": "startup-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
        "KUBESHOWCASE_HOSTS": "localhost",
    }
    with unwritable_folder(tmp_path / "read-only") as folder:
        result = subprocess.run(
            [sys.executable, "-c", "import kubeshowcase.wsgi"],
            cwd=WEB, env={**env, "DATA_ROOT": str(folder)},
            capture_output=True, text=True, timeout=120,
        )
    assert result.returncode == 1
    assert (
        f"django.core.exceptions.ImproperlyConfigured: DATA_ROOT {folder} is not writable by uid"
        in result.stderr
    )
    assert "the data volume must be mounted read-write" in result.stderr
    writable = tmp_path / "writable"
    writable.mkdir()
    result = subprocess.run(
        [sys.executable, "-c", "import kubeshowcase.wsgi"],
        cwd=WEB, env={**env, "DATA_ROOT": str(writable)},
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert list(writable.iterdir()) == []
