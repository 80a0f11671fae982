import pytest
from hypothesis import given
from hypothesis import strategies as st

from fcm.sim import quorum as q


def test_majority():
    assert q.has_quorum(2, 3) and not q.has_quorum(1, 2) and not q.has_quorum(2, 4) and q.has_quorum(3, 5)
    assert not q.has_quorum(0, 0)


@pytest.mark.parametrize("nodes,mode,expected", [
    (2, q.NODE_MAJORITY, 0), (2, q.NODE_AND_DISK, 1), (3, q.NODE_MAJORITY, 1), (3, q.NODE_AND_DISK, 1),
    (4, q.NODE_MAJORITY, 1), (4, q.NODE_AND_DISK, 2), (5, q.NODE_MAJORITY, 2), (16, q.NODE_MAJORITY, 7),
    (16, q.NODE_AND_DISK, 8), (2, q.DISK_ONLY, 1),
])
def test_static_quorum_survival(nodes, mode, expected):
    s = q.survivable_failures(nodes, mode)
    assert s.simultaneous == expected and s.sequential == expected


@pytest.mark.parametrize("nodes", range(2, 17))
@pytest.mark.parametrize("witness", [False, True])
def test_survival_for_2_to_16_nodes(nodes, witness):
    mode = q.NODE_AND_DISK if witness else q.NODE_MAJORITY
    static = q.survivable_failures(nodes, mode)
    # Static: more than half of all votes must stay.
    total = nodes + (1 if witness else 0)
    assert static.simultaneous == (total - 1) // 2
    dynamic = q.survivable_failures(nodes, mode, dynamic_quorum=True, dynamic_witness=True)
    assert dynamic.sequential == nodes - 1  # last man standing
    assert dynamic.simultaneous >= (nodes - 1) // 2


def test_reference_outcomes_with_dynamic_quorum():
    # fcm.md 4.3: 2+W survives 1; 4 nodes: two at once is 50/50 (worst case no); 4+W: two at once yes.
    assert q.survivable_failures(2, q.NODE_AND_DISK, True, True).simultaneous == 1
    assert q.survivable_failures(4, q.NODE_MAJORITY, True, True).simultaneous == 1
    assert q.survivable_failures(4, q.NODE_AND_DISK, True, True).simultaneous == 2
    assert q.survivable_failures(5, q.NODE_MAJORITY, True, True).simultaneous == 2


def test_dynamic_witness_and_vote_zeroing():
    v = q.current_votes({"a": 1, "b": 1}, q.NODE_AND_DISK, True, True)
    assert v.witness_vote == 1 and v.total == 3
    v = q.current_votes({"a": 1, "b": 1, "c": 1}, q.NODE_AND_DISK, True, True)
    assert v.witness_vote == 0 and v.total == 3
    v = q.current_votes({"a": 1, "b": 1}, q.NODE_MAJORITY, True, False)
    assert v.node_votes == {"a": 1, "b": 0}
    assert q.current_votes({"a": 1, "b": 1}, q.DISK_ONLY).total == 1


def test_automatic_configuration():
    gb = 1024 ** 3
    disks = [("Quorum", gb // 2), ("VMs", 1024 * gb), ("Tiny", 100 * 1024 ** 2)]
    assert q.automatic_configuration(2, disks, 2) == (q.NODE_AND_DISK, "Quorum")
    assert q.automatic_configuration(3, disks, 2) == (q.NODE_MAJORITY, None)
    assert q.automatic_configuration(3, disks, 4) == (q.NODE_AND_DISK, "Quorum")
    assert q.automatic_configuration(2, [("Tiny", 100 * 1024 ** 2)], 2) == (q.NODE_MAJORITY, None)
    assert q.modes_for(2) == [q.NODE_MAJORITY, q.NODE_AND_DISK, q.NODE_AND_FILE_SHARE, q.DISK_ONLY]
    assert q.NODE_AND_CLOUD in q.modes_for(5)


def test_survival_sentence():
    assert q.Survival(0, 0).sentence() == "The cluster cannot survive the failure of any node."
    assert q.Survival(1, 3).sentence() == ("The cluster survives the failure of 1 node at the same time, "
                                           "and of 3 nodes failing one after another.")


@given(st.integers(min_value=1, max_value=4 * 1024 ** 4))
def test_a_witness_is_warned_about_exactly_below_512_mb(size):
    warning = q.witness_size_warning("Cluster Disk 1", size)
    assert bool(warning) == (size < 512 * 1024 * 1024)
    if warning:
        assert warning.startswith("Cluster Disk 1 is smaller than 512 MB")


def test_create_cluster_skips_the_500_mb_lun_for_the_smallest_disk_of_512_mb_or_more():
    disks = [("Quorum", 500 * 1024 ** 2), ("VMs", 1024 ** 4), ("DTC", 200 * 1024 ** 2), ("SQL", 500 * 1024 ** 3)]
    assert q.automatic_configuration(2, disks, 2) == (q.NODE_AND_DISK, "SQL")
