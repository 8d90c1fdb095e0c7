"""Deterministic names and label values derived from a run's name."""

from __future__ import annotations

import hashlib
import re

MAX_LABEL = 63
MAX_NAME = 253
HASH_LENGTH = 10
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:HASH_LENGTH]


def _shortened(text: str, limit: int, allowed: str) -> str:
    """`text` cut to fit `limit` with a hash of the whole text, so distinct inputs stay distinct."""
    kept = re.sub(f"[^{allowed}]", "-", text)[: limit - HASH_LENGTH - 1].strip("-.")
    return f"{kept}-{_digest(text)}" if kept else _digest(text)


def job_name_for(run_name: str) -> str:
    """The one Job name a run can ever have: a retry or a restart finds the same name."""
    # A Job name must be a DNS label (<= 63) because it becomes its pods' `job-name` label.
    if len(run_name) <= MAX_LABEL and DNS_LABEL.match(run_name):
        return run_name
    return _shortened(run_name.lower(), MAX_LABEL, "a-z0-9-")


def label_value_for(name: str) -> str:
    """A label value that stands for `name` (label values are limited to 63 characters)."""
    if len(name) <= MAX_LABEL and LABEL_VALUE.match(name):
        return name
    return _shortened(name, MAX_LABEL, "A-Za-z0-9_.-")


def event_name_for(run_name: str, run_uid: str, reason: str) -> str:
    """One Event per run and transition: retrying a post can never duplicate it."""
    suffix = f".{run_uid[:8]}.{reason.lower()}"
    if len(run_name) + len(suffix) <= MAX_NAME:
        return run_name + suffix
    return _shortened(run_name, MAX_NAME - len(suffix), "a-z0-9.-") + suffix
