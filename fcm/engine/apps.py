from django.apps import AppConfig


class EngineConfig(AppConfig):
    name = "fcm.engine"
    label = "engine"
    verbose_name = "Simulation engine"
