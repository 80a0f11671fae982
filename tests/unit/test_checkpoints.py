"""fcm.sim.checkpoints: names per version, files, how long taking and merging take, and which files a
deletion merges (property-based: a chain keeps every checkpoint it still holds)."""
from datetime import datetime

from hypothesis import given, strategies as st

from fcm.sim import checkpoints as rules


def test_snapshots_until_2012_checkpoints_from_2012_r2_and_types_from_2016():
    assert [rules.term(o) for o in (2, 3, 4, 5)] == ["Snapshot", "Snapshot", "Checkpoint", "Checkpoint"]
    assert rules.default_type(4) == "Standard" and rules.default_type(5) == "Production"


def test_the_default_name_is_the_vm_and_the_time_it_was_taken():
    assert rules.default_name("APP01", datetime(2026, 12, 2, 18, 5, 9)) == "APP01 - (12/2/2026 - 6:05:09 PM)"
    assert rules.default_name("APP01", datetime(2026, 1, 3, 0, 0, 1)) == "APP01 - (1/3/2026 - 12:00:01 AM)"
    assert len(rules.default_name("x" * 120, datetime(2026, 1, 1))) == rules.MAX_NAME


def test_a_differencing_disk_sits_beside_its_parent_with_a_guid_and_the_right_extension():
    vhdx = rules.differencing_path(r"D:\VMs\APP01.vhdx", "1-1")
    assert vhdx.startswith("D:\\VMs\\APP01_") and vhdx.endswith(".avhdx")
    assert rules.differencing_path(r"D:\VMs\APP01.vhdx", "1-1") == vhdx  # the same seed, the same file
    assert rules.differencing_path(vhdx, "2-1").startswith("D:\\VMs\\APP01_")  # never APP01_<a>_<b>
    assert rules.differencing_path(r"C:\VMs\OLD.vhd", "3-1").endswith(".avhd")
    # a name with "_" of its own keeps it: only the GUID suffix is replaced
    first = rules.differencing_path(r"D:\VMs\SQL_Data.vhdx", "4-1")
    assert first.startswith("D:\\VMs\\SQL_Data_")
    assert rules.differencing_path(first, "5-1").startswith("D:\\VMs\\SQL_Data_")


def test_a_standard_checkpoint_of_a_running_vm_takes_as_long_as_writing_its_memory():
    fast = rules.taking(4, "Standard", True, 4096, 1, 400, 1.5)
    slow = rules.taking(4, "Standard", True, 4096, 1, 100, 1.5)
    assert fast.saves_memory and slow.seconds > 3.5 * fast.seconds
    off = rules.taking(4, "Standard", False, 4096, 1, 100, 1.5)
    assert not off.saves_memory and off.seconds < 1
    saved = rules.taking(5, "Production", False, 4096, 1, 100, 1.5, has_memory=True)
    assert saved.type == "Standard" and saved.saves_memory  # no VSS in a saved guest: a standard one
    production = rules.taking(5, "Production", True, 4096, 1, 100, 1.5)
    assert production.type == "Production" and not production.saves_memory and production.seconds < slow.seconds


def test_a_version_without_types_always_takes_standard_checkpoints():
    assert rules.taking(4, "Production", True, 1024, 1, 100, 1).type == "Standard"


def test_applying_brings_a_vm_back_saved_only_from_a_standard_checkpoint_with_memory():
    assert rules.state_after_apply("Standard", True) == "Saved"
    assert rules.state_after_apply("Standard", False) == "Off"
    assert rules.state_after_apply("Production", False) == "Off"


def test_a_merge_reads_and_writes_every_block_and_a_busy_guest_slows_it():
    idle = rules.merge_seconds(1024 * 1024 ** 2, 200)
    assert idle == 1024 / 100
    assert rules.merge_seconds(1024 * 1024 ** 2, 200, disk_write_mib_s=50) > idle
    assert rules.merge_seconds(1024 * 1024 ** 2, 200, disk_write_mib_s=500) < float("inf")


def test_a_differencing_disk_grows_with_the_guests_writes_up_to_the_disks_size():
    assert rules.grown_bytes(0, 10 * 1024 ** 3, 1.0, 60) == 60 * 1024 ** 2
    assert rules.grown_bytes(0, 1024 ** 3, 100.0, 3600) == 1024 ** 3 + 4 * 1024 ** 2


