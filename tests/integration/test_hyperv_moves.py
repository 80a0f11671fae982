"""Hyper-V Manager's Move of a VM in no cluster to another host: the product's refusals (nothing changes),
a shared-nothing live migration phase by phase with its Status, a VM that is off, and the hosts' limits."""
import re
from html import unescape

import pytest
from django.urls import reverse

from fcm.engine import labfile
from fcm.engine.commands.hyperv_moves import request_vm_move, request_vm_storage_move
from fcm.engine.errors import ServerError
from fcm.engine.models import Operation
from fcm.inventory.models import Node, VirtualMachine, VirtualSwitch
from fcm.inventory.models.vms import MigrationState

pytestmark = pytest.mark.django_db
FOLDER = r"D:\Hyper-V\APP01"


@pytest.fixture
def lab(owner):
    lab = labfile.load(labfile.lab_path("shared-nothing-2012"), owner)
    Node.objects.filter(lab=lab, name="HV02").update(vm_migration_enabled=True, migration_authentication="Kerberos")
    return lab


def app01(lab):
    return VirtualMachine.objects.get(lab=lab, name="APP01")


def hv(lab, name):
    return Node.objects.get(lab=lab, name=name)


def refusal(lab, target="HV02", folder=FOLDER):
    with pytest.raises(ServerError) as caught:
        request_vm_move(None, app01(lab), hv(lab, target), folder)
    assert not Operation.objects.filter(lab=lab).exists()
    assert app01(lab).host_node.name == "HV01"
    return str(caught.value), caught.value.field


def test_a_destination_that_does_not_accept_live_migrations_refuses_the_connection(lab):
    Node.objects.filter(lab=lab, name="HV02").update(vm_migration_enabled=False)
    message, field = refusal(lab)
    assert message == ('The Virtual Machine Management Service failed to establish a connection for a Virtual '
                       'Machine migration with host "HV02": No connection could be made because the target '
                       'machine actively refused it. (0x8007274D)') and field == "destination"


def test_kerberos_needs_constrained_delegation_to_the_destination(lab):
    hv(lab, "HV01").delegates_to.clear()
    message, _ = refusal(lab)
    assert message.startswith('Failed to establish a connection with host "HV02": The credentials supplied to the '
                              'package were not recognized (0x8009030D).')
    assert "constrained delegation must be enabled for HV01 to HV02" in message


@pytest.mark.parametrize("change,expected,field", [
    (lambda lab: VirtualSwitch.objects.filter(node__lab=lab, node__name="HV02").update(name="Public"),
     "Could not find Ethernet switch 'External' on HV02.", "destination"),
    (lambda lab: Node.objects.filter(lab=lab, name="HV02").update(processor_vendor="AuthenticAMD"),
     "The hardware on the destination computer is not compatible", "destination"),
    (lambda lab: Node.objects.filter(lab=lab, name="HV02").update(os_version="2008R2"),
     "HV02 runs Windows Server 2008 R2: moving a virtual machine between servers in no cluster needs Windows "
     "Server 2012 or later on both.", "destination"),
    (lambda lab: Node.objects.filter(lab=lab, name="HV02").update(memory_mb=4096),
     "HV02 does not have enough memory for APP01", "destination"),
    (lambda lab: Node.objects.filter(lab=lab, name="HV02").update(use_any_network_for_migration=False),
     "HV01 and HV02 share no network that HV02 accepts live migrations on", "destination"),
    (lambda lab: Node.objects.filter(lab=lab, name="HV01").update(vm_migration_enabled=False),
     "Live migrations are not enabled on HV01", ""),
    (lambda lab: Node.objects.filter(lab=lab, name="HV02").update(power_state="Off"),
     "HV02 is turned off or cannot be reached", "destination"),
    (lambda lab: VirtualMachine.objects.filter(lab=lab).update(state="Saving"),
     "APP01 is saving: wait until it is running, off or saved.", ""),
])
def test_the_products_checks_refuse_and_change_nothing(lab, change, expected, field):
    change(lab)
    message, got_field = refusal(lab)
    assert expected in message and got_field == field


@pytest.mark.parametrize("folder,expected", [
    ("", "Type the folder on the destination computer"),
    (r"Q:\VMs\APP01", "HV02 has no drive Q: it cannot reach Q:\\VMs\\APP01."),
    ("APP01", "Type a full folder path"),
])
def test_the_new_location_must_be_a_folder_of_the_destination(lab, folder, expected):
    message, field = refusal(lab, folder=folder)
    assert expected in message and field == "location"


