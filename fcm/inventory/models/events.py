from django.db import models

from fcm.inventory import looks
from .servers import Node


class ClusterEvent(models.Model):
    """An event as the Cluster Events view lists it (System log, FailoverClustering)."""

    class Level(looks.PresentedIntegerChoices):
        # Windows event levels; lower is more severe.
        CRITICAL = 1, "Critical", looks.CRITICAL
        ERROR = 2, "Error", looks.FAILED
        WARNING = 3, "Warning", looks.WARNING
        INFORMATION = 4, "Information", looks.INFO
        VERBOSE = 5, "Verbose", looks.INFO

    lab = models.ForeignKey("Lab", on_delete=models.CASCADE, related_name="events")
    cluster = models.ForeignKey(
        "Cluster", null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    sim_time = models.DateTimeField()
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    event_id = models.PositiveIntegerField()
    source = models.CharField(max_length=80, default="FailoverClustering")
    task_category = models.CharField(max_length=80, blank=True)
    description = models.TextField()
    node = models.ForeignKey(Node, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="events", help_text="Computer that logged it")
    role = models.ForeignKey("Role", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="events")

    class Meta:
        ordering = ["-sim_time", "-id"]
        indexes = [
            models.Index(fields=["cluster", "-sim_time"]),
            models.Index(fields=["lab", "-sim_time"]),
        ]

    def __str__(self):
        return f"{self.event_id} {self.get_level_display()}"

    @property
    def level_icon(self):
        level = self.Level.coerce(self.level)
        return level.icon if level is not None else looks.INFO.icon
