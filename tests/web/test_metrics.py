"""The web app's request and upload metrics, recorded in-process by the real middleware."""

from __future__ import annotations

import json
import logging

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from prometheus_client import REGISTRY

from monitoring.logformat import json_lines
from tests.web.conftest import Actor

COUNT = "kubeshowcase_web_request_duration_seconds_count"


def count(view: str, status: str) -> float:
    return REGISTRY.get_sample_value(COUNT, {"view": view, "status": status}) or 0.0


def uploaded() -> tuple[float, float]:
    return (REGISTRY.get_sample_value("kubeshowcase_web_uploaded_files_total") or 0.0,
            REGISTRY.get_sample_value("kubeshowcase_web_uploaded_bytes_total") or 0.0)


def test_requests_are_counted_by_view_name_and_status(alice: Actor) -> None:
    alice.project("cells")
    pages, missing = count("projects-detail", "200"), count("unresolved", "404")
    not_yours = count("projects-detail", "404")
    assert alice.client.get(reverse("projects-detail", args=["cells"])).status_code == 200
    assert alice.client.get(reverse("projects-detail", args=["cells"])).status_code == 200
    assert alice.client.get("/no/such/page").status_code == 404
    assert alice.client.get(reverse("projects-detail", args=["nope"])).status_code == 404
    assert count("projects-detail", "200") == pages + 2
    assert count("unresolved", "404") == missing + 1
    assert count("projects-detail", "404") == not_yours + 1


def test_the_probes_are_not_counted(client, db) -> None:  # noqa: ANN001
    before = sum(sample.value for family in REGISTRY.collect() for sample in family.samples
                 if sample.name == COUNT)
    assert client.get("/healthz").status_code == 200
    after = sum(sample.value for family in REGISTRY.collect() for sample in family.samples
                if sample.name == COUNT)
    assert after == before


def test_an_upload_counts_its_files_and_bytes(alice: Actor) -> None:
    alice.project("cells")
    files, size = uploaded()
    response = alice.client.post(
        reverse("projects-upload", args=["cells", ""]),
        {"files": [SimpleUploadedFile("a.tif", b"A" * 10), SimpleUploadedFile("b.csv", b"x" * 5)]})
    assert response.status_code == 302
    assert (alice.home / "cells" / "a.tif").exists()
    assert uploaded() == (files + 2, size + 15)
    assert count("projects-upload", "302") >= 1


def test_a_page_without_an_upload_counts_none(alice: Actor) -> None:
    alice.project("cells")
    before = uploaded()
    alice.client.post(reverse("projects-mkdir", args=["cells", ""]), {"name": "raw"})
    assert uploaded() == before


def test_json_lines_have_the_fields_and_the_run() -> None:
    record = logging.LogRecord("runs.retention", logging.INFO, __file__, 1,
                               "retention: run %s deleted", ("run-7",), None)
    record.run = "run-7"
    line = json.loads(json_lines().format(record))
    assert line["message"] == "retention: run run-7 deleted"
    assert (line["level"], line["logger"], line["run"]) == ("INFO", "runs.retention", "run-7")
    assert line["timestamp"].startswith("20")


def test_a_resumable_upload_counts_once_it_lands(alice: Actor) -> None:
    from tests.web.tus.conftest import send

    alice.project("cells")
    files, size = uploaded()
    send(alice.client, "cells", b"0123456789", "ten.bin")
    assert uploaded() == (files + 1, size + 10)
