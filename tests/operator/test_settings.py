"""Settings come from environment variables, with clear errors on bad values."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubeshowcase_operator.settings import SettingsError, load


def env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"KUBE_NAMESPACE": "kubeshowcase", "DATA_ROOT": str(tmp_path), **extra}


def test_it_has_defaults(tmp_path: Path) -> None:
    settings = load(env(tmp_path))
    assert settings.namespace == "kubeshowcase"
    assert settings.data_root == tmp_path
    assert settings.data_pvc == "kubeshowcase-data"
    assert settings.max_concurrent_runs == 1
    assert settings.queue_position_head == 20
    assert settings.job_ttl_seconds == 3600
    assert settings.pipeline_run_as_user == 1000
    assert settings.lease_name == "kubeshowcase-operator"
    assert settings.lease_duration_seconds == 15
    assert settings.identity  # hostname-pid
    assert settings.log_max_bytes == 64 * 1024 * 1024
    assert settings.request_timeout_seconds == 4.0  # below the 5 s lease margin
    assert settings.resync_seconds == 60
    assert settings.pending_timeout_seconds == 600
    assert settings.default_active_deadline_seconds == 86400


def test_it_reads_every_variable(tmp_path: Path) -> None:
    settings = load(env(tmp_path, DATA_PVC="data", MAX_CONCURRENT_RUNS="3",
                        QUEUE_POSITION_HEAD="5", JOB_TTL_SECONDS="60",
                        PIPELINE_RUN_AS_USER="2000", LEASE_NAME="lease-a",
                        LEASE_DURATION_SECONDS="4", POD_NAME="operator-7",
                        LOG_MAX_BYTES="4096"))
    assert (settings.data_pvc, settings.max_concurrent_runs, settings.queue_position_head,
            settings.job_ttl_seconds, settings.pipeline_run_as_user, settings.lease_name,
            settings.lease_duration_seconds, settings.identity, settings.log_max_bytes) == (
        "data", 3, 5, 60, 2000, "lease-a", 4, "operator-7", 4096)


def test_the_request_timeout_follows_the_lease_duration(tmp_path: Path) -> None:
    assert load(env(tmp_path, LEASE_DURATION_SECONDS="3")).request_timeout_seconds == 0.8
    assert load(env(tmp_path, LEASE_DURATION_SECONDS="60",
                    REQUEST_TIMEOUT_SECONDS="10")).request_timeout_seconds == 10.0


@pytest.mark.parametrize(("name", "value", "message"), [
    ("MAX_CONCURRENT_RUNS", "many", "MAX_CONCURRENT_RUNS must be an integer, got 'many'"),
    ("MAX_CONCURRENT_RUNS", "0", "MAX_CONCURRENT_RUNS must be at least 1, got 0"),
    ("QUEUE_POSITION_HEAD", "-1", "QUEUE_POSITION_HEAD must be at least 0, got -1"),
    ("PIPELINE_RUN_AS_USER", "0", "PIPELINE_RUN_AS_USER must be at least 1, got 0"),
    ("LEASE_DURATION_SECONDS", "1.5", "LEASE_DURATION_SECONDS must be an integer"),
    ("KUBE_NAMESPACE", "Bad_Name", "KUBE_NAMESPACE must be a lowercase DNS name"),
    ("DATA_PVC", "-x", "DATA_PVC must be a lowercase DNS name"),
    ("LOG_MAX_BYTES", "100", "LOG_MAX_BYTES must be at least 1024, got 100"),
    ("LOG_MAX_BYTES", "64Mi", "LOG_MAX_BYTES must be an integer, got '64Mi'"),
    ("REQUEST_TIMEOUT_SECONDS", "5", "REQUEST_TIMEOUT_SECONDS must be above 0 and below the "
     "lease margin"),
    ("REQUEST_TIMEOUT_SECONDS", "0", "LEASE_DURATION_SECONDS: 5s., got 0$"),
    ("REQUEST_TIMEOUT_SECONDS", "soon", "REQUEST_TIMEOUT_SECONDS must be a number"),
    ("PENDING_TIMEOUT_SECONDS", "0", "PENDING_TIMEOUT_SECONDS must be at least 1, got 0"),
    ("TERMINATING_TIMEOUT_SECONDS", "0", "TERMINATING_TIMEOUT_SECONDS must be at least 1, got 0"),
    ("DEFAULT_ACTIVE_DEADLINE_SECONDS", "1d", "DEFAULT_ACTIVE_DEADLINE_SECONDS must be an "
     "integer"),
])
def test_it_rejects_bad_values(tmp_path: Path, name: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message.replace("(", r"\(")):
        load(env(tmp_path, **{name: value}))


def test_it_requires_the_namespace(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="KUBE_NAMESPACE is required"):
        load({"DATA_ROOT": str(tmp_path)})


def test_it_requires_an_existing_absolute_data_root(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="DATA_ROOT is required"):
        load({"KUBE_NAMESPACE": "ns"})
    with pytest.raises(SettingsError, match="must be an absolute path"):
        load({"KUBE_NAMESPACE": "ns", "DATA_ROOT": "data"})
    with pytest.raises(SettingsError, match="is not an existing folder"):
        load({"KUBE_NAMESPACE": "ns", "DATA_ROOT": str(tmp_path / "missing")})


def test_metrics_and_log_format_are_off_and_text_unless_set(tmp_path: Path) -> None:
    settings = load(env(tmp_path))
    assert (settings.metrics_port, settings.log_format) == (0, "text")
    settings = load(env(tmp_path, METRICS_PORT="9090", LOG_FORMAT="JSON"))
    assert (settings.metrics_port, settings.log_format) == (9090, "json")


@pytest.mark.parametrize(("name", "raw", "message"), [
    ("METRICS_PORT", "http", "METRICS_PORT must be an integer"),
    ("METRICS_PORT", "-1", "METRICS_PORT must be at least 0"),
    ("METRICS_PORT", "70000", "METRICS_PORT must be a TCP port"),
    ("LOG_FORMAT", "yaml", "LOG_FORMAT must be one of text, json"),
])
def test_bad_metrics_and_log_settings_are_refused(tmp_path: Path, name: str, raw: str,
                                                  message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load(env(tmp_path, **{name: raw}))


def test_the_queue_policy_and_the_cap_per_owner(tmp_path: Path) -> None:
    assert (load(env(tmp_path)).queue_policy, load(env(tmp_path)).max_runs_per_owner) == (
        "RoundRobin", 0)
    settings = load(env(tmp_path, QUEUE_POLICY="fifo", MAX_RUNS_PER_OWNER="2"))
    assert (settings.queue_policy, settings.max_runs_per_owner) == ("FIFO", 2)
    with pytest.raises(SettingsError, match="QUEUE_POLICY must be one of"):
        load(env(tmp_path, QUEUE_POLICY="lottery"))
    with pytest.raises(SettingsError, match="MAX_RUNS_PER_OWNER must be at least 0"):
        load(env(tmp_path, MAX_RUNS_PER_OWNER="-1"))
