"""fcm.sim.servers: update levels, restarts, TCP/IPv4 settings, iSCSI names; fcm.sim.vm_power's pause and resume."""
from datetime import date, timedelta

import pytest
from hypothesis import given, strategies as st

from fcm.sim import servers as s
from fcm.sim import vm_power

days = st.dates(min_value=date(2008, 1, 1), max_value=date(2030, 12, 31))


def test_patch_tuesday_is_the_second_tuesday():
    assert s.patch_tuesday(2014, 5) == date(2014, 5, 13)
    assert s.patch_tuesday(2014, 4) == date(2014, 4, 8)
    assert s.patch_tuesday(2009, 11) == date(2009, 11, 10)


@given(days)
def test_patch_tuesday_properties(day):
    pt = s.patch_tuesday(day.year, day.month)
    assert pt.weekday() == 1 and 8 <= pt.day <= 14


def test_latest_update_level_turns_on_patch_tuesday():
    assert s.latest_update_level(date(2014, 5, 12)) == "2014-04"     # the validation lab's first morning
    assert s.latest_update_level(date(2014, 5, 13)) == "2014-05"
    assert s.latest_update_level(date(2014, 1, 2)) == "2013-12"


@given(days, st.integers(min_value=1, max_value=400))
def test_the_latest_level_never_goes_back_and_is_at_most_a_month_old(day, later):
    a, b = s.latest_update_level(day), s.latest_update_level(day + timedelta(days=later))
    assert s.months_behind(a, b) >= 0 and s.months_behind(b, a) == 0
    assert s.months_behind(a, f"{day.year:04d}-{day.month:02d}") <= 1


def test_months_behind():
    assert s.months_behind("2014-03", "2014-04") == 1
    assert s.months_behind("2013-11", "2014-02") == 3
    assert s.months_behind("2014-05", "2014-04") == 0
    assert s.months_behind("", "2014-04") == s.UNKNOWN_LEVEL_MONTHS
    with pytest.raises(ValueError):
        s.months_behind("2014-04", "soon")


def test_restart_steps_in_order():
    steps = s.restart_steps(120.0, "Full", update_months=2, features=1, join_s=5.0)
    assert [k for k, _, _ in steps] == [s.SHUT_DOWN, s.CONFIGURE_UPDATES, s.CONFIGURE_FEATURES, s.BOOT,
                                        s.JOIN_CLUSTER]
    seconds = dict((k, t) for k, _, t in steps)
    assert seconds[s.SHUT_DOWN] == vm_power.shutdown_seconds("Full") and seconds[s.BOOT] == 120.0
    assert seconds[s.CONFIGURE_UPDATES] == 2 * s.UPDATE_MONTH_S and seconds[s.CONFIGURE_FEATURES] == s.FEATURE_S
    assert [k for k, _, _ in s.restart_steps(120.0)] == [s.SHUT_DOWN, s.BOOT]
    with pytest.raises(ValueError):
        s.restart_steps(0)


@given(st.floats(min_value=1, max_value=600), st.sampled_from(["Full", "Core"]), st.integers(0, 24),
       st.integers(0, 3), st.booleans())
def test_a_restart_grows_with_what_waits_for_it(boot, option, months, features, clustered):
    def total(m, f):
        return sum(t for _, _, t in s.restart_steps(boot, option, m, f, 5.0 if clustered else None))
    assert total(months, features) > boot
    assert total(months + 1, features) > total(months, features)
    assert total(months, features + 1) > total(months, features)
    assert total(months, features) - total(0, 0) == pytest.approx(months * s.UPDATE_MONTH_S + features * s.FEATURE_S)


def test_server_core_restarts_faster():
    full = sum(t for _, _, t in s.restart_steps(120.0, "Full"))
    core = sum(t for _, _, t in s.restart_steps(120.0, "Core"))
    assert core < full


def test_features_and_what_waits_for_a_restart():
    assert s.feature("Hyper-V").restart and s.feature("Hyper-V").role
    assert not s.feature("Failover-Clustering").restart and not s.feature("Failover-Clustering").role
    assert s.feature("Telnet-Client") is None
    assert s.describe_pending({"domain": "contoso.com", "features": ["Hyper-V"], "updates": "2014-04"}) == \
        "joining contoso.com, Hyper-V, software updates"
    assert s.describe_pending({"domain": ""}) == "joining a workgroup" and s.describe_pending({}) == ""


