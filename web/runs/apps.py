from django.apps import AppConfig
from django.conf import settings


class RunsConfig(AppConfig):
    name = "runs"
    verbose_name = "Pipeline runs"

    def ready(self) -> None:
        from projects.busy import register_busy_check
        from runs import integrations
        from runs.busy import project_busy_reason

        # No readiness check for the Kubernetes API (see health.checks): the runs pages
        # answer its failures themselves.
        integrations.load(settings.RUN_INTEGRATIONS)
        # A project a queued or running run uses must not change (projects asks, runs answers).
        register_busy_check(project_busy_reason)
