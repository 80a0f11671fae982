import uuid

from django.conf import settings
from django.db import models

from fcm.inventory import looks


class WizardDraft(models.Model):
    """One run of a wizard: its step and what was typed, keyed by an id in the URL.

    State lives here, not in the session, so a reload or a second tab never
    loses or mixes two runs of the same wizard.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    lab = models.ForeignKey("inventory.Lab", on_delete=models.CASCADE, related_name="wizard_drafts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32)
    cluster = models.ForeignKey("inventory.Cluster", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="+")
    step = models.CharField(max_length=32)
    data = models.JSONField(default=dict, blank=True)
    operation = models.OneToOneField("engine.Operation", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="wizard_draft")
    cancelled = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]


class PhaseStatus(looks.PresentedTextChoices):
    """A step of a wizard's operation, as its progress page lists it."""

    COMPLETED = "Completed", "Completed", looks.UP
    IN_PROGRESS = "In progress", "In progress", looks.PENDING
    CANCELED = "Canceled", "Canceled", looks.BARE
    PENDING = "Pending", "Pending", looks.BARE
