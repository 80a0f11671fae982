"""Hyper-V Settings of a host: Live Migrations (with Advanced Features) and Storage Migrations, from the Servers
view. Each OK goes through the dialog's view and its engine command; a refusal is shown at its field and
changes nothing; the performance option saved is the one the host's live migrations then use."""
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse

from fcm.engine import facts, labfile
from fcm.engine.models import Outbox
from fcm.inventory.models import Cluster, MigrationNetwork, Node

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true", "HX-Target": "dialog-host"}

GOOD = {"enabled": "on", "simultaneous": "4", "use_any": "", "networks": "192.168.10.0/24\n10.0.0.5\n",
        "authentication": "Kerberos", "performance": "", "storage_simultaneous": "3"}


@pytest.fixture
def lab(owner):
    return labfile.load(labfile.lab_path("replica-dr-2012"), owner)


def host(lab, name="HQ-HV1", version=None):
    if version:
        Node.objects.filter(lab=lab, name=name).update(os_version=version)
    return Node.objects.get(lab=lab, name=name)


def url(node):
    return reverse("console:server-migrations", args=[node.lab_id, node.pk])


def saved(node):
    node.refresh_from_db()
    return (node.vm_migration_enabled, node.max_vm_migrations, node.max_storage_migrations,
            node.migration_authentication, node.migration_performance, node.use_any_network_for_migration,
            list(node.migration_networks.values_list("subnet", "priority")))


def test_the_dialog_shows_the_products_defaults_and_their_powershell(owner_client, lab):
    node = host(lab)
    page = unescape(owner_client.get(url(node), headers=HX).content.decode())
    assert f"Hyper-V Settings for {node.name}" in page
    assert "Enable incoming and outgoing live migrations" in page
    assert 'name="enabled" id="id_enabled">' in page  # off until enabled
    assert 'value="CredSSP" checked' in page and "Use Credential Security Support Provider (CredSSP)" in page
    assert "Performance options" not in page  # 2012: memory goes over TCP/IP, no choice
    assert 'name="storage_simultaneous" id="id_storage_simultaneous" class="narrow" value="2"' in page
    assert (f"Disable-VMMigration -ComputerName {node.name}; Set-VMHost -ComputerName {node.name} "
            "-MaximumVirtualMachineMigrations 2 -MaximumStorageMigrations 2 "
            "-VirtualMachineMigrationAuthenticationType CredSSP -UseAnyNetworkForMigration $true") in page


def test_a_2012_r2_host_offers_the_performance_options_compression_first(owner_client, lab):
    node = host(lab, version="2012R2")
    page = unescape(owner_client.get(url(node), headers=HX).content.decode())
    for option in ("TCP/IP", "Compression", "SMB"):
        assert f'name="performance" value="{option}"' in page
    assert 'value="Compression" checked' in page
    assert "-VirtualMachineMigrationPerformanceOption Compression" in page


def test_ok_saves_every_page_in_order_and_pushes_the_server(owner_client, lab):
    node = host(lab)
    Outbox.objects.all().delete()
    response = owner_client.post(url(node), GOOD, headers=HX)
    assert response.status_code == 200
    assert b'<div id="dialog-host" hx-swap-oob="true"></div>' in response.content
    assert saved(node) == (True, 4, 3, "Kerberos", "", False, [("192.168.10.0/24", 0), ("10.0.0.5/32", 1)])
    assert Outbox.objects.filter(lab=lab, kind=Outbox.Kind.NODE, object_id=node.pk).exists()
    page = unescape(owner_client.get(url(node), headers=HX).content.decode())
    assert "192.168.10.0/24\n10.0.0.5/32" in page and 'value="Kerberos" checked' in page
    assert (f"Enable-VMMigration -ComputerName {node.name}; Set-VMHost -ComputerName {node.name} "
            "-MaximumVirtualMachineMigrations 4 -MaximumStorageMigrations 3 "
            "-VirtualMachineMigrationAuthenticationType Kerberos -UseAnyNetworkForMigration $false; "
            f"Add-VMMigrationNetwork -ComputerName {node.name} 192.168.10.0/24 -Priority 0; "
            f"Add-VMMigrationNetwork -ComputerName {node.name} 10.0.0.5/32 -Priority 1") in page
    # Back to any network: the list is kept for the day it is chosen again.
    assert owner_client.post(url(node), {**GOOD, "use_any": "on", "networks": ""}, headers=HX).status_code == 200
    assert saved(node)[5:] == (True, [("192.168.10.0/24", 0), ("10.0.0.5/32", 1)])


