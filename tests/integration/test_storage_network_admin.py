"""Everyday storage and network administration: Add Disk, Move Available Storage, a CSV's Move, a disk's
Bring Online / Take Offline, Change Drive Letter and a network's Properties.

Each success commits its change with its Outbox row; each refusal is shown at the field (or in the error
dialog) and changes nothing; two people acting at once get one result and the other is told why; the
labels are the version's."""
import re

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from fcm.engine import facts, labfile
from fcm.engine.commands import faults, networks, storage
from fcm.engine.effects.power import START, TURN_OFF, request_power
from fcm.engine.errors import DiskError, EngineError, NetworkError, RoleError
from fcm.engine.models import Operation, Outbox
from fcm.console.forms import whole_number
from fcm.inventory.models import (
    Cluster, ClusterDisk, ClusterNetwork, Disk, NetworkAdapter, Node, Resource, VirtualMachine,
)
from fcm.live.fragments import render_changes
from fcm.sim import disks as disksim
from fcm.sim import objectives
from fcm.training import catalogue
from fcm.training.facts import lab_facts
from tests.integration.test_bad_input import NASTY

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true", "HX-Target": "dialog-host"}
SEL = {"HX-Request": "true", "HX-Target": "selection"}


@pytest.fixture
def lab(owner):
    return labfile.load(labfile.lab_path("storage-network-admin-2012"), owner)


@pytest.fixture
def second_client(lab, other_user):
    """Another administrator of the same lab, in their own browser."""
    lab.members.add(other_user)
    c = Client()
    c.force_login(other_user)
    return c


def cluster_of(lab):
    return Cluster.objects.get(lab=lab)


def url(name, lab, *args):
    return reverse(f"console:{name}", args=[lab.pk, cluster_of(lab).pk, *args])


def disk(lab, lun):
    return ClusterDisk.objects.select_related("disk", "owner_node").get(cluster__lab=lab, disk__name=lun)


def network(lab, subnet):
    return ClusterNetwork.objects.get(cluster__lab=lab, network__subnet=subnet)


def outbox(lab):
    return sorted(Outbox.objects.filter(lab=lab).values_list("kind", "object_id"))


def state_of(lab):
    """What these actions may change: every cluster disk and network, and the LUNs' letters."""
    return (sorted(ClusterDisk.objects.filter(cluster__lab=lab).values_list(
                "pk", "name", "disk_id", "assignment", "state", "owner_node_id", "csv_number")),
            sorted(ClusterNetwork.objects.filter(cluster__lab=lab).values_list("pk", "name", "role")),
            sorted(Disk.objects.filter(lab=lab).values_list("pk", "drive_letter")),
            Operation.objects.filter(lab=lab).count())


def html(response):
    return response.content.decode()


def refreshed(response):
    return response.status_code == 200 and response.headers.get("HX-Refresh") == "true"


def node(lab, name):
    return Node.objects.get(lab=lab, name=name)


def finish_moves(lab, tick_to, seconds=60):
    tick_to(lab, seconds)
    assert not Operation.objects.filter(lab=lab, kind="move-storage", state__in=Operation.ACTIVE).exists()


# -- Add Disk -----------------------------------------------------------------------------------------

def test_add_disk_lists_what_every_node_sees_and_adds_it_to_available_storage(owner_client, lab):
    dialog = html(owner_client.get(url("disk-add", lab), headers=HX))
    assert "Add Disk" in dialog and "Cluster Disk 4" in dialog and "Archive" in dialog
    assert "Disk 4 on node HV-A" in dialog  # Archive is the fourth LUN HV-A sees
    assert "Backup" not in dialog and "Legacy" not in dialog
    archive = Disk.objects.get(lab=lab, name="Archive")
    Outbox.objects.all().delete()
    response = owner_client.post(url("disk-add", lab), {"disks": [archive.pk]}, headers=HX)
    assert refreshed(response)
    cd = disk(lab, "Archive")
    assert (cd.name, cd.assignment, cd.state, cd.owner_node.name) == (
        "Cluster Disk 4", ClusterDisk.Assignment.AVAILABLE, ClusterDisk.State.ONLINE, "HV-A")
    assert outbox(lab) == sorted([("cluster", cluster_of(lab).pk), ("disk", cd.pk)])
    listed = html(owner_client.get(url("disks", lab)))
    assert "Cluster Disk 4" in listed
    again = html(owner_client.get(url("disk-add", lab), headers=HX))
    assert "No disks suitable for cluster disks were found" in again


