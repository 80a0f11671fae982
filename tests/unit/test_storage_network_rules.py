"""fcm.sim.disks and the Properties rules of fcm.sim.networks: pure, so every case is cheap."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fcm.sim import disks, migration, networks, objectives

NODES = ("HV-A", "HV-B")


def lun(name="Archive", seen=NODES, pr=True, used=""):
    return disks.LunFacts(name, frozenset(seen), pr, used)


# -- Add Disk --------------------------------------------------------------------------------------

def test_a_lun_every_node_sees_with_reservations_can_be_added():
    assert disks.add_disk_problem(lun(), NODES) == ""


@pytest.mark.parametrize("facts, words", [
    (lun(seen=("HV-A",)), "not visible to every node of the cluster: HV-B cannot see it"),
    (lun(pr=False), "does not support SCSI-3 persistent reservations"),
    (lun(used="CL01"), "already a disk of the cluster CL01"),
])
def test_the_reasons_a_lun_cannot_be_added(facts, words):
    assert words in disks.add_disk_problem(facts, NODES)


def test_a_lun_used_by_another_cluster_says_so_before_anything_else():
    assert "already a disk of the cluster OTHER" in disks.add_disk_problem(lun(seen=(), pr=False, used="OTHER"), NODES)


def test_new_disks_are_numbered_after_the_clusters_disks_skipping_names_in_use():
    assert disks.next_disk_names(["Cluster Disk 1", "Cluster Disk 2", "Cluster Disk 3"], 1) == ["Cluster Disk 4"]
    assert disks.next_disk_names(["Cluster Disk 1", "cluster disk 3"], 2) == ["Cluster Disk 4", "Cluster Disk 5"]
    assert disks.next_disk_names(["Quorum", "Cluster Disk 2"], 1) == ["Cluster Disk 3"]
    assert disks.next_disk_names([], 0) == []


@given(st.lists(st.integers(1, 30), unique=True), st.integers(0, 5))
def test_new_disk_names_never_collide(numbers, count):
    existing = [f"Cluster Disk {n}" for n in numbers]
    names = disks.next_disk_names(existing, count)
    assert len(names) == count and not set(names) & set(existing) and len(set(names)) == count


# -- moves -----------------------------------------------------------------------------------------

def reach(name, state="Up", luns=("Data",)):
    return disks.NodeReach(name, state, frozenset(luns))


def test_where_disks_may_move():
    assert disks.disk_move_ineligibility(reach("HV-B"), ["Data"]) == ""
    assert "paused" in disks.disk_move_ineligibility(reach("HV-B", "Paused"), ["Data"])
    assert disks.disk_move_ineligibility(reach("HV-B", "Down"), ["Data"]) == "HV-B is down."
    assert disks.disk_move_ineligibility(reach("HV-B", luns=()), ["Data", "Archive"]) == \
        "HV-B has no working path to Archive, Data."


def test_best_possible_node_is_the_first_eligible_other_node():
    nodes = [reach("HV-C"), reach("HV-A"), reach("HV-B", "Paused")]
    assert disks.best_node_for_disks(nodes, ["Data"], "HV-A") == "HV-C"
    assert disks.best_node_for_disks(nodes, ["Data"], "HV-C") == "HV-A"
    assert disks.best_node_for_disks([reach("HV-A"), reach("HV-B", luns=())], ["Data"], "HV-A") is None


def test_a_group_move_is_one_offline_one_reservation_move_and_one_online():
    plan = disks.plan_group_move(3)
    assert [p.key for p in plan.phases] == ["take-offline", "move-disk", "bring-online"]
    assert [p.state for p in plan.phases] == ["Offline Pending", "Offline", "Online Pending"]
    assert plan.total_s == pytest.approx(migration.DEFAULT_GROUP_OFFLINE_S + migration.DEFAULT_DISK_MOVE_S
                                         + migration.DEFAULT_GROUP_ONLINE_S)
    assert plan.total_s == disks.plan_group_move(1).total_s  # the disks of a group move together
    assert plan.phases[0].end_s == plan.phases[1].start_s and plan.phases[-1].end_s == plan.total_s
    assert "3 disks" in plan.phases[0].detail and "1 disk " in disks.plan_group_move(1).phases[0].detail
    with pytest.raises(ValueError):
        disks.plan_group_move(0)


def test_slower_arbitration_makes_a_longer_move():
    assert disks.plan_group_move(1, disk_move_s=6).total_s > disks.plan_group_move(1).total_s
    assert disks.plan_csv_move().total_s == migration.DEFAULT_DISK_MOVE_S
    assert disks.plan_csv_move().phases[0].key == "move-disk"


# -- drive letters -----------------------------------------------------------------------------------

IN_USE = {"WS08R2-S1": {"C": "local disk", "D": "local disk", "S": "Cluster Disk 4"},
          "WS08R2-S2": {"C": "local disk", "D": "local disk", "T": "Backup"}}


@pytest.mark.parametrize("letter, words", [
    ("S", "S: is in use on WS08R2-S1 (Cluster Disk 4)"), ("t:", "T: is in use on WS08R2-S2 (Backup)"),
    ("c", "C: is in use on WS08R2-S1 (local disk)"), ("1", "Type a drive letter from A to Z."),
    ("", "Type a drive letter from A to Z."), ("AB", "Type a drive letter from A to Z."),
    ("É", "Type a drive letter from A to Z."), ("R", "already has the drive letter R:"),
])
def test_a_letter_in_use_on_any_node_is_refused(letter, words):
    assert words in disks.drive_letter_problem(letter, "R", IN_USE)


def test_free_letters_are_those_no_node_uses():
    free = disks.free_drive_letters(IN_USE)
    assert "E" in free and not {"C", "D", "S", "T"} & set(free) and free == sorted(free)
    assert disks.drive_letter_problem("e:", "R", IN_USE) == ""


# -- a network's Properties ----------------------------------------------------------------------------

def test_the_dialogs_choices_give_the_role():
    assert networks.role_for(True, True) == 3
    assert networks.role_for(True, False) == 1
    assert networks.role_for(False, True) == 0


def test_network_names():
    assert networks.network_name_problem("Storage", ["Cluster Network 1"]) == ""
    assert "already has a network named 'cluster network 1'" in networks.network_name_problem(
        "cluster network 1", ["Cluster Network 1"])
    assert networks.network_name_problem("   ", []) == "Type a name for the network."
    assert "at most 80" in networks.network_name_problem("x" * 81, [])


def test_a_cluster_keeps_one_network_for_heartbeats():
    roles = {1: 3, 2: 1, 3: 0}
    assert networks.network_role_problem(2, 0, roles, {}) == ""
    assert "At least one network" in networks.network_role_problem(1, 0, {1: 3, 2: 0, 3: 0}, {})
    assert "Role 0, 1 or 3" in networks.network_role_problem(1, 2, roles, {})


def test_the_cluster_address_stays_on_a_network_clients_use():
    roles = {1: 3, 2: 1, 3: 0}
    assert "IP address 10.10.0.50 is on this network" in networks.network_role_problem(1, 1, roles, {1: ["10.10.0.50"]})
    # A second address on another client network carries the name: the first may go.
    both = {1: ["10.10.0.50"], 2: ["10.20.0.50"]}
    assert networks.network_role_problem(1, 1, {1: 3, 2: 3, 3: 0}, both) == ""
    assert networks.network_role_problem(2, 1, roles, {1: ["10.10.0.50"]}) == ""


# -- exercise checks over disks and networks ---------------------------------------------------------------

FACTS = objectives.LabFacts(
    disks=({"cluster": "CL01", "name": "Cluster Disk 3", "lun": "Data", "assigned": "Available Storage",
            "owner": "HV-B", "state": "Online", "drive": "E:"},
           {"cluster": "CL01", "name": "Cluster Disk 4", "lun": "Archive", "assigned": "Available Storage",
            "owner": "HV-A", "state": "Online Pending", "drive": ""}),
    networks=({"cluster": "CL01", "name": "Storage", "subnet": "10.30.0.0/24", "role": "None", "state": "Up"},))


@pytest.mark.parametrize("spec, met, detail", [
    ({"check": "disk", "lun": "data", "owner": "hv-b", "state": "Online"}, True, ""),
    ({"check": "disk", "disk": "Cluster Disk 4", "state": "Online"}, False, "Cluster Disk 4's state is Online Pending, not Online"),
    ({"check": "disk", "lun": "Backup"}, False, "There is no cluster disk Backup"),
    ({"check": "disk", "lun": "Data", "cluster": "OTHER"}, False, "There is no cluster disk Data"),
    ({"check": "disk", "lun": "Data", "drive": "E:", "assigned": "Available Storage"}, True, ""),
    ({"check": "network", "subnet": "10.30.0.0/24", "name": "storage", "role": "None"}, True, ""),
    ({"check": "network", "subnet": "10.30.0.0/24", "role": "Cluster Only"}, False, "Storage's role is None, not Cluster Only"),
    ({"check": "network", "network": "Cluster Network 3"}, False, "There is no cluster network Cluster Network 3"),
])
def test_disk_and_network_checks(spec, met, detail):
    result, = objectives.evaluate([{"id": "x", "text": "t", **spec}], FACTS)
    assert (result.met, result.detail) == (met, detail)


def test_a_disk_or_network_check_names_what_it_is_about():
    for check, words in (("disk", "disk or lun"), ("network", "network or subnet")):
        with pytest.raises(objectives.ObjectiveError, match=words):
            objectives.validate({"id": "x", "check": check, "owner": "HV-B"})
    objectives.validate({"id": "x", "check": "disk", "lun": "Data"})
    objectives.validate({"id": "x", "check": "network", "subnet": "10.30.0.0/24"})
