from django.apps import AppConfig
from django.urls import register_converter


class InventoryConfig(AppConfig):
    name = "fcm.inventory"
    label = "inventory"
    verbose_name = "Lab inventory"

    def ready(self):
        from .ids import RowIdConverter

        # Before any URL configuration is read: every app's routes name row ids as <id:...>.
        register_converter(RowIdConverter, "id")