@pytest.mark.parametrize("lun, reason", [
    ("Backup", "not visible to every node of the cluster: HV-B cannot see it"),
    ("Legacy", "does not support SCSI-3 persistent reservations"),
    ("VMStore", "already a disk of the cluster CL01"),
])
def test_add_disk_refuses_with_the_reason_at_the_field_and_changes_nothing(owner_client, lab, lun, reason):
    before = state_of(lab)
    Outbox.objects.all().delete()
    pk = Disk.objects.get(lab=lab, name=lun).pk
    response = owner_client.post(url("disk-add", lab), {"disks": [pk]}, headers=HX)
    assert response.status_code == 200 and not refreshed(response)
    error = html(response).split('id="add-disk-error"', 1)[1].split("</p>", 1)[0]
    assert reason in error
    assert state_of(lab) == before and outbox(lab) == []


def test_add_disk_refuses_nothing_ticked_and_a_disk_of_another_lab(owner_client, lab, r2_lab):
    before = state_of(lab)
    assert "Select the disks to add to the cluster." in html(owner_client.post(url("disk-add", lab), {}, headers=HX))
    foreign = Disk.objects.filter(lab=r2_lab).first().pk
    assert "not a disk of this lab" in html(owner_client.post(url("disk-add", lab), {"disks": [foreign]},
                                                                headers=HX))
    assert "Select the disks" in html(owner_client.post(url("disk-add", lab), {"disks": ["x", "²"]}, headers=HX))
    assert state_of(lab) == before


def test_two_people_adding_the_same_disk_one_wins_the_other_is_told(owner_client, second_client, lab):
    archive = Disk.objects.get(lab=lab, name="Archive").pk
    assert "Cluster Disk 4" in html(owner_client.get(url("disk-add", lab), headers=HX))
    assert "Cluster Disk 4" in html(second_client.get(url("disk-add", lab), headers=HX))
    assert refreshed(owner_client.post(url("disk-add", lab), {"disks": [archive]}, headers=HX))
    late = html(second_client.post(url("disk-add", lab), {"disks": [archive]}, headers=HX))
    assert "already a disk of the cluster CL01" in late
    assert ClusterDisk.objects.filter(disk_id=archive).count() == 1


def test_a_cluster_created_without_its_storage_adds_it_afterwards(owner_client, owner, finish_operation):
    """Create Cluster with "Add all eligible storage to the cluster" unticked (New-Cluster -NoStorage)."""
    from fcm.engine.commands.clusters import start_create_cluster
    fresh = labfile.load(labfile.lab_path("two-node-fresh-2012"), owner)
    public = fresh.networks.get(name="Public")
    finish_operation(fresh, start_create_cluster(owner, fresh, {
        "name": "CL2012", "nodes": ["HV-A", "HV-B"], "add_storage": False,
        "addresses": [{"network": public.pk, "ip": "10.10.0.50"}]}))
    cluster = Cluster.objects.get(lab=fresh)
    assert not ClusterDisk.objects.filter(cluster=cluster).exists()
    dialog = html(owner_client.get(url("disk-add", fresh), headers=HX))
    assert [m for m in re.findall(r'<label for="add-disk-\d+">([^<]+)</label>', dialog)] == [
        "Cluster Disk 1", "Cluster Disk 2", "Cluster Disk 3"]
    luns = list(Disk.objects.filter(lab=fresh).values_list("pk", flat=True))
    assert refreshed(owner_client.post(url("disk-add", fresh), {"disks": luns}, headers=HX))
    assert sorted(ClusterDisk.objects.filter(cluster=cluster).values_list("disk__name", "name")) == [
        ("Data", "Cluster Disk 1"), ("VMStore", "Cluster Disk 2"), ("Witness", "Cluster Disk 3")]
    assert set(ClusterDisk.objects.filter(cluster=cluster).values_list("assignment", flat=True)) == {"available"}


def test_add_disk_and_move_available_storage_in_the_versions_words(owner_client, lab, r2_lab, lab_2008):
    pane = html(owner_client.get(url("disks", lab))).split('id="actions"', 1)[1]
    assert "Add Disk" in pane and "Move Available Storage" in pane
    assert 'title="PowerShell: Get-ClusterAvailableDisk | Add-ClusterDisk"' in pane
    assert 'Move-ClusterGroup &quot;Available Storage&quot; -Node &lt;node&gt;' in pane
    for old in (r2_lab, lab_2008):
        pane = html(owner_client.get(url("storage", old))).split('id="actions"', 1)[1]
        assert "Add a disk" in pane and "Move available storage to another node" in pane
        assert "Add Disk<" not in pane and "Move Available Storage" not in pane
        assert "Add a disk" in html(owner_client.get(url("disk-add", old), headers=HX))


# -- Move Available Storage ------------------------------------------------------------------------------

