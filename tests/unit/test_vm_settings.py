"""A VM's Settings rules (fcm.sim.vm_settings): per-version limits, the host's own, 2 MB steps, what changes
only while the VM is off."""
import pytest
from hypothesis import given, strategies as st

from fcm.sim import vm_settings as rules

OLD = {"memory_mb": 4096, "dynamic_memory": False, "vcpus": 2}


def problem(off=True, order=3, dynamic=True, processors=16, memory=65536, **new):
    return rules.settings_problem(vm="APP01", off=off, version_order=order, dynamic_available=dynamic,
                                  host="HV01", host_processors=processors, host_memory_mb=memory, old=OLD,
                                  new={**OLD, **new})


def test_a_vm_that_is_off_takes_any_settings_within_the_limits():
    assert problem(memory_mb=8192, vcpus=8, dynamic_memory=True) is None
    assert problem(order=2, vcpus=5).message.endswith("from 1 to 4 virtual processors.")  # 2008 R2: 4
    assert problem(order=3, processors=128, vcpus=65).field == "vcpus"  # 2012: 64
    assert problem(order=5, processors=256, vcpus=240) is None  # 2016: 240
    assert problem(vcpus=17).message.startswith("HV01 has 16 logical processors")
    assert problem(memory_mb=65538).field == "memory_mb"  # more than the host
    assert problem(memory_mb=4097).message == "The amount of memory must be a multiple of 2 MB."
    assert problem(memory_mb=16).field == "memory_mb"
    assert "Service Pack 1" in problem(dynamic=False, dynamic_memory=True).message


def test_a_running_vm_keeps_its_memory_and_processors_until_2016_resizes_memory():
    assert "only while it is turned off" in problem(off=False, vcpus=4).message
    assert problem(off=False, memory_mb=8192).field == "memory_mb"
    assert problem(off=False, order=5, memory_mb=8192) is None  # runtime memory resize
    assert problem(off=False, order=5, vcpus=4).field == "vcpus"
    assert problem(off=False) is None  # nothing changed: the switch alone may change while it runs


@given(st.integers(1, 7), st.integers(1, 300), st.integers(1, 2 ** 22))
def test_what_is_accepted_is_within_every_limit(order, vcpus, memory):
    memory -= memory % 2
    result = problem(order=order, processors=64, memory=2 ** 20, vcpus=vcpus, memory_mb=memory)
    max_vcpus, max_memory = rules.limits(order)
    if result is None:
        assert vcpus <= min(max_vcpus, 64) and rules.MIN_MEMORY_MB <= memory <= min(max_memory, 2 ** 20)
    else:
        assert result.field in ("vcpus", "memory_mb")


@pytest.mark.parametrize("order,expected", [(2, (4, 65536)), (4, (64, 1048576)), (7, (240, 12582912))])
def test_the_published_limits(order, expected):
    assert rules.limits(order) == expected