def test_the_same_host_is_not_a_destination(lab):
    message, field = refusal(lab, target="HV01")
    assert message == "APP01 is already on HV01: choose another destination computer." and field == "destination"


def test_a_running_vm_moves_with_its_storage_and_keeps_running(lab, owner_client, tick_after):
    vm = app01(lab)
    booted = vm.started_at
    op = request_vm_move(None, vm, hv(lab, "HV02"), FOLDER)
    assert op.state == "running" and op.plan["network"] == "Live Migration" and op.plan["running"]
    keys = [p["key"] for p in op.plan["phases"]]
    assert keys[:3] == ["setup", "initial-copy", "mirror-pass"] and "stop-and-copy" in keys
    # 18 GB of VHDX at the 1 GbE link's 113 MiB/s: about 2 min 45 s, then the changed blocks, then memory.
    copy = next(p for p in op.plan["phases"] if p["key"] == "initial-copy")
    assert copy["end_s"] - copy["start_s"] == pytest.approx(18 * 1024 / 113.2, rel=0.01)
    assert op.plan["downtime_s"] < 1

    pushed = tick_after(lab, op, copy["start_s"] + 60)[lab.pk]  # the Status column follows the copy
    vm.refresh_from_db()
    assert vm.host_node.name == "HV01" and vm.state == "Running" and vm.migration_state == MigrationState.DATA_TRANSFER
    percent = int(pushed.split(f'id="vm-{vm.pk}-status" hx-swap-oob="true">Migrating (')[1].split("%")[0])
    assert 25 < percent < 40  # a minute of the copy's 2 min 43 s, which is 80 % of the bytes
    page = unescape(owner_client.get(reverse("console:server-vm", args=[lab.pk, hv(lab, "HV01").pk, vm.pk]))
                    .content.decode())
    assert f'id="vm-{vm.pk}-status">Migrating (' in page  # a fresh page shows the same column

    tick_after(lab, op, op.plan["total_s"] + 1)
    op.refresh_from_db()
    vm.refresh_from_db()
    assert op.state == "completed"
    assert (vm.host_node.name, vm.state, vm.started_at, vm.migration_state) == ("HV02", "Running", booted, 0)
    assert vm.configuration_path == FOLDER
    assert list(vm.hard_disks.values_list("path", "disk")) == [(FOLDER + r"\APP01.vhdx", None)]


def test_a_vm_that_is_off_moves_its_files_with_no_downtime(lab, run_all):
    VirtualMachine.objects.filter(lab=lab).update(state="Off", started_at=None)
    op = request_vm_move(None, app01(lab), hv(lab, "HV02"), r"C:\VMs\APP01")
    assert op.plan["downtime_s"] == 0 and not op.plan["running"]
    assert [p["key"] for p in op.plan["phases"]] == ["setup", "initial-copy", "switch-storage"]
    run_all(lab, op)
    vm = app01(lab)
    assert (vm.host_node.name, vm.state, vm.configuration_path) == ("HV02", "Off", r"C:\VMs\APP01")


def test_moves_beyond_a_hosts_simultaneous_live_migrations_wait_their_turn(lab):
    Node.objects.filter(lab=lab, name="HV02").update(max_vm_migrations=1)
    first = app01(lab)
    second = VirtualMachine.objects.create(
        lab=lab, name="APP09", host_node=first.host_node, state="Running", memory_mb=2048,
        configuration_path=r"D:\Hyper-V\APP02", virtual_switch="External", started_at=first.started_at)
    a = request_vm_move(None, first, hv(lab, "HV02"), FOLDER)
    b = request_vm_move(None, second, hv(lab, "HV02"), r"D:\Hyper-V\APP02")
    assert (a.state, b.state) == ("running", "queued")
    with pytest.raises(ServerError, match="APP01 is already changing state or moving"):
        request_vm_move(None, first, hv(lab, "HV02"), FOLDER)


def test_a_clustered_vm_is_moved_in_failover_cluster_manager(owner):
    lab = labfile.load(labfile.lab_path("replica-dr-2012"), owner)
    vm = VirtualMachine.objects.filter(lab=lab, role__isnull=False).first()
    target = Node.objects.filter(lab=lab).exclude(pk=vm.host_node_id).first()
    with pytest.raises(ServerError, match=r"is the clustered role .*: move it in Failover Cluster Manager"):
        request_vm_move(None, vm, target, FOLDER)


# -- Move the virtual machine's storage ---------------------------------------------------------------------

