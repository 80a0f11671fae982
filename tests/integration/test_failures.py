"""Node crash, detection, quorum, failover, restart; Pause/Drain and Resume/Fail Roles Back."""

import pytest
from django.urls import reverse

from fcm.engine.models import Operation
from fcm.inventory.models import Cluster, ClusterDisk, ClusterEvent, Node, Role, VirtualMachine
from fcm.engine import errors
from fcm.engine.commands import faults
from fcm.engine.commands import nodes

pytestmark = pytest.mark.django_db


def test_crash_detect_and_fail_over_guest1_to_contoso4(lab_2008, owner, after_fault):
    contoso3 = Node.objects.get(name="contoso3")
    role = Role.objects.get(name="Guest1")
    op = faults.crash_node(owner, contoso3)
    vm = VirtualMachine.objects.get(name="Guest1")
    assert vm.state == "Off" and Role.objects.get(pk=role.pk).state == "Online"  # not noticed yet
    after_fault(lab_2008, 3)
    assert Node.objects.get(pk=contoso3.pk).state == "Up"
    after_fault(lab_2008, 5.5)  # 1000 ms x 5 missed heartbeats (2008)
    op.refresh_from_db()
    assert op.state == "completed" and Node.objects.get(pk=contoso3.pk).state == "Down"
    event = ClusterEvent.objects.filter(event_id=1135).latest("sim_time")  # the lab file has an old one
    assert "contoso3" in event.description and event.level == ClusterEvent.Level.CRITICAL
    assert ClusterEvent.objects.filter(event_id=1069, role=role).exists()
    role.refresh_from_db()
    assert role.owner_node.name == "contoso4" and role.state == "Pending"
    assert ClusterDisk.objects.get(disk__name="Guest1").owner_node.name == "contoso4"
    boot = Operation.objects.get(kind="vm-power")
    assert boot.plan["total_s"] == 60  # a cold boot: the saved state was lost
    after_fault(lab_2008, 5.5 + 61)
    role.refresh_from_db()
    vm.refresh_from_db()
    assert role.state == "Online" and vm.state == "Running" and vm.host_node.name == "contoso4"
    # Power it on again: it boots, joins and is Up; Guest1 stays on contoso4 (failback prevented).
    faults.restart_node(owner, contoso3)
    after_fault(lab_2008, 5.5 + 61 + 130)
    contoso3.refresh_from_db()
    assert contoso3.state == "Up" and contoso3.power_state == "On"
    assert Role.objects.get(pk=role.pk).owner_node.name == "contoso4"


def test_losing_quorum_stops_the_cluster(make_generated_lab, owner, after_fault):
    lab = make_generated_lab(nodes=2, vms=2, os_version="2008R2")
    cluster = Cluster.objects.get(lab=lab)
    Cluster.objects.filter(pk=cluster.pk).update(quorum_type="NodeMajority")
    faults.crash_node(owner, Node.objects.get(cluster=cluster, name="HV01"))
    after_fault(lab, 6)
    cluster.refresh_from_db()
    assert cluster.state == "Down"
    assert ClusterEvent.objects.filter(event_id=1177).exists()
    assert set(Role.objects.filter(cluster=cluster).values_list("state", flat=True)) == {"Offline"}
    assert not VirtualMachine.objects.filter(lab=lab, state="Running").exists()  # no split brain


def test_no_capacity_leaves_the_role_failed_with_1205(lab_2008, owner, after_fault):
    Node.objects.filter(name="contoso4").update(memory_mb=2048)
    faults.crash_node(owner, Node.objects.get(name="contoso3"))
    after_fault(lab_2008, 6)
    role = Role.objects.get(name="Guest1")
    assert role.state == "Failed" and ClusterEvent.objects.filter(event_id=1205, role=role).exists()


def test_drain_moves_roles_off_by_priority_and_fail_back_returns_them(make_generated_lab, owner, tick_to):
    lab = make_generated_lab(nodes=3, vms=6)
    cluster = Cluster.objects.get(lab=lab)
    VirtualMachine.objects.filter(lab=lab).update(state="Running", memory_mb=1024)
    hv1 = Node.objects.get(cluster=cluster, name="HV01")
    owned = list(Role.objects.filter(owner_node=hv1).values_list("name", "priority"))
    Role.objects.filter(owner_node=hv1).update(priority=2000)
    nodes.pause_node(owner, hv1, drain=True)
    hv1.refresh_from_db()
    assert hv1.state == "Paused" and hv1.drain_status == "In Progress"
    ops = Operation.objects.filter(source_node=hv1)
    assert ops.count() == len(owned) and {o.kind for o in ops} == {"live-migration"}
    assert all(o.target_node_id != hv1.pk for o in ops)
    tick_to(lab, 600)
    hv1.refresh_from_db()
    assert hv1.drain_status == "Completed" and not Role.objects.filter(owner_node=hv1).exists()
    # Nothing moves onto a paused node.
    other = Role.objects.select_related("cluster", "virtual_machine__host_node").exclude(owner_node=hv1).first()
    from fcm.engine.commands.moves import request_moves
    assert "paused" in request_moves(owner, [other], "live-migration", hv1).refused[0][1]
    nodes.resume_node(owner, hv1, fail_back=True)
    tick_to(lab, 1200)
    assert Role.objects.filter(owner_node=hv1).count() == len(owned)
    assert Node.objects.get(pk=hv1.pk).state == "Up"


