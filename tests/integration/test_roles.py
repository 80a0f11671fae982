"""High Availability, role control and properties."""
from html import unescape

import pytest
from django.urls import reverse

from fcm.engine.models import Operation
from fcm.engine.effects.power import request_power
from fcm.engine.effects.roles import make_highly_available
from fcm.engine.errors import RoleError
from fcm.inventory.models import Cluster, ClusterDisk, Node, Resource, Role, VirtualMachine
from fcm.wizards.models import WizardDraft

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true", "HX-Target": "dialog-host"}
SEL = {"HX-Request": "true", "HX-Target": "selection"}


@pytest.fixture
def configure(run_all):
    """`configure(client, lab, cluster, vm_names)`: the High Availability Wizard for those VMs, its operation run
    to its end; returns (the page after choosing the VMs, the operation, the wizard's URL)."""
    def configure(client, lab, cluster, vm_names):
        start = reverse("wizards:start", args=[lab.pk, "configure-role"]) + f"?cluster={cluster.pk}"
        html = client.get(start, headers=HX).content.decode()
        assert "High Availability Wizard" in html
        client.post(start, {"action": "next", "cluster": cluster.pk}, headers=HX)
        d = WizardDraft.objects.order_by("-created_at").first()
        url = reverse("wizards:draft", args=[lab.pk, d.pk])
        html = client.post(url, {"action": "next", "role_type": "Virtual Machine"}, headers=HX).content.decode()
        assert "Host Server" in html
        ids = list(VirtualMachine.objects.filter(lab=lab, name__in=vm_names).values_list("pk", flat=True))
        html = client.post(url, {"action": "next", "vms": ids}, headers=HX).content.decode()
        client.post(url, {"action": "next"}, headers=HX)
        d.refresh_from_db()
        return html, run_all(lab, d.operation), url
    return configure


def test_2008_guest7_becomes_highly_available_and_comes_online(owner_client, lab_2008, run_all, configure):
    cluster = Cluster.objects.get(lab=lab_2008)
    html, op, url = configure(owner_client, lab_2008, cluster, ["Guest7"])
    assert "Add-ClusterVirtualMachineRole" not in html  # 2008: no FailoverClusters module, no cluster.exe line
    role = Role.objects.get(cluster=cluster, name="Guest7")
    assert role.owner_node.name == "contoso3" and role.state == "Offline"
    disk = ClusterDisk.objects.get(cluster=cluster, disk__name="Guest7")
    assert disk.assigned_to == "Guest7"
    config = role.resources.get(type=Resource.Type.VM_CONFIGURATION)
    assert list(config.depends_on.values_list("cluster_disk", flat=True)) == [disk.pk]
    assert op.result["vms"][0]["role"] == "Guest7"
    summary = owner_client.get(url, headers=HX).content.decode()
    assert "High availability was successfully configured for the role Guest7" in summary
    # Bring it online: the VM boots (2008 guest: 60 s), the role reaches Online on contoso3.
    power = reverse("console:role-power", args=[lab_2008.pk, cluster.pk, role.pk]) + "?action=start"
    body = owner_client.post(power, headers=SEL).content.decode()
    assert "Pending" in body
    op = run_all(lab_2008, Operation.objects.get(kind="vm-power"))
    assert op.plan["total_s"] == 60
    role.refresh_from_db()
    assert role.state == "Online" and role.virtual_machine.state == "Running"


def test_2008_r2_refuses_a_running_vm_until_it_is_off(owner_client, r2_lab, configure):
    cluster = Cluster.objects.get(lab=r2_lab)
    s2 = Node.objects.get(name="WS08R2-S2")
    from fcm.inventory.models import Disk
    vm = VirtualMachine.objects.create(lab=r2_lab, name="vWS08-WEB01", host_node=s2, state="Running",
                                       memory_mb=2048, configuration_path=r"C:\ClusterStorage\Volume1\vWS08-WEB01",
                                       configuration_disk=Disk.objects.get(name="VMs"), virtual_switch="External Network")
    html, op, url = configure(owner_client, r2_lab, cluster, ["vWS08-WEB01"])
    assert "Shut down or save vWS08-WEB01 first: Servers &gt; WS08R2-S2 &gt; Virtual Machines" in html
    assert op.result["vms"][0]["role"] is None and not Role.objects.filter(name="vWS08-WEB01").exists()
    assert "Shut down or save vWS08-WEB01 first" in owner_client.get(url, headers=HX).content.decode()
    VirtualMachine.objects.filter(pk=vm.pk).update(state="Off")
    html, op, url = configure(owner_client, r2_lab, cluster, ["vWS08-WEB01"])
    assert op.result["vms"][0]["role"] == "vWS08-WEB01"
    role = Role.objects.get(name="vWS08-WEB01")
    assert not ClusterDisk.objects.filter(role=role).exists()  # on the CSV: no disk moves into the role
    assert request_power(None, role.virtual_machine, "start").plan["total_s"] == 50