def test_move_available_storage_takes_the_disk_offline_and_online_on_the_target(owner_client, lab, tick_to):
    best = html(owner_client.get(url("available-storage-move", lab) + "?best=1", headers=HX))
    assert "HV-B" in best and "best possible node" in best
    plan = disksim.plan_group_move(1)
    assert plan.total_s == pytest.approx(5.5)  # offline 1 s + reservation 3 s + online 1.5 s (fcm.sim.migration)
    assert f"Expected: {plan.summary}" in best
    Outbox.objects.all().delete()
    data = disk(lab, "Data")
    response = owner_client.post(url("available-storage-move", lab), {"target": node(lab, "HV-B").pk}, headers=HX)
    assert refreshed(response)
    op = Operation.objects.get(lab=lab, kind="move-storage")
    assert op.total_s == pytest.approx(plan.total_s) and op.target_node.name == "HV-B"
    assert disk(lab, "Data").state == ClusterDisk.State.OFFLINE_PENDING
    assert ("disk", data.pk) in outbox(lab)
    # Counted from when the move started, not from the lab's anchor: on a busy machine the click comes late.
    began = (op.started_at - lab.sim_anchor).total_seconds()
    tick_to(lab, began + 2)
    assert disk(lab, "Data").state == ClusterDisk.State.OFFLINE
    tick_to(lab, began + 4.5)
    moving = disk(lab, "Data")
    assert (moving.state, moving.owner_node.name) == (ClusterDisk.State.ONLINE_PENDING, "HV-B")
    finish_moves(lab, tick_to)
    done = disk(lab, "Data")
    assert (done.state, done.owner_node.name) == (ClusterDisk.State.ONLINE, "HV-B")
    assert disk(lab, "Witness").owner_node.name == "HV-A"  # the core resources did not move
    assert disk(lab, "VMStore").owner_node.name == "HV-A"


def test_a_disk_taken_offline_moves_offline(lab, owner, tick_to):
    storage.set_disk_online(owner, disk(lab, "Data"), False)
    storage.start_move_available_storage(owner, cluster_of(lab))  # Best Possible Node
    finish_moves(lab, tick_to)
    moved = disk(lab, "Data")
    assert (moved.state, moved.owner_node.name) == (ClusterDisk.State.OFFLINE, "HV-B")


def test_move_available_storage_refusals_at_the_field(owner_client, lab):
    move = url("available-storage-move", lab)
    before = state_of(lab)
    error = html(owner_client.post(move, {"target": node(lab, "HV-A").pk}, headers=HX))
    assert "Available Storage is already on HV-A." in error.split('id="storage-move-error"', 1)[1]
    assert "Select the node to move the storage to." in html(owner_client.post(move, {}, headers=HX))
    Node.objects.filter(name="HV-B").update(state=Node.State.PAUSED)
    assert "HV-B is paused" in html(owner_client.post(move, {"target": node(lab, "HV-B").pk}, headers=HX))
    assert "No other node can take Available Storage" in html(owner_client.post(move, {"best": "1"}, headers=HX))
    Node.objects.filter(name="HV-B").update(state=Node.State.UP)
    assert state_of(lab) == before


def test_a_target_without_a_path_is_refused(lab, owner):
    from fcm.inventory.models import DiskPath
    DiskPath.objects.filter(node__name="HV-B", disk__name="Data").update(online=False)
    with pytest.raises(DiskError, match="HV-B has no working path to Data") as refusal:
        storage.start_move_available_storage(owner, cluster_of(lab), node(lab, "HV-B"))
    assert refusal.value.field == "target"
    assert not Operation.objects.filter(kind="move-storage").exists()


def test_two_people_moving_available_storage_one_wins(owner_client, second_client, lab, tick_to):
    hv_b = node(lab, "HV-B").pk
    assert refreshed(owner_client.post(url("available-storage-move", lab), {"target": hv_b}, headers=HX))
    late = html(second_client.post(url("available-storage-move", lab), {"best": "1"}, headers=HX))
    assert "Available Storage is already moving to HV-B; wait for it to finish." in late
    assert Operation.objects.filter(kind="move-storage").count() == 1
    taking = second_client.post(url("disk-state", lab, disk(lab, "Data").pk) + "?action=offline", headers=SEL)
    assert "is moving between nodes" in html(taking)
    finish_moves(lab, tick_to)


# -- a Cluster Shared Volume's Move --------------------------------------------------------------------------

