"""The operator's settings, parsed once from environment variables with clear errors."""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .fairness import POLICIES, ROUND_ROBIN
from .lease import lease_margin, request_timeout_for
from .placement import PlacementError, PodDefaults, load_pod_defaults
from .projectfs import unwritable_reason

LOG_FORMATS = ("text", "json")
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


class SettingsError(ValueError):
    """An environment variable is missing or has a value the operator cannot use."""


@dataclass(frozen=True)
class Settings:
    namespace: str
    data_root: Path
    data_pvc: str
    max_concurrent_runs: int
    queue_position_head: int
    job_ttl_seconds: int
    pipeline_run_as_user: int
    lease_name: str
    lease_duration_seconds: int
    identity: str
    # Bytes of a run's pod log kept in its project; the rest is cut, with a line saying so.
    log_max_bytes: int = 64 * 1024 * 1024
    # Seconds one API request may take: below the lease margin, so that a write let through
    # just before leadership lapses is over before anyone else can lead.
    request_timeout_seconds: float = 4.0
    # Seconds between two listings of active runs and our Jobs (what a watch gap hid).
    resync_seconds: int = 60
    # A run whose pod has not started after this long fails with the kubelet's reason.
    pending_timeout_seconds: int = 600
    # activeDeadlineSeconds of the Job of a Pipeline that sets none.
    default_active_deadline_seconds: int = 86400
    # A pod of ours still Terminating this long after its grace period ended is force-deleted
    # (its kubelet no longer answers: a lost node); until then it holds its slot and folder.
    terminating_timeout_seconds: int = 120
    # The pipeline pod's group and its volumes' group (fsGroup); unset, the uid (the chart
    # sets all three from podSecurityContext, which web and operator run with too).
    pipeline_run_as_group: int | None = None
    pipeline_fs_group: int | None = None
    # Where and as whom a pipeline's pod runs unless its Pipeline says (placement.py).
    pipeline_defaults: PodDefaults = PodDefaults()
    # Port of GET /metrics (Prometheus), 0: none. Off unless set: the chart sets it.
    metrics_port: int = 0
    # "json": one JSON object per log line (Kopf's own formatter); "text": Kopf's plain lines.
    log_format: str = "text"
    # The queue's order within one priority (fairness.py): RoundRobin across owners, or FIFO.
    queue_policy: str = ROUND_ROBIN
    # Runs one owner may have going at once (0: no cap); their next runs are passed over.
    max_runs_per_owner: int = 0

    @property
    def pipeline_group(self) -> int:
        return self.pipeline_run_as_group or self.pipeline_run_as_user

    @property
    def pipeline_volume_group(self) -> int:
        return self.pipeline_fs_group or self.pipeline_group


def _text(env: Mapping[str, str], name: str, default: str | None = None) -> str:
    value = env.get(name, "").strip()
    if value:
        return value
    if default is None:
        raise SettingsError(f"{name} is required but not set")
    return default


