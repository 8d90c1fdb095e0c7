"""The operator's unit tests share one Settings object."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubeshowcase_operator.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        namespace="kubeshowcase", data_root=tmp_path, data_pvc="kubeshowcase-data",
        max_concurrent_runs=1, queue_position_head=20, job_ttl_seconds=3600,
        pipeline_run_as_user=1000, lease_name="kubeshowcase-operator",
        lease_duration_seconds=15, identity="operator-0",
    )
