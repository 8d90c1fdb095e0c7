"""Kubernetes probes: /healthz (alive) and /readyz (can serve: database reachable)."""

from __future__ import annotations

import logging

import pytest
from django.db import connection
from django.test import Client

from health import checks


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