def test_a_vm_on_local_storage_is_reported_and_the_others_are_clustered(owner_client, make_generated_lab, configure):
    lab = make_generated_lab(nodes=2, vms=1, os_version="2012")
    cluster = Cluster.objects.get(lab=lab)
    hv1 = Node.objects.get(cluster=cluster, name="HV01")
    VirtualMachine.objects.create(lab=lab, name="Local1", host_node=hv1, configuration_path=r"D:\VMs\Local1")
    shared = VirtualMachine.objects.create(lab=lab, name="Shared1", host_node=hv1, state="Running",
                                           configuration_path=r"C:\ClusterStorage\Volume1\Shared1",
                                           configuration_disk_id=ClusterDisk.objects.get(cluster=cluster, csv_number=1).disk_id,
                                           virtual_switch="Missing")
    html, op, url = configure(owner_client, lab, cluster, ["Local1", "Shared1"])
    by_vm = {r["vm"]: r for r in op.result["vms"]}
    assert "local storage" in by_vm["Local1"]["errors"][0] and by_vm["Local1"]["role"] is None
    assert by_vm["Shared1"]["role"] == "Shared1"  # 2012+: a running VM may be made highly available
    assert "virtual switch 'Missing'" in by_vm["Shared1"]["warnings"][0]
    report = owner_client.get(reverse("wizards:operation-report", args=[lab.pk, op.pk])).content.decode()
    assert "local storage" in unescape(report) and "Success: role Shared1 created" in report
    assert shared.pk


def test_two_users_configuring_the_same_vm_create_one_role(lab_2008):
    cluster = Cluster.objects.get(lab=lab_2008)
    vm = VirtualMachine.objects.get(name="Guest7")
    stale = VirtualMachine.objects.get(pk=vm.pk)
    make_highly_available(vm, cluster)
    with pytest.raises(RoleError):
        make_highly_available(stale, cluster)
    assert Role.objects.filter(name="Guest7").count() == 1


def test_power_actions_states_and_refusals(owner_client, r2_lab, run_all):
    cluster = Cluster.objects.get(lab=r2_lab)
    role = Role.objects.get(cluster=cluster)
    url = lambda a: reverse("console:role-power", args=[r2_lab.pk, cluster.pk, role.pk]) + f"?action={a}"  # noqa
    assert "not possible while vWS08-SQL01 is running" in owner_client.post(url("start"), headers=SEL).content.decode()
    owner_client.post(url("save"), headers=SEL)
    op = Operation.objects.get(kind="vm-power")
    role.refresh_from_db()
    assert role.virtual_machine.state == "Saving" and role.state == "Pending"
    assert "not possible while vWS08-SQL01 is saving" in owner_client.post(url("turnoff"), headers=SEL).content.decode()
    # A second state change while one runs is refused by the one-operation-per-VM rule.
    VirtualMachine.objects.filter(pk=role.virtual_machine.pk).update(state="Running")
    with pytest.raises(RoleError, match="already changing state"):
        request_power(None, role.virtual_machine, "shutdown")
    run_all(r2_lab, op)
    role.refresh_from_db()
    assert role.virtual_machine.state == "Saved" and role.state == "Offline"
    assert op.plan["total_s"] == pytest.approx(1 + 4096 / 100)
    owner_client.post(url("start"), headers=SEL)
    run_all(r2_lab, Operation.objects.filter(kind="vm-power").latest("pk"))
    role.refresh_from_db()
    assert role.state == "Online" and role.virtual_machine.state == "Running"
    html = owner_client.get(reverse("console:role", args=[r2_lab.pk, cluster.pk, role.pk])).content.decode()
    assert 'title="PowerShell: Stop-VM -Name vWS08-SQL01 -TurnOff"' in html


def test_remove_keeps_the_vm_and_frees_its_disk(owner_client, lab_2008):
    cluster = Cluster.objects.get(lab=lab_2008)
    role = Role.objects.get(cluster=cluster, name="Guest1")
    url = reverse("console:role-remove", args=[lab_2008.pk, cluster.pk, role.pk])
    assert "Are you sure you want to remove the role Guest1" in owner_client.get(url).content.decode()
    response = owner_client.post(url, headers={"HX-Request": "true"})
    assert "HX-Redirect" in response
    vm = VirtualMachine.objects.get(name="Guest1")
    assert vm.role is None and vm.host_node.name == "contoso3" and vm.state == "Running"
    assert ClusterDisk.objects.get(disk__name="Guest1").assigned_to == "Available Storage"


