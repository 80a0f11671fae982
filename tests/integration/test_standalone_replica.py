"""Hyper-V Replica between standalone hosts (seed 004): HV03's Replication Configuration, Enable Replication
of APP01 from Hyper-V Manager (no cluster, no broker), the initial copy across the WAN, a test failover on
HV03 and its end, all from the VM's own Actions; the Replication tab shows it."""
from html import unescape

import pytest
from django.urls import reverse

from fcm.engine import labfile
from fcm.engine.commands import properties
from fcm.engine.models import Operation
from fcm.inventory.models import Node, ReplicaServer, Replication, VirtualMachine

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true", "HX-Target": "dialog-host"}


@pytest.fixture
def lab(owner):
    return labfile.load(labfile.lab_path("shared-nothing-2012"), owner)


def hv(lab, name):
    return Node.objects.get(lab=lab, name=name)


def configure_hv03(lab):
    server = ReplicaServer(lab=lab, node=hv(lab, "HV03"), name="HV03")
    properties.set_replica_server(server, {"enabled": True, "kerberos": True, "kerberos_port": 80,
                                           "certificate": False, "certificate_port": 443, "allow_any": True,
                                           "default_storage": r"D:\Hyper-V Replica", "firewall_http": True,
                                           "firewall_https": False}, [])


def post(client, url, **data):
    response = client.post(url, data, headers=HX)
    assert response.status_code == 200, response.content[:800]
    return unescape(response.content.decode())


def test_a_standalone_vm_replicates_to_a_standalone_host_and_fails_over_as_a_test(lab, owner_client, run_all):
    from fcm.wizards.models import WizardDraft
    app01 = VirtualMachine.objects.get(lab=lab, name="APP01")
    hv01 = hv(lab, "HV01")
    page = unescape(owner_client.get(reverse("console:hyperv-vm", args=[lab.pk, hv01.pk, app01.pk])).content.decode())
    assert "Enable Replication..." in page and "Replication" in page
    start = reverse("wizards:start", args=[lab.pk, "enable-replication"])
    page = unescape(owner_client.get(f"{start}?subject={app01.pk}", headers=HX).content.decode())
    assert "Before You Begin" in page and "APP01" in page and "Configure Replication Frequency" not in page
    post(owner_client, start, subject=app01.pk, action="next")
    url = reverse("wizards:draft", args=[lab.pk, WizardDraft.objects.get().pk])
    page = post(owner_client, url, replica_server="HV03", action="next")
    assert "is not enabled as a Replica server" in page and not Replication.objects.exists()
    configure_hv03(lab)
    page = post(owner_client, url, replica_server="HV03.contoso.com", action="next")
    assert "Specify Connection Parameters" in page
    post(owner_client, url, port="80", auth="Kerberos", compression="on", action="next")
    post(owner_client, url, vhds=app01.hard_disks.get().pk, action="next")
    post(owner_client, url, keep="latest", action="next")
    page = post(owner_client, url, method="network", when="now", action="next")
    assert "Enable-VMReplication -VMName APP01 -ReplicaServerName HV03.contoso.com -ReplicaServerPort 80" in page
    post(owner_client, url, action="next")
    rep = Replication.objects.get()
    assert (rep.primary_vm, rep.replica_vm.host_node.name, rep.primary_server) == (app01, "HV03", "HV01.contoso.com")
    assert rep.replica_vm.configuration_path == r"D:\Hyper-V Replica\APP01" and rep.replica_vm.role is None
    op = Operation.objects.get(kind="initial-replication")
    # 40 GB compressed across the 50 Mbit/s WAN link: about an hour, where the 1 Gbit/s LAN takes minutes.
    assert op.plan["total_s"] > 10 * 40 * 1024 * 8 / 1000
    run_all(lab, op)
    rep.refresh_from_db()
    assert rep.state == Replication.State.REPLICATING

    # The replica's Actions in Hyper-V Manager connected to HV03, its Replication tab, a test failover.
    replica, hv03 = rep.replica_vm, hv(lab, "HV03")
    page = unescape(owner_client.get(reverse("console:hyperv-vm", args=[lab.pk, hv03.pk, replica.pk]) +
                                     "?tab=replication").content.decode())
    assert f'id="vm-{replica.pk}-replication"' in page and "Replication Mode:</dt><dd>Replica" in page
    assert "Test Failover..." in page and "Failover..." in page
    servers = unescape(owner_client.get(reverse("console:server-vm", args=[lab.pk, hv03.pk, replica.pk])).content
                       .decode())
    assert "Test Failover..." in servers and "Start" not in servers.split("Replication")[0].split(replica.name)[-1]
    failover = reverse("console:server-vm-failover", args=[lab.pk, hv03.pk, replica.pk])
    dialog = unescape(owner_client.get(failover + "?test=1").content.decode())
    assert "Test Failover - APP01" in dialog
    point = rep.recovery_points.order_by("-sim_time").first()
    owner_client.post(failover + "?tab=replication&test=1", {"point": point.pk},
                      headers={"HX-Request": "true", "HX-Current-URL": reverse(
                          "console:hyperv-vm", args=[lab.pk, hv03.pk, replica.pk])})
    assert VirtualMachine.objects.filter(lab=lab, name="APP01 - Test", host_node=hv03).exists()
    stop = reverse("console:server-vm-replication", args=[lab.pk, hv03.pk, replica.pk]) + "?action=stop-test"
    assert owner_client.post(stop).status_code == 200
    assert not VirtualMachine.objects.filter(lab=lab, name="APP01 - Test").exists()