def test_a_csv_moves_its_coordinator_and_its_vms_keep_running(owner_client, lab, tick_to):
    csv = disk(lab, "VMStore")
    pane = html(owner_client.get(url("disk", lab, csv.pk))).split('id="actions"', 1)[1]
    assert "Move <" in pane or "Move &rsaquo;" in pane
    assert 'Move-ClusterSharedVolume -Name &quot;Cluster Disk 2&quot; -Node &lt;node&gt;' in pane
    dialog = html(owner_client.get(url("csv-move", lab, csv.pk), headers=HX))
    assert "Move Cluster Shared Volume" in dialog and "HV-B" in dialog
    Outbox.objects.all().delete()
    assert refreshed(owner_client.post(url("csv-move", lab, csv.pk), {"target": node(lab, "HV-B").pk}, headers=HX))
    assert disk(lab, "VMStore").state == ClusterDisk.State.ONLINE_PENDING
    assert ("disk", csv.pk) in outbox(lab)
    finish_moves(lab, tick_to)
    moved = disk(lab, "VMStore")
    assert (moved.state, moved.owner_node.name) == (ClusterDisk.State.ONLINE, "HV-B")
    assert VirtualMachine.objects.get(lab=lab, name="APP01").state == VirtualMachine.State.RUNNING
    with pytest.raises(DiskError, match="not a Cluster Shared Volume"):
        storage.start_move_csv(None, disk(lab, "Data"), node(lab, "HV-A"))


def test_2008_r2_moves_a_shared_volume_in_its_words(owner_client, r2_lab):
    csv = ClusterDisk.objects.get(cluster__lab=r2_lab, assignment="csv")
    for page in (url("disk", r2_lab, csv.pk), url("csv", r2_lab, csv.pk)):
        pane = html(owner_client.get(page)).split('id="actions"', 1)[1]
        assert "Move this shared volume to another node" in pane
        assert "Take this resource offline" in pane and "Take Offline" not in pane


# -- Bring Online / Take Offline ------------------------------------------------------------------------------

def test_take_offline_and_bring_online_tell_other_consoles(owner_client, lab):
    data = disk(lab, "Data")
    pane = html(owner_client.get(url("disk", lab, data.pk))).split('id="actions"', 1)[1]
    assert "Take Offline" in pane and 'Stop-ClusterResource -Name &quot;Cluster Disk 3&quot;' in pane
    Outbox.objects.all().delete()
    assert refreshed(owner_client.post(url("disk-state", lab, data.pk) + "?action=offline", headers=SEL))
    assert disk(lab, "Data").state == ClusterDisk.State.OFFLINE
    assert outbox(lab) == [("disk", data.pk)]
    pane = html(owner_client.get(url("disk", lab, data.pk))).split('id="actions"', 1)[1]
    assert "Bring Online" in pane
    again = html(owner_client.post(url("disk-state", lab, data.pk) + "?action=offline", headers=SEL))
    assert "Cluster Disk 3 is already offline." in again
    assert refreshed(owner_client.post(url("disk-state", lab, data.pk) + "?action=online", headers=SEL))
    assert disk(lab, "Data").state == ClusterDisk.State.ONLINE


def test_the_witness_and_a_disk_a_running_vm_uses_stay_online(owner_client, lab):
    before = state_of(lab)
    Outbox.objects.all().delete()
    witness = html(owner_client.post(url("disk-state", lab, disk(lab, "Witness").pk) + "?action=offline",
                                     headers=SEL))
    assert "disk witness in quorum" in witness and "Configure the cluster quorum" in witness
    csv = html(owner_client.post(url("disk-state", lab, disk(lab, "VMStore").pk) + "?action=offline", headers=SEL))
    assert "APP01 keeps files on Cluster Disk 2 and is running: take its role offline first" in csv
    assert state_of(lab) == before and outbox(lab) == []


def test_an_offline_volume_stops_its_vms_starting(lab, owner, finish_operation):
    vm = VirtualMachine.objects.get(lab=lab, name="APP01")
    finish_operation(lab, request_power(owner, vm, TURN_OFF))
    storage.set_disk_online(owner, disk(lab, "VMStore"), False)
    assert set(facts.csv_access(disk(lab, "VMStore")).values()) == {"No access"}
    with pytest.raises(RoleError, match="Cluster Disk 2 is offline: bring it online first"):
        request_power(owner, vm, START)
    storage.set_disk_online(owner, disk(lab, "VMStore"), True)
    assert request_power(owner, vm, START) is not None


