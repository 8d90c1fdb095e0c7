"""Deep-zoom routes, mounted under /projects/ beside the project's files."""

from django.urls import path

import projects.urls  # noqa: F401 (registers the relpath converter used below)
from deepzoom import views

project_urlpatterns = [
    path("<str:project>/zoom/<relpath:path>", views.viewer, name="deepzoom-viewer"),
    path("<str:project>/dzi/<relpath:path>", views.dzi, name="deepzoom-dzi"),
]
