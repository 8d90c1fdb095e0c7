from django.urls import path

from handover import views

urlpatterns = [
    path("guest-work/", views.guest_work, name="handover-guest-work"),
]