def test_a_roles_own_disk_taken_offline_comes_online_with_the_role(owner_client, lab_2008, owner, finish_operation):
    guest1 = VirtualMachine.objects.get(lab=lab_2008, name="Guest1")
    cd = ClusterDisk.objects.get(cluster__lab=lab_2008, role__name="Guest1")
    refusal = html(owner_client.post(url("disk-state", lab_2008, cd.pk) + "?action=offline", headers=SEL))
    assert "Take this resource offline" in refusal and "Guest1 keeps files on" in refusal
    finish_operation(lab_2008, request_power(owner, guest1, TURN_OFF))
    assert refreshed(owner_client.post(url("disk-state", lab_2008, cd.pk) + "?action=offline", headers=SEL))
    assert Resource.objects.get(cluster_disk=cd).state == Resource.State.OFFLINE
    finish_operation(lab_2008, request_power(owner, guest1, START))
    assert ClusterDisk.objects.get(pk=cd.pk).state == ClusterDisk.State.ONLINE
    assert Resource.objects.get(cluster_disk=cd).state == Resource.State.ONLINE
    assert VirtualMachine.objects.get(pk=guest1.pk).state == VirtualMachine.State.RUNNING


def test_2008_disk_actions_in_its_words(owner_client, lab_2008):
    cd = ClusterDisk.objects.get(cluster__lab=lab_2008, disk__name="Guest7")
    pane = html(owner_client.get(url("disk", lab_2008, cd.pk))).split('id="actions"', 1)[1]
    assert "Take this resource offline" in pane and "Change drive letter" in pane
    assert "Move this shared volume" not in pane  # 2008 has no CSV


# -- Change Drive Letter (2008 / 2008 R2: Change drive letter) -----------------------------------------------------

def test_change_drive_letter_offers_free_letters_and_refuses_one_in_use(owner_client, r2_lab):
    dtc = ClusterDisk.objects.get(cluster__lab=r2_lab, disk__name="DTC")
    dialog = html(owner_client.get(url("disk-drive-letter", r2_lab, dtc.pk), headers=HX))
    offered = re.findall(r'<option value="([A-Z])"', dialog)
    assert "T" in offered and not {"C", "D", "Q", "S", "V"} & set(offered)
    before = state_of(r2_lab)
    Outbox.objects.all().delete()
    for letter, reason in (("S", "S: is in use on WS08R2-S1 (Cluster Disk 4)"), ("c", "C: is in use on WS08R2-S1 "
                                                                                     "(local disk)"),
                           ("1", "Type a drive letter from A to Z."), ("TT", "Type a drive letter from A to Z."),
                           ("", "Choose a drive letter.")):
        response = owner_client.post(url("disk-drive-letter", r2_lab, dtc.pk), {"letter": letter}, headers=HX)
        error = html(response).split('<p class="field-error">', 1)[1].split("</p>", 1)[0]
        assert reason in error, (letter, error)
    assert state_of(r2_lab) == before and outbox(r2_lab) == []
    assert refreshed(owner_client.post(url("disk-drive-letter", r2_lab, dtc.pk), {"letter": "T"}, headers=HX))
    assert Disk.objects.get(pk=dtc.disk_id).drive_letter == "T"
    assert outbox(r2_lab) == sorted([("cluster", cluster_of(r2_lab).pk), ("disk", dtc.pk)])
    volumes = html(owner_client.get(url("disk", r2_lab, dtc.pk) + "?tab=volumes"))
    assert "T:" in volumes


def test_2012_changes_a_drive_letter_under_more_actions(lab, owner, owner_client):
    data = disk(lab, "Data")
    pane = html(owner_client.get(url("disk", lab, data.pk))).split('id="actions"', 1)[1]
    assert "More Actions &rsaquo;</span> Change Drive Letter" in pane
    assert "Get-Partition -DriveLetter E | Set-Partition -NewDriveLetter &lt;Y&gt;" in pane
    assert "Change Drive Letter" in html(owner_client.get(url("disk-drive-letter", lab, data.pk), headers=HX))
    with pytest.raises(DiskError, match="Q: is in use on HV-A \\(Cluster Disk 1\\)") as refusal:
        storage.change_drive_letter(owner, data, "Q")
    assert refusal.value.field == "letter"
    storage.change_drive_letter(owner, data, "F")
    assert Disk.objects.get(pk=data.disk_id).drive_letter == "F"
    csv_pane = html(owner_client.get(url("disk", lab, disk(lab, "VMStore").pk))).split('id="actions"', 1)[1]
    assert "Change Drive Letter" not in csv_pane


def test_change_drive_letter_refusals(lab_2008, r2_lab, owner):
    with pytest.raises(DiskError, match="Cluster Shared Volume"):
        storage.change_drive_letter(owner, ClusterDisk.objects.get(cluster__lab=r2_lab, assignment="csv"), "T")
    with pytest.raises(DiskError, match=r"Guest7 keeps files at H:\\; a new drive letter would break its paths"):
        storage.change_drive_letter(owner, ClusterDisk.objects.get(cluster__lab=lab_2008, disk__name="Guest7"), "T")


