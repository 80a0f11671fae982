"""Partitions, the side with quorum, compute resiliency; CSV access when paths fail."""
from hypothesis import given
from hypothesis import strategies as st

from fcm.sim import membership as m
from fcm.sim import quorum as q
from fcm.sim import storage_paths as sp


def test_partitions_follow_shared_networks_transitively():
    links = {"A": {"public"}, "B": {"public", "private"}, "C": {"private"}, "D": set()}
    assert m.partitions(links) == [frozenset("ABC"), frozenset("D")]


def test_a_cut_network_splits_four_nodes_two_and_two():
    links = {"N1": {"sw1"}, "N2": {"sw1"}, "N3": {"sw2"}, "N4": {"sw2"}}
    parts = m.partitions(links)
    assert parts == [frozenset({"N1", "N2"}), frozenset({"N3", "N4"})]
    votes = {n: 1 for n in links}
    # Node Majority: 2 of 4 is not a majority; neither side runs.
    assert m.surviving_partition(parts, votes, 4) is None
    # With a disk witness, the side that arbitrates for it runs.
    w = m.Witness(q.NODE_AND_DISK, frozenset(links), owner="N3")
    assert m.surviving_partition(parts, votes, 5, w) == frozenset({"N3", "N4"})
    # A file share witness goes to one side only.
    fsw = m.Witness(q.NODE_AND_FILE_SHARE)
    assert m.surviving_partition(parts, votes, 5, fsw) == frozenset({"N1", "N2"})


def test_the_majority_side_runs_and_the_isolated_node_stops():
    links = {"A": {"n"}, "B": {"n"}, "C": set()}
    parts = m.partitions(links)
    assert m.surviving_partition(parts, {n: 1 for n in links}, 3) == frozenset("AB")


def test_disk_witness_owner_without_a_path_loses_the_arbitration():
    parts = [frozenset("A"), frozenset("B")]
    w = m.Witness(q.NODE_AND_DISK, frozenset("B"), owner="A")
    assert m.surviving_partition(parts, {"A": 1, "B": 1}, 3, w) == frozenset("B")
    offline = m.Witness(q.NODE_AND_DISK, frozenset("AB"), owner="A", online=False)
    assert m.surviving_partition(parts, {"A": 1, "B": 1}, 3, offline) is None


def test_disk_only_runs_where_the_disk_is():
    parts = [frozenset("AB"), frozenset("C")]
    w = m.Witness(q.DISK_ONLY, frozenset("C"), owner="C")
    assert m.surviving_partition(parts, {}, 1, w) == frozenset("C")


@given(st.dictionaries(st.sampled_from("ABCDEFG"), st.sets(st.sampled_from(["x", "y", "z"])), min_size=1),
       st.sampled_from([q.NODE_MAJORITY, q.NODE_AND_DISK, q.NODE_AND_FILE_SHARE]))
def test_never_two_partitions_with_quorum(links, mode):
    parts = m.partitions(links)
    assert sorted(n for p in parts for n in p) == sorted(links)
    votes = {n: 1 for n in links}
    total = len(links) + (0 if mode == q.NODE_MAJORITY else 1)
    w = m.Witness(mode, frozenset(links), owner=min(links))
    holder = m.witness_partition(parts, w)
    with_quorum = [p for p in parts
                   if q.has_quorum(sum(votes[n] for n in p) + (1 if p == holder else 0), total)]
    assert len(with_quorum) <= 1  # the witness votes once: two disjoint sides never both hold a majority
    assert m.surviving_partition(parts, votes, total, w) == (with_quorum[0] if with_quorum else None)


def test_resiliency_is_2016_and_later_for_transient_faults_only():
    assert m.resilient(5, transient=True) and not m.resilient(4, transient=True)
    assert not m.resilient(7, transient=False)
    assert not m.quarantines(2) and m.quarantines(3) and not m.quarantines(5, threshold=0)


def test_csv_access_direct_redirected_and_lost():
    running = {"A", "B", "C"}
    assert sp.csv_access(running, {"A", "B", "C"}) == {"A": sp.DIRECT, "B": sp.DIRECT, "C": sp.DIRECT}
    access = sp.csv_access(running, {"A", "C"})
    assert access["B"] == sp.REDIRECTED and sp.volume_status(access) == "Online (Redirected Access)"
    assert set(sp.csv_access(running, set()).values()) == {sp.NO_ACCESS}
    gone = sp.csv_access(running, {"A"}, lun_online=False)
    assert set(gone.values()) == {sp.NO_ACCESS} and sp.volume_status(gone) == "Failed"


def test_owner_moves_to_a_node_with_a_path():
    assert sp.owner_for("A", {"A", "B"}, {"A", "B"}) == "A"
    assert sp.owner_for("A", {"A", "B", "C"}, {"C", "B"}) == "B"
    assert sp.owner_for("A", {"A"}, set()) is None
    assert sp.owner_for("A", {"A"}, {"A"}, lun_online=False) is None
