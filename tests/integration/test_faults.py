"""Network, partition, resiliency, quarantine, Force Cluster Start and storage faults."""

import pytest
from django.urls import reverse

from fcm.engine.models import Operation
from fcm.engine.effects.power import START, request_power
from fcm.engine.errors import RoleError
from fcm.inventory.models import (
    Cluster, ClusterDisk, ClusterEvent, ClusterNetwork, Disk, NetworkAdapter, Node, Role, VirtualMachine,
)
from fcm.engine.commands import clusters as cluster_commands
from fcm.engine import errors
from fcm.engine import facts
from fcm.engine.commands import faults
from fcm.engine.commands import nodes

pytestmark = pytest.mark.django_db


def ids(event_id):
    return ClusterEvent.objects.filter(event_id=event_id)


def cut(node, connected=False):
    """Unplug (or replug) every heartbeat adapter of `node`."""
    nets = ClusterNetwork.objects.filter(cluster=node.cluster).exclude(role=0).values_list("network_id", flat=True)
    for nic in NetworkAdapter.objects.filter(node=node, network_id__in=nets, connected=not connected):
        faults.set_adapter(node.lab.owner, nic, connected)


def running_roles(node):
    return list(Role.objects.filter(owner_node=node, virtual_machine__state="Running").order_by("name"))


def test_the_witness_owner_wins_a_one_to_one_split(r2_lab, owner, after_fault):
    s1, s2 = Node.objects.get(name="WS08R2-S1"), Node.objects.get(name="WS08R2-S2")
    assert ClusterDisk.objects.get(assignment="witness").owner_node == s1
    faults.set_adapter(owner, NetworkAdapter.objects.get(node=s2, name="Public"), False)
    after_fault(r2_lab, 6)
    assert Node.objects.get(pk=s2.pk).state == "Down" and Node.objects.get(pk=s1.pk).state == "Up"
    assert Role.objects.get(name="vWS08-SQL01").owner_node == s1
    assert VirtualMachine.objects.get(name="vWS08-SQL01").state == "Running"  # never stopped


def test_a_switch_failure_without_a_majority_stops_the_cluster_and_it_forms_again(
        make_generated_lab, owner, after_fault):
    lab = make_generated_lab(nodes=4, vms=8, os_version="2012R2")
    cluster = Cluster.objects.get(lab=lab)
    Cluster.objects.filter(pk=cluster.pk).update(quorum_type="NodeMajority")
    online = set(Role.objects.filter(cluster=cluster, state="Online").values_list("name", flat=True))
    for cn in ClusterNetwork.objects.filter(cluster=cluster).exclude(role=0):
        faults.set_network(owner, cn, False)
    assert ids(1130).count() == 3
    with pytest.raises(errors.MembershipError, match="already disconnected"):
        faults.set_network(owner, cn, False)
    after_fault(lab, 6)  # 2012 R2 with VMs: 1000 ms x 10
    assert Cluster.objects.get(pk=cluster.pk).state == "Running"
    after_fault(lab, 11)
    cluster.refresh_from_db()
    assert cluster.state == "Down" and ids(1177).exists()
    assert not VirtualMachine.objects.filter(lab=lab, state="Running").exists()  # no partition runs anything
    assert set(Role.objects.filter(cluster=cluster, persistent_state=True).values_list("name", flat=True)) == online
    for cn in ClusterNetwork.objects.filter(cluster=cluster).exclude(role=0):
        faults.set_network(owner, cn, True)
    after_fault(lab, 17)
    cluster.refresh_from_db()
    assert cluster.state == "Running"
    assert set(Node.objects.filter(cluster=cluster).values_list("state", flat=True)) == {"Up"}
    after_fault(lab, 17 + 200)
    assert set(Role.objects.filter(cluster=cluster, state="Online").values_list("name", flat=True)) == online


def test_a_brief_blip_under_the_threshold_changes_nothing(make_generated_lab, owner, after_fault):
    lab = make_generated_lab(nodes=3, vms=6, os_version="2012R2")
    hv3 = Node.objects.get(lab=lab, name="HV03")
    cut(hv3)
    after_fault(lab, 4)
    cut(hv3, connected=True)
    assert Node.objects.get(pk=hv3.pk).state == "Up"
    op = Operation.objects.get(kind="node-failure")
    assert op.state == "cancelled"
    after_fault(lab, 30)
    assert not ids(1135).exists()


