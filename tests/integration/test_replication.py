"""Hyper-V Replica in the engine: enable, initial copy, cycles, WAN loss, resync, failovers."""
from datetime import timedelta

import pytest
from django.urls import reverse

from fcm.engine.models import Operation
from fcm.inventory.models import (
    Node, RecoveryPoint, ReplicaAuthorization, ReplicaServer, Replication, Role, VirtualMachine, WanLink,
)
from fcm.sim import replication as model
from fcm.engine import errors
from fcm.engine.commands import replication as rep_commands
from fcm.engine.effects import replication as replication_effects

pytestmark = pytest.mark.django_db


def enable(owner, name="HQ-WEB01", **kw):
    vm = VirtualMachine.objects.get(name=name, host_node__site="HQ")
    params = dict(server_name="DR-BROKER.contoso.com", auth="Kerberos", port=80, compression=True, vhd_ids=[],
                  frequency_s=300, additional_points=0, vss_hours=None, initial_method="network")
    params.update(kw)
    return rep_commands.enable(owner, vm, **params)


@pytest.fixture
def replicating(tick_to):
    """`replicating(lab, owner, **enable_args)`: enable with an existing copy on the Replica server and tick
    until it replicates; returns (relationship, sim seconds when replicating)."""
    def replicating(lab, owner, **kw):
        rep, op = enable(owner, initial_method="existing", **kw)
        assert op.total_s == rep.vhd_mib / replication_effects.COMPARE_MIB_S
        lab.refresh_from_db()
        t0 = (op.started_at - lab.sim_anchor).total_seconds() + op.total_s + 0.5  # however late it started
        tick_to(lab, t0)
        rep.refresh_from_db()
        assert rep.state == "Replicating"
        return rep, t0
    return replicating


def test_enable_creates_the_replica_and_sends_the_initial_copy(replica_lab, owner, tick_to):
    rep, op = enable(owner)
    replica = rep.replica_vm
    assert replica.name == "HQ-WEB01" and replica.host_node.site == "DR" and replica.state == "Off"
    assert Role.objects.get(virtual_machine=replica).cluster.name == "DR-CL"  # the broker made it highly available
    assert rep.primary_server == "HQ-BROKER.contoso.com" and rep.vhd_mib == 40 * 1024
    expected = model.initial_replication_s(40 * 1024 ** 3, 100)
    assert abs(op.total_s - expected) < 1 and 1800 < op.total_s < 2000
    started = (op.started_at - replica_lab.sim_anchor).total_seconds()
    tick_to(replica_lab, started + 10)
    assert Replication.objects.get(pk=rep.pk).state == "InitialReplicationInProgress"
    tick_to(replica_lab, started + op.total_s + 1)
    rep.refresh_from_db()
    assert rep.state == "Replicating" and rep.last_sync_at is not None
    assert replication_effects.health(rep, rep.last_sync_at).level == "Normal"
    # Cycles every 5 minutes; a web server's changes fit easily in a 100 Mbit/s link.
    tick_to(replica_lab, started + op.total_s + 3 * 300 + 30)
    rep.refresh_from_db()
    assert rep.successful_cycles == 3 and rep.missed_cycles == 0 and rep.pending_mib == 0
    assert 300 < rep.average_mib < 500  # 1.5 MiB/s for 5 minutes, fewer rewrites
    assert RecoveryPoint.objects.filter(replication=rep).count() == 1  # only the latest is kept


def test_refusals_in_the_products_words(replica_lab, owner, replicating):
    with pytest.raises(errors.ReplicationError, match="could not be resolved"):
        enable(owner, server_name="NOSUCH")
    with pytest.raises(errors.ReplicationError, match="not listening on port 443"):
        enable(owner, port=443)
    ReplicaServer.objects.filter(name="DR-BROKER").update(firewall_http=False)
    with pytest.raises(errors.ReplicationError, match="firewall rule"):
        enable(owner)
    ReplicaServer.objects.filter(name="DR-BROKER").update(firewall_http=True)
    ReplicaAuthorization.objects.update(primary_server="*.fabrikam.com")
    with pytest.raises(errors.ReplicationError, match="not configured to accept replication from 'HQ-BROKER.contoso.com'"):
        enable(owner)
    ReplicaAuthorization.objects.update(primary_server="HQ-BROKER*")
    ReplicaServer.objects.filter(name="DR-BROKER").update(enabled=False)
    with pytest.raises(errors.ReplicationError, match="not enabled as a Replica server"):
        enable(owner)
    ReplicaServer.objects.filter(name="DR-BROKER").update(enabled=True)
    replicating(replica_lab, owner)
    with pytest.raises(errors.ReplicationError, match="already enabled"):
        enable(owner)
    assert Replication.objects.count() == 1


