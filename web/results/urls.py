"""Results routes: per project (/projects/<project>/results...) and per run (/runs/<name>/...)."""

from django.urls import path

import projects.urls  # noqa: F401 (registers the relpath converter used below)
from results import export, views

project_urlpatterns = [
    path("<str:project>/results", views.project_results, name="results-project"),
    path("<str:project>/thumbnail/<relpath:path>", views.thumbnail, name="results-thumbnail"),
]

run_urlpatterns = [
    path("<str:name>/results", views.run_results, name="results-run"),
    path("<str:name>/ro-crate.zip", export.run_crate, name="results-run-crate"),
]
