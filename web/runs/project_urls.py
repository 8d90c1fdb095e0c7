"""Run routes that hang under a project (/projects/<project>/...)."""

from django.urls import path

from runs.views import history, newrun

urlpatterns = [
    path("<str:project>/run", newrun.new_run, name="runs-new"),
    path("<str:project>/runs", history.project_history, name="runs-project-history"),
]