def test_2016_isolated_node_keeps_its_vms_unmonitored_then_they_fail_over(
        make_generated_lab, owner, after_fault):
    lab = make_generated_lab(nodes=3, vms=6, os_version="2016")
    hv3 = Node.objects.get(lab=lab, name="HV03")
    mine = running_roles(hv3)
    assert mine
    cut(hv3)
    after_fault(lab, 11)  # 2016: 1000 ms x 10 missed heartbeats
    hv3.refresh_from_db()
    assert hv3.state == "Isolated" and ids(1673).exists() and ids(1681).exists()
    assert {r.information for r in Role.objects.filter(pk__in=[r.pk for r in mine])} == {"Unmonitored"}
    assert all(VirtualMachine.objects.get(role=r).state == "Running" for r in mine)
    assert not ids(1135).exists()
    after_fault(lab, 10 + 240 + 1)  # the resiliency period ends
    hv3.refresh_from_db()
    assert hv3.state == "Down" and ids(1135).exists()
    for role in Role.objects.filter(pk__in=[r.pk for r in mine]):
        assert role.owner_node != hv3 and role.information == ""
    after_fault(lab, 10 + 240 + 200)
    assert VirtualMachine.objects.filter(lab=lab, state="Running", host_node=hv3).count() == 0
    assert all(VirtualMachine.objects.get(role=r).state == "Running" for r in mine)


def test_2016_isolation_that_ends_in_time_and_quarantine_on_the_third(make_generated_lab, owner, client, tick_to):
    lab = make_generated_lab(nodes=3, vms=6, os_version="2016")
    hv3 = Node.objects.get(lab=lab, name="HV03")
    mine = running_roles(hv3)
    started = {r.pk: VirtualMachine.objects.get(role=r).started_at for r in mine}
    t = 0
    for round_ in range(1, 3):
        cut(hv3)
        t += 20
        tick_to(lab, t)
        assert Node.objects.get(pk=hv3.pk).state == "Isolated"
        cut(hv3, connected=True)
        assert Node.objects.get(pk=hv3.pk).state == "Up" and ids(1680).count() == round_ and ids(1682).count() == round_
    assert {VirtualMachine.objects.get(role=r).started_at for r in mine} == set(started.values())  # never restarted
    cut(hv3)
    t += 20
    tick_to(lab, t)
    cut(hv3, connected=True)
    hv3.refresh_from_db()
    assert hv3.state == "Quarantined" and ids(1672).exists() and hv3.quarantined_until is not None
    moves = Operation.objects.filter(kind="live-migration", source_node=hv3)
    assert moves.count() == len(mine)
    tick_to(lab, t + 300)
    assert running_roles(hv3) == []
    # The quarantine keeps it out; Start Cluster Service clears it (Start-ClusterNode -ClearQuarantine).
    client.force_login(owner)
    cluster = hv3.cluster
    html = client.get(reverse("console:node", args=[lab.pk, cluster.pk, hv3.pk])).content.decode()
    assert "Quarantined" in html and "Start Cluster Service" in html
    nodes.start_cluster_service(owner, hv3)
    tick_to(lab, t + 310)
    hv3.refresh_from_db()
    assert hv3.state == "Up" and hv3.quarantined_until is None


def test_force_cluster_start_runs_without_a_majority_until_nodes_return(
        make_generated_lab, owner, client, after_fault):
    lab = make_generated_lab(nodes=3, vms=3, os_version="2008R2")
    cluster = Cluster.objects.get(lab=lab)
    Cluster.objects.filter(pk=cluster.pk).update(quorum_type="NodeMajority")
    hv1, hv2, hv3 = Node.objects.filter(lab=lab).order_by("name")
    faults.crash_node(owner, hv1)
    faults.crash_node(owner, hv2)
    after_fault(lab, 6)
    cluster.refresh_from_db()
    assert cluster.state == "Down"
    running = Cluster.objects.get(pk=cluster.pk)
    running.state = "Running"
    with pytest.raises(errors.MembershipError, match="only for a cluster that has lost quorum"):
        cluster_commands.force_cluster_start(owner, running)
    client.force_login(owner)
    url = reverse("console:cluster-action", args=[lab.pk, cluster.pk]) + "?action=force-start"
    assert client.post(url).status_code == 200
    after_fault(lab, 12)
    cluster.refresh_from_db()
    assert cluster.state == "Running" and cluster.forced_quorum
    assert Node.objects.get(pk=hv3.pk).state == "Up"
    after_fault(lab, 12 + 120)
    assert set(VirtualMachine.objects.filter(lab=lab, state="Running").values_list("host_node__name", flat=True)) \
        == {"HV03"}
    faults.restart_node(owner, hv1)
    after_fault(lab, 12 + 120 + 130)
    cluster.refresh_from_db()
    assert Node.objects.get(pk=hv1.pk).state == "Up" and not cluster.forced_quorum  # a majority again


