import textwrap

import pytest

from fcm.engine import labfile
from fcm.inventory.models import Cluster, ClusterDisk, Lab, Node, Resource, Role, VirtualMachine

pytestmark = pytest.mark.django_db


def test_live_migration_lab_matches_the_walkthrough(r2_lab):
    cluster = Cluster.objects.get(lab=r2_lab)
    assert cluster.fqdn == "WS08R2-CL01.contoso.com"
    assert cluster.get_quorum_type_display() == "Node and Disk Majority"
    assert [a.ip_address for a in cluster.addresses.all()] == ["192.168.100.200"]
    disks = {cd.disk.name: cd for cd in ClusterDisk.objects.filter(cluster=cluster).select_related("disk")}
    assert disks["Quorum"].assigned_to == "Disk Witness in Quorum"
    assert disks["Quorum"].disk.size_bytes == 500 * 1024 ** 2
    assert disks["VMs"].volume_path == r"C:\ClusterStorage\Volume1"
    assert disks["VMs"].disk.size_bytes == 1024 * 1024 ** 3
    assert disks["SQL"].assigned_to == "Available Storage"
    assert disks["DTC"].disk.drive_letter == "R"
    role = Role.objects.get(cluster=cluster, name="vWS08-SQL01")
    assert role.owner_node.name == "WS08R2-S1"
    assert role.state == Role.State.ONLINE
    assert role.virtual_machine.state == VirtualMachine.State.RUNNING
    names = set(role.resources.values_list("name", flat=True))
    assert names == {"Virtual Machine vWS08-SQL01", "Virtual Machine Configuration vWS08-SQL01"}
    vm_res = role.resources.get(type=Resource.Type.VIRTUAL_MACHINE)
    assert list(vm_res.depends_on.values_list("type", flat=True)) == [Resource.Type.VM_CONFIGURATION]
    nets = {cn.network.subnet: cn for cn in cluster.cluster_networks.select_related("network")}
    assert nets["192.168.0.0/24"].get_role_display() == "None"
    assert nets["192.168.100.0/24"].get_role_display() == "Cluster and Client"
    assert set(Node.objects.filter(cluster=cluster).values_list("state", flat=True)) == {"Up"}


def test_quick_migration_lab_guest1_clustered_guest7_not(lab_2008):
    cluster = Cluster.objects.get(lab=lab_2008)
    guest1 = VirtualMachine.objects.get(lab=lab_2008, name="Guest1")
    guest7 = VirtualMachine.objects.get(lab=lab_2008, name="Guest7")
    assert guest1.role.owner_node.name == "contoso3"
    assert guest7.role is None and guest7.configuration_disk.name == "Guest7"
    # Guest1's LUN moved into its role, with a Physical Disk resource the configuration depends on.
    disk = ClusterDisk.objects.get(cluster=cluster, disk__name="Guest1")
    assert disk.assigned_to == "Guest1"
    config = guest1.role.resources.get(type=Resource.Type.VM_CONFIGURATION)
    assert [r.cluster_disk_id for r in config.depends_on.all()] == [disk.pk]
    assert ClusterDisk.objects.get(cluster=cluster, disk__name="Guest7").assigned_to == "Available Storage"
    assert cluster.roles_label == "Services and Applications"
    assert cluster.same_subnet_threshold == 5


def _write(tmp_path, body):
    path = tmp_path / "lab.toml"
    path.write_text(textwrap.dedent(body))
    return path


BASE = """
[lab]
name = "broken"
[[domains]]
name = "contoso.com"
[[networks]]
name = "Public"
subnet = "10.0.0.0/24"
[[nodes]]
name = "N1"
os_version = "2012R2"
adapters = [{ name = "Public", network = "Public", ip = "10.0.0.5" }]
"""


