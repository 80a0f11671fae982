import re

import pytest
from django.core.management import CommandError, call_command

from fcm.inventory.generate import generate
from fcm.inventory.models import ClusterDisk, Lab, LoginToken, Node, Resource, Role, VirtualMachine

pytestmark = pytest.mark.django_db


def test_generated_lab_has_every_vm_clustered(make_generated_lab):
    lab = make_generated_lab(nodes=4, vms=30)
    assert Node.objects.filter(lab=lab, state="Up").count() == 4
    assert Role.objects.filter(cluster__lab=lab).count() == 30
    assert VirtualMachine.objects.filter(lab=lab, role__isnull=True).count() == 0
    assert Resource.objects.filter(role__cluster__lab=lab).count() == 60
    assert ClusterDisk.objects.filter(cluster__lab=lab, assignment="csv").count() == 1
    vm = VirtualMachine.objects.filter(lab=lab).first()
    assert vm.host_node_id == vm.role.owner_node_id


@pytest.mark.parametrize("nodes,vms,message", [
    (65, 10, "1 to 64 nodes"), (2, 8001, "at most 8000"), (17, 10, "1 to 16 nodes"),
])
def test_generate_respects_the_product_limits(owner, nodes, vms, message):
    version = "2008R2" if nodes == 17 else "2019"
    with pytest.raises(ValueError, match=message):
        generate(owner, nodes=nodes, vms=vms, os_version=version)


def test_loadlab_demo_if_empty_loads_once(capsys):
    call_command("loadlab", "--demo", "--if-empty")
    assert set(Lab.objects.values_list("name", flat=True)) == {"quick-migration-2008", "live-migration-2008r2",
                                                               "two-node-fresh-2012", "validation-troubleshooting",
                                                               "replica-dr-2012"}
    call_command("loadlab", "--demo", "--if-empty")
    assert Lab.objects.count() == 5
    assert Lab.objects.first().owner.is_superuser
    assert not Lab.objects.first().owner.has_usable_password()


def test_loadlab_errors_are_command_errors():
    with pytest.raises(CommandError, match="no lab file"):
        call_command("loadlab", "nope")
    with pytest.raises(CommandError, match="no user named"):
        call_command("loadlab", "--demo", "--owner", "ghost")


def test_genlab_command(capsys):
    call_command("genlab", "--nodes", "2", "--vms", "5", "--name", "tiny")
    assert Role.objects.filter(cluster__lab__name="tiny").count() == 5
    with pytest.raises(CommandError, match="already exists"):
        call_command("genlab", "--nodes", "2", "--vms", "5", "--name", "tiny")


def test_loginlink_prints_a_working_link(client, capsys):
    call_command("loginlink")
    url = capsys.readouterr().out.strip()
    path = re.sub(r"^http://[^/]+", "", url)
    assert client.get(path).status_code == 302
    assert client.get("/").status_code == 200
    # A link works once.
    client.logout()
    assert client.get(path).status_code == 403
    assert LoginToken.objects.filter(used_at__isnull=False).count() == 1