# -- a network's Properties ------------------------------------------------------------------------------------

def test_network_properties_show_the_products_words(owner_client, lab, r2_lab):
    for a_lab, subnet in ((lab, "10.30.0.0/24"), (r2_lab, "192.168.0.0/24")):
        net = network(a_lab, subnet)
        pane = html(owner_client.get(url("network", a_lab, net.pk))).split('id="actions"', 1)[1]
        assert "Properties" in pane and f"(Get-ClusterNetwork &quot;{net.name}&quot;).Role" in pane
        dialog = html(owner_client.get(url("network-properties", a_lab, net.pk), headers=HX))
        for words in ("Allow cluster network communication on this network",
                      "Allow clients to connect through this network",
                      "Do not allow cluster network communication on this network", "<legend>Cluster Use</legend>"):
            assert words in dialog
    iscsi = html(owner_client.get(url("network-properties", lab, network(lab, "10.30.0.0/24").pk), headers=HX))
    assert 'value="allow" checked' in iscsi and 'id="id_clients" checked' not in iscsi  # Cluster Only


def test_rename_and_cluster_use_tell_other_consoles(owner_client, lab):
    net = network(lab, "10.30.0.0/24")
    Outbox.objects.all().delete()
    response = owner_client.post(url("network-properties", lab, net.pk),
                                 {"name": "Storage", "cluster_use": "deny"}, headers=HX)
    assert refreshed(response)
    net.refresh_from_db()
    assert (net.name, net.role) == ("Storage", ClusterNetwork.Role.NONE)
    assert outbox(lab) == [("network", net.pk)]
    listed = html(owner_client.get(url("networks", lab)))
    assert f'<span id="network-{net.pk}-name">Storage</span>' in listed
    assert f'<span id="network-{net.pk}-role">None</span>' in listed
    pushed = render_changes(lab, {Outbox.Kind.NETWORK: {net.pk}}, lab.sim_now())
    assert f'<span id="network-{net.pk}-name" hx-swap-oob="true">Storage</span>' in pushed
    assert f'<span id="network-{net.pk}-detail-role" hx-swap-oob="true">None</span>' in pushed
    public = network(lab, "10.10.0.0/24")
    owner_client.post(url("network-properties", lab, public.pk),
                      {"name": public.name, "cluster_use": "allow", "clients": "on"}, headers=HX)
    assert ClusterNetwork.objects.get(pk=public.pk).role == ClusterNetwork.Role.CLUSTER_AND_CLIENT
    cluster_net = network(lab, "10.20.0.0/24")
    owner_client.post(url("network-properties", lab, cluster_net.pk), {"name": "Heartbeat", "cluster_use": "allow"},
                      headers=HX)
    assert ClusterNetwork.objects.get(pk=cluster_net.pk).role == ClusterNetwork.Role.CLUSTER_ONLY


@pytest.mark.parametrize("data, field, reason", [
    ({"name": "cluster network 1", "cluster_use": "allow"}, "name", "already has a network named"),
    ({"name": "  ", "cluster_use": "allow"}, "name", "Type a name for the network."),
    ({"name": "x" * 81, "cluster_use": "allow"}, "name", "at most 80 characters"),
    ({"name": "Storage", "cluster_use": "maybe"}, "cluster_use", "Choose whether the cluster may use this network"),
])
def test_network_property_refusals_at_the_field(owner_client, lab, data, field, reason):
    net = network(lab, "10.30.0.0/24")
    before = state_of(lab)
    Outbox.objects.all().delete()
    response = owner_client.post(url("network-properties", lab, net.pk), data, headers=HX)
    assert response.status_code == 200 and not refreshed(response)
    page = html(response)
    marker = 'id="id_name"' if field == "name" else 'id="id_cluster_use"'
    after = page.split(marker, 1)[1]
    assert reason in after.split('<p class="field-error">', 1)[1].split("</p>", 1)[0]
    assert state_of(lab) == before and outbox(lab) == []


def test_the_cluster_keeps_a_heartbeat_network_and_its_client_address(owner_client, lab, r2_lab):
    public = network(lab, "10.10.0.0/24")
    before = state_of(lab)
    refusal = html(owner_client.post(url("network-properties", lab, public.pk),
                                     {"name": public.name, "cluster_use": "allow"}, headers=HX))
    assert "IP address 10.10.0.50 is on this network and no other network carries one" in refusal
    assert state_of(lab) == before
    for subnet in ("10.30.0.0/24", "10.20.0.0/24"):
        net = network(lab, subnet)
        networks.set_network_properties(None, net, net.name, 0)
    with pytest.raises(NetworkError, match="At least one network must allow cluster network communication") as r:
        networks.set_network_properties(None, public, public.name, 0)
    assert r.value.field == "cluster_use"
    r2_public = network(r2_lab, "192.168.100.0/24")
    with pytest.raises(NetworkError, match="At least one network"):  # its iSCSI network is None already
        networks.set_network_properties(None, r2_public, r2_public.name, 0)


