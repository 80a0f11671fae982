import pytest

from fcm.sim import vm_power
from fcm.sim.placement import HOST_RESERVE_MB, NodeFacts, ReserveVm, reserve


def test_boot_times_follow_guest_and_install_option():
    full = vm_power.boot_seconds("Windows Server 2008 Enterprise")
    core = vm_power.boot_seconds("Windows Server 2008 Enterprise", "Core")
    assert full == 60 and core == pytest.approx(36)
    assert vm_power.boot_seconds("Windows Server 2008 R2 Enterprise") == 50
    assert vm_power.boot_seconds("Windows Server 2019 Datacenter", generation=2) == pytest.approx(33 * 0.8)
    assert 30 <= vm_power.boot_seconds("Windows Server 2012 R2 Standard") <= 90


def test_save_and_shutdown():
    assert vm_power.save_seconds(2048, 200) == pytest.approx(11.24)
    assert vm_power.shutdown_seconds("Core") < vm_power.shutdown_seconds("Full")
    with pytest.raises(ValueError):
        vm_power.save_seconds(1024, 0)


def node(name, memory=16384 + HOST_RESERVE_MB, used=0, state="Up"):
    return NodeFacts(name, state, memory, used, "GenuineIntel")


def test_reserve_finds_the_vms_that_would_not_restart():
    nodes = [node("A", used=12288), node("B", used=12288), node("C", used=8192)]
    vms = [ReserveVm("a1", "A", 8192, 3000), ReserveVm("a2", "A", 4096, 1000),
           ReserveVm("b1", "B", 12288, 2000), ReserveVm("c1", "C", 8192, 2000)]
    r = reserve(nodes, vms)
    assert not r.sustained and r.failed_nodes == ("B",) and r.stranded == ("b1",)
    roomy = [node("A", memory=65536, used=12288), node("B", memory=65536, used=12288), node("C", memory=65536)]
    assert reserve(roomy, vms).sustained


def test_reserve_restarts_high_priority_first_and_leaves_no_auto_start_off():
    nodes = [node("A", used=12288), node("B", memory=4096 + HOST_RESERVE_MB)]
    vms = [ReserveVm("low", "A", 4096, 1000), ReserveVm("high", "A", 4096, 3000), ReserveVm("off", "A", 4096, 0)]
    r = reserve(nodes, vms)
    assert r.failed_nodes == ("A",) and r.stranded == ("low",) and r.not_started == ("off",)


def test_reserve_ignores_nodes_already_down_and_handles_two_failures():
    nodes = [node("A", used=4096), node("B", used=4096), node("C"), node("D", state="Down")]
    vms = [ReserveVm("a", "A", 4096), ReserveVm("b", "B", 4096)]
    assert reserve(nodes, vms).sustained
    two = reserve(nodes, vms, failures=2)
    assert len(two.failed_nodes) == 2 and two.sustained