def test_replication_routes_of_a_vm_refuse_what_is_not_replicated(lab, owner_client):
    app01, hv01 = VirtualMachine.objects.get(lab=lab, name="APP01"), hv(lab, "HV01")
    for name in ("server-vm-replication-health", "server-vm-failover", "server-vm-planned-failover"):
        assert owner_client.get(reverse(f"console:{name}", args=[lab.pk, hv01.pk, app01.pk])).status_code == 404
    other = VirtualMachine.objects.get(lab=lab, name="APP02")
    assert owner_client.get(reverse("console:server-vm-failover", args=[lab.pk, hv(lab, "HV02").pk, other.pk])) \
        .status_code == 404  # APP02 is not on HV02


def test_the_end_of_the_initial_copy_is_pushed_to_both_hosts_consoles(lab, tick_after):
    from fcm.engine.commands.replication import enable
    configure_hv03(lab)
    app01 = VirtualMachine.objects.get(lab=lab, name="APP01")
    rep, op = enable(None, app01, server_name="HV03", auth="Kerberos", port=80, compression=True, vhd_ids=[],
                     frequency_s=300, additional_points=0, vss_hours=None, initial_method="network")
    pushed = tick_after(lab, op, op.plan["total_s"] + 1)[lab.pk]
    rep.refresh_from_db()
    assert rep.state == Replication.State.REPLICATING
    # The replica's Actions now offer the test failover, and its Replication tab says it replicates.
    replica_actions = pushed.split(f'id="actions-vm-{rep.replica_vm_id}"')[1].split('id="actions-')[0]
    assert "Test Failover..." in replica_actions
    tab = pushed.split(f'id="vm-{rep.replica_vm_id}-replication" hx-swap-oob="true">')[1].split("</dl>")[0]
    assert "Replication State:</dt><dd>Replication Enabled" in tab and "Replication Mode:</dt><dd>Replica" in tab


def test_a_replica_vm_does_not_start_while_it_receives_replication(lab):
    from fcm.engine.commands.replication import enable
    from fcm.engine.commands.servers import vm_power
    from fcm.engine.errors import EngineError
    configure_hv03(lab)
    rep, _ = enable(None, VirtualMachine.objects.get(lab=lab, name="APP01"), server_name="HV03", auth="Kerberos",
                    port=80, compression=True, vhd_ids=[], frequency_s=300, additional_points=0, vss_hours=None,
                    initial_method="network")
    with pytest.raises(EngineError, match="APP01 is a Replica virtual machine: it cannot be started"):
        vm_power(None, rep.replica_vm, "start")
    assert not Operation.objects.filter(kind="vm-power").exists()
