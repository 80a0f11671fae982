"""Servers: Hyper-V Manager's actions on a VM in no cluster, and the remediation of every fault validation names.

Each action goes through the console as a click would (the view, its engine command, the Outbox row), is checked
in the lab's live state and in what the engine pushes, refuses at the field without changing anything, and
validation (run through the engine, as the wizard's Finish does) passes the tests it fixed.
"""
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse

from fcm.engine import labfile
from fcm.engine.commands.clusters import start_validation
from fcm.engine.commands import nodes as node_commands
from fcm.engine.effects.nodes import HOST_BOOT_S, JOIN_S
from fcm.engine.models import Operation, Outbox
from fcm.inventory.models import (
    Cluster, DiskPath, Domain, NetworkAdapter, Node, VirtualMachine,
)
from fcm.sim import servers as server_rules
from fcm.sim import validation, vm_power
from fcm.training import catalogue
from fcm.wizards.models import WizardDraft

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true", "HX-Target": "dialog-host"}
SEL = {"HX-Request": "true", "HX-Target": "selection"}


@pytest.fixture
def build_lab(owner):
    """build-cluster-2008r2: vWS08-SQL01 runs on WS08R2-S1, in no cluster yet."""
    return labfile.load(labfile.lab_path("build-cluster-2008r2"), owner)


@pytest.fixture
def trouble_lab(owner):
    return labfile.load(labfile.lab_path("validation-troubleshooting"), owner)


@pytest.fixture
def validate(run_all):
    """`validate(lab)`: Validate a Configuration of NODE1..3 (all tests) run to its end: {test: status}."""
    def validate(lab, names=("NODE1", "NODE2", "NODE3")):
        op, report = start_validation(None, lab, list(names))
        run_all(lab, op)
        report.refresh_from_db()
        return {r["name"]: r["status"] for r in report.results}
    return validate


def page(client, url, headers=None):
    response = client.get(url, headers=headers or {})
    assert response.status_code == 200, response.content[:800]
    return unescape(response.content.decode())


def post(client, url, data=None, headers=SEL):
    response = client.post(url, data or {}, headers=headers)
    assert response.status_code == 200, response.content[:800]
    return unescape(response.content.decode())


def outbox(lab, kind, object_id):
    return Outbox.objects.filter(lab=lab, kind=kind, object_id=object_id).exists()


def url(name, lab, node, *more):
    return reverse(f"console:{name}", args=[lab.pk, node.pk, *more])


def state_of(model_obj):
    model_obj.refresh_from_db()
    return model_obj


def snapshot(lab):
    """What a refusal must leave as it was."""
    return (list(Node.objects.filter(lab=lab).order_by("pk").values_list(
                "domain_id", "pending_changes", "hyperv_installed", "failover_clustering_installed", "update_level",
                "power_state")),
            list(NetworkAdapter.objects.filter(node__lab=lab).order_by("pk").values_list(
                "ip_address", "prefix_length", "gateway", "dhcp", "network_id")),
            list(DiskPath.objects.filter(node__lab=lab).order_by("pk").values_list("disk_id", "node_id", "disk_number")),
            list(VirtualMachine.objects.filter(lab=lab).order_by("pk").values_list("state")),
            Operation.objects.filter(lab=lab).count())


# -- Hyper-V Manager ----------------------------------------------------------------------------------

def test_the_vm_row_has_its_own_url_and_hyper_v_managers_actions(owner_client, build_lab):
    s1 = Node.objects.get(lab=build_lab, name="WS08R2-S1")
    vm = VirtualMachine.objects.get(lab=build_lab, name="vWS08-SQL01")
    html = page(owner_client, url("server", build_lab, s1) + "?tab=vms")
    assert f'hx-get="{url("server-vm", build_lab, s1, vm.pk)}"' in html and "Running" in html
    html = page(owner_client, url("server-vm", build_lab, s1, vm.pk))
    assert 'aria-current="page">Virtual Machines' in html            # the tab is kept
    assert f'id="actions-vm-{vm.pk}"' in html and "<h2>vWS08-SQL01</h2>" in html
    for label in ("Turn Off...", "Shut Down...", "Save", "Pause"):
        assert f"<span>{label}</span>" in html, label
    assert "<span>Start</span>" not in html and "<span>Resume</span>" not in html
    # A row click answers with the details and the Actions pane only.
    html = page(owner_client, url("server-vm", build_lab, s1, vm.pk), SEL)
    assert 'id="actions" class="actions-pane"' in html and 'id="servers-list"' not in html


