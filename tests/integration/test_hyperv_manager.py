"""Hyper-V Manager in the console: Connect to Server... (its refusals at the field), the connected server's
Virtual Machines, the selected VM's Checkpoints pane (Snapshots on 2012) and tabs, and the checkpoint dialogs
(Checkpoint, Apply..., Rename..., Delete...) through their views; foreign labs and stale ids are 404s."""
from html import unescape

import pytest
from django.urls import reverse

from fcm.engine import labfile
from fcm.engine.models import Operation
from fcm.inventory.models import Checkpoint, Node, VirtualMachine
from fcm.wizards.models import WizardDraft

pytestmark = pytest.mark.django_db
DIALOG = {"HX-Request": "true", "HX-Target": "dialog-host"}


@pytest.fixture
def lab(owner):
    return labfile.load(labfile.lab_path("shared-nothing-2012"), owner)


def node(lab, name="HV01"):
    return Node.objects.get(lab=lab, name=name)


def app01(lab):
    return VirtualMachine.objects.get(lab=lab, name="APP01")


def text(response):
    return unescape(response.content.decode())


def hyperv_page(client, lab, name="HV01", **headers):
    return client.get(reverse("console:hyperv-server", args=[lab.pk, node(lab, name).pk]), headers=headers)


def from_hyperv(lab, vm):
    """The headers of a click in Hyper-V Manager's page (htmx names the page it comes from)."""
    page = reverse("console:hyperv-vm", args=[lab.pk, vm.host_node_id, vm.pk])
    return {"HX-Request": "true", "HX-Target": "selection", "HX-Current-URL": f"http://testserver{page}"}


def test_hyper_v_manager_starts_unconnected_and_connect_to_server_refuses_what_it_cannot_reach(owner_client, lab):
    root = text(owner_client.get(reverse("console:hyperv", args=[lab.pk])))
    assert "Hyper-V Manager" in root and "Connect to Server..." in root and "HV01, HV02" in root
    url = reverse("console:hyperv-connect", args=[lab.pk])
    assert "Another computer:" in text(owner_client.get(url, headers=DIALOG))
    answer = text(owner_client.post(url, {"computer": "NOSUCH"}, headers=DIALOG))
    assert 'The computer "NOSUCH" could not be resolved.' in answer and 'id="computer-error"' in answer
    assert "hyperv-manager:%d" % lab.pk not in owner_client.session
    Node.objects.filter(lab=lab, name="HV02").update(power_state="Off")
    answer = text(owner_client.post(url, {"computer": "hv02"}, headers=DIALOG))
    assert 'An error occurred while attempting to connect to server "HV02".' in answer
    assert "Type the name of the computer" in text(owner_client.post(url, {"computer": ""}, headers=DIALOG))


def test_connecting_shows_the_servers_virtual_machines_and_the_tree_names_it(owner_client, lab):
    answer = owner_client.post(reverse("console:hyperv-connect", args=[lab.pk]), {"computer": "hv01.contoso.com"},
                               headers=DIALOG)
    assert answer["HX-Redirect"] == reverse("console:hyperv-server", args=[lab.pk, node(lab).pk])
    page = text(hyperv_page(owner_client, lab))
    assert 'id="hyperv-vms"' in page and "APP01" in page and "Running" in page
    for column in ("Name", "State", "CPU Usage", "Assigned Memory", "Uptime", "Status"):
        assert f"<th>{column}</th>" in page
    assert "Configuration Version" not in page  # a 2016 column
    # the tree keeps the connection on other pages too
    assert "HV01</a>" in text(owner_client.get(reverse("console:servers", args=[lab.pk])))
    owner_client.post(reverse("console:hyperv-remove", args=[lab.pk]), headers={"HX-Request": "true"})
    assert "HV01</a></li></ul>" not in text(owner_client.get(reverse("console:servers", args=[lab.pk])))


def test_the_selected_vm_shows_its_snapshots_on_2012_and_checkpoints_on_2012_r2(owner_client, lab):
    vm = app01(lab)
    url = reverse("console:hyperv-vm", args=[lab.pk, vm.host_node_id, vm.pk])
    page = text(owner_client.get(url))
    assert "The selected virtual machine has no snapshots." in page and ">Snapshot<" in page
    assert "Summary" in page and "Memory" in page and "Networking" in page
    Node.objects.filter(lab=lab).update(os_version="2012R2")
    page = text(owner_client.get(url))
    assert "The selected virtual machine has no checkpoints." in page and ">Checkpoint<" in page
    assert "4096 MB" in text(owner_client.get(url + "?tab=memory"))
    assert "External" in text(owner_client.get(url + "?tab=networking"))