def test_the_storage_of_a_running_vm_moves_to_another_folder_of_its_host(lab, run_all):
    op = request_vm_storage_move(None, app01(lab), r"C:\VMs\APP01")
    assert op.kind == "vm-storage-move" and op.plan["downtime_s"] == 0
    assert [p["key"] for p in op.plan["phases"]] == ["initial-copy", "mirror-pass", "switch-storage"]
    assert op.plan["phases"][0]["end_s"] == pytest.approx(18 * 1024 / 300, rel=0.01)  # the host's own disks
    run_all(lab, op)
    vm = app01(lab)
    assert (vm.host_node.name, vm.state, vm.configuration_path) == ("HV01", "Running", r"C:\VMs\APP01")
    assert list(vm.hard_disks.values_list("path", flat=True)) == [r"C:\VMs\APP01\APP01.vhdx"]


@pytest.mark.parametrize("folder,expected", [
    (FOLDER, r"APP01's files are already in D:\Hyper-V\APP01: choose another folder."),
    (r"Z:\APP01", "HV01 has no drive Z"),
    ("", "Type the folder that receives the virtual machine's files."),
])
def test_a_storage_move_needs_a_new_folder_the_host_reaches(lab, folder, expected):
    with pytest.raises(ServerError, match=re.escape(expected)) as caught:
        request_vm_storage_move(None, app01(lab), folder)
    assert caught.value.field == "location" and not Operation.objects.filter(lab=lab).exists()


def test_storage_moves_beyond_the_hosts_simultaneous_storage_migrations_wait(lab):
    Node.objects.filter(lab=lab, name="HV01").update(max_storage_migrations=1)
    first = app01(lab)
    second = VirtualMachine.objects.create(
        lab=lab, name="APP09", host_node=first.host_node, state="Off", memory_mb=2048,
        configuration_path=r"D:\Hyper-V\APP02", virtual_switch="External")
    a = request_vm_storage_move(None, first, r"C:\VMs\APP01")
    b = request_vm_storage_move(None, second, r"C:\VMs\APP02")
    assert (a.state, b.state) == ("running", "queued")
    # A live migration is not a storage migration: it has its own slots.
    c = request_vm_move(None, second.__class__.objects.create(
        lab=lab, name="APP08", host_node=first.host_node, state="Off", memory_mb=1024,
        configuration_path=r"D:\Hyper-V\APP03", virtual_switch="External"), hv(lab, "HV02"), r"D:\Hyper-V\APP03")
    assert c.state == "running"


# -- the Move Wizard ------------------------------------------------------------------------------------------

HX = {"HX-Request": "true", "HX-Target": "dialog-host"}


def wizard_post(client, url, **data):
    response = client.post(url, data, headers=HX)
    assert response.status_code == 200, response.content[:600]
    return unescape(response.content.decode())


def test_the_move_wizard_page_by_page_with_each_refusal_on_its_page(lab, owner_client, run_all):
    from fcm.wizards.models import WizardDraft
    vm = app01(lab)
    start = reverse("wizards:start", args=[lab.pk, "move-vm"])
    page = unescape(owner_client.get(f"{start}?subject={vm.pk}", headers=HX).content.decode())
    assert 'Move "APP01" Wizard' in page and "Before You Begin" in page and "Choose Move Type" in page
    assert owner_client.get(f"{start}?subject=999999", headers=HX).status_code == 404
    page = wizard_post(owner_client, start, subject=vm.pk, action="next")
    url = reverse("wizards:draft", args=[lab.pk, WizardDraft.objects.get().pk])
    assert "Move the virtual machine's storage" in page
    page = wizard_post(owner_client, url, move_type="vm", action="next")
    assert "Specify Destination Computer" in page
    raw = owner_client.post(url, {"name": "<b>HV9</b>", "action": "next"}, headers=HX).content.decode()
    assert "could not be resolved" in raw and "<b>HV9</b>" not in raw and "&lt;b&gt;HV9&lt;/b&gt;" in raw
    Node.objects.filter(lab=lab, name="HV02").update(vm_migration_enabled=False)
    page = wizard_post(owner_client, url, name="HV02", action="next")
    assert "actively refused it. (0x8007274D)" in page and "Specify Destination Computer" in page
    Node.objects.filter(lab=lab, name="HV02").update(vm_migration_enabled=True)
    page = wizard_post(owner_client, url, name="hv02.contoso.com", action="next")
    assert "Choose Move Options" in page
    page = wizard_post(owner_client, url, option="only-vm", action="next")
    assert "Move only the virtual machine needs its files on storage both servers use" in page
    page = wizard_post(owner_client, url, option="single", action="next")
    assert "Choose a new location for virtual machine" in page and "Size:</dt><dd>18" in page
    page = wizard_post(owner_client, url, folder=r"Q:\APP01", action="next")
    assert "HV02 has no drive Q" in page
    page = wizard_post(owner_client, url, folder=r"D:\VMs\APP01", action="next")
    assert "Destination computer:" in page and "HV02" in page
    assert (r'Move-VM -Name APP01 -ComputerName HV01 -DestinationHost HV02 -IncludeStorage '
            r'-DestinationStoragePath "D:\VMs\APP01"') in page
    assert not Operation.objects.exists()
    page = wizard_post(owner_client, url, action="next")
    page = wizard_post(owner_client, url, action="next")  # a second Finish starts nothing more
    op = Operation.objects.get()
    assert op.kind == "vm-move" and "Performing the move of APP01 to HV02" in page
    run_all(lab, op)
    assert app01(lab).host_node.name == "HV02"
    done = unescape(owner_client.get(url, headers=HX).content.decode())
    assert "APP01 runs on <strong>HV02</strong> now, with its files in D:\\VMs\\APP01." in done