def test_node_actions_from_the_console(client, owner, lab_2008):
    client.force_login(owner)
    cluster = Cluster.objects.get(lab=lab_2008)
    n3 = Node.objects.get(name="contoso3")
    html = client.get(reverse("console:node", args=[lab_2008.pk, cluster.pk, n3.pk])).content.decode()
    assert "Pause" in html and "Power Off (crash)" in html and "Drain Roles" not in html  # 2008 wording
    url = reverse("console:node-action", args=[lab_2008.pk, cluster.pk, n3.pk])
    assert client.post(url + "?action=pause", headers={"HX-Request": "true"})["HX-Refresh"] == "true"
    assert Node.objects.get(pk=n3.pk).state == "Paused"
    html = client.post(url + "?action=pause").content.decode()
    assert "only a node that is up can be paused" in html
    client.post(url + "?action=resume")
    assert Node.objects.get(pk=n3.pk).state == "Up"


def test_guest_crash_restarts_in_place_then_fails_over_then_stays_failed(make_generated_lab, owner, client, tick_to):
    lab = make_generated_lab(nodes=2, vms=2)
    cluster = Cluster.objects.get(lab=lab)
    role = Role.objects.get(cluster=cluster, name="VM0001")
    VirtualMachine.objects.filter(role=role).update(state="Running", memory_mb=1024)
    first_owner = role.owner_node
    elapsed = [0.0]

    def settle():
        elapsed[0] += 100
        tick_to(lab, elapsed[0])

    assert faults.guest_crash(owner, role) == "restarted"  # RestartThreshold 1 in 15 min
    settle()
    role.refresh_from_db()
    assert role.owner_node == first_owner and role.state == "Online"
    assert faults.guest_crash(owner, role) == "failed over"  # n-1 = 1 failover in 6 h
    settle()
    role.refresh_from_db()
    assert role.owner_node != first_owner and role.state == "Online"
    assert faults.guest_crash(owner, role) == "restarted"  # a new node: its restart budget is fresh
    settle()
    role.refresh_from_db()
    assert faults.guest_crash(owner, role) == "failed"  # no restart left, failover threshold reached
    role.refresh_from_db()
    assert role.state == "Failed" and ClusterEvent.objects.filter(event_id=1254, role=role).exists()
    assert ClusterEvent.objects.filter(event_id=1069, role=role).count() >= 3


def test_node_and_role_details_show_their_recent_events(client, owner, lab_2008, after_fault):
    client.force_login(owner)
    faults.crash_node(owner, Node.objects.get(name="contoso3"))
    after_fault(lab_2008, 6)
    cluster = Cluster.objects.get(lab=lab_2008)
    role = Role.objects.get(name="Guest1")
    html = client.get(reverse("console:role", args=[lab_2008.pk, cluster.pk, role.pk])).content.decode()
    assert "Recent events" in html and ">1069<" in html
    n3 = Node.objects.get(name="contoso3")
    html = client.get(reverse("console:node", args=[lab_2008.pk, cluster.pk, n3.pk])).content.decode()
    assert "Recent events" in html and ">1135<" in html  # the 1135 of last night, logged by contoso3


def test_failback_to_the_preferred_owner_when_it_returns(lab_2008, owner, tick_to):
    contoso3 = Node.objects.get(name="contoso3")
    role = Role.objects.get(name="Guest1")
    role.preferred_owner_entries.create(node=contoso3, rank=1)
    Role.objects.filter(pk=role.pk).update(failback="Allow")
    faults.crash_node(owner, contoso3)
    tick_to(lab_2008, 70)
    assert Role.objects.get(pk=role.pk).owner_node.name == "contoso4"
    faults.restart_node(owner, contoso3)
    tick_to(lab_2008, 70 + 126)
    move = Operation.objects.filter(role=role, kind="quick-migration").get()  # 2008: no live migration
    assert move.target_node == contoso3
    tick_to(lab_2008, 70 + 126 + move.plan["total_s"] + 2)
    role.refresh_from_db()
    assert role.owner_node == contoso3 and role.state == "Online"


