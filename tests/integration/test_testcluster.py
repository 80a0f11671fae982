import pytest
from django.core.management import call_command

from fcm.engine import labfile
from fcm.inventory.models import Disk, Domain, Node

pytestmark = pytest.mark.django_db


@pytest.fixture
def trouble_lab(owner):
    return labfile.load(labfile.lab_path("validation-troubleshooting"), owner)


def run(capsys, *args):
    code = 0
    try:
        call_command("testcluster", *args)
    except SystemExit as exc:
        code = exc.code
    return code, capsys.readouterr().out


def test_every_planted_fault_is_named_and_fixing_them_turns_it_green(trouble_lab, capsys, tmp_path):
    code, out = run(capsys, "validation-troubleshooting", "NODE1", "NODE2", "NODE3",
                    "--report", str(tmp_path / "r.html"))
    assert code == 1 and "Result: failed" in out
    assert "NODE3 in fabrikam.com" in out                       # another domain
    assert "Node NODE2 is reachable from the other nodes by only one network adapter" in out
    assert "Disk Archive does not support SCSI-3 Persistent Reservation" in out
    assert "The Failover Clustering feature is not installed on NODE3" in out
    assert "NODE2 AMD" in out                                   # mixed processor vendors
    assert "Failover Cluster Validation Report" in (tmp_path / "r.html").read_text()
    # The trainee fixes the inventory (as in Lab administration) and validates again.
    Node.objects.filter(name="NODE3").update(domain=Domain.objects.get(name="contoso.com"),
                                             failover_clustering_installed=True)
    Node.objects.filter(name="NODE2").update(processor_vendor="GenuineIntel")
    n2 = Node.objects.get(name="NODE2")
    from fcm.inventory.models import Network, NetworkAdapter
    NetworkAdapter.objects.create(node=n2, name="Cluster", network=Network.objects.get(name="Cluster"),
                                  ip_address="172.17.0.12")
    Disk.objects.filter(name="Archive").update(scsi3_persistent_reservation=True)
    code, out = run(capsys, "validation-troubleshooting", "NODE1", "NODE2", "NODE3")
    assert code == 0 and "Failed" not in out


def test_include_and_errors(trouble_lab, capsys):
    code, out = run(capsys, "validation-troubleshooting", "NODE1", "NODE2", "--include", "Inventory")
    assert code == 0 and "Network" not in out and "List BIOS Information" in out
    from django.core.management import CommandError
    with pytest.raises(CommandError, match="could not be reached"):
        call_command("testcluster", "validation-troubleshooting", "NOPE")
    with pytest.raises(CommandError, match="no lab named"):
        call_command("testcluster", "nolab", "NODE1")
