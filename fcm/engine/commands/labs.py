"""Lab commands: removing a whole lab (a training session's labs when the trainer ends it, a reset)."""
from django.db import transaction

from fcm.inventory.models import ClusterEvent, Lab

from ..models import Operation, Outbox


def remove_lab(lab_id):
    """Delete lab `lab_id` with everything in it: its operations first (queued or running: no later pass
    finds them), its outbox rows (nothing is pushed for a lab that is gone), its events, then the lab
    and what it holds (servers, clusters, roles, VMs, validation reports, wizard drafts). No other lab
    is touched. Returns whether there was such a lab."""
    with transaction.atomic():
        lab = Lab.objects.select_for_update().filter(pk=lab_id).first()
        if lab is None:
            return False
        Operation.objects.filter(lab=lab).delete()
        Outbox.objects.filter(lab=lab).delete()
        ClusterEvent.objects.filter(lab=lab).delete()
        lab.delete()
    return True