def test_checkpoint_then_apply_rename_and_delete_through_the_dialogs(owner_client, lab, finish_operation):
    Node.objects.filter(lab=lab).update(os_version="2012R2")
    vm = app01(lab)
    take = reverse("console:server-vm-checkpoint", args=[lab.pk, vm.host_node_id, vm.pk])
    answer = owner_client.post(take, headers=from_hyperv(lab, vm))
    assert answer.status_code == 200 and 'id="vm-%d-checkpoints"' % vm.pk in text(answer)
    finish_operation(lab, Operation.objects.get(lab=lab, kind="checkpoint"))
    checkpoint = Checkpoint.objects.get(virtual_machine=vm)
    page = text(owner_client.get(reverse("console:hyperv-checkpoint", args=[lab.pk, vm.host_node_id, vm.pk,
                                                                            checkpoint.pk])))
    assert checkpoint.name in page and "> Now</li>" in page
    assert "Apply..." in page and "Delete Checkpoint..." in page and "Revert..." in page
    args = [lab.pk, vm.host_node_id, vm.pk, checkpoint.pk]

    rename = reverse("console:server-checkpoint-rename", args=args)
    refused = text(owner_client.post(rename, {"name": "  "}, headers=DIALOG))
    assert "The name cannot be blank." in refused and 'id="name-error"' in refused
    owner_client.post(rename, {"name": "Before <update>"}, headers=from_hyperv(lab, vm))
    checkpoint.refresh_from_db()
    assert checkpoint.name == "Before <update>"
    page = owner_client.get(reverse("console:hyperv-vm", args=args[:3])).content.decode()
    assert "Before &lt;update&gt;" in page and "Before <update>" not in page  # escaped

    apply = reverse("console:server-checkpoint-apply", args=args)
    dialog = text(owner_client.get(apply, headers=DIALOG))
    assert "Take Checkpoint and Apply" in dialog and "Your current virtual machine state will be lost." in dialog
    owner_client.post(apply, {"choice": "apply"}, headers=from_hyperv(lab, vm))
    finish_operation(lab, Operation.objects.get(lab=lab, kind="checkpoint-apply"))
    assert app01(lab).state == "Saved"

    delete = reverse("console:server-checkpoint-delete", args=args)
    assert 'Are you sure you want to delete the selected checkpoint "Before <update>"?' in text(
        owner_client.get(delete, headers=DIALOG))
    answer = owner_client.post(delete, headers=from_hyperv(lab, vm))
    assert not Checkpoint.objects.filter(virtual_machine=vm).exists()
    # the address bar names the VM, not the checkpoint that is gone
    assert answer["HX-Replace-Url"] == reverse("console:hyperv-vm", args=args[:3])
    finish_operation(lab, Operation.objects.get(lab=lab, kind="checkpoint-merge"))
    assert app01(lab).hard_disks.get().path.endswith("APP01.vhdx")


def test_a_refused_checkpoint_says_why_in_the_error_box_and_changes_nothing(owner_client, lab):
    vm = app01(lab)
    take = reverse("console:server-vm-checkpoint", args=[lab.pk, vm.host_node_id, vm.pk])
    owner_client.post(take, headers=from_hyperv(lab, vm))
    second = text(owner_client.post(take, headers=from_hyperv(lab, vm)))
    assert "(0x800710DF)" in second
    assert Operation.objects.filter(lab=lab, kind="checkpoint").count() == 1


def test_another_users_lab_and_stale_ids_are_404s(client, other_user, owner_client, lab, finish_operation):
    vm = app01(lab)
    client.force_login(other_user)
    assert client.get(reverse("console:hyperv-server", args=[lab.pk, vm.host_node_id])).status_code == 404
    assert client.post(reverse("console:server-vm-checkpoint", args=[lab.pk, vm.host_node_id, vm.pk])) \
        .status_code == 404
    assert not Operation.objects.filter(lab=lab).exists()
    assert owner_client.get(reverse("console:hyperv-checkpoint", args=[lab.pk, vm.host_node_id, vm.pk, 999999])) \
        .status_code == 404
    assert owner_client.get(reverse("console:server-checkpoint-apply", args=[lab.pk, vm.host_node_id, vm.pk,
                                                                             999999])).status_code == 404


def test_credssp_moves_start_only_from_the_server_hyper_v_manager_is_connected_to(owner_client, lab):
    """HV01 and HV02 left on CredSSP: the Move Wizard from a management workstation is refused at the
    destination; connected to HV01 (the source), the same destination is accepted."""
    Node.objects.filter(lab=lab).update(vm_migration_enabled=True, migration_authentication="CredSSP")
    vm = app01(lab)
    start = reverse("wizards:start", args=[lab.pk, "move-vm"]) + f"?subject={vm.pk}"
    headers = {"HX-Request": "true"}

    def walk():
        WizardDraft.objects.filter(lab=lab).delete()
        owner_client.post(start, {"action": "next"}, headers=headers)
        draft = WizardDraft.objects.get(lab=lab, kind="move-vm")
        url = reverse("wizards:draft", args=[lab.pk, draft.pk])
        owner_client.post(url, {"action": "next", "move_type": "vm"}, headers=headers)
        return text(owner_client.post(url, {"action": "next", "name": "HV02"}, headers=headers))

    refused = walk()
    assert "No credentials are available in the security package (0x8009030E)" in refused
    owner_client.post(reverse("console:hyperv-connect", args=[lab.pk]), {"computer": "HV01"}, headers=DIALOG)
    accepted = walk()
    assert "0x8009030E" not in accepted and "Choose Move Options" in accepted


def test_a_bookmark_of_a_server_that_is_off_connects_to_nothing(lab, owner_client):
    hv01 = Node.objects.get(lab=lab, name="HV01")
    Node.objects.filter(pk=hv01.pk).update(power_state="Off")
    response = owner_client.get(reverse("console:hyperv-server", args=[lab.pk, hv01.pk]))
    page = unescape(response.content.decode())
    assert response.status_code == 200
    assert 'An error occurred while attempting to connect to server "HV01".' in page
    assert "Connect to Server..." in page and "hyperv-vms" not in page
