"""A VM leaves its cluster as the product has it (Windows Server 2012): its role removed in Failover Cluster
Manager, the VM stays on its node, then Hyper-V Manager's Move takes it (and its storage, off the CSV) to a
host in no cluster, while it runs. The reverse joins a cluster: moved onto a node's CSV, then Configure Role."""
import pytest

from fcm.engine import labfile
from fcm.engine.commands.hyperv_moves import request_vm_move
from fcm.engine.commands.roles import remove_role, start_configure_role
from fcm.engine.errors import ServerError
from fcm.inventory.models import Cluster, ClusterDisk, Node, Role, VirtualMachine

pytestmark = pytest.mark.django_db


@pytest.fixture
def lab(owner):
    return labfile.load(labfile.lab_path("leave-the-cluster-2012"), owner)


def test_the_variant_adds_a_standalone_host_beside_the_cluster(lab):
    hv3 = Node.objects.get(lab=lab, name="HQ-HV3")
    assert hv3.cluster is None and Node.objects.filter(lab=lab, cluster__name="HQ-CL").count() == 2
    assert Role.objects.filter(cluster__lab=lab, name="HQ-WEB01").exists()


def test_a_clustered_vm_leaves_for_a_standalone_host_and_comes_back_as_a_role(lab, run_all):
    web = VirtualMachine.objects.get(lab=lab, name="HQ-WEB01")
    hv2, hv3 = web.host_node, Node.objects.get(lab=lab, name="HQ-HV3")
    with pytest.raises(ServerError, match="is the clustered role HQ-WEB01: move it in Failover Cluster Manager"):
        request_vm_move(None, web, hv3, r"D:\Hyper-V\HQ-WEB01", on_source=True)
    remove_role(web.role)
    web.refresh_from_db()
    assert web.role is None and web.host_node == hv2 and web.state == "Running"
    with pytest.raises(ServerError, match="Live migrations are not enabled on HQ-HV2"):
        request_vm_move(None, web, hv3, r"D:\Hyper-V\HQ-WEB01", on_source=True)
    Node.objects.filter(pk=hv2.pk).update(vm_migration_enabled=True)
    with pytest.raises(ServerError, match="0x8009030E"):  # CredSSP: only from Hyper-V Manager on HQ-HV2
        request_vm_move(None, web, hv3, r"D:\Hyper-V\HQ-WEB01", on_source=False)
    op = request_vm_move(None, web, hv3, r"D:\Hyper-V\HQ-WEB01", on_source=True)
    run_all(lab, op)
    web.refresh_from_db()
    assert (web.host_node, web.state, web.configuration_disk, web.role) == (hv3, "Running", None, None)

    # And back: onto HQ-HV1's CSV, then Configure Role makes it highly available again.
    Node.objects.filter(pk=hv3.pk).update(vm_migration_enabled=True)
    hv1 = Node.objects.get(lab=lab, name="HQ-HV1")
    Node.objects.filter(pk=hv1.pk).update(vm_migration_enabled=True)
    back = request_vm_move(None, web, hv1, r"C:\ClusterStorage\Volume1\HQ-WEB01", on_source=True)
    run_all(lab, back)
    web.refresh_from_db()
    csv = ClusterDisk.objects.get(cluster__name="HQ-CL", cluster__lab=lab, assignment="csv").disk
    assert (web.host_node, web.configuration_disk) == (hv1, csv)
    cluster = Cluster.objects.get(lab=lab, name="HQ-CL")
    run_all(lab, start_configure_role(None, cluster, [web.pk]))
    web.refresh_from_db()
    assert web.role is not None and web.role.cluster == cluster and web.role.name == "HQ-WEB01"
