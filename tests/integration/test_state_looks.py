"""The console's lists draw each state with the icon its enum gives it."""
import pytest
from django.urls import reverse

from fcm.inventory.models import Cluster, ClusterDisk, ClusterNetwork, Node

pytestmark = pytest.mark.django_db


def icon_html(name):
    return f'<svg class="ico ico-{name}" aria-hidden="true"><use href="/static/fcm/icons.svg#{name}"></use></svg>'


@pytest.mark.parametrize("state", list(Node.State))
def test_nodes_list_shows_each_node_state_with_its_icon(owner_client, r2_lab, state):
    c = Cluster.objects.get(lab=r2_lab)
    node = Node.objects.filter(cluster=c).first()
    Node.objects.filter(pk=node.pk).update(state=state)
    html = owner_client.get(reverse("console:nodes", args=[r2_lab.pk, c.pk])).content.decode()
    assert f"{icon_html(state.icon)} {state.label}" in html


@pytest.mark.parametrize("state", list(ClusterNetwork.State))
def test_networks_list_shows_each_network_state_with_its_icon(owner_client, r2_lab, state):
    c = Cluster.objects.get(lab=r2_lab)
    net = ClusterNetwork.objects.filter(cluster=c).first()
    ClusterNetwork.objects.filter(pk=net.pk).update(state=state)
    html = owner_client.get(reverse("console:networks", args=[r2_lab.pk, c.pk])).content.decode()
    assert f'<span id="network-{net.pk}-state">{icon_html(state.icon)} {state.label}</span>' in html


def test_servers_list_shows_power_with_its_icon(owner_client, r2_lab):
    off = Node.objects.filter(lab=r2_lab).first()
    Node.objects.filter(pk=off.pk).update(power_state=Node.PowerState.OFF)
    html = owner_client.get(reverse("console:servers", args=[r2_lab.pk])).content.decode()
    assert f"{icon_html(Node.PowerState.OFF.icon)} Off" in html
    assert f"{icon_html(Node.PowerState.ON.icon)} On" in html


@pytest.mark.parametrize("state", list(Cluster.State))
def test_cluster_list_and_summary_show_the_cluster_state(owner_client, r2_lab, state):
    c = Cluster.objects.get(lab=r2_lab)
    Cluster.objects.filter(pk=c.pk).update(state=state)
    root = owner_client.get(reverse("console:root", args=[r2_lab.pk])).content.decode()
    assert f"{icon_html(state.icon)} {state.label}" in root
    summary = owner_client.get(reverse("console:cluster", args=[r2_lab.pk, c.pk])).content.decode()
    expected = " Running" if state == Cluster.State.RUNNING else " Down: the cluster has no quorum."
    assert icon_html(state.icon) + expected in summary


def test_a_redirected_csv_shows_the_warning_icon(owner_client, r2_lab):
    c = Cluster.objects.get(lab=r2_lab)
    csv = ClusterDisk.objects.get(cluster=c, assignment=ClusterDisk.Assignment.CSV)
    url = reverse("console:storage", args=[r2_lab.pk, c.pk])
    assert f"{icon_html(ClusterDisk.State.ONLINE.icon)} Online" in owner_client.get(url).content.decode()
    ClusterDisk.objects.filter(pk=csv.pk).update(redirected=True)
    html = owner_client.get(url).content.decode()
    assert f"{icon_html(ClusterDisk.Access.REDIRECTED.icon)} Online (Redirected Access)" in html
