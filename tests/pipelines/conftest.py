"""Fixtures for the nuclei pipeline tests: a project folder with the operator's handshake files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pipelines.project import Project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    root = tmp_path / "alice" / "cells"
    root.mkdir(parents=True)
    return Project(root)


@pytest.fixture
def in_project(project: Project, monkeypatch: pytest.MonkeyPatch) -> Project:
    """The project folder as the working directory, for calling the CLI in-process."""
    monkeypatch.chdir(project.root)
    return project
