"""Hyper-V Manager's Virtual Switch Manager: a host's switches created and removed as the product allows, a
VM left Not connected when its switch goes, and the Move Wizard's missing-switch check met by creating it."""
from html import unescape

import pytest
from django.urls import reverse

from fcm.engine import labfile
from fcm.engine.commands.hyperv_moves import request_vm_move
from fcm.engine.errors import ServerError
from fcm.inventory.models import Node, VirtualMachine, VirtualSwitch

pytestmark = pytest.mark.django_db


@pytest.fixture
def lab(owner):
    lab = labfile.load(labfile.lab_path("shared-nothing-2012"), owner)
    Node.objects.filter(lab=lab, name="HV02").update(vm_migration_enabled=True, migration_authentication="Kerberos")
    return lab


def page(client, url, data=None):
    response = client.post(url, data) if data is not None else client.get(url)
    assert response.status_code == 200, response.content[:500]
    return unescape(response.content.decode())


def test_a_switch_missing_on_the_destination_is_created_there_and_the_move_goes(lab, owner_client):
    hv02 = Node.objects.get(lab=lab, name="HV02")
    VirtualSwitch.objects.filter(node=hv02).delete()
    app01 = VirtualMachine.objects.get(lab=lab, name="APP01")
    with pytest.raises(ServerError, match="Could not find Ethernet switch 'External' on HV02."):
        request_vm_move(None, app01, hv02, r"D:\Hyper-V\APP01")
    url = reverse("console:server-switches", args=[lab.pk, hv02.pk])
    shown = page(owner_client, url)
    assert "Virtual Switch Manager for HV02" in shown and "No virtual switch on HV02." in shown
    public = hv02.adapters.get(name="Public")
    refused = page(owner_client, url, {"action": "create", "name": " ", "kind": "External", "adapter": public.pk})
    assert "Type a name for the virtual switch." in refused and not VirtualSwitch.objects.filter(node=hv02).exists()
    refused = page(owner_client, url, {"action": "create", "name": "External", "kind": "External", "adapter": "x"})
    assert "Choose one of this server's network adapters." in refused
    done = page(owner_client, url, {"action": "create", "name": "External", "kind": "External", "adapter": public.pk})
    assert "The virtual switch 'External' was created." in done
    switch = VirtualSwitch.objects.get(node=hv02)
    assert (switch.name, switch.kind, switch.adapter) == ("External", "External", public)
    again = page(owner_client, url, {"action": "create", "name": "external", "kind": "Private"})
    assert "A virtual switch named 'external' already exists on HV02." in again
    bound = page(owner_client, url, {"action": "create", "name": "Second", "kind": "External", "adapter": public.pk})
    assert "The network adapter 'Public' is already bound to the virtual switch 'External'." in bound
    assert request_vm_move(None, app01, hv02, r"D:\Hyper-V\APP01").state == "running"


def test_removing_a_switch_leaves_its_vms_not_connected(lab, owner_client):
    hv01 = Node.objects.get(lab=lab, name="HV01")
    switch = VirtualSwitch.objects.get(node=hv01, name="External")
    url = reverse("console:server-switches", args=[lab.pk, hv01.pk])
    done = page(owner_client, url, {"remove": switch.pk})
    assert "The virtual switch 'External' was removed." in done
    assert set(VirtualMachine.objects.filter(host_node=hv01).values_list("virtual_switch", flat=True)) == {""}
    assert "That virtual switch no longer exists." in page(owner_client, url, {"remove": switch.pk})
    assert "That virtual switch no longer exists." in page(owner_client, url, {"remove": "9" * 40})


def test_switches_wait_for_the_server_to_run(lab, owner_client):
    hv02 = Node.objects.get(lab=lab, name="HV02")
    Node.objects.filter(pk=hv02.pk).update(power_state="Off")
    url = reverse("console:server-switches", args=[lab.pk, hv02.pk])
    refused = page(owner_client, url, {"action": "create", "name": "Lab", "kind": "Private"})
    assert "HV02 is turned off" in refused and not VirtualSwitch.objects.filter(node=hv02, name="Lab").exists()
    fs01 = Node.objects.get(lab=lab, name="FS01")
    assert owner_client.get(reverse("console:server-switches", args=[lab.pk, fs01.pk])).status_code == 404


def test_hyper_v_manager_creates_a_vm_on_a_server_in_no_cluster_even_on_a_share(lab, owner_client, run_all):
    from fcm.engine.models import Operation
    from fcm.inventory.models import FileShare
    from fcm.wizards.models import WizardDraft
    hx = {"HX-Request": "true", "HX-Target": "dialog-host"}
    hv01 = Node.objects.get(lab=lab, name="HV01")
    shown = page(owner_client, reverse("console:hyperv-server", args=[lab.pk, hv01.pk]))
    assert "Virtual Machine..." in shown and "Virtual Switch Manager..." in shown
    start = reverse("wizards:start", args=[lab.pk, "new-vm"])
    assert owner_client.get(start, headers=hx).status_code == 404  # no cluster and no server
    fs01 = Node.objects.get(lab=lab, name="FS01")
    assert owner_client.get(f"{start}?subject={fs01.pk}", headers=hx).status_code == 404  # no Hyper-V there
    first = unescape(owner_client.get(f"{start}?subject={hv01.pk}", headers=hx).content.decode())
    assert "Specify Name and Location" in first and "Select Node" not in first
    owner_client.post(start, {"action": "next", "subject": hv01.pk, "name": "WEB03", "other_location": "on",
                              "location": r"\\FS01\VMs"}, headers=hx)
    url = reverse("wizards:draft", args=[lab.pk, WizardDraft.objects.get().pk])
    post = lambda **data: unescape(owner_client.post(url, {"action": "next", **data}, headers=hx).content.decode())  # noqa
    post(memory_mb=2048)
    post(switch="External")
    post(vhd="create", vhd_path=r"\\FS01\VMs\WEB03\WEB03.vhdx", vhd_size_gb=60)
    html = post(install="later")
    assert 'New-VM -Name WEB03 -ComputerName HV01 -Path "\\\\FS01\\VMs\\WEB03"' in html
    post()
    run_all(lab, Operation.objects.get(kind="new-vm"))
    vm = VirtualMachine.objects.get(lab=lab, name="WEB03")
    share = FileShare.objects.get(lab=lab, name="VMs")
    assert (vm.host_node, vm.state, vm.configuration_share, vm.role) == (hv01, "Off", share, None)
    assert vm.hard_disks.get().share == share


