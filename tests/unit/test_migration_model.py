import pytest
from hypothesis import given, settings, strategies as st

from fcm.sim import migration as mig

memory = st.floats(min_value=256, max_value=65536)
bandwidth = st.floats(min_value=10, max_value=2000)
dirty = st.floats(min_value=0, max_value=3000)


def test_a_database_vm_on_1gbe_converges_in_about_48_seconds():
    b = mig.effective_bandwidth_mib_s(1000)
    assert 112 < b < 114
    plan = mig.plan_live_migration(4096, b, 60, writable_working_set_mib=491, max_rounds=10)
    assert plan.converged and plan.stop_reason == "fits"
    assert 40 < plan.total_s < 55
    assert plan.downtime_s < 0.4
    assert plan.rounds[0].sent_mib == 4096
    assert [p.name for p in plan.phases][:2] == ["Setup", "Memory transfer, round 1 (all memory)"]
    assert plan.phases[-1].end_s == pytest.approx(plan.total_s)
    assert mig.summary(plan).startswith("about 48 s, downtime about")


def test_a_workload_faster_than_the_link_does_not_converge():
    plan = mig.plan_live_migration(4096, 113, 140, writable_working_set_mib=1433)
    assert not plan.converged and plan.diverging and plan.stop_reason == "round-limit"
    assert len(plan.rounds) == mig.DEFAULT_MAX_ROUNDS
    assert plan.downtime_s > 1
    assert "will not converge" in mig.summary(plan)
    xen = mig.plan_live_migration(4096, 113, 140, writable_working_set_mib=1433, stop_when_not_shrinking=True)
    assert xen.stop_reason == "not-shrinking" and len(xen.rounds) < len(plan.rounds)


def test_round_limit_stops_pre_copy():
    plan = mig.plan_live_migration(8192, 100, 90, max_rounds=3, max_downtime_s=0.01)
    assert len(plan.rounds) == 3 and plan.stop_reason == "round-limit" and not plan.converged


@given(memory, bandwidth, dirty)
def test_zero_dirty_rate_means_one_round_and_dirty_work_never_helps(m, b, d):
    clean = mig.plan_live_migration(m, b, 0)
    assert len(clean.rounds) == 1 and clean.converged
    busy = mig.plan_live_migration(m, b, d)
    assert busy.total_s >= clean.total_s - 1e-9


@settings(max_examples=200)
@given(memory, bandwidth, dirty, st.floats(min_value=1.01, max_value=10))
def test_more_bandwidth_never_slows_a_migration(m, b, d, factor):
    slow = mig.plan_live_migration(m, b, d, writable_working_set_mib=m * 0.2)
    fast = mig.plan_live_migration(m, b * factor, d, writable_working_set_mib=m * 0.2)
    assert fast.total_s <= slow.total_s + 1e-9


@given(memory, bandwidth, dirty)
def test_converged_downtime_stays_within_target_plus_resume(m, b, d):
    plan = mig.plan_live_migration(m, b, d, max_downtime_s=0.3)
    if plan.converged:
        assert plan.downtime_s <= 0.3 + mig.DEFAULT_STATE_TRANSFER_S + mig.DEFAULT_RESUME_S + 1e-9


@given(memory, bandwidth, dirty)
def test_progress_rises_from_0_to_100(m, b, d):
    plan = mig.plan_live_migration(m, b, d)
    samples = [plan.progress(plan.total_s * i / 20) for i in range(21)]
    assert samples[0] == 0 and samples[-1] == 100
    assert samples == sorted(samples)


def test_phases_are_contiguous_and_states_follow_the_product():
    plan = mig.plan_live_migration(2048, 113, 15)
    for a, b in zip(plan.phases, plan.phases[1:]):
        assert a.end_s == pytest.approx(b.start_s)
    assert plan.phases[0].state == "Setup"
    assert {p.state for p in plan.phases[1:len(plan.rounds) + 1]} == {"Data Transfer"}
    assert plan.phase_at(plan.total_s - 0.01).state == "Move"


def test_quick_migration_outage_is_the_whole_move():
    plan = mig.plan_quick_migration(2048, 200)
    assert plan.downtime_s == plan.total_s
    assert [p.state for p in plan.phases] == ["Saving", "Saved", "Saved", "Starting", "Starting"]
    assert 20 < plan.total_s < 30  # 10 s save + 10 s restore + offline/move/online
    offline = mig.plan_quick_migration(0, 200)
    assert [p.name for p in offline.phases] == ["Take offline", "Move disk ownership", "Bring online"]


def test_storage_migration_has_no_downtime_and_mirrors_writes():
    plan = mig.plan_storage_migration(40 * 1024, 100, 5)
    assert plan.downtime_s == 0
    assert plan.mirrored_mib == pytest.approx(5 * 40 * 1024 / 100)
    assert mig.summary(plan).endswith("no downtime")


@pytest.mark.parametrize("mbps,option,order,streams,expected", [
    (1000, "TCP/IP", 2, 1, 113.2),
    (1000, "TCP/IP", 2, 2, 56.6),
    (10000, "TCP/IP", 2, 1, 834.5),
    (10000, "TCP/IP", 3, 1, 320.0),
    (10000, "TCP/IP", 3, 4, 283.1),
    (1000, "Compression", 4, 1, 283.1),
    (1000, "Compression", 2, 1, 113.2),
    (10000, "SMB", 4, 1, 1156.3),
])
def test_effective_bandwidth(mbps, option, order, streams, expected):
    assert mig.effective_bandwidth_mib_s(mbps, option, order, streams) == pytest.approx(expected, abs=0.1)