def test_stop_and_start_the_cluster_service(make_generated_lab, owner, tick_to):
    lab = make_generated_lab(nodes=3, vms=3, os_version="2012R2")
    cluster = Cluster.objects.get(lab=lab)
    VirtualMachine.objects.filter(lab=lab).update(state="Running", memory_mb=1024)
    hv1 = Node.objects.get(cluster=cluster, name="HV01")
    nodes.stop_cluster_service(owner, hv1)
    tick_to(lab, 300)
    hv1.refresh_from_db()
    assert hv1.state == "Down" and hv1.power_state == "On" and not Role.objects.filter(owner_node=hv1).exists()
    assert Cluster.objects.get(pk=cluster.pk).state == "Running"
    assert not ClusterEvent.objects.filter(event_id=1135).exists()  # graceful: no failure
    with pytest.raises(errors.FailureError, match="not running"):
        nodes.stop_cluster_service(owner, hv1)
    nodes.start_cluster_service(owner, hv1)
    tick_to(lab, 310)
    assert Node.objects.get(pk=hv1.pk).state == "Up"


def test_incident_timeline(client, owner, lab_2008, after_fault):
    client.force_login(owner)
    cluster = Cluster.objects.get(lab=lab_2008)
    url = reverse("console:incidents", args=[lab_2008.pk, cluster.pk])
    assert "No node of this cluster has failed" in client.get(url).content.decode()
    faults.crash_node(owner, Node.objects.get(name="contoso3"))
    after_fault(lab_2008, 6)
    after_fault(lab_2008, 70)
    html = client.get(url).content.decode()
    assert "Declared down:" in html and "t + 5.0 s" in html
    assert "<td>Guest1</td>" in html and "Running on contoso4" in html and "t + 65.0 s" in html


def test_an_isolated_node_is_removed_and_its_roles_fail_over(r2_lab, owner, client, tick_to, after_fault):
    from fcm.inventory.models import ClusterNetwork, NetworkAdapter
    s1 = Node.objects.get(name="WS08R2-S1")
    # WS08R2-S2 holds the witness disk: in a one-to-one split the side that owns the witness keeps quorum.
    ClusterDisk.objects.filter(assignment="witness").update(owner_node=Node.objects.get(name="WS08R2-S2"))
    public = NetworkAdapter.objects.get(node=s1, name="Public")
    iscsi = NetworkAdapter.objects.get(node=s1, name="iSCSI")
    faults.set_adapter(owner, iscsi, False)  # iSCSI is not a cluster network (use None): still reachable
    assert Node.objects.get(pk=s1.pk).state == "Up" and ClusterEvent.objects.filter(event_id=1127).exists()
    assert not Operation.objects.filter(kind="node-failure").exists()
    op = faults.set_adapter(owner, public, False)
    assert op is not None and op.kind == "node-failure"
    net = ClusterNetwork.objects.get(network__name="Public")
    assert net.state == "Down" and ClusterEvent.objects.filter(event_id=1130).exists()
    after_fault(r2_lab, 6)
    s1.refresh_from_db()
    assert s1.state == "Down" and s1.power_state == "On"
    role = Role.objects.get(name="vWS08-SQL01")
    assert role.owner_node.name == "WS08R2-S2"
    tick_to(r2_lab, 70)  # a 2008 guest boots in 60 s
    role.refresh_from_db()
    assert role.state == "Online" and role.virtual_machine.host_node.name == "WS08R2-S2"
    assert VirtualMachine.objects.filter(state="Running").count() == 1  # never twice
    faults.set_adapter(owner, public, True)
    tick_to(r2_lab, 80)
    assert Node.objects.get(pk=s1.pk).state == "Up"
    assert ClusterNetwork.objects.get(pk=net.pk).state == "Up"
    client.force_login(owner)
    cluster = Cluster.objects.get(lab=r2_lab)
    html = client.get(reverse("console:node", args=[r2_lab.pk, cluster.pk, s1.pk]) + "?tab=network").content.decode()
    assert "Reconnect" in html  # the iSCSI adapter is still unplugged


def test_drain_moves_a_role_without_a_virtual_machine_as_a_group(replica_lab, owner):
    """HQ-HV1 owns the Replica Broker role: draining it used to fail on the missing virtual machine."""
    hv1 = Node.objects.get(name="HQ-HV1")
    broker = Role.objects.get(cluster=hv1.cluster, type="Hyper-V Replica Broker")
    Role.objects.filter(pk=broker.pk).update(owner_node=hv1)
    nodes.pause_node(owner, hv1, drain=True)
    assert Role.objects.get(pk=broker.pk).owner_node.name == "HQ-HV2"
    assert Operation.objects.filter(kind="live-migration", role__name="HQ-SQL01").exists()
