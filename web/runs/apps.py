from django.apps import AppConfig
from django.conf import settings


class RunsConfig(AppConfig):
    name = "runs"
    verbose_name = "Pipeline runs"

    def ready(self) -> None:
        from health import checks
        from runs import integrations, kube

        checks.register(kube.reachable, name="kubernetes")
        integrations.load(settings.RUN_INTEGRATIONS)
