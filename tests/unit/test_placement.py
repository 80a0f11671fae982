from fcm.sim.placement import HOST_RESERVE_MB, LIVE, QUICK, NodeFacts, VmFacts, best_possible_node, ineligibility

INTEL, AMD = "GenuineIntel", "AuthenticAMD"
SAN = frozenset({"VMs"})


def node(name, state="Up", memory=32768, used=0, vendor=INTEL, disks=SAN):
    return NodeFacts(name, state, memory, used, vendor, disks)


VM = VmFacts("vm1", 4096, True, "S1", ("VMs",))


def test_reasons_the_product_gives():
    src = node("S1")
    assert "already on" in ineligibility(VM, src, src, LIVE)
    assert "paused" in ineligibility(VM, node("S2", state="Paused"), src, LIVE)
    assert "down" in ineligibility(VM, node("S2", state="Down"), src, LIVE)
    tight = node("S2", memory=4096 + HOST_RESERVE_MB - 1)
    assert "enough free memory" in ineligibility(VM, tight, src, LIVE)
    assert "cannot reach the storage" in ineligibility(VM, node("S2", disks=frozenset()), src, LIVE)
    amd = node("S2", vendor=AMD)
    assert "not compatible" in ineligibility(VM, amd, src, LIVE)
    assert ineligibility(VM, amd, src, QUICK) is None
    local = VmFacts("vm2", 1024, True, "S1", (None,))
    assert "local storage" in ineligibility(local, node("S2"), src, QUICK)
    assert ineligibility(VM, node("S2"), src, LIVE) is None


def test_a_vm_that_is_off_needs_no_memory_on_the_target():
    off = VmFacts("vm3", 65536, False, "S1", ("VMs",))
    assert ineligibility(off, node("S2", memory=8192), node("S1"), LIVE) is None


def test_best_possible_node_prefers_owners_then_free_memory():
    nodes = [node("S1"), node("S2", used=20000), node("S3", used=1000), node("S4", state="Paused")]
    assert best_possible_node(VM, nodes) == "S3"
    assert best_possible_node(VM, nodes, preferred=("S4", "S2")) == "S2"
    assert best_possible_node(VM, [node("S1"), node("S2", state="Down")]) is None


def test_batch_reservations_spread_the_vms():
    nodes = [node("S1"), node("S2", memory=16384), node("S3", memory=16384)]
    assert best_possible_node(VM, nodes) == "S2"
    assert best_possible_node(VM, nodes, reserved_mb={"S2": 4096}) == "S3"


def test_ties_go_to_the_first_node_in_order():
    nodes = [node("S1"), node("S2", used=1000), node("S3", used=1000)]
    assert best_possible_node(VM, nodes) == "S2"