def test_lost_storage_path_redirects_the_csv_and_moves_the_witness(r2_lab, owner, client):
    s1, s2 = Node.objects.get(name="WS08R2-S1"), Node.objects.get(name="WS08R2-S2")
    csv = ClusterDisk.objects.get(assignment="csv")
    faults.set_storage_paths(owner, s1, False)
    csv.refresh_from_db()
    assert csv.redirected and csv.state == "Online" and csv.owner_node == s2 and ids(5121).exists()
    assert facts.csv_access(csv) == {"WS08R2-S1": "Redirected", "WS08R2-S2": "Direct"}
    witness = ClusterDisk.objects.get(assignment="witness")
    assert witness.owner_node == s2 and ids(1038).exists()
    assert VirtualMachine.objects.get(name="vWS08-SQL01").state == "Running"  # redirected I/O keeps it going
    client.force_login(owner)
    cluster = csv.cluster
    page = client.get(reverse("console:disk", args=[r2_lab.pk, cluster.pk, csv.pk])).content.decode()
    assert "Online (Redirected Access)" in page and "Redirected" in page
    with pytest.raises(errors.StorageFaultError, match="already disconnected"):
        faults.set_storage_paths(owner, s1, False)
    faults.set_storage_paths(owner, s1, True)
    csv.refresh_from_db()
    assert not csv.redirected


def test_a_failed_lun_stops_its_vms_and_repair_lets_them_start(r2_lab, owner, tick_to):
    role = Role.objects.get(name="vWS08-SQL01")
    faults.set_disk(owner, Disk.objects.get(name="VMs"), False)
    assert ids(1034).exists() and ids(5142).exists() and ids(1205).exists()
    role.refresh_from_db()
    vm = role.virtual_machine
    assert role.state == "Failed" and vm.state == "Off" and ClusterDisk.objects.get(assignment="csv").state == "Failed"
    with pytest.raises(RoleError, match="has failed"):
        request_power(owner, vm, START)
    faults.set_disk(owner, Disk.objects.get(name="VMs"), True)
    assert ClusterDisk.objects.get(assignment="csv").state == "Online"
    assert Role.objects.get(pk=role.pk).state == "Failed"  # until someone starts it
    request_power(owner, vm, START)
    tick_to(r2_lab, 70)
    assert Role.objects.get(pk=role.pk).state == "Online"


def test_a_role_disk_follows_the_node_that_still_sees_it(lab_2008, owner, tick_to):
    contoso3, contoso4 = Node.objects.get(name="contoso3"), Node.objects.get(name="contoso4")
    faults.set_storage_paths(owner, contoso3, False)
    disk = ClusterDisk.objects.get(disk__name="Guest1")
    role = Role.objects.get(name="Guest1")
    assert disk.owner_node == contoso4 and role.owner_node == contoso4
    assert ids(1038).exists() and ClusterEvent.objects.filter(event_id=1069, role=role).exists()
    tick_to(lab_2008, 70)
    assert VirtualMachine.objects.get(name="Guest1").state == "Running"
    assert VirtualMachine.objects.get(name="Guest1").host_node == contoso4


def test_losing_the_witness_disk_can_cost_quorum(r2_lab, owner, after_fault):
    s2 = Node.objects.get(name="WS08R2-S2")
    faults.set_disk(owner, Disk.objects.get(name="Quorum"), False)
    assert ClusterDisk.objects.get(assignment="witness").state == "Failed"
    assert Cluster.objects.get(lab=r2_lab).state == "Running"  # two node votes of three remain
    faults.crash_node(owner, s2)
    after_fault(r2_lab, 6)
    assert Cluster.objects.get(lab=r2_lab).state == "Down" and ids(1177).exists()