def test_save_is_an_operation_that_takes_the_physics_time_and_is_pushed_live(owner_client, build_lab, tick_to):
    s1 = Node.objects.get(lab=build_lab, name="WS08R2-S1")
    vm = VirtualMachine.objects.select_related("configuration_disk").get(lab=build_lab, name="vWS08-SQL01")
    html = post(owner_client, url("server-vm-power", build_lab, s1, vm.pk) + "?action=save")
    assert "Saving" in html and '<div id="dialog-host" hx-swap-oob="true"></div>' in html
    op = Operation.objects.get(kind="vm-power", virtual_machine=vm)
    assert op.plan["total_s"] == pytest.approx(vm_power.save_seconds(4096, vm.configuration_disk.throughput_mib_s))
    assert state_of(vm).state == "Saving" and outbox(build_lab, Outbox.Kind.VM, vm.pk)
    out = tick_to(build_lab, 1)[build_lab.pk]
    assert f'id="vm-{vm.pk}-state" hx-swap-oob="true"' in out
    out = tick_to(build_lab, op.plan["total_s"] + 2)[build_lab.pk]
    assert state_of(vm).state == "Saved" and "Saved" in out
    assert f'id="actions-vm-{vm.pk}"' in out and "<span>Start</span>" in out   # the Actions pane follows
    # Start restores the saved state (memory / throughput again); the guest's uptime goes on.
    started = vm.started_at
    post(owner_client, url("server-vm-power", build_lab, s1, vm.pk) + "?action=start")
    op = Operation.objects.filter(kind="vm-power", virtual_machine=vm).latest("pk")
    assert op.phases[0]["name"] == "Restoring saved state"
    tick_to(build_lab, 200)
    assert state_of(vm).state == "Running" and vm.started_at == started


def test_pause_resume_shut_down_and_turn_off(owner_client, build_lab, tick_to, run_all):
    s1 = Node.objects.get(lab=build_lab, name="WS08R2-S1")
    vm = VirtualMachine.objects.get(lab=build_lab, name="vWS08-SQL01")
    power = url("server-vm-power", build_lab, s1, vm.pk)
    post(owner_client, power + "?action=pause")
    op = Operation.objects.filter(virtual_machine=vm).latest("pk")
    assert op.plan["total_s"] == pytest.approx(vm_power.pause_seconds(vm.vcpus)) and state_of(vm).state == "Pausing"
    run_all(build_lab, op)
    html = page(owner_client, url("server-vm", build_lab, s1, vm.pk))
    assert state_of(vm).state == "Paused" and "<span>Resume</span>" in html and "<span>Shut Down...</span>" not in html
    post(owner_client, power + "?action=resume")
    run_all(build_lab, Operation.objects.filter(virtual_machine=vm).latest("pk"))
    assert state_of(vm).state == "Running"
    # Shut Down... and Turn Off... ask first, with Hyper-V Manager's buttons.
    html = page(owner_client, power + "?action=shutdown", HX)
    assert "Shut Down Machine" in html and ">Shut Down</button>" in html and ">Cancel</button>" in html
    html = page(owner_client, power + "?action=turnoff", HX)
    assert "Turn Off Machine" in html and ">Turn Off</button>" in html and 'hx-target="#selection"' in html
    post(owner_client, power + "?action=shutdown")
    op = run_all(build_lab, Operation.objects.filter(virtual_machine=vm).latest("pk"))
    assert op.plan["total_s"] == vm_power.shutdown_seconds("Full") and state_of(vm).state == "Off"
    assert vm.started_at is None
    post(owner_client, power + "?action=start")
    op = run_all(build_lab, Operation.objects.filter(virtual_machine=vm).latest("pk"))
    assert op.plan["total_s"] == vm_power.boot_seconds("Windows Server 2008 Enterprise")
    post(owner_client, power + "?action=turnoff")
    run_all(build_lab, Operation.objects.filter(virtual_machine=vm).latest("pk"))
    assert state_of(vm).state == "Off"


def test_a_refused_vm_action_changes_nothing(owner_client, build_lab):
    s1 = Node.objects.get(lab=build_lab, name="WS08R2-S1")
    vm = VirtualMachine.objects.get(lab=build_lab, name="vWS08-SQL01")
    before = snapshot(build_lab)
    html = post(owner_client, url("server-vm-power", build_lab, s1, vm.pk) + "?action=resume")
    assert "Resume is not possible while vWS08-SQL01 is running" in html and 'id="action-dialog"' in html
    html = post(owner_client, url("server-vm-power", build_lab, s1, vm.pk) + "?action=reboot")
    assert "no such action" in html
    assert snapshot(build_lab) == before
    # A VM of another server is not this server's: 404.
    s2 = Node.objects.get(lab=build_lab, name="WS08R2-S2")
    assert owner_client.post(url("server-vm-power", build_lab, s2, vm.pk) + "?action=save").status_code == 404
    assert owner_client.get(url("server-vm", build_lab, s2, vm.pk)).status_code == 404


def test_two_users_at_once_one_wins_and_the_other_is_told(owner_client, build_lab, other_user):
    build_lab.members.add(other_user)
    second = Client()
    second.force_login(other_user)
    s1 = Node.objects.get(lab=build_lab, name="WS08R2-S1")
    vm = VirtualMachine.objects.get(lab=build_lab, name="vWS08-SQL01")
    power = url("server-vm-power", build_lab, s1, vm.pk)
    post(owner_client, power + "?action=save")
    html = post(second, power + "?action=turnoff")
    assert "Turn Off is not possible while vWS08-SQL01 is saving." in html
    assert Operation.objects.filter(virtual_machine=vm).count() == 1 and state_of(vm).state == "Saving"
    # Two restarts of one server: the second is told it is restarting.
    s2 = Node.objects.get(lab=build_lab, name="WS08R2-S2")
    post(owner_client, url("server-restart", build_lab, s2))
    html = post(second, url("server-restart", build_lab, s2))
    assert "WS08R2-S2 is already restarting" in html
    assert Operation.objects.filter(kind="node-restart", source_node=s2).count() == 1


