from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "fcm.live"
    label = "live"
    verbose_name = "Live updates"