def test_two_people_naming_two_networks_alike_one_wins(owner_client, second_client, lab):
    a, b = network(lab, "10.30.0.0/24"), network(lab, "10.20.0.0/24")
    assert refreshed(owner_client.post(url("network-properties", lab, a.pk), {"name": "Storage", "cluster_use": "deny"},
                                       headers=HX))
    late = html(second_client.post(url("network-properties", lab, b.pk), {"name": "storage", "cluster_use": "allow"},
                                   headers=HX))
    assert "The cluster already has a network named &#x27;storage&#x27;" in late
    assert ClusterNetwork.objects.get(pk=b.pk).name == "Cluster Network 2"


def test_a_network_name_is_escaped_wherever_it_shows(owner_client, lab):
    net = network(lab, "10.30.0.0/24")
    evil = '<script>alert("x")</script>'
    assert refreshed(owner_client.post(url("network-properties", lab, net.pk), {"name": evil, "cluster_use": "deny"},
                                       headers=HX))
    pages = [html(owner_client.get(url("networks", lab))), html(owner_client.get(url("network", lab, net.pk))),
             html(owner_client.get(url("network-properties", lab, net.pk), headers=HX)),
             render_changes(lab, {Outbox.Kind.NETWORK: {net.pk}}, lab.sim_now())]
    for page in pages:
        assert evil not in page
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_posts_need_a_csrf_token(lab, owner):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(owner)
    before = state_of(lab)
    archive = Disk.objects.get(lab=lab, name="Archive").pk
    net = network(lab, "10.30.0.0/24")
    for target, data in ((url("disk-add", lab), {"disks": [archive]}),
                         (url("available-storage-move", lab), {"best": "1"}),
                         (url("disk-state", lab, disk(lab, "Data").pk) + "?action=offline", {}),
                         (url("csv-move", lab, disk(lab, "VMStore").pk), {"best": "1"}),
                         (url("network-properties", lab, net.pk), {"name": "Storage", "cluster_use": "deny"})):
        assert strict.post(target, data, headers=HX).status_code == 403, target
    assert state_of(lab) == before


def test_another_users_lab_is_not_found(lab, other_user):
    stranger = Client()
    stranger.force_login(other_user)
    net = network(lab, "10.30.0.0/24")
    assert stranger.get(url("network-properties", lab, net.pk), headers=HX).status_code == 404
    assert stranger.post(url("disk-add", lab), {}, headers=HX).status_code == 404


# -- the simulation reads the cluster use -------------------------------------------------------------------------

def test_cluster_use_decides_where_heartbeats_and_live_migrations_go(lab, owner):
    cluster = cluster_of(lab)
    a, b = node(lab, "HV-A"), node(lab, "HV-B")
    chosen, _ = facts.migration_network(cluster, a, b)
    assert chosen.network.subnet == "10.20.0.0/24"  # cluster only, lowest metric
    networks.set_network_properties(owner, network(lab, "10.20.0.0/24"), "Cluster Network 2", 3)
    assert facts.migration_network(cluster, a, b)[0].network.subnet == "10.30.0.0/24"  # the iSCSI network, alas
    networks.set_network_properties(owner, network(lab, "10.30.0.0/24"), "Storage", 0)
    assert facts.migration_network(cluster, a, b)[0].network.subnet == "10.20.0.0/24"
    # Public and Cluster carry heartbeats: losing Public costs nothing.
    public_b = NetworkAdapter.objects.get(node=b, name="Public")
    faults.set_adapter(owner, public_b, False)
    assert not Operation.objects.filter(lab=lab, kind="node-failure").exists()
    faults.set_adapter(owner, public_b, True)
    # With cluster communication off the Cluster network too, Public is the only heartbeat path left.
    networks.set_network_properties(owner, network(lab, "10.20.0.0/24"), "Cluster Network 2", 0)
    faults.set_adapter(owner, public_b, False)
    assert Operation.objects.filter(lab=lab, kind="node-failure", state__in=Operation.ACTIVE).exists()