def test_csrf_is_required(owner, build_lab):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(owner)
    s1 = Node.objects.get(lab=build_lab, name="WS08R2-S1")
    vm = VirtualMachine.objects.get(lab=build_lab, name="vWS08-SQL01")
    before = snapshot(build_lab)
    for target in (url("server-vm-power", build_lab, s1, vm.pk) + "?action=save", url("server-restart", build_lab, s1),
                   url("server-domain", build_lab, s1), url("server-updates", build_lab, s1)):
        assert strict.post(target, {"member_of": "workgroup", "workgroup": "WG"}).status_code == 403
    assert snapshot(build_lab) == before


def test_names_and_typed_text_are_escaped(owner_client, build_lab):
    s1 = Node.objects.get(lab=build_lab, name="WS08R2-S1")
    vm = VirtualMachine.objects.create(lab=build_lab, name="<b>evil</b>", host_node=s1, configuration_path="C:\\VMs")
    raw = owner_client.get(url("server-vm", build_lab, s1, vm.pk)).content.decode()
    assert "<b>evil</b>" not in raw and "&lt;b&gt;evil&lt;/b&gt;" in raw
    raw = owner_client.post(url("server-domain", build_lab, s1), {"member_of": "domain",
                                                                   "domain": "<script>x</script>"}, headers=HX)
    raw = raw.content.decode()
    assert "<script>x</script>" not in raw and "&lt;script&gt;x&lt;/script&gt;" in raw


def test_a_clustered_vm_is_shown_with_its_role_and_refused_here(owner_client, r2_lab):
    s1 = Node.objects.get(lab=r2_lab, name="WS08R2-S1")
    vm = VirtualMachine.objects.select_related("role__cluster").get(lab=r2_lab, name="vWS08-SQL01")
    html = page(owner_client, url("server", r2_lab, s1) + "?tab=vms")
    assert "Yes (vWS08-SQL01)" in html
    html = page(owner_client, url("server-vm", r2_lab, s1, vm.pk))
    role_url = reverse("console:role", args=[r2_lab.pk, vm.role.cluster_id, vm.role_id])
    assert "Open in its cluster" in html and f'href="{role_url}"' in html
    assert "<span>Save</span>" not in html.split(f'id="actions-vm-{vm.pk}"')[1]
    before = snapshot(r2_lab)
    html = post(owner_client, url("server-vm-power", r2_lab, s1, vm.pk) + "?action=save")
    assert ("vWS08-SQL01 is a clustered role of WS08R2-CL01: a clustered virtual machine is managed in Failover "
            "Cluster Manager") in html
    assert "WS08R2-CL01.contoso.com > Services and Applications > vWS08-SQL01" in html
    assert snapshot(r2_lab) == before


def test_a_vm_cannot_change_state_on_a_server_that_is_off_and_the_refusal_says_how_to_power_it_on(
        owner_client, build_lab, run_all):
    s1 = Node.objects.get(lab=build_lab, name="WS08R2-S1")
    vm = VirtualMachine.objects.get(lab=build_lab, name="vWS08-SQL01")
    post(owner_client, url("server-fault", build_lab, s1) + "?action=power-off")
    run_all(build_lab, Operation.objects.get(kind="node-failure"))
    assert state_of(s1).power_state == "Off" and state_of(vm).state == "Off"
    html = page(owner_client, url("server-vm", build_lab, s1, vm.pk))
    assert "Simulate &rsaquo;</span> Power On</span>" in html.replace("\u203a", "&rsaquo;")
    html = post(owner_client, url("server-vm-power", build_lab, s1, vm.pk) + "?action=start")
    assert "WS08R2-S1 is turned off; vWS08-SQL01 cannot change state there. Power the server on first: " \
           "Servers > WS08R2-S1 > Simulate > Power On." in html
    post(owner_client, url("server-fault", build_lab, s1) + "?action=power-on")
    run_all(build_lab, Operation.objects.filter(kind="node-restart").latest("pk"))
    assert state_of(s1).power_state == "On"


# -- the High Availability wizard's refusal names the way out ------------------------------------------------

