from django.apps import AppConfig


class HandoverConfig(AppConfig):
    name = "handover"
    verbose_name = "Keeping a guest's work on signing in"

    def ready(self) -> None:
        from handover import signals  # noqa: F401  (connects the receiver)