def test_a_wan_outage_misses_cycles_and_health_turns_warning_then_recovers(replica_lab, owner, tick_to, replicating):
    rep, t0 = replicating(replica_lab, owner)
    t = t0 + 10 * 300 + 30  # a cycle counts once its ~20 s transfer has ended
    tick_to(replica_lab, t)
    rep.refresh_from_db()
    assert rep.successful_cycles == 10 and replication_effects.health(rep, replica_lab.sim_now()).level == "Normal"
    WanLink.objects.update(up=False)
    tick_to(replica_lab, t + 5 * 300)  # a missed cycle counts at the end of its interval
    rep.refresh_from_db()
    assert rep.missed_cycles == 4 and rep.pending_mib > 1000
    h = replication_effects.health(rep, replica_lab.sim_now())
    assert h.level == "Warning" and rep.errors == 4 and "could not be reached" in rep.last_error
    WanLink.objects.update(up=True)
    tick_to(replica_lab, t + 6 * 300)
    rep.refresh_from_db()
    assert rep.pending_mib == 0 and rep.last_error == ""
    h = replication_effects.health(rep, replica_lab.sim_now())
    assert h.level == "Warning" and "more than 20%" in h.reasons[0]  # 4 of 15 cycles missed in the window
    rep_commands.reset_statistics(rep)
    rep.refresh_from_db()
    assert replication_effects.health(rep, replica_lab.sim_now()).level == "Normal"


def test_a_long_outage_requires_resynchronization(replica_lab, owner, tick_to, replicating):
    rep, _ = replicating(replica_lab, owner, name="HQ-SQL01")
    WanLink.objects.update(up=False)
    tick_to(replica_lab, 6 * 3600)  # 12 MiB/s of OLTP writes: the log passes half of 60 GB
    rep.refresh_from_db()
    assert rep.state == "WaitingForStartResynchronize"
    assert replication_effects.health(rep, replica_lab.sim_now()).level == "Critical"
    with pytest.raises(errors.ReplicationError, match="cannot be reached"):
        rep_commands.resynchronize(owner, rep)
    WanLink.objects.update(up=True)
    op = rep_commands.resynchronize(owner, rep)
    tick_to(replica_lab, 6 * 3600 + op.total_s + 1)
    rep.refresh_from_db()
    assert rep.state == "Replicating" and rep.pending_mib == 0


def test_test_failover_and_stop(replica_lab, owner, replicating):
    rep, _ = replicating(replica_lab, owner)
    point = RecoveryPoint.objects.filter(replication=rep).first()
    test = rep_commands.test_failover(owner, rep, point)
    assert test.name == "HQ-WEB01 - Test" and test.state == "Off" and test.virtual_switch == "Test network"
    rep.refresh_from_db()
    with pytest.raises(errors.ReplicationError, match="already running"):
        rep_commands.test_failover(owner, rep, point)
    rep_commands.stop_test_failover(owner, rep)
    assert not VirtualMachine.objects.filter(name="HQ-WEB01 - Test").exists()


def test_planned_failover_needs_the_primary_off_then_reverses(replica_lab, owner, tick_to, replicating):
    rep, t0 = replicating(replica_lab, owner)
    tick_to(replica_lab, t0 + 310)
    rep.refresh_from_db()
    with pytest.raises(errors.ReplicationError, match="shut it down first"):
        rep_commands.planned_failover(owner, rep)
    VirtualMachine.objects.filter(pk=rep.primary_vm_id).update(state="Off", started_at=None)
    Role.objects.filter(virtual_machine=rep.primary_vm).update(state="Offline")
    rep.refresh_from_db()
    assert all(ok for _, ok, _ in replication_effects.planned_failover_checks(rep))
    op = rep_commands.planned_failover(owner, rep, start_replica=True)
    tick_to(replica_lab, t0 + 310 + op.total_s + 1)
    rep.refresh_from_db()
    assert rep.primary_vm.host_node.site == "DR" and rep.replica_vm.host_node.site == "HQ"
    assert rep.replica_server.name == "HQ-BROKER" and rep.primary_server == "DR-BROKER.contoso.com"
    assert rep.state == "Replicating"
    tick_to(replica_lab, t0 + 310 + op.total_s + 120)
    assert VirtualMachine.objects.get(pk=rep.primary_vm_id).state == "Running"  # started after failover