@pytest.mark.parametrize("extra,where,message", [
    ('[[nodes]]\nname = "N1"\nos_version = "2012R2"\n', "nodes[1] (N1)", "already exists"),
    ('[[nodes]]\nname = "bad name"\nos_version = "2012R2"\n', "nodes[1] (bad name)", "not allowed"),
    ('[[nodes]]\nname = "N2"\nos_version = "2003"\n', "nodes[1] (N2)", "os_version"),
    ('[[nodes]]\nname = "N2"\nos_version = "2012R2"\nadapters = [{ name = "A", network = "Public", ip = "10.9.0.5" }]\n',
     "nodes[1] (N2).adapters[0]", "not in 10.0.0.0/24"),
    ('[[disks]]\nname = "D"\nsize = "ten GB"\n', "disks[0] (D).size", "not a size"),
    ('[[disks]]\nname = "D"\nsize = "1 GB"\nseen_by = ["N9"]\n', "disks[0] (D).seen_by", "unknown node 'N9'"),
    ('[[clusters]]\nname = "C1"\nos_version = "2012R2"\nnodes = ["N1"]\nquorum_type = "NodeAndDiskMajority"\n',
     "clusters[0] (C1).disks", "exactly one disk"),
])
def test_bad_lab_files_say_where_and_change_nothing(tmp_path, owner, extra, where, message):
    path = _write(tmp_path, BASE + extra)
    with pytest.raises(labfile.LabFileError) as info:
        labfile.load(path, owner)
    assert info.value.where == where
    assert message in info.value.message
    assert str(path) in str(info.value)
    assert not Lab.objects.filter(name="broken").exists()


def test_invalid_toml_is_reported(tmp_path, owner):
    path = _write(tmp_path, "[lab\nname=")
    with pytest.raises(labfile.LabFileError, match="not valid TOML"):
        labfile.load(path, owner)


def test_loading_twice_needs_replace(r2_lab, owner):
    with pytest.raises(labfile.LabFileError, match="already exists"):
        labfile.load(labfile.lab_path("live-migration-2008r2"), owner)
    again = labfile.load(labfile.lab_path("live-migration-2008r2"), owner, replace=True)
    assert again.pk != r2_lab.pk
    assert Lab.objects.filter(name="live-migration-2008r2").count() == 1


def test_unknown_lab_name_lists_the_available_ones(owner):
    with pytest.raises(labfile.LabFileError, match="quick-migration-2008"):
        labfile.load(labfile.lab_path("no-such-lab"), owner)


def test_a_variant_is_its_base_lab_on_another_version(owner, tmp_path):
    from fcm.inventory.models import FileShare, Node, VirtualMachine
    lab = labfile.load(labfile.lab_path("shared-nothing-2012r2"), owner)
    assert lab.name == "shared-nothing-2012r2" and "2012 R2" in lab.title and lab.sim_anchor.year == 2014
    assert set(Node.objects.filter(lab=lab).values_list("os_version", flat=True)) == {"2012R2"}
    assert set(Node.objects.filter(lab=lab).values_list("update_level", flat=True)) == {"2014-02"}
    assert sorted(VirtualMachine.objects.filter(lab=lab).values_list("name", flat=True)) == ["APP01", "APP02"]
    assert FileShare.objects.filter(lab=lab, name="VMs").exists()
    base = labfile.load(labfile.lab_path("shared-nothing-2012"), owner)  # the base lab is untouched
    assert set(Node.objects.filter(lab=base).values_list("os_version", flat=True)) == {"2012"}
    odd = tmp_path / "odd.toml"
    odd.write_text('[lab]\nvariant_of = "shared-nothing-2012"\nname = "odd"\n[variant]\nmemory = "1 GB"\n')
    with pytest.raises(labfile.LabFileError, match="variant.memory: a variant changes only os_version"):
        labfile.load(odd, owner)
    twice = tmp_path / "twice.toml"
    twice.write_text('[lab]\nvariant_of = "shared-nothing-2012r2"\nname = "twice"\n')
    with pytest.raises(labfile.LabFileError, match="cannot be a variant itself"):
        labfile.load(twice, owner)
