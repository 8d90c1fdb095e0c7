from django.apps import AppConfig


class HousekeepingConfig(AppConfig):
    """manage.py cleanup: what outlived its use in every app. It sits above them all (it
    imports accounts, projects, runs and results; none of them imports it)."""

    name = "housekeeping"
    verbose_name = "Housekeeping"
