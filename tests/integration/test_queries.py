"""Every list page runs the same number of SQL queries whatever the lab's size."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fcm.inventory.models import Cluster, ClusterDisk, ClusterEvent, Node, Role

pytestmark = pytest.mark.django_db


def _pages(lab):
    c = Cluster.objects.get(lab=lab)
    role = Role.objects.filter(cluster=c).order_by("pk").first()
    node = Node.objects.filter(cluster=c).order_by("pk").first()
    disk = ClusterDisk.objects.filter(cluster=c).order_by("pk").first()
    csv = ClusterDisk.objects.filter(cluster=c, assignment="csv").order_by("pk").first()
    network = c.cluster_networks.order_by("pk").first()
    ClusterEvent.objects.create(lab=lab, cluster=c, sim_time=lab.sim_anchor, level=2, event_id=1069,
                                description="x", node=node, role=role)
    return {
        "roles": reverse("console:roles", args=[lab.pk, c.pk]),
        "role": reverse("console:role", args=[lab.pk, c.pk, role.pk]) + "?tab=resources",
        "nodes": reverse("console:nodes", args=[lab.pk, c.pk]),
        "node": reverse("console:node", args=[lab.pk, c.pk, node.pk]) + "?tab=network",
        "disks": reverse("console:disks", args=[lab.pk, c.pk]),
        "disk": reverse("console:disk", args=[lab.pk, c.pk, disk.pk]),
        "csv": reverse("console:disk", args=[lab.pk, c.pk, csv.pk]),
        "networks": reverse("console:networks", args=[lab.pk, c.pk]),
        "network": reverse("console:network", args=[lab.pk, c.pk, network.pk]),
        "events": reverse("console:events", args=[lab.pk, c.pk]),
        "servers": reverse("console:servers", args=[lab.pk]),
        "server": reverse("console:server", args=[lab.pk, node.pk]) + "?tab=storage",
        "cluster": reverse("console:cluster", args=[lab.pk, c.pk]),
    }


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_with_the_lab(client, owner, make_generated_lab):
    client.force_login(owner)
    small = _pages(make_generated_lab(nodes=2, vms=2, name="small"))
    large = _pages(make_generated_lab(nodes=8, vms=200, name="large"))
    for page in small:
        assert _count(client, small[page]) == _count(client, large[page]), page