def test_a_vms_settings_change_as_hyper_v_allows(lab, owner_client):
    app01 = VirtualMachine.objects.get(lab=lab, name="APP01")
    hv01 = Node.objects.get(lab=lab, name="HV01")
    url = reverse("console:server-vm-settings", args=[lab.pk, hv01.pk, app01.pk])
    shown = page(owner_client, url)
    assert "Settings for APP01 on HV01" in shown and "Some settings cannot be modified" in shown
    running = page(owner_client, url, {"memory_mb": 8192, "vcpus": 2, "switch": "External"})
    assert "can be changed only while it is turned off" in running
    assert VirtualMachine.objects.get(pk=app01.pk).memory_mb == 4096
    page(owner_client, url, {"memory_mb": 4096, "vcpus": 2, "switch": ""})  # the switch may change while it runs
    assert VirtualMachine.objects.get(pk=app01.pk).virtual_switch == ""
    VirtualMachine.objects.filter(pk=app01.pk).update(state="Off", started_at=None)
    for data, message in [({"memory_mb": "lots", "vcpus": 2}, "Type the startup memory in MB, a whole number."),
                          ({"memory_mb": 8191, "vcpus": 2}, "The amount of memory must be a multiple of 2 MB."),
                          ({"memory_mb": 8192, "vcpus": 17}, "HV01 has 16 logical processors"),
                          ({"memory_mb": 8192, "vcpus": 2, "switch": "Nope"}, "Select a valid choice.")]:
        assert message in page(owner_client, url, data)
    assert VirtualMachine.objects.get(pk=app01.pk).memory_mb == 4096
    page(owner_client, url, {"memory_mb": 8192, "vcpus": 4, "dynamic_memory": "on", "switch": "External"})
    vm = VirtualMachine.objects.get(pk=app01.pk)
    assert (vm.memory_mb, vm.vcpus, vm.dynamic_memory, vm.virtual_switch) == (8192, 4, True, "External")


def test_delete_removes_a_vm_that_is_off_and_refuses_the_rest(lab, owner_client):
    hv01 = Node.objects.get(lab=lab, name="HV01")
    app01 = VirtualMachine.objects.get(lab=lab, name="APP01")
    url = reverse("console:server-vm-delete", args=[lab.pk, hv01.pk, app01.pk])
    assert "Are you sure you want to delete the selected virtual machine 'APP01'?" in page(owner_client, url)
    assert "turn it off before deleting it" in page(owner_client, url, {})
    VirtualMachine.objects.filter(pk=app01.pk).update(state="Off", started_at=None)
    done = owner_client.post(url, headers={"HX-Request": "true", "HX-Current-URL": "http://testserver" + reverse(
        "console:hyperv-vm", args=[lab.pk, hv01.pk, app01.pk])})
    assert done["HX-Redirect"] == reverse("console:hyperv-server", args=[lab.pk, hv01.pk])
    assert not VirtualMachine.objects.filter(pk=app01.pk).exists()
    assert owner_client.get(url).status_code == 404


def test_the_new_vm_wizard_asks_for_the_generation_from_2012_r2(owner, owner_client, run_all):
    from fcm.engine.models import Operation
    from fcm.wizards.models import WizardDraft
    lab = labfile.load(labfile.lab_path("shared-nothing-2012r2"), owner)
    hx = {"HX-Request": "true", "HX-Target": "dialog-host"}
    hv01 = Node.objects.get(lab=lab, name="HV01")
    start = reverse("wizards:start", args=[lab.pk, "new-vm"])
    owner_client.post(start, {"action": "next", "subject": hv01.pk, "name": "GEN2"}, headers=hx)
    url = reverse("wizards:draft", args=[lab.pk, WizardDraft.objects.get().pk])
    post = lambda **data: unescape(owner_client.post(url, {"action": "next", **data}, headers=hx).content.decode())  # noqa
    assert "Specify Generation" in post(generation="3")  # not a choice: the page again
    post(generation="2")
    post(memory_mb=2048)
    post(switch="External")
    refused = post(vhd="create", vhd_path=r"D:\VMs\GEN2\GEN2.vhd", vhd_size_gb=40)
    assert "A generation 2 virtual machine starts only from a .vhdx virtual hard disk." in refused
    post(vhd="create", vhd_path=r"D:\VMs\GEN2\GEN2.vhdx", vhd_size_gb=40)
    assert "Generation 2" in post(install="later")
    post()
    run_all(lab, Operation.objects.get(kind="new-vm"))
    vm = VirtualMachine.objects.get(lab=lab, name="GEN2")
    assert vm.generation == 2 and vm.hard_disks.get().controller == "SCSI 0:0"
