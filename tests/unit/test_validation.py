from dataclasses import replace

import pytest

from fcm.sim import validation as v

GB = 1024 ** 3


def server(name, **kw):
    base = dict(domain="contoso.com", os_version="2012", os_label="Windows Server 2012 Datacenter",
                adapters=(v.AdapterFacts("Public", f"10.0.0.{10 + len(name)}"),
                          v.AdapterFacts("Private", f"10.1.0.{10 + len(name)}")),
                switches=("External",), disks=(("Quorum", 1, True), ("VMs", 2, True)))
    base.update(kw)
    return v.ServerFacts(name, **base)


def facts(*servers, disks=None, vms=(), order=3, cluster=None):
    disks = disks if disks is not None else (v.DiskFacts("Quorum", GB), v.DiskFacts("VMs", 100 * GB))
    return v.Facts(order, tuple(servers), tuple(disks), tuple(vms), cluster)


def result(f, name, existing=False):
    return dict((t.name, r) for t, r in v.run(f, existing_cluster=existing))[name]


CLEAN = facts(server("N1"), server("N22"))


def test_a_clean_pair_passes_everything():
    results = v.run(CLEAN)
    assert {r.status for _, r in results} == {v.SUCCESS}
    assert v.overall(r.status for _, r in results) == "success"


def test_catalogue_follows_the_version():
    names = [t.name for t in v.catalogue(2)]
    assert "Validate Hyper-V Role Installed" not in names and "Validate Multiple Subnet Properties" in names
    assert "Validate Multiple Subnet Properties" not in [t.name for t in v.catalogue(1)]
    assert "Validate Hyper-V Role Installed" in [t.name for t in v.catalogue(3)]
    assert "Validate Quorum Configuration" in [t.name for t in v.catalogue(2, existing_cluster=True)]
    assert {t.category for t in v.catalogue(3)} == {"Hyper-V Configuration", "Inventory", "Network", "Storage",
                                                    "System Configuration"}


@pytest.mark.parametrize("fault,test,status,words", [
    (dict(domain="fabrikam.com"), "Validate Active Directory Configuration", v.FAILED, "same domain"),
    (dict(adapters=(v.AdapterFacts("Public", "10.0.0.99"),)), "Validate Cluster Network Configuration",
     v.WARNING, "single point of failure"),
    (dict(adapters=(v.AdapterFacts("A", "10.0.0.99"), v.AdapterFacts("B", "10.0.0.98"))),
     "Validate Cluster Network Configuration", v.WARNING, "2 adapters on subnet 10.0.0.0/24"),
    (dict(adapters=(v.AdapterFacts("Public", "10.0.0.12"), v.AdapterFacts("Private", "10.1.0.50"))),
     "Validate IP Configuration", v.FAILED, "10.0.0.12 is used by more than one adapter"),
    (dict(processor_vendor="AuthenticAMD"), "Validate Matching Processor Manufacturers", v.WARNING, "AMD"),
    (dict(os_version="2012R2", os_label="Windows Server 2012 R2 Datacenter"),
     "Validate Operating System Version", v.FAILED, "same version"),
    (dict(update_level="2013-01"), "Validate Software Update Levels", v.WARNING, "same software updates"),
    (dict(failover_clustering=False), "Validate Required Services", v.FAILED, "Failover Clustering feature"),
    (dict(hyperv=False), "Validate Hyper-V Role Installed", v.FAILED, "Hyper-V role is not installed"),
    (dict(unsigned_drivers=True), "Validate All Drivers Signed", v.WARNING, "unsigned drivers"),
    (dict(switches=("Other",)), "Validate Hyper-V Network Resource Pool And Virtual Switch Compatibility",
     v.WARNING, "Other"),
    (dict(install_option="Core"), "Validate Operating System Installation Option", v.WARNING, "Server Core"),
    (dict(service_pack=1), "Validate Service Pack Levels", v.WARNING, "SP1"),
    (dict(adapters=(v.AdapterFacts("Public", "10.9.0.5"),)), "Validate Network Communication", v.FAILED,
     "share no network"),
])
def test_each_planted_fault_is_named(fault, test, status, words):
    f = facts(server("N1"), server("N22", **fault))
    r = result(f, test)
    assert r.status == status
    assert any(words in line for line in r.lines), r.lines


def test_disks_without_persistent_reservation_fail_storage_tests():
    f = facts(server("N1"), server("N22"), disks=(v.DiskFacts("Quorum", GB, persistent_reservation=False),
                                                   v.DiskFacts("VMs", 100 * GB)))
    pr = result(f, "Validate SCSI-3 Persistent Reservation")
    assert pr.status == v.FAILED and any("Quorum does not support SCSI-3" in line for line in pr.lines)
    assert result(f, "Validate Disk Failover").status == v.FAILED
    assert result(f, "Validate Disk Access Latency").status == v.SUCCESS


def test_a_disk_not_seen_by_every_node_is_not_a_cluster_disk():
    f = facts(server("N1"), server("N22", disks=(("Quorum", 1, True),)))
    r = result(f, "List Potential Cluster Disks")
    assert r.status == v.WARNING and any("VMs is not seen by every node" in line for line in r.lines)
    assert [d.name for d in f.shared_disks()] == ["Quorum"]


def test_single_node_skips_cross_node_tests():
    f = facts(server("N1"))
    assert result(f, "Validate Network Communication").status == v.NA
    assert result(f, "Validate Disk Failover").status == v.NA


def test_standard_edition_of_2008_cannot_cluster():
    f = facts(server("N1", os_version="2008R2", edition="Standard"), server("N22", os_version="2008R2"), order=2)
    assert "Standard edition" in " ".join(result(f, "Validate Operating System Version(s)").lines)


def test_mixed_vendors_on_2008_r2_warn_in_system_configuration():
    f = facts(server("N1", os_version="2008R2"), server("N22", os_version="2008R2", processor_vendor="AuthenticAMD"),
              order=2)
    assert result(f, "Validate Same Processor Architecture").status == v.WARNING


def test_vm_checks():
    f = facts(server("N1"), server("N22", switches=()),
              vms=(v.VmFacts("vm1", "N1", "External", True), v.VmFacts("vm2", "N1", "", False)))
    assert "N22" in " ".join(result(f, "Validate Hyper-V Virtual Machine Network Configuration").lines)
    assert "vm2" in " ".join(result(f, "Validate Hyper-V Virtual Machine Storage Configuration").lines)


def test_cluster_configuration_tests():
    c = v.ClusterFacts("CL", "NodeMajority", "NodeAndDiskMajority", offline_resources=("Cluster Disk 3",))
    f = replace(CLEAN, cluster=c)
    assert result(f, "Validate Quorum Configuration", existing=True).status == v.WARNING
    assert "Cluster Disk 3" in " ".join(result(f, "Validate Resource Status", existing=True).lines)


def test_costs_are_positive_and_scale_with_disks():
    tests = {t.name: t for t in v.catalogue(3)}
    assert all(t.cost(CLEAN) > 0 for t in tests.values())
    six = tuple((f"D{i}", i + 1, True) for i in range(6))
    more = facts(server("N1", disks=six), server("N22", disks=six),
                 disks=tuple(v.DiskFacts(f"D{i}", GB) for i in range(6)))
    assert tests["Validate Disk Failover"].cost(CLEAN) < tests["Validate Disk Failover"].cost(more)