def test_a_new_cluster_keeps_cluster_traffic_off_its_iscsi_network(client, owner, create_cluster_now):
    fresh = labfile.load(labfile.lab_path("two-node-fresh-2012"), owner)
    client.force_login(owner)
    cluster = create_cluster_now(client, fresh)
    roles = {cn.network.name: cn.role for cn in ClusterNetwork.objects.filter(cluster=cluster).select_related("network")}
    assert roles == {"Public": 3, "Cluster": 1, "iSCSI": 0}


# -- the exercise ------------------------------------------------------------------------------------------

def test_the_exercises_solution_meets_every_objective(lab, owner, tick_to):
    exercise = catalogue.load("storage-and-networks")
    assert exercise["lab"] == "storage-network-admin-2012"
    results = objectives.evaluate(exercise["objectives"], lab_facts(lab))
    assert not any(r.met for r in results), results
    storage.add_disks(owner, cluster_of(lab), [Disk.objects.get(lab=lab, name="Archive").pk])
    networks.set_network_properties(owner, network(lab, "10.30.0.0/24"), "Storage", 0)
    storage.start_move_available_storage(owner, cluster_of(lab), node(lab, "HV-B"))
    met = {r.id: r.met for r in objectives.evaluate(exercise["objectives"], lab_facts(lab))}
    assert met == {"disk-added": True, "network-renamed": True, "network-role": True, "storage-moved": False}
    finish_moves(lab, tick_to)
    assert all(r.met for r in objectives.evaluate(exercise["objectives"], lab_facts(lab)))


def test_the_solutions_labels_are_on_the_console(owner_client, lab):
    """Each label a step clicks is a tree item, a row, an Action or a dialog field of this console."""
    exercise = catalogue.load("storage-and-networks")
    steps = labfile.read(catalogue.EXERCISES_DIR / "storage-and-networks.toml")["solution"]
    assert {s["objective"] for s in steps} == {o["id"] for o in exercise["objectives"]}
    assert all(s["do"] in ("click", "choose", "type", "check", "wait") for s in steps)
    disks_page = html(owner_client.get(url("disks", lab)))
    assert ">Add Disk</span>" in disks_page
    assert 'Move Available Storage &rsaquo;</span> Select Node...' in disks_page
    assert "<label for=" in html(owner_client.get(url("disk-add", lab), headers=HX))
    net = network(lab, "10.30.0.0/24")
    assert f'<span id="network-{net.pk}-name">Cluster Network 3</span>' in html(owner_client.get(url("networks", lab)))
    dialog = html(owner_client.get(url("network-properties", lab, net.pk), headers=HX))
    assert '<label for="id_name">Name:</label>' in dialog
    move = html(owner_client.get(url("available-storage-move", lab), headers=HX))
    assert "<legend>Node</legend>" in move and "HV-B</label>" in move


def test_the_refusals_are_engine_errors():
    assert issubclass(DiskError, EngineError) and issubclass(NetworkError, EngineError)


# -- generated bad input -------------------------------------------------------------------------------------

@pytest.fixture
def dialog_targets(lab, r2_lab):
    """(lab, URL, field names) of every dialog built here, on 2012 and (drive letters) 2008 R2."""
    dtc = ClusterDisk.objects.get(cluster__lab=r2_lab, disk__name="DTC")
    net = network(lab, "10.30.0.0/24")
    return [(lab, url("disk-add", lab), ["disks"]), (lab, url("available-storage-move", lab), ["target", "best"]),
            (lab, url("csv-move", lab, disk(lab, "VMStore").pk), ["target", "best"]),
            (lab, url("network-properties", lab, net.pk), ["name", "cluster_use", "clients"]),
            (r2_lab, url("disk-drive-letter", r2_lab, dtc.pk), ["letter"])]


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(data=st.data())
def test_generated_values_change_nothing_and_never_fail(owner_client, dialog_targets, data):
    a_lab, target, names = data.draw(st.sampled_from(dialog_targets), label="dialog")
    values = {name: data.draw(NASTY, label=name) for name in names}
    if "best" in values or "target" in values:
        values.pop("best", None)  # Best Possible Node is a valid choice: it would move
        assume(whole_number(values["target"]) is None)
    if "letter" in values:
        assume(values["letter"].strip().rstrip(":").upper() not in disksim.DRIVE_LETTERS)
    if "disks" in values:
        assume(not Disk.objects.filter(pk=whole_number(values["disks"]) or 0).exists())
    before = state_of(a_lab)
    response = owner_client.post(target, values, headers=HX)
    assert response.status_code == 200 and not refreshed(response), (target, values)
    page = html(response)
    assert "<script>alert(1)</script>" not in page
    assert 'class="field-error' in page, (target, values)
    assert state_of(a_lab) == before, (target, values)