@pytest.mark.parametrize("field,value,message", [
    ("simultaneous", "abc", "Simultaneous live migrations must be a number from 1 to 64."),
    ("simultaneous", "0", "Simultaneous live migrations must be a number from 1 to 64."),
    ("simultaneous", "65", "Simultaneous live migrations must be a number from 1 to 64."),
    ("simultaneous", "-2", "Simultaneous live migrations must be a number from 1 to 64."),
    ("storage_simultaneous", "", "Simultaneous storage migrations must be a number from 1 to 64."),
    ("storage_simultaneous", "9" * 30, "Simultaneous storage migrations must be a number from 1 to 64."),
    ("networks", "999.1.1.1", "Line 1: '999.1.1.1' is not an IPv4 address or subnet, such as 192.168.10.0/24."),
    ("networks", "10.0.0.0/24\n10.0.0.9/24", "Line 2: 10.0.0.0/24 is already in the list."),
    ("networks", "\n".join(f"10.{i}.0.0/16" for i in range(33)), "At most 32 networks"),
    ("networks", "", 'Add at least one IP address or subnet, or choose "Use any available network'),
    ("performance", "SMB", "the Compression and SMB performance options come with Windows Server 2012 R2."),
    ("authentication", "NTLM", "Select a valid choice."),
])
def test_a_refusal_is_shown_at_its_field_and_changes_nothing(owner_client, lab, field, value, message):
    node = host(lab)
    before = saved(node)
    response = owner_client.post(url(node), {**GOOD, field: value}, headers=HX)
    assert response.status_code == 200
    page = unescape(response.content.decode())
    error_id = field.replace("_", "-") + "-error"
    assert f'id="{error_id}" role="alert">' in page and message in page.split(f'id="{error_id}"')[1][:400]
    assert saved(node) == before and not MigrationNetwork.objects.exists()


def test_a_2008_r2_host_has_no_live_migrations_page_and_no_action(owner_client, owner):
    lab = labfile.load(labfile.lab_path("build-cluster-2008r2"), owner)
    node = Node.objects.filter(lab=lab, hyperv_installed=True).first()
    response = owner_client.get(url(node), headers=HX)
    assert response.status_code == 404 and b"no Live Migrations page" in response.content
    servers = owner_client.get(reverse("console:server", args=[lab.pk, node.pk])).content.decode()
    assert "Live Migrations..." not in servers


def test_the_action_is_in_the_hyper_v_settings_menu_of_a_2012_server(owner_client, lab):
    node = host(lab)
    page = unescape(owner_client.get(reverse("console:server", args=[lab.pk, node.pk])).content.decode())
    assert "Live Migrations..." in page and url(node) in page


def test_a_server_that_is_off_is_refused_and_nothing_changes(owner_client, lab):
    node = host(lab)
    Node.objects.filter(pk=node.pk).update(power_state=Node.PowerState.OFF)
    before = saved(node)
    page = unescape(owner_client.post(url(node), GOOD, headers=HX).content.decode())
    assert f"{node.name} is turned off; its Hyper-V Settings can be changed once it runs." in page
    assert saved(node) == before


def test_csrf_is_required(owner, lab):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    node = host(lab)
    assert client.post(url(node), GOOD, headers=HX).status_code == 403
    assert not saved(node)[0]


def test_the_saved_performance_option_is_what_the_hosts_live_migrations_use(owner_client, lab):
    source, target = host(lab, "HQ-HV1", "2012R2"), host(lab, "HQ-HV2", "2012R2")
    cluster = Cluster.objects.get(pk=source.cluster_id)
    Cluster.objects.filter(pk=cluster.pk).update(os_version="2012R2")
    cluster.refresh_from_db()
    compressed, _ = facts.live_bandwidth(cluster, source, target, 1000)
    assert owner_client.post(url(source), {**GOOD, "performance": "TCP/IP"}, headers=HX).status_code == 200
    source.refresh_from_db()
    plain, _ = facts.live_bandwidth(cluster, source, target, 1000)
    assert plain == pytest.approx(113.2, abs=0.1) and compressed == pytest.approx(plain * 2.5)
