from django.apps import AppConfig
from django.conf import settings


class RunsConfig(AppConfig):
    name = "runs"
    verbose_name = "Pipeline runs"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from projects.busy import register_busy_check
        from projects.models import Project
        from runs import integrations
        from runs.busy import project_busy_reason
        from runs.links import link_legacy_runs

        # No readiness check for the Kubernetes API (see health.checks): the runs pages
        # answer its failures themselves.
        integrations.load(settings.RUN_INTEGRATIONS)
        # A project a queued or running run uses must not change (projects asks, runs answers).
        register_busy_check(project_busy_reason)
        # Runs archived before their folder had a Project row join it when the row is made.
        post_save.connect(link_legacy_runs, sender=Project, dispatch_uid="runs.link_legacy_runs")
