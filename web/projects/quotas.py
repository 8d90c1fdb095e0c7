"""Quota decisions: pure functions answering None (allowed) or the message that says why not."""

from __future__ import annotations

from dataclasses import dataclass

from django.template.defaultfilters import filesizeformat

from accounts.limits import Limits


@dataclass(frozen=True)
class Usage:
    projects: int
    files: int
    bytes: int


def refuse_new_project(limits: Limits, usage: Usage) -> str | None:
    if usage.projects >= limits.max_projects:
        return f"You already have {usage.projects} projects; the limit is {limits.max_projects}."
    return None


def refuse_upload_size(limits: Limits, upload_bytes: int) -> str | None:
    if upload_bytes > limits.max_upload_bytes:
        return (
            f"This upload is {filesizeformat(upload_bytes)}; one upload can be at most "
            f"{filesizeformat(limits.max_upload_bytes)}."
        )
    return None


def refuse_new_files(limits: Limits, usage: Usage, new_files: int, new_bytes: int) -> str | None:
    if usage.files + new_files > limits.max_files:
        return (
            f"This would make {usage.files + new_files} files; you can keep at most "
            f"{limits.max_files} (you have {usage.files})."
        )
    if usage.bytes + new_bytes > limits.max_bytes:
        return (
            f"This needs {filesizeformat(new_bytes)} but only "
            f"{filesizeformat(max(limits.max_bytes - usage.bytes, 0))} of your "
            f"{filesizeformat(limits.max_bytes)} are left."
        )
    return None
