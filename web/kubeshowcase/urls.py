"""The site's URL map: each app's routes under its prefix, plus admin and probes."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from deepzoom import urls as deepzoom_urls
from projects import urls as projects_urls
from results import urls as results_urls

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="projects-list"), name="home"),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("handover.urls")),
    path("accounts/", include("notifications.urls")),
    path("projects/", include("projects.urls")),
    path("uploads/", include(projects_urls.upload_urlpatterns)),
    path("projects/", include("runs.project_urls")),
    path("projects/", include(results_urls.project_urlpatterns)),
    path("projects/", include(deepzoom_urls.project_urlpatterns)),
    path("runs/", include(results_urls.run_urlpatterns)),
    path("runs/", include("runs.urls")),
    path("", include("health.urls")),
    path("admin/", admin.site.urls),
]
