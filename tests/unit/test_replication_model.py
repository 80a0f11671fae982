"""Hyper-V Replica model: delta sizes, cycles, health, resync, data loss, recovery points."""
from datetime import datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from fcm.sim import replication as r


def test_frequencies_and_recovery_points_by_version():
    assert r.frequencies(3) == (300,) and r.frequencies(4) == (30, 300, 900)
    assert r.max_recovery_points(3) == 15 and r.max_recovery_points(5) == 24
    assert r.frequency_label(30) == "30 seconds" and r.frequency_label(300) == "5 minutes"


@given(st.floats(1, 3600), st.floats(1, 3600), st.floats(0.01, 200), st.floats(64, 100_000))
def test_delta_grows_with_interval_and_rate_up_to_the_working_set(t1, t2, rate, working_set):
    lo, hi = sorted((t1, t2))
    assert r.delta_mib(lo, rate, working_set) <= r.delta_mib(hi, rate, working_set) + 1e-9
    assert r.delta_mib(lo, rate, working_set) <= r.delta_mib(lo, rate * 2, working_set) + 1e-9
    assert r.delta_mib(hi, rate, working_set) <= working_set + 1e-9


def test_a_short_interval_sends_about_rate_times_time():
    assert abs(r.delta_mib(30, 2.0, 10_000) - 60) < 1  # rewrites barely matter yet
    assert r.delta_mib(0, 5, 100) == 0 and r.delta_mib(300, 0, 100) == 0


def test_cycle_sends_within_the_interval_or_is_missed():
    ok = r.cycle(0, 50, 300, 100)
    assert not ok.missed and ok.pending_mib == 0 and 0 < ok.duration_s < 300
    # 10 Mbit/s, 5 minutes: about 644 MiB of compressed payload fit; 2,000 MiB do not.
    slow = r.cycle(0, 2000, 300, 10)
    assert slow.missed and 0 < slow.pending_mib < 2000 and slow.duration_s == 300
    down = r.cycle(100, 50, 300, 100, link_up=False)
    assert down.missed and down.sent_mib == 0 and down.pending_mib == 150


@given(st.floats(0, 5000), st.floats(0, 5000), st.sampled_from([30, 300, 900]), st.floats(1, 10_000))
def test_a_cycle_never_loses_or_invents_data(pending, delta, interval, mbps):
    c = r.cycle(pending, delta, interval, mbps)
    assert abs(c.sent_mib + c.pending_mib - (pending + delta)) < 1e-6
    assert c.missed == (c.pending_mib > 0)


def test_compression_halves_the_transfer_time():
    assert abs(r.transfer_s(100, 100, True) * 2 - r.transfer_s(100, 100, False)) < 1e-9
    # 40 GB of VHD over a 100 Mbit/s WAN with compression: about half an hour.
    assert 1800 < r.initial_replication_s(40 * 1024 ** 3, 100) < 2000


def test_health_thresholds():
    assert r.health(successful=10, missed=2, since_last_sync_s=60).level == r.NORMAL  # 16.7 %
    warn = r.health(successful=7, missed=3, since_last_sync_s=60)
    assert warn.level == r.WARNING and "more than 20%" in warn.reasons[0]
    assert r.health(successful=10, missed=0, since_last_sync_s=3601).level == r.WARNING
    assert r.health(successful=0, missed=0, since_last_sync_s=None, initial_done=False).level == r.WARNING
    assert r.health(successful=10, missed=0, since_last_sync_s=10, can_send=False).level == r.CRITICAL
    assert r.health(successful=10, missed=0, since_last_sync_s=10, resync=True).level == r.CRITICAL


def test_resync_when_the_log_passes_half_the_vhd():
    assert not r.resync_required(500, 1000) and r.resync_required(501, 1000) and not r.resync_required(5, 0)


def test_data_loss_window():
    t = datetime(2012, 9, 4, 10, 0, tzinfo=timezone.utc)
    assert r.data_loss_s(t, t - timedelta(minutes=4, seconds=12)) == 252
    assert r.data_loss_s(t, None) is None


def test_recovery_points_keep_the_latest_and_one_per_hour():
    points = [h * 3600 + m * 300 for h in range(6) for m in range(12)]
    now = points[-1]
    assert r.recovery_points_to_keep(points, 0, now) == [now]
    kept = r.recovery_points_to_keep(points, 3, now)
    assert kept[-1] == now and len(kept) == 4
    assert all(k % 3600 == 0 for k in kept[:-1])
