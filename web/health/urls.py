from django.urls import path

from health import views

urlpatterns = [
    path("healthz", views.alive, name="health-alive"),
    path("readyz", views.ready, name="health-ready"),
]