def test_unplanned_failover_to_a_recovery_point_shows_the_data_loss(replica_lab, owner, tick_to, replicating):
    rep, _ = replicating(replica_lab, owner, additional_points=2)
    tick_to(replica_lab, 3 * 3600)
    rep.refresh_from_db()
    assert 2 <= RecoveryPoint.objects.filter(replication=rep).count() <= 3
    with pytest.raises(errors.ReplicationError, match="is running"):
        rep_commands.failover(owner, rep, RecoveryPoint.objects.filter(replication=rep).first())
    # The primary site is lost.
    for node in Node.objects.filter(site="HQ"):
        Node.objects.filter(pk=node.pk).update(power_state="Off")
    VirtualMachine.objects.filter(host_node__site="HQ").update(state="Off")
    latest = RecoveryPoint.objects.filter(replication=rep).first()
    loss = model.data_loss_s(replica_lab.sim_anchor + timedelta(seconds=3 * 3600), latest.sim_time)
    assert 0 < loss < 300 + 60
    rep_commands.failover(owner, rep, latest)
    rep.refresh_from_db()
    assert rep.state == "FailOverWaitingCompletion" and rep.failover_point == latest.sim_time
    tick_to(replica_lab, 3 * 3600 + 120)
    assert VirtualMachine.objects.get(pk=rep.replica_vm_id).state == "Running"
    assert replication_effects.health(rep, replica_lab.sim_now()).level == "Warning"  # failed over, not reversed
    rep_commands.cancel_failover(owner, rep)
    rep.refresh_from_db()
    assert rep.state == "Replicating"


def test_initial_copy_on_external_media_waits_for_the_import(replica_lab, owner, tick_to):
    rep, op = enable(owner, initial_method="media")
    tick_to(replica_lab, (op.started_at - replica_lab.sim_anchor).total_seconds() + op.total_s + 1)
    rep.refresh_from_db()
    assert rep.state == "WaitingForInitialReplication"
    rep_commands.import_initial_replica(owner, rep)
    rep.refresh_from_db()
    assert rep.state == "Replicating"
    with pytest.raises(errors.ReplicationError, match="nothing|no initial copy"):
        rep_commands.import_initial_replica(owner, rep)


# -- the console -----------------------------------------------------------------------------------

HX = {"HX-Request": "true"}


def post(client, url, **data):
    response = client.post(url, data, headers=HX)
    assert response.status_code == 200, response.content[:400]
    return response.content.decode()