def test_console_actions_for_faults(client, owner, r2_lab):
    client.force_login(owner)
    cluster = Cluster.objects.get(lab=r2_lab)
    s1 = Node.objects.get(name="WS08R2-S1")
    node_url = reverse("console:node-action", args=[r2_lab.pk, cluster.pk, s1.pk])
    html = client.get(reverse("console:node", args=[r2_lab.pk, cluster.pk, s1.pk])).content.decode()
    assert "Disconnect Storage" in html
    assert client.post(node_url + "?action=storage-off").status_code == 200
    again = client.post(node_url + "?action=storage-off").content.decode()
    assert "already disconnected" in again
    html = client.get(reverse("console:node", args=[r2_lab.pk, cluster.pk, s1.pk])).content.decode()
    assert "Reconnect Storage" in html
    disk = ClusterDisk.objects.get(assignment="csv")
    disk_url = reverse("console:disk-fault", args=[r2_lab.pk, cluster.pk, disk.pk])
    html = client.get(reverse("console:disk", args=[r2_lab.pk, cluster.pk, disk.pk])).content.decode()
    assert "Fail Disk" in html
    assert client.post(disk_url + "?action=fail").status_code == 200
    assert not Disk.objects.get(pk=disk.disk_id).online
    assert client.post(disk_url + "?action=bogus").status_code == 404
    net = ClusterNetwork.objects.get(cluster=cluster, network__name="Public")
    net_url = reverse("console:network-fault", args=[r2_lab.pk, cluster.pk, net.pk])
    html = client.get(reverse("console:network", args=[r2_lab.pk, cluster.pk, net.pk])).content.decode()
    assert "Disconnect Network" in html
    assert client.post(net_url + "?action=disconnect").status_code == 200
    assert not NetworkAdapter.objects.filter(network=net.network, connected=True).exists()
    # Another user's lab is out of reach.
    from django.contrib.auth import get_user_model
    intruder = get_user_model().objects.create_user("mallory", password="x-horse-77")
    client.force_login(intruder)
    assert client.post(net_url + "?action=connect").status_code == 404


def test_cluster_properties_tune_heartbeats_and_resiliency(client, owner, make_generated_lab, after_fault):
    lab = make_generated_lab(nodes=3, vms=3, os_version="2016")
    cluster = Cluster.objects.get(lab=lab)
    client.force_login(owner)
    url = reverse("console:cluster-properties", args=[lab.pk, cluster.pk])
    html = client.get(url).content.decode()
    assert "Resiliency default period" in html and "SameSubnetThreshold, 3 to 120" in html
    data = {"same_subnet_delay_ms": 1000, "same_subnet_threshold": 2, "cross_subnet_delay_ms": 1000,
            "cross_subnet_threshold": 20, "resiliency_period_s": 240, "quarantine_threshold": 3,
            "quarantine_duration_s": 7200}
    bad = client.post(url, data).content.decode()
    assert "Same subnet threshold must be from 3 to 120." in bad
    assert Cluster.objects.get(pk=cluster.pk).same_subnet_threshold == 10  # nothing changed
    assert "Enter a whole number" in client.post(url, {**data, "same_subnet_threshold": "<b>x</b>"}).content.decode()
    assert client.post(url, {**data, "same_subnet_threshold": 5, "resiliency_period_s": 0}).status_code == 200
    cluster.refresh_from_db()
    assert cluster.same_subnet_threshold == 5 and cluster.resiliency_period_s == 0
    # Resiliency off: a cut-off node is removed after the (new) heartbeat threshold, with no Isolated wait.
    hv3 = Node.objects.get(lab=lab, name="HV03")
    cut(hv3)
    after_fault(lab, 6)
    assert Node.objects.get(pk=hv3.pk).state == "Down" and not ids(1673).exists()
    # Before 2016 there is no resiliency to tune.
    r2 = make_generated_lab(nodes=2, vms=2, os_version="2012R2", name="r2")
    html = client.get(reverse("console:cluster-properties", args=[r2.pk, Cluster.objects.get(lab=r2).pk])).content
    assert b"Resiliency" not in html


def test_only_the_owner_causes_failures(client, owner, other_user, r2_lab):
    r2_lab.members.add(other_user)
    client.force_login(other_user)
    cluster = Cluster.objects.get(lab=r2_lab)
    s1 = Node.objects.get(name="WS08R2-S1")
    html = client.get(reverse("console:node", args=[r2_lab.pk, cluster.pk, s1.pk])).content.decode()
    assert "Pause" in html and "Power Off (crash)" not in html and "Disconnect Storage" not in html
    assert client.post(reverse("console:node-action", args=[r2_lab.pk, cluster.pk, s1.pk]) +
                       "?action=power-off").status_code == 403
    disk = ClusterDisk.objects.get(assignment="csv")
    assert client.post(reverse("console:disk-fault", args=[r2_lab.pk, cluster.pk, disk.pk]) +
                       "?action=fail").status_code == 403
    role = Role.objects.get(name="vWS08-SQL01")
    assert client.post(reverse("console:role-power", args=[r2_lab.pk, cluster.pk, role.pk]) +
                       "?action=crash").status_code == 403
    assert Node.objects.get(pk=s1.pk).power_state == "On" and Disk.objects.get(pk=disk.disk_id).online
    # Pausing is an administrator's action, not a fault: members may.
    assert client.post(reverse("console:node-action", args=[r2_lab.pk, cluster.pk, s1.pk]) +
                       "?action=pause").status_code == 200
