from django.apps import AppConfig


class WizardsConfig(AppConfig):
    name = "fcm.wizards"
    label = "wizards"
    verbose_name = "Wizards"
