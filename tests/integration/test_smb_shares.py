"""Hyper-V over SMB between standalone hosts (seed 004): a VM's files on \\\\FS01\\VMs, the share's Full
Control for each host's computer account, storage moved to a share, and the SMB live migration ("Move only
the virtual machine") whose files stay where they are."""
import re

import pytest

from fcm.engine import labfile
from fcm.engine.commands.hyperv_moves import request_vm_move, request_vm_storage_move
from fcm.engine.errors import ServerError
from fcm.engine.models import Operation
from fcm.inventory.models import FileShare, Node, VirtualMachine

pytestmark = pytest.mark.django_db
SHARE_FOLDER = r"\\FS01\VMs\APP01"


@pytest.fixture
def lab(owner):
    lab = labfile.load(labfile.lab_path("shared-nothing-2012"), owner)
    Node.objects.filter(lab=lab, name="HV02").update(vm_migration_enabled=True, migration_authentication="Kerberos")
    return lab


def vm(lab, name):
    return VirtualMachine.objects.get(lab=lab, name=name)


def hv(lab, name):
    return Node.objects.get(lab=lab, name=name)


def share(lab):
    return FileShare.objects.get(lab=lab, name="VMs")


def grant_hv02(lab):
    share(lab).full_access.add(hv(lab, "HV02"))


def test_the_lab_file_puts_app02_on_the_file_servers_share(lab):
    app02 = vm(lab, "APP02")
    assert share(lab).unc == r"\\FS01\VMs" and app02.configuration_share == share(lab)
    assert list(app02.hard_disks.values_list("share__name", flat=True)) == ["VMs"]
    # 120 GB of other files and APP02's 22 GB VHDX on a 2 TB volume.
    assert share(lab).free_bytes == (2 * 1024 - 120 - 22) * 2**30


def test_a_vm_on_a_share_moves_only_itself_when_the_destination_may_use_the_share(lab, run_all):
    grant_hv02(lab)
    app02 = vm(lab, "APP02")
    booted = app02.started_at
    op = request_vm_move(None, app02, hv(lab, "HV02"), "", only_vm=True)
    keys = [p["key"] for p in op.plan["phases"]]
    assert op.plan["only_vm"] and "initial-copy" not in keys and "stop-and-copy" in keys
    assert op.plan["vhd_mib"] == 0 and op.plan["downtime_s"] < 1
    blackout = next(p for p in op.plan["phases"] if p["key"] == "stop-and-copy")
    assert "handles on the share's 2 files handed over" in blackout["detail"]
    # 2 GB of memory over the 1 GbE Live Migration network: seconds, where copying 22 GB would take minutes.
    assert op.plan["total_s"] < 60
    run_all(lab, op)
    app02 = vm(lab, "APP02")
    assert (app02.host_node.name, app02.state, app02.started_at) == ("HV02", "Running", booted)
    assert app02.configuration_path == r"\\FS01\VMs\APP02" and app02.configuration_share == share(lab)
    assert list(app02.hard_disks.values_list("path", "share__name")) == [(r"\\FS01\VMs\APP02\APP02.vhdx", "VMs")]


def test_a_vm_on_a_share_that_is_off_registers_on_the_destination(lab, run_all):
    grant_hv02(lab)
    VirtualMachine.objects.filter(lab=lab, name="APP02").update(state="Off", started_at=None)
    op = request_vm_move(None, vm(lab, "APP02"), hv(lab, "HV02"), "", only_vm=True)
    assert [p["key"] for p in op.plan["phases"]] == ["setup", "switch-storage"] and op.plan["downtime_s"] == 0
    run_all(lab, op)
    assert (vm(lab, "APP02").host_node.name, vm(lab, "APP02").state) == ("HV02", "Off")


