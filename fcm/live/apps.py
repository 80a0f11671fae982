from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "fcm.live"
    label = "live"
    verbose_name = "Live updates"

    def ready(self):
        from . import signals  # noqa: F401  (connects the receivers that close sockets when access changes)