def test_properties_are_validated_stored_and_used_by_placement(owner_client, make_generated_lab):
    lab = make_generated_lab(nodes=3, vms=3)
    cluster = Cluster.objects.get(lab=lab)
    role = Role.objects.get(cluster=cluster, name="VM0001")
    hv = {n.name: n for n in Node.objects.filter(cluster=cluster)}
    url = reverse("console:role-properties", args=[lab.pk, cluster.pk, role.pk])
    assert "Preferred Owners" in owner_client.get(url).content.decode()
    base = {"name": "VM0001", "priority": 3000, "failover_period_hours": 6, "failback": "prevent"}
    html = owner_client.post(url, {**base, "name": "VM0002"}, headers=SEL).content.decode()
    assert "Another role of this cluster is named VM0002." in html
    html = owner_client.post(url, {**base, f"owner_{hv['HV02'].pk}": 1, f"owner_{hv['HV03'].pk}": 1},
                             headers=SEL).content.decode()
    assert "different position" in html
    html = owner_client.post(url, {**base, "failover_period_hours": 2000}, headers=SEL).content.decode()
    assert "less than or equal to 1193" in html
    html = owner_client.post(url, {**base, "failback": "window"}, headers=SEL).content.decode()
    assert "between which failback may happen" in html
    owner_client.post(url, {**base, "name": "SQL-A", f"owner_{hv['HV03'].pk}": 1, f"owner_{hv['HV02'].pk}": 2,
                            "failover_threshold": 2, "failback": "window", "window_start": 1, "window_end": 5},
                      headers=SEL)
    role.refresh_from_db()
    assert role.name == "SQL-A" and role.priority == 3000 and role.failover_threshold == 2
    assert list(role.preferred_owner_entries.values_list("node__name", flat=True)) == ["HV03", "HV02"]
    assert (role.failback, role.failback_window_start, role.failback_window_end) == ("Allow", 1, 5)
    from fcm.engine.planning import best_node_for
    assert best_node_for(Role.objects.select_related("cluster", "virtual_machine__host_node").get(pk=role.pk),
                         Operation.Kind.LIVE_MIGRATION).name == "HV03"


def test_cluster_reserve_on_the_summary(owner_client, make_generated_lab):
    lab = make_generated_lab(nodes=2, vms=4)
    cluster = Cluster.objects.get(lab=lab)
    url = reverse("console:cluster", args=[lab.pk, cluster.pk])
    assert "The cluster can sustain 1 node failure" in owner_client.get(url).content.decode()
    Node.objects.filter(cluster=cluster).update(memory_mb=8192)
    VirtualMachine.objects.filter(lab=lab).update(state="Running", memory_mb=4096)
    html = owner_client.get(url).content.decode()
    assert "would not restart (not enough memory on the other nodes)" in html


def test_new_virtual_machine_wizard(owner_client, lab_2008, run_all, configure):
    cluster = Cluster.objects.get(lab=lab_2008)
    start = reverse("wizards:start", args=[lab_2008.pk, "new-vm"]) + f"?cluster={cluster.pk}"
    owner_client.post(start, {"action": "next", "cluster": cluster.pk, "node": Node.objects.get(name="contoso4").pk},
                      headers=HX)
    d = WizardDraft.objects.order_by("-created_at").first()
    url = reverse("wizards:draft", args=[lab_2008.pk, d.pk])
    post = lambda **data: unescape(owner_client.post(url, {"action": "next", **data}, headers=HX).content.decode())  # noqa
    html = post(name="Guest1", other_location="on", location=r"H:\VMs")
    assert "A virtual machine named Guest1 already exists." in html
    html = post(name="Guest8", other_location="on", location=r"Z:\VMs")
    assert "contoso4 has no drive Z: it cannot reach" in html
    html = post(name="Guest8", other_location="on", location=r"H:\VMs")
    assert 'aria-current="step">Assign Memory' in html
    html = post(memory_mb=999999)
    assert "a virtual machine can have at most" in html and "Dynamic Memory" not in html  # 2008: none
    post(memory_mb=2048)
    post(switch="Public Virtual Network")
    html = post(vhd="create", vhd_path=r"H:\VMs\Guest8\Guest8.vhd", vhd_size_gb=3000)
    assert "at most 2040 GB" in html
    post(vhd="create", vhd_path=r"H:\VMs\Guest8\Guest8.vhd", vhd_size_gb=30)
    html = post(install="later")
    assert "New-VM" not in html  # the Hyper-V module came with 2012
    post()
    d.refresh_from_db()
    run_all(lab_2008, d.operation)
    vm = VirtualMachine.objects.get(name="Guest8")
    assert vm.host_node.name == "contoso4" and vm.state == "Off" and vm.configuration_disk.name == "Guest7"
    assert vm.hard_disks.get().path == r"H:\VMs\Guest8\Guest8.vhd"
    html, op, _ = configure(owner_client, lab_2008, cluster, ["Guest8"])
    assert op.result["vms"][0]["role"] == "Guest8"