@pytest.mark.parametrize("bad", [dict(memory_mib=0, bandwidth_mib_s=1, dirty_rate_mib_s=0),
                                 dict(memory_mib=1, bandwidth_mib_s=0, dirty_rate_mib_s=0),
                                 dict(memory_mib=1, bandwidth_mib_s=1, dirty_rate_mib_s=-1)])
def test_invalid_inputs(bad):
    with pytest.raises(ValueError):
        mig.plan_live_migration(**bad)


def test_max_rounds_by_version():
    assert mig.max_rounds_for(2) == 10 and mig.max_rounds_for(4) == 5
    assert mig.default_performance_option(4) == "Compression"
    assert mig.default_performance_option(3) == "TCP/IP"


# -- outside a cluster: shared-nothing and SMB live migration (seed 004) ------------------------------------

def test_a_shared_nothing_move_over_1gbe_is_mostly_the_storage_copy_and_pauses_for_milliseconds():
    b = mig.effective_bandwidth_mib_s(1000)
    plan = mig.plan_shared_nothing_migration(40 * 1024, b, 2, 2048, b, 20, writable_working_set_mib=200)
    storage = 40 * 1024 / b
    assert storage < plan.memory_start_s < storage + 10  # 6 min of copy, then the pass of what changed
    assert plan.storage.mirrored_mib == pytest.approx(2 * storage)
    assert [p.key for p in plan.phases][:3] == ["setup", "initial-copy", "mirror-pass"]
    assert plan.phases[-1].key == "clean-up" and plan.phases[-1].end_s == pytest.approx(plan.total_s)
    assert plan.converged and plan.downtime_s < 0.4
    assert 6 * 60 < plan.total_s < 7 * 60
    assert mig.summary(plan).startswith("about 6 min") and "downtime about" in mig.summary(plan)
    for a, c in zip(plan.phases, plan.phases[1:]):
        assert a.end_s == pytest.approx(c.start_s)


def test_mirrored_writes_share_the_link_with_the_memory_rounds():
    plain = mig.plan_live_migration(4096, 113, 30, writable_working_set_mib=400, cleanup_s=0, setup_s=0)
    moved = mig.plan_shared_nothing_migration(10 * 1024, 113, 40, 4096, 113, 30, writable_working_set_mib=400)
    assert moved.mirrored_write_mib_s == 40
    assert moved.live.bandwidth_mib_s == pytest.approx(73)
    assert moved.live.total_s > plain.total_s


def test_a_vm_that_is_off_moves_its_files_with_no_downtime():
    plan = mig.plan_shared_nothing_migration(20 * 1024, 100, 50, 0, 113, 0)
    assert plan.downtime_s == 0 and plan.storage.mirrored_mib == 0
    assert [p.key for p in plan.phases] == ["setup", "initial-copy", "switch-storage"]
    assert mig.summary(plan).endswith("no downtime")


vhd = st.floats(min_value=1024, max_value=512 * 1024)
writes = st.floats(min_value=0, max_value=80)


@settings(max_examples=200)
@given(vhd, st.floats(min_value=20, max_value=1000), writes, memory, bandwidth, dirty)
def test_shared_nothing_progress_rises_to_100_and_downtime_is_the_memory_moves(v, c, w, m, b, d):
    plan = mig.plan_shared_nothing_migration(v, c, w, m, b, d)
    samples = [plan.progress(plan.total_s * i / 40) for i in range(41)]
    assert samples[0] == 0 and samples[-1] == 100 and samples == sorted(samples)
    assert plan.downtime_s == plan.live.downtime_s


@settings(max_examples=200)
@given(vhd, st.floats(min_value=20, max_value=1000), writes, st.floats(min_value=1.01, max_value=10))
def test_faster_storage_never_slows_a_shared_nothing_move(v, c, w, factor):
    slow = mig.plan_shared_nothing_migration(v, c, w, 4096, 113, 10, writable_working_set_mib=300)
    fast = mig.plan_shared_nothing_migration(v, c * factor, w, 4096, 113, 10, writable_working_set_mib=300)
    assert fast.total_s <= slow.total_s + 1e-9


def test_an_smb_live_migration_hands_the_share_s_file_handles_over_in_the_blackout():
    cluster = mig.plan_live_migration(4096, 113, 20, writable_working_set_mib=300)
    smb = mig.plan_smb_live_migration(4096, 113, 20, files=3, writable_working_set_mib=300)
    assert smb.downtime_s == pytest.approx(cluster.downtime_s + 3 * mig.DEFAULT_SMB_HANDLE_TRANSFER_S)
    assert smb.total_s == pytest.approx(cluster.total_s + 3 * mig.DEFAULT_SMB_HANDLE_TRANSFER_S)
    assert "handles on the share's 3 files" in smb.phase_named("Stop-and-copy").detail
    assert smb.downtime_s < 1  # seed 004: "unresponsive for just milliseconds"
    with pytest.raises(ValueError):
        mig.plan_smb_live_migration(4096, 113, 20, files=0)