def test_2008_r2_high_availability_refusal_names_servers_and_the_host(owner_client, r2_lab, run_all):
    cluster = Cluster.objects.get(lab=r2_lab)
    s2 = Node.objects.get(lab=r2_lab, name="WS08R2-S2")
    from fcm.inventory.models import Disk
    VirtualMachine.objects.create(lab=r2_lab, name="vWS08-WEB01", host_node=s2, state="Running", memory_mb=2048,
                                  configuration_path=r"C:\ClusterStorage\Volume1\vWS08-WEB01",
                                  configuration_disk=Disk.objects.get(lab=r2_lab, name="VMs"),
                                  virtual_switch="External Network")
    start = reverse("wizards:start", args=[r2_lab.pk, "configure-role"]) + f"?cluster={cluster.pk}"
    owner_client.post(start, {"action": "next", "cluster": cluster.pk}, headers=HX)
    draft = WizardDraft.objects.order_by("-created_at").first()
    wizard = reverse("wizards:draft", args=[r2_lab.pk, draft.pk])
    owner_client.post(wizard, {"action": "next", "role_type": "Virtual Machine"}, headers=HX)
    vm = VirtualMachine.objects.get(lab=r2_lab, name="vWS08-WEB01")
    html = unescape(owner_client.post(wizard, {"action": "next", "vms": [vm.pk]}, headers=HX).content.decode())
    assert "Shut down or save vWS08-WEB01 first: Servers > WS08R2-S2 > Virtual Machines > vWS08-WEB01." in html
    # The way out works: saved from the Servers view, the VM is accepted.
    post(owner_client, url("server-vm-power", r2_lab, s2, vm.pk) + "?action=save")
    run_all(r2_lab, Operation.objects.get(virtual_machine=vm))
    assert state_of(vm).state == "Saved"
    html = unescape(owner_client.post(wizard, {"action": "previous"}, headers=HX).content.decode())
    html = unescape(owner_client.post(wizard, {"action": "next", "vms": [vm.pk]}, headers=HX).content.decode())
    assert "Shut down or save" not in html


# -- remediation, and validation passing after each ---------------------------------------------------------

def test_the_planted_faults_fail_validation(trouble_lab, validate):
    results = validate(trouble_lab)
    assert results["Validate Active Directory Configuration"] == validation.FAILED
    assert results["Validate Required Services"] == validation.FAILED
    assert results["Validate SCSI-3 Persistent Reservation"] == validation.FAILED
    assert results["Validate Cluster Network Configuration"] == validation.WARNING
    assert results["Validate Software Update Levels"] == validation.WARNING


def test_add_roles_and_features_installs_failover_clustering_at_once(owner_client, trouble_lab, validate):
    node3 = Node.objects.get(lab=trouble_lab, name="NODE3")
    features = url("server-features", trouble_lab, node3)
    html = page(owner_client, features, HX)
    assert "Add Roles and Features Wizard" in html and "Server Roles" in html and "Features" in html
    assert "(Installed)" in html                                     # Hyper-V already is
    html = post(owner_client, features, {"features": ["Failover-Clustering"]}, HX)
    assert "Installation succeeded on NODE3.fabrikam.com: Failover Clustering." in html and ">Close</button>" in html
    assert state_of(node3).failover_clustering_installed and not node3.pending_changes
    assert outbox(trouble_lab, Outbox.Kind.NODE, node3.pk)
    assert validate(trouble_lab)["Validate Required Services"] == validation.SUCCESS
    # Again: refused at the field, nothing changes.
    before = snapshot(trouble_lab)
    html = post(owner_client, features, {"features": ["Failover-Clustering"]}, HX)
    assert "Failover Clustering is already installed on NODE3." in html and 'id="features-error"' in html
    html = post(owner_client, features, {}, HX)
    assert "Select at least one role or feature to install." in html
    assert snapshot(trouble_lab) == before


def test_hyper_v_waits_for_the_restart(owner_client, trouble_lab, run_all):
    node1 = Node.objects.get(lab=trouble_lab, name="NODE1")
    Node.objects.filter(pk=node1.pk).update(hyperv_installed=False)
    html = post(owner_client, url("server-features", trouble_lab, node1), {"features": ["Hyper-V"]}, HX)
    assert "A restart is pending: Hyper-V is configured when NODE1 restarts." in html and "Restart Now" in html
    assert not state_of(node1).hyperv_installed and node1.pending_changes == {"features": ["Hyper-V"]}
    html = page(owner_client, url("server", trouble_lab, node1))
    assert "Restart pending:" in html and "Hyper-V" in html
    post(owner_client, url("server-restart", trouble_lab, node1))
    op = Operation.objects.get(kind="node-restart", source_node=node1)
    assert [p["key"] for p in op.phases] == ["shut-down", "configure-features", "boot"]
    assert op.plan["total_s"] == pytest.approx(vm_power.shutdown_seconds("Full") + server_rules.FEATURE_S + HOST_BOOT_S)
    run_all(trouble_lab, op)
    assert state_of(node1).hyperv_installed and node1.pending_changes == {} and node1.power_state == "On"