def test_live_migration_settings_choose_the_network_and_the_limit(owner_client, r2_lab):
    from fcm.engine import facts
    from fcm.inventory.models import ClusterNetwork
    cluster = Cluster.objects.get(lab=r2_lab)
    url = reverse("console:live-migration-settings", args=[r2_lab.pk, cluster.pk])
    assert "most preferred at the top" in owner_client.get(url).content.decode()
    nets = {n.network.name: n for n in ClusterNetwork.objects.filter(cluster=cluster).select_related("network")}
    assert "Select at least one network" in owner_client.post(url, {"simultaneous": 2}).content.decode()
    html = owner_client.post(url, {"allowed": [nets["Public"].pk], "simultaneous": 0}).content.decode()
    assert "from 1 to 64" in html
    owner_client.post(url, {"order": [nets["Public"].pk, nets["iSCSI"].pk], "allowed": [nets["Public"].pk],
                            "simultaneous": 3}, headers={"HX-Request": "true"})
    cluster.refresh_from_db()
    assert cluster.simultaneous_live_migrations == 3
    s1, s2 = Node.objects.filter(cluster=cluster).order_by("name")
    assert facts.migration_network(cluster, s1, s2)[0].pk == nets["Public"].pk
    ClusterNetwork.objects.filter(pk=nets["Public"].pk).update(live_migration_allowed=False)
    assert facts.migration_network(cluster, s1, s2)[0] is None


def test_resources_go_online_and_offline_in_dependency_order(owner_client, lab_2008, run_all):
    cluster = Cluster.objects.get(lab=lab_2008)
    role = Role.objects.get(cluster=cluster, name="Guest1")
    res = {r.type: r for r in role.resources.all()}
    url = lambda r, s: reverse("console:resource-state", args=[lab_2008.pk, cluster.pk, role.pk, r.pk, s])  # noqa
    html = owner_client.post(url(res["Physical Disk"], "offline"), headers=SEL).content.decode()
    assert "depends on Cluster Disk 2: take it offline first" in unescape(html)
    owner_client.post(url(res["Virtual Machine"], "offline"), headers=SEL)  # the VM saves
    run_all(lab_2008, Operation.objects.get(kind="vm-power"))
    owner_client.post(url(res["Virtual Machine Configuration"], "offline"), headers=SEL)
    owner_client.post(url(res["Physical Disk"], "offline"), headers=SEL)
    role.refresh_from_db()
    assert role.state == "Offline" and set(role.resources.values_list("state", flat=True)) == {"Offline"}
    html = owner_client.post(url(res["Virtual Machine Configuration"], "online"), headers=SEL).content.decode()
    assert "Bring Cluster Disk 2 online first" in unescape(html)
    owner_client.post(url(res["Physical Disk"], "online"), headers=SEL)
    role.refresh_from_db()
    assert role.state == "PartialOnline"
    body = owner_client.get(reverse("console:role", args=[lab_2008.pk, cluster.pk, role.pk]) + "?tab=resources")
    assert "Bring Online" in body.content.decode() and "Take Offline" in body.content.decode()


def test_properties_and_resources_of_a_role_that_is_no_virtual_machine(owner_client, replica_lab):
    """The Actions pane offers Properties, and the Resources tab Take Offline, for every role (here the
    Hyper-V Replica Broker), so they answer for every role."""
    broker = Role.objects.get(cluster__lab=replica_lab, type=Role.Type.REPLICA_BROKER, replica_server__name="DR-BROKER")
    args = [replica_lab.pk, broker.cluster_id, broker.pk]
    page = owner_client.get(reverse("console:role", args=args) + "?tab=resources").content.decode()
    url = reverse("console:role-properties", args=args)
    assert url in page and "Take Offline" in page
    assert "Preferred Owners" in owner_client.get(url, headers=HX).content.decode()
    html = owner_client.post(url, {"name": broker.name, "priority": 1000, "failover_period_hours": 6,
                                   "failback": "prevent"}, headers=SEL).content.decode()
    assert Role.objects.get(pk=broker.pk).priority == 1000 and broker.name in html
    top = broker.resources.get(type="Virtual Machine Replication Broker")
    owner_client.post(reverse("console:resource-state", args=[*args, top.pk, "offline"]), headers=SEL)
    assert Resource.objects.get(pk=top.pk).state == "Offline"
