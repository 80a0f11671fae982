"""The cluster's event log (Failover Clustering / Hyper-V-High-Availability events, by ID)."""
from fcm.inventory.models import ClusterEvent

from .models import Outbox
from .outbox import mark

HA_SOURCE = "Hyper-V-High-Availability"


def log_event(lab, cluster, level, event_id, description, *, node=None, role=None,
              source="FailoverClustering", task_category="", sim_time=None):
    event = ClusterEvent.objects.create(
        lab=lab, cluster=cluster, sim_time=sim_time or lab.sim_now(), level=level, event_id=event_id,
        source=source, task_category=task_category, description=description, node=node, role=role)
    mark(lab.pk, Outbox.Kind.EVENT, event.pk)
    return event