def test_join_domain_takes_effect_at_the_restart_and_validation_passes(owner_client, trouble_lab, validate, tick_to,
                                                                       run_all):
    node3 = Node.objects.get(lab=trouble_lab, name="NODE3")
    join = url("server-domain", trouble_lab, node3)
    html = page(owner_client, join, HX)
    assert "Computer Name/Domain Changes" in html and 'value="fabrikam.com"' in html
    before = snapshot(trouble_lab)
    html = post(owner_client, join, {"member_of": "domain", "domain": "contoso.local"}, HX)
    assert "The domain 'contoso.local' does not exist or could not be contacted." in html and 'id="domain-error"' in html
    html = post(owner_client, join, {"member_of": "domain", "domain": ""}, HX)
    assert "Type the name of the domain to join." in html
    html = post(owner_client, join, {"member_of": "domain", "domain": "fabrikam.com"}, HX)
    assert "NODE3 is already a member of the domain fabrikam.com." in html
    assert snapshot(trouble_lab) == before
    html = post(owner_client, join, {"member_of": "domain", "domain": "CONTOSO.COM"}, HX)
    assert "Welcome to the contoso.com domain." in html and "You must restart NODE3 to apply these changes." in html
    assert ">Restart Now</button>" in html and ">Restart Later</button>" in html
    assert state_of(node3).pending_changes == {"domain": "contoso.com"} and node3.domain.name == "fabrikam.com"
    assert outbox(trouble_lab, Outbox.Kind.NODE, node3.pk)
    html = post(owner_client, join, {"member_of": "domain", "domain": "contoso.com"}, HX)
    assert "NODE3 joins contoso.com when it restarts: restart it (Servers > NODE3 > Restart Server)." in html
    # Not before the restart.
    assert validate(trouble_lab)["Validate Active Directory Configuration"] == validation.FAILED
    html = page(owner_client, url("server-restart", trouble_lab, node3), HX)
    assert "What waits for a restart is applied: joining contoso.com." in html
    html = post(owner_client, url("server-restart", trouble_lab, node3))
    assert "Restarting" in html
    op = Operation.objects.get(kind="node-restart", source_node=node3)
    assert op.plan["total_s"] == pytest.approx(vm_power.shutdown_seconds("Full") + HOST_BOOT_S)
    out = tick_to(trouble_lab, 2)
    assert state_of(node3).power_state == "Restarting"
    # A restarting server cannot be validated, and its actions wait.
    from fcm.wizards.validate import resolve_names
    assert resolve_names(trouble_lab, ["NODE3"])[2]
    out = tick_to(trouble_lab, (op.started_at - trouble_lab.sim_anchor).total_seconds() + op.plan["total_s"] + 1)
    push = out[trouble_lab.pk]
    assert f'<h2 id="server-{node3.pk}-fqdn" hx-swap-oob="true">NODE3.contoso.com</h2>' in push
    assert f'id="server-{node3.pk}-power" hx-swap-oob="true"' in push
    assert state_of(node3).domain.name == "contoso.com" and node3.pending_changes == {}
    assert node3.power_state == "On"
    assert validate(trouble_lab)["Validate Active Directory Configuration"] == validation.SUCCESS


def test_workgroup_and_a_cluster_node_cannot_change_domain(owner_client, trouble_lab, r2_lab):
    node1 = Node.objects.get(lab=trouble_lab, name="NODE1")
    html = post(owner_client, url("server-domain", trouble_lab, node1), {"member_of": "workgroup",
                                                                         "workgroup": "WORKGROUP"}, HX)
    assert "Welcome to the WORKGROUP workgroup." in html and state_of(node1).pending_changes == {"domain": ""}
    s1 = Node.objects.get(lab=r2_lab, name="WS08R2-S1")
    before = snapshot(r2_lab)
    html = post(owner_client, url("server-domain", r2_lab, s1), {"member_of": "domain", "domain": "contoso.com"}, HX)
    assert "WS08R2-S1 is a node of the cluster WS08R2-CL01: a cluster node cannot change its domain. Evict it from " \
           "the cluster first: Failover Cluster Manager > WS08R2-CL01.contoso.com > Nodes > WS08R2-S1 > More " \
           "Actions > Evict." in html
    assert snapshot(r2_lab) == before