def only_vm_refusal(lab, name="APP02"):
    with pytest.raises(ServerError) as caught:
        request_vm_move(None, vm(lab, name), hv(lab, "HV02"), "", only_vm=True)
    assert not Operation.objects.filter(lab=lab).exists() and vm(lab, name).host_node.name == "HV01"
    return str(caught.value), caught.value.field


def test_the_destination_needs_full_control_of_the_share(lab):
    message, field = only_vm_refusal(lab)
    assert message == (r"Hyper-V on HV02 does not have permission to access \\FS01\VMs: General access denied "
                       r"error (0x80070005). Give CONTOSO\HV02$ Full Control of the share and of its folder.")
    assert field == "options"


def test_only_the_vm_cannot_move_while_its_files_are_on_the_hosts_own_disks(lab):
    message, field = only_vm_refusal(lab, "APP01")
    assert message.startswith("Move only the virtual machine needs its files on storage both servers use") \
        and r"D:\Hyper-V\APP01 is on HV01's local disks" in message and field == "options"


@pytest.mark.parametrize("change,expected", [
    (lambda lab: Node.objects.filter(lab=lab, name="FS01").update(power_state="Off"),
     r"The network path was not found: \\FS01\VMs cannot be reached while FS01 is off."),
    (lambda lab: Node.objects.filter(lab=lab, name="FS01").update(os_version="2008R2"),
     "its shares speak SMB 2.1, and Hyper-V keeps virtual machine files only on SMB 3.0 shares"),
    (lambda lab: hv(lab, "FS01").adapters.update(connected=False),
     "The network path was not found: HV02 has no network to FS01."),
])
def test_the_file_server_must_be_on_speak_smb3_and_be_reachable(lab, change, expected):
    grant_hv02(lab)
    change(lab)
    message, _ = only_vm_refusal(lab)
    assert expected in message


def test_storage_moves_to_a_share_at_the_slower_of_the_network_and_the_file_servers_volume(lab, run_all):
    op = request_vm_storage_move(None, vm(lab, "APP01"), SHARE_FOLDER)
    # 18 GB from HV01's own disks (300 MiB/s) to the share over 1 GbE (SMB: about 116 MiB/s).
    copy = op.plan["phases"][0]
    assert op.plan["copy_mib_s"] == pytest.approx(1000e6 / 8 / 2**20 * 0.97, rel=0.01)
    assert copy["end_s"] == pytest.approx(18 * 1024 / op.plan["copy_mib_s"], rel=0.01)
    run_all(lab, op)
    app01 = vm(lab, "APP01")
    assert app01.configuration_path == SHARE_FOLDER and app01.configuration_share == share(lab)
    assert list(app01.hard_disks.values_list("path", "share__name")) == [(SHARE_FOLDER + r"\APP01.vhdx", "VMs")]
    assert share(lab).free_bytes == (2 * 1024 - 120 - 22 - 18) * 2**30


@pytest.mark.parametrize("folder,expected", [
    (r"\\FS02\VMs\APP01", "The network path was not found: there is no server FS02."),
    (r"\\FS01\Public\APP01", "The network name cannot be found: FS01 has no share named Public."),
])
def test_a_share_that_does_not_exist_is_named_at_the_location(lab, folder, expected):
    with pytest.raises(ServerError, match=re.escape(expected)) as caught:
        request_vm_storage_move(None, vm(lab, "APP01"), folder)
    assert caught.value.field == "location" and not Operation.objects.filter(lab=lab).exists()


def test_a_shared_nothing_move_onto_a_share_needs_the_destinations_access(lab):
    with pytest.raises(ServerError, match=re.escape(r"Hyper-V on HV02 does not have permission")) as caught:
        request_vm_move(None, vm(lab, "APP01"), hv(lab, "HV02"), SHARE_FOLDER)
    assert caught.value.field == "location"
    grant_hv02(lab)
    op = request_vm_move(None, vm(lab, "APP01"), hv(lab, "HV02"), SHARE_FOLDER)
    assert op.plan["folder_share_id"] == share(lab).pk and not op.plan["only_vm"]