NETS = ["172.16.0.0/24", "172.17.0.0/24", "10.0.0.0/16"]


@pytest.mark.parametrize("ip, mask, gateway, taken, field, words", [
    ("172.17.0.12", "255.255.255.0", "", {}, None, ""),
    ("10.0.5.9", "255.255.0.0", "10.0.0.1", {}, None, ""),
    ("172.17.0.11", "255.255.255.0", "", {"172.17.0.11": "NODE1 - Cluster"}, "ip", "already in use"),
    ("192.168.1.5", "255.255.255.0", "", {}, "ip", "on none of the networks"),
    ("172.17.0.12", "255.255.0.0", "", {}, "mask", "does not match the network 172.17.0.0/24"),
    ("172.17.0.12", "255.0.255.0", "", {}, "mask", "not a valid subnet mask"),
    ("172.17.0.12", "", "", {}, "mask", "not a valid subnet mask"),
    ("172.17.0.0", "255.255.255.0", "", {}, "ip", "network address"),
    ("172.17.0.255", "255.255.255.0", "", {}, "ip", "broadcast address"),
    ("172.17.0.12", "255.255.255.0", "172.16.0.1", {}, "gateway", "not on the subnet"),
    ("172.17.0.12", "255.255.255.0", "172.17.0.12", {}, "gateway", "own address"),
    ("172.17.0.12", "255.255.255.0", "x", {}, "gateway", "not a valid IPv4 address"),
    ("a.b.c.d", "255.255.255.0", "", {}, "ip", "not a valid IPv4 address"),
    ("127.0.0.1", "255.0.0.0", "", {}, "ip", "cannot be assigned"),
    ("169.254.3.4", "255.255.0.0", "", {}, "ip", "cannot be assigned"),
])
def test_ipv4_problems(ip, mask, gateway, taken, field, words):
    problem = s.ipv4_problem(ip, mask, gateway, NETS, taken)
    if field is None:
        assert problem is None
    else:
        assert problem.field == field and words in problem.message, problem


@given(st.integers(min_value=1, max_value=254))
def test_every_free_host_address_of_a_known_network_is_accepted(host):
    assert s.ipv4_problem(f"172.16.0.{host}", "255.255.255.0", "", NETS, {}) is None


@given(st.integers(min_value=1, max_value=32))
def test_masks_and_prefixes_round_trip(prefix):
    assert s.prefix_of_mask(s.mask_of_prefix(prefix)) == prefix


def test_iscsi_names():
    assert s.target_iqn("Archive") == "iqn.1991-05.com.microsoft:san-archive-target"
    assert s.target_iqn("SQL Data 2") == "iqn.1991-05.com.microsoft:san-sql-data-2-target"
    assert s.portal_address("172.18.0.1:3260") == "172.18.0.1" and s.portal_address("172.18.0.1") == "172.18.0.1"
    assert s.portal_address("") is None and s.portal_address("san.contoso.com:3260") is None


@given(st.integers(min_value=1, max_value=64), st.integers(min_value=1, max_value=64))
def test_pause_and_resume_take_a_moment_per_virtual_processor(a, b):
    assert vm_power.pause_seconds(a) > 0 and vm_power.resume_seconds(a) == vm_power.pause_seconds(a)
    if a < b:
        assert vm_power.pause_seconds(a) < vm_power.pause_seconds(b)
    assert vm_power.pause_seconds(64) < 10  # whatever the memory: it stays where it is


@given(st.integers(min_value=256, max_value=1024 * 1024), st.integers(min_value=1, max_value=2000))
def test_saving_grows_with_memory_and_shrinks_with_throughput(memory, throughput):
    assert vm_power.save_seconds(memory * 2, throughput) > vm_power.save_seconds(memory, throughput)
    assert vm_power.save_seconds(memory, throughput * 2) < vm_power.save_seconds(memory, throughput)
