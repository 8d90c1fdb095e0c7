from django.apps import AppConfig
from django.conf import settings


class RunsConfig(AppConfig):
    name = "runs"
    verbose_name = "Pipeline runs"

    def ready(self) -> None:
        from runs import integrations

        # No readiness check for the Kubernetes API (see health.checks): the runs pages
        # answer its failures themselves.
        integrations.load(settings.RUN_INTEGRATIONS)