def test_tcp_ipv4_properties_refuse_at_the_field_then_give_node2_its_networks(owner_client, trouble_lab, validate):
    node2 = Node.objects.get(lab=trouble_lab, name="NODE2")
    eth2 = NetworkAdapter.objects.get(node=node2, name="Ethernet 2")
    html = page(owner_client, url("server-adapter", trouble_lab, node2, eth2.pk))
    assert 'aria-current="page">Network Adapters' in html and "<h2>NODE2 - Ethernet 2</h2>" in html
    assert "TCP/IPv4 Properties..." in html and "DHCP (no address)" in html
    ipv4 = url("server-adapter-ipv4", trouble_lab, node2, eth2.pk)
    html = page(owner_client, ipv4, HX)
    assert "Internet Protocol Version 4 (TCP/IPv4) Properties" in html
    before = snapshot(trouble_lab)
    cases = [
        ({"ip": "172.17.0.11", "mask": "255.255.255.0"}, "ip-error",
         "172.17.0.11 is already in use on the network by NODE1 - Cluster"),
        ({"ip": "10.9.9.9", "mask": "255.255.255.0"}, "ip-error", "10.9.9.9 is on none of the networks"),
        ({"ip": "172.17.0.300", "mask": "255.255.255.0"}, "ip-error", "'172.17.0.300' is not a valid IPv4 address"),
        ({"ip": "172.17.0.12", "mask": "255.255.0.0"}, "mask-error",
         "The subnet mask 255.255.0.0 does not match the network 172.17.0.0/24"),
        ({"ip": "172.17.0.12", "mask": "255.0.255.0"}, "mask-error", "is not a valid subnet mask"),
        ({"ip": "172.17.0.255", "mask": "255.255.255.0"}, "ip-error", "is the broadcast address of 172.17.0.0/24"),
        ({"ip": "172.17.0.12", "mask": "255.255.255.0", "gateway": "172.16.0.1"}, "gateway-error",
         "The default gateway 172.16.0.1 is not on the subnet 172.17.0.0/24"),
        ({"ip": "172.16.0.1", "mask": "255.255.255.0"}, "ip-error", "the default gateway of Public"),
        ({"ip": "", "mask": "255.255.255.0"}, "ip-error", "Type the IP address."),
    ]
    for data, where, message in cases:
        html = post(owner_client, ipv4, {"mode": "static", **data}, HX)
        assert message in html and f'id="{where}"' in html, (data, html[-1500:])
    html = post(owner_client, ipv4, {"mode": "automatic", "ip": "172.17.0.12"}, HX)
    assert "Choose 'Use the following IP address:' to set the address you typed." in html
    assert snapshot(trouble_lab) == before
    html = post(owner_client, ipv4, {"mode": "static", "ip": "172.17.0.12", "mask": "255.255.255.0"})
    assert "172.17.0.12/24" in html and '<div id="dialog-host" hx-swap-oob="true"></div>' in html
    eth2.refresh_from_db()
    assert eth2.network.name == "Cluster" and eth2.prefix_length == 24 and not eth2.dhcp
    assert outbox(trouble_lab, Outbox.Kind.NODE, node2.pk)
    eth3 = NetworkAdapter.objects.get(node=node2, name="Ethernet 3")
    post(owner_client, url("server-adapter-ipv4", trouble_lab, node2, eth3.pk),
         {"mode": "static", "ip": "172.18.0.12", "mask": "255.255.255.0"})
    results = validate(trouble_lab)
    assert results["Validate Cluster Network Configuration"] == validation.SUCCESS
    assert results["Validate Network Communication"] == validation.SUCCESS
    # Back to automatic: no address, no network.
    post(owner_client, url("server-adapter-ipv4", trouble_lab, node2, eth3.pk), {"mode": "automatic"})
    eth3.refresh_from_db()
    assert eth3.dhcp and eth3.ip_address == "" and eth3.network is None


def test_iscsi_initiator_swaps_archive_for_data_and_the_storage_tests_pass(owner_client, trouble_lab, validate):
    nodes = {n.name: n for n in Node.objects.filter(lab=trouble_lab)}
    archive, data = server_rules.target_iqn("Archive"), server_rules.target_iqn("Data")
    from fcm.inventory.models import Disk
    luns = {d.name: d for d in Disk.objects.filter(lab=trouble_lab)}
    html = page(owner_client, url("server-iscsi", trouble_lab, nodes["NODE2"]), HX)
    assert "iSCSI Initiator Properties" in html and archive in html and data in html and "Inactive" in html
    # NODE2 has no address on the iSCSI network yet: Connect is refused, naming where to fix it.
    before = snapshot(trouble_lab)
    html = post(owner_client, url("server-iscsi", trouble_lab, nodes["NODE2"]),
                {"target": luns["Data"].pk, "action": "connect"}, HX)
    assert (f"Log on to {data} failed: NODE2 has no connected network adapter with an address on 172.18.0.0/24, "
            "where the portal 172.18.0.1:3260 is. Configure one first: Servers > NODE2 > Network Adapters.") in html
    assert 'id="target-error"' in html
    html = post(owner_client, url("server-iscsi", trouble_lab, nodes["NODE2"]), {"action": "connect"}, HX)
    assert "Select a target from the list of discovered targets." in html
    html = post(owner_client, url("server-iscsi", trouble_lab, nodes["NODE1"]),
                {"target": luns["Data"].pk, "action": "disconnect"}, HX)
    assert f"NODE1 is not connected to {data}." in html
    assert snapshot(trouble_lab) == before
    post(owner_client, url("server-adapter-ipv4", trouble_lab, nodes["NODE2"],
                           NetworkAdapter.objects.get(node=nodes["NODE2"], name="Ethernet 3").pk),
         {"mode": "static", "ip": "172.18.0.12", "mask": "255.255.255.0"})
    for name in ("NODE1", "NODE2", "NODE3"):
        iscsi = url("server-iscsi", trouble_lab, nodes[name])
        html = post(owner_client, iscsi, {"target": luns["Archive"].pk, "action": "disconnect"}, HX)
        assert f"Disconnected from {archive}." in html
        html = post(owner_client, iscsi, {"target": luns["Data"].pk, "action": "connect"}, HX)
        assert f"Connected to {data}." in html
        assert outbox(trouble_lab, Outbox.Kind.NODE, nodes[name].pk)
    assert DiskPath.objects.get(node=nodes["NODE1"], disk=luns["Data"]).disk_number == 2  # the lowest number free (Archive's)
    assert not DiskPath.objects.filter(disk=luns["Archive"]).exists()
    results = validate(trouble_lab)
    for test in ("Validate SCSI-3 Persistent Reservation", "Validate Disk Failover", "Validate Disk Arbitration"):
        assert results[test] == validation.SUCCESS, test


