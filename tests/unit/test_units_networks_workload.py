import pytest

from fcm.sim import networks, workload
from fcm.sim.units import GB, MB, TB, format_capacity, parse_size


@pytest.mark.parametrize("text,expected", [
    ("500 MB", 500 * MB), ("1024GB", 1024 * GB), ("1.5 TB", int(1.5 * TB)), (4096, 4096),
    ("40 gb", 40 * GB), ("2 GiB", 2 * GB),
])
def test_parse_size(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize("bad", ["", "MB", "ten GB", "5 XB", -1, True, "-3 GB"])
def test_parse_size_rejects(bad):
    with pytest.raises(ValueError):
        parse_size(bad)


@pytest.mark.parametrize("size,text", [
    (500 * MB, "500 MB"), (1024 * GB, "1 TB"), (200 * MB, "200 MB"), (int(1.5 * GB), "1.50 GB"), (None, ""),
])
def test_format_capacity(size, text):
    assert format_capacity(size) == text


def test_shared_subnets_only_where_every_node_has_an_address():
    by_node = {
        "S1": ["192.168.100.201/24", "192.168.0.201/24", "10.9.9.1/24"],
        "S2": ["192.168.100.202/24", "192.168.0.202/24"],
    }
    assert networks.shared_subnets(by_node) == ["192.168.0.0/24", "192.168.100.0/24"]
    assert networks.shared_subnets({}) == []


def test_default_network_roles():
    assert networks.default_role(True, False, 2) == networks.ROLE_CLUSTER_AND_CLIENT
    assert networks.default_role(False, False, 2) == networks.ROLE_CLUSTER_ONLY
    assert networks.default_role(False, True, 2) == networks.ROLE_CLUSTER_ONLY
    assert networks.default_role(False, True, 3) == networks.ROLE_NONE


def test_in_subnet():
    assert networks.in_subnet("192.168.100.200", "192.168.100.0/24")
    assert not networks.in_subnet("192.168.1.200", "192.168.100.0/24")
    assert not networks.in_subnet("not-an-ip", "192.168.100.0/24")


def test_workload_profiles_are_ordered_by_dirty_rate():
    rates = [p.dirty_rate_mib_s for p in workload.PROFILES.values()]
    assert rates == sorted(rates)
    assert workload.dirty_rate_bytes_s("database") == 60 * MB
    assert workload.writable_working_set_bytes("idle", 4 * GB) == int(0.01 * 4 * GB)
    with pytest.raises(KeyError):
        workload.get("bitcoin")
