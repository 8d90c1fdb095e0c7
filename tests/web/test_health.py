"""Kubernetes probes: /healthz (alive) and /readyz (can serve: database reachable)."""

from __future__ import annotations

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


def test_readyz_reports_a_failing_check(db, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(checks, "READINESS_CHECKS", list(checks.READINESS_CHECKS))
    checks.register(lambda: "kubernetes API: unreachable")
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert b"kubernetes API: unreachable" in response.content


def test_readyz_is_not_ready_when_the_database_is_unreachable(transactional_db) -> None:  # noqa: ANN001
    connection.close()
    real_name = connection.settings_dict["NAME"]
    connection.settings_dict["NAME"] = "no_such_database"
    try:
        response = Client().get("/readyz")
    finally:
        connection.close()
        connection.settings_dict["NAME"] = real_name
    assert response.status_code == 503
    assert b"database: OperationalError" in response.content