def test_a_cluster_disk_stays_connected(owner_client, r2_lab):
    s1 = Node.objects.get(lab=r2_lab, name="WS08R2-S1")
    from fcm.inventory.models import Disk
    vms = Disk.objects.get(lab=r2_lab, name="VMs")
    before = snapshot(r2_lab)
    html = post(owner_client, url("server-iscsi", r2_lab, s1), {"target": vms.pk, "action": "disconnect"}, HX)
    assert "VMs is Cluster Disk" in html and "remove it from the cluster's storage before disconnecting WS08R2-S1" \
        in html
    assert snapshot(r2_lab) == before


def test_install_updates_brings_node2_level_after_its_restart(owner_client, trouble_lab, validate, run_all):
    node2 = Node.objects.get(lab=trouble_lab, name="NODE2")
    updates = url("server-updates", trouble_lab, node2)
    html = page(owner_client, updates, HX)
    assert "Windows Update" in html and "1 important update is available" in html and "2014-03" in html
    html = post(owner_client, updates, {}, HX)
    assert "The updates through 2014-04 are installed. You need to restart NODE2" in html and "Restart Now" in html
    assert state_of(node2).pending_changes == {"updates": "2014-04"} and node2.update_level == "2014-03"
    assert outbox(trouble_lab, Outbox.Kind.NODE, node2.pk)
    html = post(owner_client, updates, {}, HX)
    assert "The updates through 2014-04 are installed on NODE2 and wait for a restart to finish" in html
    post(owner_client, url("server-restart", trouble_lab, node2))
    op = Operation.objects.get(kind="node-restart", source_node=node2)
    assert [p["key"] for p in op.phases] == ["shut-down", "configure-updates", "boot"]
    assert op.plan["total_s"] == pytest.approx(vm_power.shutdown_seconds("Full") + server_rules.UPDATE_MONTH_S
                                               + HOST_BOOT_S)
    run_all(trouble_lab, op)
    assert state_of(node2).update_level == "2014-04"
    assert validate(trouble_lab)["Validate Software Update Levels"] == validation.SUCCESS
    node1 = Node.objects.get(lab=trouble_lab, name="NODE1")
    before = snapshot(trouble_lab)
    html = post(owner_client, url("server-updates", trouble_lab, node1), {}, HX)
    assert "NODE1 is up to date: its updates are installed through 2014-04, the latest released." in html
    assert snapshot(trouble_lab) == before


def test_restart_refusals_name_the_way_out(owner_client, build_lab, r2_lab):
    s1 = Node.objects.get(lab=build_lab, name="WS08R2-S1")
    before = snapshot(build_lab)
    html = post(owner_client, url("server-restart", build_lab, s1))
    assert "Shut down or save the virtual machines running on WS08R2-S1 first (vWS08-SQL01): Servers > WS08R2-S1 " \
           "> Virtual Machines." in html
    assert snapshot(build_lab) == before
    node = Node.objects.get(lab=r2_lab, name="WS08R2-S2")
    before = snapshot(r2_lab)
    html = post(owner_client, url("server-restart", r2_lab, node))
    assert "WS08R2-S2 is a running node of the cluster WS08R2-CL01: stop its Cluster service first, which moves " \
           "its roles to the other nodes (Failover Cluster Manager > WS08R2-CL01.contoso.com > Nodes > WS08R2-S2 > " \
           "More Actions > Stop Cluster Service)." in html
    assert snapshot(r2_lab) == before


def test_a_cluster_node_restarts_once_its_service_is_stopped_and_joins_again(owner_client, r2_lab, run_all):
    node = Node.objects.get(lab=r2_lab, name="WS08R2-S2")
    node_commands.stop_cluster_service(None, node)
    assert state_of(node).state == "Down"
    post(owner_client, url("server-restart", r2_lab, node))
    op = Operation.objects.get(kind="node-restart", source_node=node)
    assert [p["key"] for p in op.phases] == ["shut-down", "boot", "join-cluster"]
    assert op.plan["total_s"] == pytest.approx(vm_power.shutdown_seconds("Full") + HOST_BOOT_S + JOIN_S)
    assert state_of(node).power_state == "Restarting"
    run_all(r2_lab, op)
    assert state_of(node).state == "Up" and node.power_state == "On" and not node.service_stopped


