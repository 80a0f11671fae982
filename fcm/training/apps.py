from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "fcm.training"
    label = "training"
    verbose_name = "Training sessions"
