from django.apps import AppConfig


class DeepZoomConfig(AppConfig):
    name = "deepzoom"
    verbose_name = "Deep-zoom viewer of big images"