def test_a_lab_file_path_on_no_share_of_the_lab_is_refused(owner, tmp_path):
    text = labfile.lab_path("shared-nothing-2012").read_text().replace(r"'\\FS01\VMs\APP02'", r"'\\FS09\VMs\APP02'")
    path = tmp_path / "lab.toml"
    path.write_text(text)
    with pytest.raises(labfile.LabFileError, match=r"configuration_path: .*FS09.* is on no share"):
        labfile.load(path, owner, name="other")


# -- the share's Properties in the Servers view ------------------------------------------------------------

def test_the_servers_view_lists_the_share_and_its_properties_give_hv02_full_control(lab, owner_client):
    from html import unescape

    from django.urls import reverse
    fs01, the_share = hv(lab, "FS01"), share(lab)
    page = unescape(owner_client.get(reverse("console:server", args=[lab.pk, fs01.pk]) + "?tab=shares").content
                    .decode())
    assert r"E:\Shares\VMs" in page and "Not Clustered" in page and "HV01$" in page and "HV02$" not in page
    selected = unescape(owner_client.get(reverse("console:server-share", args=[lab.pk, fs01.pk, the_share.pk]))
                        .content.decode())
    assert "FS01 - VMs" in selected and "Properties" in selected
    url = reverse("console:server-share-properties", args=[lab.pk, fs01.pk, the_share.pk])
    dialog = unescape(owner_client.get(url).content.decode())
    assert "VMs Properties" in dialog and r"CONTOSO\HV01$" in dialog and r"CONTOSO\HV02$" in dialog
    assert r"CONTOSO\FS01$" not in dialog  # the file server's own account is not offered
    # A value that is no account of the domain is refused at the field, and nothing changes.
    bad = owner_client.post(url, {"full_access": ["abc"]})
    assert bad.status_code == 200 and "That computer account is not in this domain." in bad.content.decode()
    assert list(the_share.full_access.values_list("name", flat=True)) == ["HV01"]
    done = owner_client.post(url, {"full_access": [hv(lab, "HV01").pk, hv(lab, "HV02").pk]})
    assert done.status_code == 200 and 'id="dialog-host" hx-swap-oob="true"' in done.content.decode()
    assert sorted(the_share.full_access.values_list("name", flat=True)) == ["HV01", "HV02"]
    request_vm_move(None, vm(lab, "APP02"), hv(lab, "HV02"), "", only_vm=True)  # HV02 may use the share now


def test_a_shares_permissions_wait_for_its_file_server_to_run(lab, owner_client):
    from django.urls import reverse
    Node.objects.filter(lab=lab, name="FS01").update(power_state="Off")
    url = reverse("console:server-share-properties", args=[lab.pk, hv(lab, "FS01").pk, share(lab).pk])
    answer = owner_client.post(url, {"full_access": [hv(lab, "HV02").pk]}).content.decode()
    assert "FS01 is turned off" in answer and list(share(lab).full_access.values_list("name", flat=True)) == ["HV01"]


def test_the_shares_tab_reads_every_shares_free_space_in_one_query(lab, owner_client, django_assert_max_num_queries):
    from django.urls import reverse
    fs01 = hv(lab, "FS01")
    url = reverse("console:server", args=[lab.pk, fs01.pk]) + "?tab=shares"
    owner_client.get(url)
    with django_assert_max_num_queries(40) as one:
        owner_client.get(url)
    for n in range(5):
        FileShare.objects.create(lab=lab, server=fs01, name=f"More{n}", local_path=rf"F:\More{n}",
                                 capacity_bytes=2**40)
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = owner_client.get(url).content.decode()
    assert "More4" in page
    # The one query counts what the per-share reading counts: VHDs and the files their checkpoints froze.
    assert FileShare.objects.with_usage().get(pk=share(lab).pk).free_bytes == share(lab).free_bytes
