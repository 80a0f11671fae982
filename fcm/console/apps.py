from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "fcm.console"
    label = "console"
    verbose_name = "Failover Cluster Manager console"
