"""What the chart's CronJobs (cleanup, usage-reconcile) share with the web pods, for their tests."""

from __future__ import annotations

# The web container's alone: its API token, and the folder its gunicorn workers write their
# metrics to (PROMETHEUS_MULTIPROC_DIR).
WEB_ONLY = {"api-token", "metrics"}
# What only a serving web pod reads: its metrics server, and the run notifications it offers.
SERVING_ONLY = {"METRICS_PORT", "PROMETHEUS_MULTIPROC_DIR", "DEFAULT_FROM_EMAIL", "SITE_URL"}


def serving_only(name: str) -> bool:
    return name in SERVING_ONLY or name.startswith(("EMAIL_", "NOTIFY_"))


def cron_pod(manifests, component: str):
    """The CronJob of that component, and the spec of the pods its Jobs make."""
    cron = manifests.component("CronJob", component)
    return cron, cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
