from django.urls import path

from accounts import views

urlpatterns = [
    path("login/", views.login, name="accounts-login"),
    path("logout/", views.logout, name="accounts-logout"),
    path("guest/", views.guest, name="accounts-guest"),
    path("password/", views.password_change, name="accounts-password-change"),
    path("password/done/", views.password_change_done, name="accounts-password-change-done"),
]
