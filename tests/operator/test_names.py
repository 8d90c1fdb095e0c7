"""Job, label and Event names derived from a run's name are deterministic and valid."""

from __future__ import annotations

import re

from kubeshowcase_operator.names import event_name_for, job_name_for, label_value_for

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def test_a_short_run_name_is_its_job_name() -> None:
    assert job_name_for("alice-cells-20250101-ab12") == "alice-cells-20250101-ab12"


def test_a_long_run_name_is_truncated_with_a_hash() -> None:
    name = "r" * 80
    job = job_name_for(name)
    assert len(job) <= 63 and DNS_LABEL.match(job)
    assert job == job_name_for(name)  # the same every time
    assert job != job_name_for("r" * 81)  # and distinct for distinct runs


def test_a_dotted_run_name_becomes_a_dns_label() -> None:
    job = job_name_for("alice.cells.run-1")
    assert DNS_LABEL.match(job) and len(job) <= 63
    assert job != job_name_for("alice-cells-run-1")


def test_label_values_fit_in_63_characters() -> None:
    assert label_value_for("run-1") == "run-1"
    long = label_value_for("a" * 200)
    assert len(long) <= 63 and long == label_value_for("a" * 200)


def test_event_names_are_one_per_run_and_transition() -> None:
    assert event_name_for("run-1", "0123456789abcdef", "Started") == "run-1.01234567.started"
    long = event_name_for("x" * 253, "0123456789abcdef", "Succeeded")
    assert len(long) <= 253 and long.endswith(".01234567.succeeded")