def test_the_move_wizard_moves_storage_without_a_destination_page(lab, owner_client, run_all):
    from fcm.wizards.models import WizardDraft
    vm = app01(lab)
    start = reverse("wizards:start", args=[lab.pk, "move-vm"])
    wizard_post(owner_client, start, subject=vm.pk, action="next")
    url = reverse("wizards:draft", args=[lab.pk, WizardDraft.objects.get().pk])
    page = wizard_post(owner_client, url, move_type="storage", action="next")
    assert "Choose a new location for virtual machine" in page and "Specify Destination Computer" not in page
    page = wizard_post(owner_client, url, folder=FOLDER, action="next")
    assert "already in D:\\Hyper-V\\APP01" in page
    page = wizard_post(owner_client, url, folder=r"C:\VMs\APP01", action="next")
    assert 'Move-VMStorage -VMName APP01 -ComputerName HV01 -DestinationStoragePath "C:\\VMs\\APP01"' in page
    wizard_post(owner_client, url, action="next")
    op = run_all(lab, Operation.objects.get())
    assert op.state == "completed" and app01(lab).configuration_path == r"C:\VMs\APP01"


def test_the_move_action_is_hyper_v_managers_on_a_2012_vm_in_no_cluster(lab, owner_client):
    vm = app01(lab)
    page = unescape(owner_client.get(reverse("console:server-vm", args=[lab.pk, vm.host_node_id, vm.pk]))
                    .content.decode())
    assert "Move..." in page and f"/wizards/move-vm/?subject={vm.pk}" in page


# -- Hyper-V Manager's Virtual Machines columns -----------------------------------------------------------------

def test_the_virtual_machines_list_has_hyper_v_managers_columns(lab, owner_client):
    vm = app01(lab)
    url = reverse("console:server-vm", args=[lab.pk, vm.host_node_id, vm.pk])
    page = unescape(owner_client.get(url).content.decode())
    for column in ("CPU Usage", "Assigned Memory", "Uptime", "Status"):
        assert f"<th>{column}</th>" in page
    assert "<th>Configuration Version</th>" not in page  # from 2016
    assert f'id="vm-{vm.pk}-cpu">4 %<' in page and f'id="vm-{vm.pk}-memory">4096 MB<' in page
    assert f'id="vm-{vm.pk}-uptime" data-uptime-since=' in page and ">2.02:00:0" in page  # 50 hours up
    Node.objects.filter(lab=lab).update(os_version="2016")
    VirtualMachine.objects.filter(pk=vm.pk).update(state="Off", started_at=None)
    page = unescape(owner_client.get(url).content.decode())
    assert "<th>Configuration Version</th>" in page and '<td class="num">8.0</td>' in page
    assert f'id="vm-{vm.pk}-cpu"><' in page and f'id="vm-{vm.pk}-memory"><' in page  # off: no CPU, no memory


def test_a_moved_vm_keeps_its_configuration_version(lab, run_all):
    Node.objects.filter(lab=lab, name="HV02").update(os_version="2012R2")
    op = run_all(lab, request_vm_move(None, app01(lab), hv(lab, "HV02"), FOLDER))
    vm = app01(lab)
    assert op.state == "completed" and vm.host_node.name == "HV02" and vm.version == "4.0"
