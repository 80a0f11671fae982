import uuid
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone

from fcm.inventory import looks

#: A draft untouched this long is an abandoned dialog: the next start of any wizard by its user removes it.
DRAFT_LIFETIME = timedelta(days=1)
#: An open run: not finished into an Operation, not cancelled.
OPEN = Q(operation__isnull=True, cancelled=False)


class DraftQuerySet(models.QuerySet):
    def open(self):
        return self.filter(OPEN)

    def stale(self, now=None):
        return self.filter(updated_at__lt=(now or timezone.now()) - DRAFT_LIFETIME)

    def start(self, *, lab, user, kind, **fields):
        """A new run of wizard `kind` for `user` on `lab`, replacing their open one (one open run per user, lab
        and wizard: pressing Next on a start page again and again keeps one row, not one per press), and
        removing the user's drafts untouched for a day."""
        for attempt in (1, 2):  # a second tab starting the same wizard at the same moment: the later one wins
            try:
                with transaction.atomic():
                    self.filter(user=user).stale().delete()
                    self.open().filter(lab=lab, user=user, kind=kind).delete()
                    return self.create(lab=lab, user=user, kind=kind, **fields)
            except IntegrityError:
                if attempt == 2:
                    raise


class WizardDraft(models.Model):
    """One run of a wizard: its step and what was typed, keyed by an id in the URL.

    State lives here, not in the session, so a reload never loses a run. A user has at most
    one open run of a wizard per lab (the database holds it to that): starting it again
    replaces the open one, as the product's wizard opens anew from its first page.
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

    objects = DraftQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["user", "lab", "kind"], condition=OPEN,
                                               name="one_open_draft_per_wizard")]


class PhaseStatus(looks.PresentedTextChoices):
    """A step of a wizard's operation, as its progress page lists it."""

    COMPLETED = "Completed", "Completed", looks.UP
    IN_PROGRESS = "In progress", "In progress", looks.PENDING
    CANCELED = "Canceled", "Canceled", looks.BARE
    PENDING = "Pending", "Pending", looks.BARE