def test_every_fault_fixed_from_the_servers_view_validates_with_no_failed_test(owner_client, trouble_lab, validate,
                                                                              run_all):
    n = {x.name: x for x in Node.objects.filter(lab=trouble_lab)}
    from fcm.inventory.models import Disk
    luns = {d.name: d for d in Disk.objects.filter(lab=trouble_lab)}
    post(owner_client, url("server-features", trouble_lab, n["NODE3"]), {"features": ["Failover-Clustering"]}, HX)
    post(owner_client, url("server-domain", trouble_lab, n["NODE3"]), {"member_of": "domain", "domain": "contoso.com"},
         HX)
    post(owner_client, url("server-restart", trouble_lab, n["NODE3"]))
    for name, ip in (("Ethernet 2", "172.17.0.12"), ("Ethernet 3", "172.18.0.12")):
        nic = NetworkAdapter.objects.get(node=n["NODE2"], name=name)
        post(owner_client, url("server-adapter-ipv4", trouble_lab, n["NODE2"], nic.pk),
             {"mode": "static", "ip": ip, "mask": "255.255.255.0"})
    post(owner_client, url("server-updates", trouble_lab, n["NODE2"]), {}, HX)
    post(owner_client, url("server-restart", trouble_lab, n["NODE2"]))
    for op in Operation.objects.filter(kind="node-restart"):
        run_all(trouble_lab, op)
    for node in n.values():
        iscsi = url("server-iscsi", trouble_lab, node)
        post(owner_client, iscsi, {"target": luns["Archive"].pk, "action": "disconnect"}, HX)
        post(owner_client, iscsi, {"target": luns["Data"].pk, "action": "connect"}, HX)
    results = validate(trouble_lab)
    assert validation.FAILED not in results.values(), [k for k, v in results.items() if v == validation.FAILED]
    warned = sorted(k for k, v in results.items() if v == validation.WARNING)
    assert warned == ["Validate Matching Processor Manufacturers"]   # NODE2's AMD processors: hardware
    assert Domain.objects.get(lab=trouble_lab, name="contoso.com").nodes.count() == 3


def test_the_exercise_objectives_and_its_solution(trouble_lab):
    exercise = catalogue.load("troubleshoot-validation")
    assert [o["id"] for o in exercise["objectives"]] == ["all-three", "all-fixed"]
    assert exercise["objectives"][0]["passing"] is False and exercise["objectives"][1]["passing"] is True
    import tomllib
    data = tomllib.loads((catalogue.EXERCISES_DIR / "troubleshoot-validation.toml").read_text())
    steps = data["solution"]
    assert {s["objective"] for s in steps} == {"all-three", "all-fixed"}
    assert {s["do"] for s in steps} <= {"click", "choose", "type", "check", "wait"}
    assert all(s.get("path") or s["do"] == "wait" for s in steps)
    # The targets the solution chooses are those the iSCSI Initiator lists.
    chosen = {s["value"] for s in steps if s["do"] == "choose" and s["path"] == ["Discovered targets"]}
    assert chosen == {server_rules.target_iqn("Archive"), server_rules.target_iqn("Data")}


def test_the_vm_and_adapter_pages_run_as_many_queries_on_a_big_lab(owner_client, make_generated_lab):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(lab):
        node = Node.objects.filter(lab=lab).order_by("pk").first()
        vm = VirtualMachine.objects.filter(host_node=node).order_by("pk").first()
        nic = NetworkAdapter.objects.filter(node=node).order_by("pk").first()
        counts = []
        for target in (url("server-vm", lab, node, vm.pk), url("server-adapter", lab, node, nic.pk),
                       url("server", lab, node) + "?tab=vms"):
            with CaptureQueriesContext(connection) as ctx:
                assert owner_client.get(target).status_code == 200
            counts.append(len(ctx.captured_queries))
        return counts
    assert count(make_generated_lab(nodes=2, vms=2, name="small")) == \
        count(make_generated_lab(nodes=8, vms=200, name="large"))


def test_starting_a_vm_whose_disk_the_host_no_longer_sees_names_the_iscsi_initiator(owner_client, build_lab):
    s1 = Node.objects.get(lab=build_lab, name="WS08R2-S1")
    vm = VirtualMachine.objects.get(lab=build_lab, name="vWS08-SQL01")
    VirtualMachine.objects.filter(pk=vm.pk).update(state="Off")
    # Its files are on VMs: a disconnect is refused while the guest keeps files there...
    from fcm.inventory.models import Disk
    lun = Disk.objects.get(lab=build_lab, name="VMs")
    html = post(owner_client, url("server-iscsi", build_lab, s1), {"target": lun.pk, "action": "disconnect"}, HX)
    assert "vWS08-SQL01 on WS08R2-S1 keep files on VMs: move their storage before disconnecting the target." in html
    # ...and a path lost another way (the lab's inventory changed) is named at Start, with the way back.
    DiskPath.objects.filter(disk=lun, node=s1).delete()
    html = post(owner_client, url("server-vm-power", build_lab, s1, vm.pk) + "?action=start")
    assert "WS08R2-S1 is not connected to the disk 'VMs', where vWS08-SQL01 keeps its files. Connect its target " \
           "first: Servers > WS08R2-S1 > iSCSI Initiator." in html
    post(owner_client, url("server-iscsi", build_lab, s1), {"target": lun.pk, "action": "connect"}, HX)
    post(owner_client, url("server-vm-power", build_lab, s1, vm.pk) + "?action=start")
    assert state_of(vm).state == "Starting"
