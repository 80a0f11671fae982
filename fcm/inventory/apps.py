from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "fcm.inventory"
    label = "inventory"
    verbose_name = "Lab inventory"