def test_enable_replication_wizard_step_by_step(client, owner, replica_lab):
    from django.urls import reverse

    from fcm.inventory.models import Cluster
    from fcm.wizards.models import WizardDraft

    client.force_login(owner)
    hq = Cluster.objects.get(lab=replica_lab, name="HQ-CL")
    role = Role.objects.get(cluster=hq, name="HQ-WEB01")
    start = reverse("wizards:start", args=[replica_lab.pk, "enable-replication"])
    page = client.get(f"{start}?cluster={hq.pk}&subject={role.pk}", headers=HX).content.decode()
    assert "Before You Begin" in page and "HQ-WEB01" in page
    assert "Configure Replication Frequency" not in page  # 2012: every 5 minutes, fixed
    assert client.get(f"{start}?cluster={hq.pk}&subject=999999", headers=HX).status_code == 404
    page = post(client, start, cluster=hq.pk, subject=role.pk, action="next")
    url = reverse("wizards:draft", args=[replica_lab.pk, WizardDraft.objects.get().pk])
    assert "Specify Replica Server" in page
    page = post(client, url, replica_server="", action="next")
    assert "Specify the Replica server." in page
    page = post(client, url, replica_server="<script>x</script>", action="next")
    assert "could not be resolved" in page and "<script>x" not in page and "&lt;script&gt;" in page
    page = post(client, url, replica_server="HQ-BROKER", action="next")
    assert "must be another server" in page
    page = post(client, url, replica_server="DR-BROKER.contoso.com", action="next")
    assert "Specify Connection Parameters" in page and 'value="80"' in page
    page = post(client, url, port="443", auth="Kerberos", compression="on", action="next")
    assert "not listening on port 443" in page
    page = post(client, url, port="80", auth="Kerberos", compression="on", action="next")
    assert "Choose Replication VHDs" in page and "HQ-WEB01.vhdx" in page
    page = post(client, url, action="next")
    assert "Select at least one virtual hard disk." in page
    vhd = VirtualMachine.objects.get(name="HQ-WEB01", host_node__site="HQ").hard_disks.get()
    page = post(client, url, vhds=vhd.pk, action="next")
    assert "Configure Additional Recovery Points" in page and "up to 15" in page
    page = post(client, url, keep="hourly", additional="30", action="next")
    assert "Ensure this value is less than or equal to 15." in page or "At most 15" in page
    page = post(client, url, keep="hourly", additional="4", vss="on", vss_hours="2", action="next")
    assert "Choose Initial Replication Method" in page
    page = post(client, url, method="network", when="later", start_at="2000-01-01T00:00", action="next")
    assert "must be in the future" in page
    assert not Replication.objects.exists()  # nothing changed by any refusal
    page = post(client, url, method="network", when="now", action="next")
    assert "Completing the Enable Replication Wizard" in page and "4 additional hourly recovery points" in page
    assert "Enable-VMReplication -VMName HQ-WEB01 -ReplicaServerName DR-BROKER.contoso.com" in page
    page = post(client, url, action="next")
    rep = Replication.objects.get()
    assert rep.additional_points == 4 and rep.vss_hours == 2 and rep.frequency_s == 300
    assert Operation.objects.filter(kind="initial-replication").count() == 1
    post(client, url, action="next")  # a second Finish starts nothing more
    assert Operation.objects.filter(kind="initial-replication").count() == 1


def test_replication_actions_tab_and_dialogs(client, owner, replica_lab, tick_to, replicating):
    from django.urls import reverse

    rep, t0 = replicating(replica_lab, owner)
    tick_to(replica_lab, t0 + 2 * 300 + 5)
    client.force_login(owner)
    primary_role = Role.objects.get(virtual_machine=rep.primary_vm)
    replica_role = Role.objects.get(virtual_machine=rep.replica_vm)
    args = lambda role: [replica_lab.pk, role.cluster_id, role.pk]  # noqa: E731
    html = client.get(reverse("console:role", args=args(primary_role)) + "?tab=replication").content.decode()
    assert "Replication Enabled" in html and "Primary" in html and "DR-BROKER" in html and "Normal" in html
    assert "Planned Failover..." in html and "Enable Replication..." not in html
    html = client.get(reverse("console:role", args=args(replica_role))).content.decode()
    assert "Test Failover..." in html and "Failover..." in html
    health = client.get(reverse("console:role-replication-health", args=args(primary_role)), headers=HX)
    assert "Successful replication cycles" in health.content.decode()
    csv_file = client.get(reverse("console:role-replication-health", args=args(primary_role)) + "?format=csv")
    assert csv_file["Content-Type"] == "text/csv" and b"HQ-WEB01" in csv_file.content
    # Failover dialog: recovery points and the data-loss window.
    dialog = client.get(reverse("console:role-failover", args=args(replica_role)), headers=HX).content.decode()
    assert "Latest Recovery Point" in dialog and "data-loss-window" in dialog
    assert 'name="point" value="latest"' in dialog
    assert "Fail Over" in post(client, reverse("console:role-failover", args=args(replica_role)), point="999")  # dialog again
    # Test failover from "Latest Recovery Point": the newest when it starts, though a cycle added one since.
    newest = RecoveryPoint.objects.filter(replication=rep).order_by("-sim_time", "-pk").first()
    later = RecoveryPoint.objects.create(**{f.name: getattr(newest, f.name) for f in RecoveryPoint._meta.fields
                                            if f.name not in ("id", "sim_time")},
                                         sim_time=newest.sim_time + timedelta(minutes=5))
    post(client, reverse("console:role-failover", args=args(replica_role)) + "?test=1", point="latest")
    assert VirtualMachine.objects.filter(name="HQ-WEB01 - Test").exists()
    rep.refresh_from_db()
    assert rep.last_test_at == later.sim_time
    post(client, reverse("console:role-replication", args=args(replica_role)) + "?action=stop-test")
    assert not VirtualMachine.objects.filter(name="HQ-WEB01 - Test").exists()
    # Pause twice: the second is refused with the reason.
    post(client, reverse("console:role-replication", args=args(primary_role)) + "?action=pause")
    again = post(client, reverse("console:role-replication", args=args(primary_role)) + "?action=pause")
    assert "already paused" in again
    # Planned failover refused while the VM runs, with the check listed.
    dialog = post(client, reverse("console:role-planned-failover", args=args(primary_role)))
    assert "shut it down first" in dialog