def _integer(env: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value


def _dns_name(env: Mapping[str, str], name: str, default: str | None, pattern: re.Pattern[str],
              limit: int) -> str:
    value = _text(env, name, default)
    if len(value) > limit or not pattern.match(value):
        raise SettingsError(f"{name} must be a lowercase DNS name of at most {limit} characters,"
                            f" got {value!r}")
    return value


def _choice(env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env.get(name, "").strip().lower() or default
    if value not in choices:
        raise SettingsError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def default_identity() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def load(env: Mapping[str, str] | None = None) -> Settings:
    """Read every setting from the environment (os.environ unless given)."""
    env = os.environ if env is None else env
    data_root = Path(_text(env, "DATA_ROOT"))
    if not data_root.is_absolute():
        raise SettingsError(f"DATA_ROOT must be an absolute path, got {str(data_root)!r}")
    if not data_root.is_dir():
        raise SettingsError(f"DATA_ROOT {str(data_root)!r} is not an existing folder")
    unwritable = unwritable_reason(data_root)
    if unwritable is not None:
        raise SettingsError(unwritable)
    identity = _text(env, "POD_NAME", default_identity())
    if len(identity) > 253:
        raise SettingsError(f"POD_NAME must be at most 253 characters, got {len(identity)}")
    lease_duration = _integer(env, "LEASE_DURATION_SECONDS", 15, minimum=1)
    try:
        pipeline_defaults = load_pod_defaults(env)
    except PlacementError as error:
        raise SettingsError(str(error)) from None
    run_as_user = _integer(env, "PIPELINE_RUN_AS_USER", 1000, minimum=1)
    run_as_group = _integer(env, "PIPELINE_RUN_AS_GROUP", run_as_user, minimum=1)
    return Settings(
        # POD_NAMESPACE: the downward-API name most charts use for the same value.
        namespace=_dns_name(env, "KUBE_NAMESPACE", env.get("POD_NAMESPACE") or None, DNS_LABEL, 63),
        data_root=data_root,
        data_pvc=_dns_name(env, "DATA_PVC", "kubeshowcase-data", DNS_SUBDOMAIN, 253),
        max_concurrent_runs=_integer(env, "MAX_CONCURRENT_RUNS", 1, minimum=1),
        queue_position_head=_integer(env, "QUEUE_POSITION_HEAD", 20, minimum=0),
        job_ttl_seconds=_integer(env, "JOB_TTL_SECONDS", 3600, minimum=0),
        pipeline_run_as_user=run_as_user,
        pipeline_run_as_group=run_as_group,
        pipeline_fs_group=_integer(env, "PIPELINE_FS_GROUP", run_as_group, minimum=1),
        pipeline_defaults=pipeline_defaults,
        lease_name=_dns_name(env, "LEASE_NAME", "kubeshowcase-operator", DNS_SUBDOMAIN, 253),
        lease_duration_seconds=lease_duration,
        identity=identity,
        log_max_bytes=_integer(env, "LOG_MAX_BYTES", 64 * 1024 * 1024, minimum=1024),
        request_timeout_seconds=_request_timeout(env, lease_duration),
        resync_seconds=_integer(env, "RESYNC_SECONDS", 60, minimum=1),
        pending_timeout_seconds=_integer(env, "PENDING_TIMEOUT_SECONDS", 600, minimum=1),
        default_active_deadline_seconds=_integer(env, "DEFAULT_ACTIVE_DEADLINE_SECONDS", 86400,
                                                 minimum=1),
        terminating_timeout_seconds=_integer(env, "TERMINATING_TIMEOUT_SECONDS", 120, minimum=1),
        metrics_port=_port(env, "METRICS_PORT"),
        log_format=_choice(env, "LOG_FORMAT", "text", LOG_FORMATS),
        queue_policy=_policy(env),
        max_runs_per_owner=_integer(env, "MAX_RUNS_PER_OWNER", 0, minimum=0),
    )


def _policy(env: Mapping[str, str]) -> str:
    """QUEUE_POLICY, spelled as the chart's values (RoundRobin, FIFO), in any case."""
    by_lower = {policy.lower(): policy for policy in POLICIES}
    return by_lower[_choice(env, "QUEUE_POLICY", ROUND_ROBIN.lower(), tuple(by_lower))]


def _port(env: Mapping[str, str], name: str) -> int:
    value = _integer(env, name, 0, minimum=0)
    if value > 65535:
        raise SettingsError(f"{name} must be a TCP port (0 for none), got {value}")
    return value


def _request_timeout(env: Mapping[str, str], lease_duration: int) -> float:
    raw = env.get("REQUEST_TIMEOUT_SECONDS", "").strip()
    margin = lease_margin(lease_duration)
    if not raw:
        return request_timeout_for(lease_duration)
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"REQUEST_TIMEOUT_SECONDS must be a number, got {raw!r}") from None
    if not 0 < value < margin:
        raise SettingsError(
            f"REQUEST_TIMEOUT_SECONDS must be above 0 and below the lease margin "
            f"(a third of LEASE_DURATION_SECONDS: {margin:g}s), got {raw}")
    return value
