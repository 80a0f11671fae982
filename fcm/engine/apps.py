from django.apps import AppConfig


class EngineConfig(AppConfig):
    name = "fcm.engine"
    label = "engine"
    verbose_name = "Simulation engine"

    def ready(self):
        # Every operation kind registers its handler when its module is imported.
        from . import kinds  # noqa: F401