def test_broker_settings_and_wan_link(client, owner, other_user, replica_lab):
    from django.urls import reverse

    from fcm.inventory.models import ReplicaServer
    client.force_login(owner)
    broker = Role.objects.get(name="DR-BROKER")
    url = reverse("console:broker-settings", args=[replica_lab.pk, broker.cluster_id, broker.pk])
    assert "Allow replication from the specified servers" in client.get(url, headers=HX).content.decode()
    bad = post(client, url, enabled="on", kerberos="on", kerberos_port="80", certificate_port="443", allow_any="",
               authorized="not a server line")
    assert "give the primary server and its storage location" in bad
    assert ReplicaServer.objects.get(name="DR-BROKER").authorizations.count() == 1  # unchanged
    post(client, url, enabled="on", kerberos="on", kerberos_port="8080", certificate_port="443", allow_any="on",
         default_storage=r"D:\Replica", firewall_http="on")
    server = ReplicaServer.objects.get(name="DR-BROKER")
    assert server.allow_any and server.kerberos_port == 8080 and not server.authorizations.exists()
    link = WanLink.objects.get()
    wan = reverse("console:wan-link", args=[replica_lab.pk, broker.cluster_id, link.pk])
    post(client, wan + "?action=disconnect")
    assert not WanLink.objects.get().up
    assert "already disconnected" in post(client, wan + "?action=disconnect")
    replica_lab.members.add(other_user)
    client.force_login(other_user)
    assert client.post(wan + "?action=connect").status_code == 403


def test_configure_role_hyper_v_replica_broker(client, owner, make_generated_lab, tick_to):
    from django.urls import reverse

    from fcm.inventory.models import Cluster
    from fcm.wizards.models import WizardDraft
    lab = make_generated_lab(nodes=2, vms=2, os_version="2012")
    cluster = Cluster.objects.get(lab=lab)
    client.force_login(owner)
    start = reverse("wizards:start", args=[lab.pk, "configure-role"])
    post(client, start, cluster=cluster.pk, action="next")
    url = reverse("wizards:draft", args=[lab.pk, WizardDraft.objects.get().pk])
    page = post(client, url, role_type="Hyper-V Replica Broker", action="next")
    assert "Client Access Point" in page and "Select Virtual Machine" not in page
    page = post(client, url, name="HV01", ip="10.0.0.99", action="next")
    assert "already in use" in page
    page = post(client, url, name="REPLICA-BRK", ip="10.99.0.5", action="next")
    assert "not on a network that clients can reach" in page
    page = post(client, url, name="REPLICA-BRK", ip="10.0.0.80", action="next")
    assert "Add-ClusterServerRole -Name REPLICA-BRK -StaticAddress 10.0.0.80" in page
    post(client, url, action="next")
    tick_to(lab, 5)
    role = Role.objects.get(name="REPLICA-BRK")
    assert role.type == "Hyper-V Replica Broker" and role.resources.count() == 3
    server = ReplicaServer.objects.get(broker_role=role)
    assert not server.enabled  # enabled in its Replication Settings
    html = client.get(reverse("console:role", args=[lab.pk, cluster.pk, role.pk])).content.decode()
    assert "Replication Settings" in html


