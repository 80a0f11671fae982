import pytest
from hypothesis import given, strategies as st

from fcm.sim import hyperv_settings as hs


def test_the_pages_and_options_come_with_their_versions():
    assert not hs.has_migration_settings(2) and hs.has_migration_settings(3)
    assert hs.performance_options(3) == ()
    assert hs.performance_options(4) == ("TCP/IP", "Compression", "SMB")


def test_networks_are_subnets_in_order_and_an_address_is_its_own_subnet():
    assert hs.migration_networks(["192.168.10.0/24", " 10.0.0.5 ", "", "172.16.0.9/16"]) == (
        ["192.168.10.0/24", "10.0.0.5/32", "172.16.0.0/16"], None)


@pytest.mark.parametrize("lines,message", [
    (["10.0.0.300"], "Line 1: '10.0.0.300' is not an IPv4 address or subnet"),
    (["10.0.0.0/24", "", "10.0.0.1/24"], "Line 3: 10.0.0.0/24 is already in the list."),
    (["fe80::1"], "is not an IPv4 address"),
    ([f"10.{i}.0.0/16" for i in range(33)], "At most 32 networks"),
])
def test_bad_networks_name_their_line(lines, message):
    subnets, problem = hs.migration_networks(lines)
    assert subnets is None and problem.field == "networks" and message in problem.message


@given(st.lists(st.text(max_size=30), max_size=40))
def test_any_text_is_either_subnets_or_one_problem(lines):
    subnets, problem = hs.migration_networks(lines)
    assert (subnets is None) != (problem is None)
    if subnets is not None:
        assert len(subnets) == len(set(subnets)) <= hs.MAX_MIGRATION_NETWORKS


def settings(**changes):
    return {"simultaneous": 2, "storage_simultaneous": 2, "performance": "", "use_any": True, "subnets": [],
            **changes}


@pytest.mark.parametrize("order,changes,field", [
    (2, {}, ""),
    (3, {"simultaneous": 0}, "simultaneous"),
    (3, {"simultaneous": None}, "simultaneous"),
    (3, {"simultaneous": True}, "simultaneous"),
    (3, {"storage_simultaneous": 65}, "storage_simultaneous"),
    (3, {"performance": "Compression"}, "performance"),
    (4, {"performance": "RDMA"}, "performance"),
    (3, {"use_any": False}, "networks"),
])
def test_what_ok_refuses(order, changes, field):
    assert hs.settings_problem(order, **settings(**changes)).field == field


@pytest.mark.parametrize("order,changes", [
    (3, {}), (3, {"performance": "TCP/IP"}), (4, {"performance": "SMB"}),
    (3, {"use_any": False, "subnets": ["10.0.0.0/8"]}),
    (5, {"simultaneous": 64, "storage_simultaneous": 1}),
])
def test_what_ok_saves(order, changes):
    assert hs.settings_problem(order, **settings(**changes)) is None


def test_the_powershell_lines_follow_the_settings_and_the_version():
    common = dict(enabled=True, simultaneous=3, storage_simultaneous=2, authentication="Kerberos",
                  use_any=False, subnets=["10.0.2.0/24"])
    r2 = hs.powershell("HV1", performance="TCP/IP", version_order=4, **common)
    assert r2 == ("Enable-VMMigration -ComputerName HV1; Set-VMHost -ComputerName HV1 "
                  "-MaximumVirtualMachineMigrations 3 -MaximumStorageMigrations 2 "
                  "-VirtualMachineMigrationAuthenticationType Kerberos "
                  "-VirtualMachineMigrationPerformanceOption TCPIP -UseAnyNetworkForMigration $false; "
                  "Add-VMMigrationNetwork -ComputerName HV1 10.0.2.0/24 -Priority 0")
    assert "PerformanceOption" not in hs.powershell("HV1", performance="TCP/IP", version_order=3, **common)