def test_deleting_the_only_checkpoint_merges_the_current_disk_into_the_base():
    parents = {"base": None, "now": "base"}
    assert rules.merges(parents, {"base": "C1", "now": None}, {"C1"}, active=["now"]) == [("now", "base")]


def test_a_file_with_two_children_stays_until_one_branch_is_gone():
    """After Take Checkpoint and Apply: C2 kept the old state in "a", the VM grew "now" under C1's base."""
    parents = {"base": None, "a": "base", "now": "base"}
    frozen = {"base": "C1", "a": "C2", "now": None}
    assert rules.merges(parents, frozen, {"C1"}, active=["now"]) == []
    # C2 gone as well: its file is dropped (nothing grew from it), then "now" merges into the base
    assert rules.merges(parents, frozen, {"C1", "C2"}, active=["now"]) == [("a", None), ("now", "base")]


def test_files_nothing_needs_are_dropped_before_anything_merges():
    """A -> B -> C taken, A applied ("now" under A), then B and C deleted: B's and C's files go, nothing is
    read, so nothing merges."""
    parents = {"base": None, "b": "base", "c": "b", "now": "base", "cur": "c"}
    frozen = {"base": "A", "b": "B", "c": "C", "now": None, "cur": None}
    del parents["cur"], frozen["cur"]  # the differencing disk C's state grew was discarded by the Apply
    assert rules.merges(parents, frozen, {"B", "C"}, active=["now"]) == [("c", None), ("b", None)]


def test_a_middle_checkpoint_merges_the_next_file_into_it():
    parents = {"base": None, "a": "base", "b": "a", "now": "b"}
    frozen = {"base": "C1", "a": "C2", "b": "C3", "now": None}
    assert rules.merges(parents, frozen, {"C2"}, active=["now"]) == [("b", "a")]


@st.composite
def chains(draw):
    """A random chain tree: files f0..fn, each frozen by its own checkpoint, the last one the active file."""
    n = draw(st.integers(1, 8))
    parents = {"f0": None}
    for i in range(1, n):
        parents[f"f{i}"] = f"f{draw(st.integers(0, i - 1))}"
    leaves = [f for f in parents if f not in parents.values()]
    parents["now"] = draw(st.sampled_from(list(parents)))
    frozen = {f: f"C{f[1:]}" for f in parents if f != "now"}
    frozen["now"] = None
    # a leaf frozen file is a checkpoint nobody grew from: the tree never has one that is not the active's
    del leaves
    deleted = draw(st.sets(st.sampled_from(sorted(c for c in frozen.values() if c))))
    return parents, frozen, deleted


def _ancestors(parents, f):
    out = []
    while parents.get(f) is not None:
        f = parents[f]
        out.append(f)
    return out


@given(chains())
def test_every_kept_checkpoint_and_the_current_state_survive_any_deletion(chain):
    parents, frozen, deleted = chain
    pairs = rules.merges(parents, frozen, deleted, active=["now"])
    # replay the merges: the child's content goes into the parent, which takes over what the child held
    tree = dict(parents)
    holds = {f: (c if c not in deleted else None) for f, c in frozen.items()}
    holds["now"] = "NOW"
    for child, parent in pairs:
        if parent is None:  # dropped: it held nothing and nothing grew from it
            assert holds.pop(child) is None and child not in tree.values()
            del tree[child]
            continue
        assert tree[child] == parent and holds[parent] is None
        assert [c for c, p in tree.items() if p == parent] == [child]
        holds[parent] = holds.pop(child)
        for c, p in list(tree.items()):
            if p == child:
                tree[c] = parent
        del tree[child]
    kept = {c for c in frozen.values() if c and c not in deleted} | {"NOW"}
    held = [h for h in holds.values() if h]
    assert sorted(held) == sorted(kept)  # each kept checkpoint, and the current state, in exactly one file
    # nothing left to merge or drop: a file holding nothing is one several others grew from
    for f in tree:
        if holds[f] is None:
            assert sum(1 for p in tree.values() if p == f) >= 2
    # the checkpoints keep their order: a kept checkpoint's kept ancestors are still its ancestors
    where = {h: f for f, h in holds.items() if h}
    original = {h: f for f, h in frozen.items() if h} | {"NOW": "now"}
    for c in kept:
        before = [frozen[a] for a in _ancestors(parents, original[c]) if frozen[a] in kept]
        after = [holds[a] for a in _ancestors(tree, where[c]) if holds[a]]
        assert before == after