def test_replication_configuration_of_a_standalone_server(client, owner):
    from django.urls import reverse

    from fcm.engine import labfile
    lab = labfile.load(labfile.lab_path("two-node-fresh-2012"), owner)
    hv_a = Node.objects.get(lab=lab, name="HV-A")
    client.force_login(owner)
    html = client.get(reverse("console:server", args=[lab.pk, hv_a.pk])).content.decode()
    assert "Replication Configuration..." in html
    url = reverse("console:server-replication", args=[lab.pk, hv_a.pk])
    page = client.get(url, headers=HX).content.decode()
    assert "Hyper-V Settings for HV-A" in page and "Enable this computer as a Replica server" in page
    bad = post(client, url, enabled="on", kerberos_port="80", certificate_port="443", allow_any="on")
    assert "Choose at least one authentication type." in bad and "default location" in bad
    assert not ReplicaServer.objects.filter(node=hv_a).exists()  # nothing saved
    post(client, url, enabled="on", kerberos="on", kerberos_port="80", certificate_port="443", allow_any="",
         authorized="*.contoso.com, E:\\Replica, CONTOSO", firewall_http="on")
    server = ReplicaServer.objects.get(node=hv_a)
    assert server.enabled and not server.allow_any and server.authorizations.get().trust_group == "CONTOSO"
    assert replication_effects.find_server(lab, "hv-a.contoso.com") == server


def test_enable_again_after_remove_uses_the_copy_left_on_the_replica_server(replica_lab, owner):
    """Remove Replication leaves the replica VM on the Replica server: enabling again from an existing copy
    takes that VM as the replica (it used to create a second one of the same name and fail with a 500)."""
    rep, _ = enable(owner, initial_method="existing")
    left = rep.replica_vm
    rep_commands.remove(owner, rep)
    again, _ = enable(owner, initial_method="existing")
    assert again.replica_vm == left
    assert VirtualMachine.objects.filter(name="HQ-WEB01", host_node__site="DR").count() == 1
    assert Role.objects.filter(virtual_machine=left).count() == 1
    rep_commands.remove(owner, again)
    with pytest.raises(errors.ReplicationError, match="already exists on the Replica server"):
        enable(owner, initial_method="network")
    VirtualMachine.objects.filter(pk=left.pk).update(state="Running")
    with pytest.raises(errors.ReplicationError, match="is running: turn it off"):
        enable(owner, initial_method="existing")
    assert not Replication.objects.exists()


@pytest.mark.parametrize("authorized, message", [
    ("\n".join(f"hv{i}.contoso.com, E:\\Replica, G{i}" for i in range(20_000)),
     "At most 100 primary servers (this list has 20000)"),
    ("\n".join(f"hv{i}.contoso.com, E:\\Replica" for i in range(101)), "At most 100 primary servers"),
    ("hv1.contoso.com, E:\\Replica\n-bad-.contoso.com, E:\\Replica", "-bad-.contoso.com&#x27; is not a server name"),
    ("*.contoso.com, " + "E" * 201, "Line 1: the storage location is longer than 200 characters."),
    ("x" * 300 + ", E:\\Replica", "longer than a DNS name can be"),
])
def test_the_allowed_servers_list_is_capped_with_the_message_at_the_field(owner_client, replica_lab, authorized,
                                                                          message):
    broker = Role.objects.get(name="DR-BROKER")
    url = reverse("console:broker-settings", args=[replica_lab.pk, broker.cluster_id, broker.pk])
    before = list(ReplicaServer.objects.get(name="DR-BROKER").authorizations.values_list())
    html = post(owner_client, url, enabled="on", kerberos="on", kerberos_port="80", certificate_port="443",
                allow_any="", authorized=authorized)
    assert message in html and 'aria-invalid="true"' in html
    assert list(ReplicaServer.objects.get(name="DR-BROKER").authorizations.values_list()) == before


def test_a_hundred_allowed_servers_are_kept(owner_client, replica_lab):
    broker = Role.objects.get(name="DR-BROKER")
    url = reverse("console:broker-settings", args=[replica_lab.pk, broker.cluster_id, broker.pk])
    post(owner_client, url, enabled="on", kerberos="on", kerberos_port="80", certificate_port="443", allow_any="",
         authorized="\n".join(f"hv{i}.contoso.com, E:\\Replica" for i in range(99)) + "\n*.fabrikam.com, F:\\R")
    assert ReplicaServer.objects.get(name="DR-BROKER").authorizations.count() == 100
