"""Exercise objectives evaluated over plain lab facts; per-trainee variables."""
import pytest

from fcm.sim import objectives as o

FACTS = o.LabFacts(
    roles={"Guest1": {"state": "Online", "owner": "contoso4", "type": "Virtual Machine"}},
    vms={"Guest7": {"state": "Off", "host": "contoso3", "clustered": True}},
    nodes={"contoso3": {"state": "Down", "power": "Off"}},
    clusters={"WS08R2-CL01": {"state": "Running", "quorum": "NodeAndDiskMajority", "witness": "Cluster Disk 1",
                              "csv_enabled": True, "nodes": ["WS08R2-S1", "WS08R2-S2"]}},
    events=((1135, "contoso4", ""), (1069, "", "Guest1")),
    validations=({"nodes": ["HV-A", "HV-B"], "failed": 0, "warnings": 2},),
    replications={"HQ-WEB01": {"state": "Replicating", "health": "Warning"}},
    operations=(("quick-migration", "Guest1", "contoso4"),),
)


def check(**spec):
    spec.setdefault("id", "x")
    o.validate(spec)
    return o.evaluate([spec], FACTS)[0]


def test_role_owner_state_and_how_it_moved():
    assert check(check="role", role="guest1", state="Online", owner="CONTOSO4").met
    assert check(check="role", role="Guest1", owner="contoso4", moved_by="quick-migration").met
    r = check(check="role", role="Guest1", owner="contoso4", moved_by="live-migration")
    assert not r.met and "live-migration" in r.detail
    assert "owner is contoso4" in check(check="role", role="Guest1", owner="contoso3").detail
    assert "no role" in check(check="role", role="Nope").detail


def test_vm_node_cluster_checks():
    assert check(check="vm", vm="Guest7", clustered=True, host="contoso3").met
    assert not check(check="vm", vm="Guest7", state="Running").met
    assert check(check="node", node="contoso3", state="Down", power="Off").met
    assert check(check="cluster", cluster="WS08R2-CL01", quorum="NodeAndDiskMajority", csv_enabled=True,
                 nodes=["ws08r2-s2", "WS08R2-S1"]).met
    assert "witness is Cluster Disk 1" in check(check="cluster", cluster="WS08R2-CL01", witness="Q").detail


def test_events_validation_and_replication():
    assert check(check="event", event_id=1135).met
    assert check(check="event", event_id=1069, role="Guest1").met
    assert not check(check="event", event_id=1135, node="contoso3").met
    assert check(check="validation", nodes=["HV-A", "HV-B"]).met
    assert not check(check="validation", nodes=["HV-A", "HV-B"], warnings_allowed=False).met
    assert not check(check="validation", nodes=["HV-C"]).met
    assert check(check="replication", vm="HQ-WEB01", state="Replicating").met
    assert "health is Warning" in check(check="replication", vm="HQ-WEB01", health="Normal").detail


def test_progress_and_bad_specs():
    results = o.evaluate([{"id": "a", "check": "event", "event_id": 1135},
                          {"id": "b", "check": "event", "event_id": 1177}], FACTS)
    assert [r.met for r in results] == [True, False] and o.progress(results) == 50 and o.progress([]) == 0
    with pytest.raises(o.ObjectiveError, match="check must be one of"):
        o.validate({"id": "a", "check": "magic"})
    with pytest.raises(o.ObjectiveError, match="needs role"):
        o.validate({"id": "a", "check": "role"})
    with pytest.raises(o.ObjectiveError, match="needs an id"):
        o.validate({"check": "role", "role": "x"})


def test_variables_are_repeatable_per_trainee_and_distinct():
    spec = {"node_b": {"choices": ["N1", "N2", "N3"]}, "node_c": {"choices": ["N1", "N2", "N3"]},
            "vm_ip": {"ip": "10.1.0.{20-200}"}}
    a = o.choose_variables(spec, seed=7)
    assert a == o.choose_variables(spec, seed=7)
    assert a["node_b"] != a["node_c"]
    assert a["vm_ip"].startswith("10.1.0.") and 20 <= int(a["vm_ip"].rsplit(".", 1)[1]) <= 200
    seen = {tuple(sorted(o.choose_variables(spec, seed=s).items())) for s in range(20)}
    assert len(seen) > 1  # neighbours get different answers
    text = o.substitute({"text": "Move Guest1 to {node_b}", "owner": "{node_b}", "list": ["{vm_ip}"]}, a)
    assert text == {"text": f"Move Guest1 to {a['node_b']}", "owner": a["node_b"], "list": [a["vm_ip"]]}
    with pytest.raises(o.ObjectiveError, match="unknown variable"):
        o.substitute("{nope}", a)
    with pytest.raises(o.ObjectiveError, match="ip must look like"):
        o.choose_variables({"x": {"ip": "10.1.0.5"}}, seed=1)


MORE = o.LabFacts(
    roles={"HQ-WEB01": {"state": "Online", "owner": "HQ-HV1", "type": "Virtual Machine", "priority": "High"}},
    nodes={"HQ-HV1": {"state": "Paused", "power": "On", "drain": "Completed"}},
    clusters={"WS08R2-CL01": {"state": "Running", "quorum": "NodeAndDiskMajority", "witness": "Quorum",
                              "witness_drive": "Q:", "csv_enabled": True, "nodes": ["WS08R2-S1"],
                              "addresses": ["192.168.100.231"]}},
    validations=({"nodes": ["NODE1", "NODE2", "NODE3"], "failed": 3, "warnings": 1},),
    operations=(("node-restart", "", "HQ-HV2"), ("planned-failover", "", "DR-HV1")),
)


def more(**spec):
    spec.setdefault("id", "x")
    o.validate(spec)
    return o.evaluate([spec], MORE)[0]


def test_priority_drain_witness_drive_and_address():
    assert more(check="role", role="HQ-WEB01", priority="high").met
    assert "priority is High" in more(check="role", role="HQ-WEB01", priority="Low").detail
    assert more(check="node", node="HQ-HV1", drain="Completed").met
    assert more(check="cluster", cluster="WS08R2-CL01", witness_drive="q:", address="192.168.100.231").met
    assert "no address 192.168.100.200" in more(check="cluster", cluster="WS08R2-CL01",
                                                address="192.168.100.200").detail


def test_operation_check_and_a_report_that_need_not_pass():
    assert more(check="operation", kind="node-restart", node="HQ-HV2").met
    assert not more(check="operation", kind="node-restart", node="HQ-HV1").met
    assert more(check="operation", kind="planned-failover").met
    with pytest.raises(o.ObjectiveError, match="an operation check needs kind"):
        o.validate({"id": "x", "check": "operation"})
    assert more(check="validation", nodes=["NODE1", "NODE2", "NODE3"], passing=False).met
    r = more(check="validation", nodes=["NODE1", "NODE2", "NODE3"])
    assert not r.met and "passes" in r.detail
    assert "covers" in more(check="validation", nodes=["NODE4"], passing=False).detail


def test_possible_values_lists_every_address_of_a_range_and_every_choice():
    objectives = o
    assert objectives.possible_values("ip", {"ip": "10.1.0.{20-23}"}) == ["10.1.0.20", "10.1.0.21", "10.1.0.22",
                                                                          "10.1.0.23"]
    assert objectives.possible_values("vm", {"choices": ["A", "B"]}) == ["A", "B"]
    with pytest.raises(objectives.ObjectiveError, match="ip must look like"):
        objectives.possible_values("ip", {"ip": "10.1.0.20"})
    chosen = {objectives.choose_variables({"ip": {"ip": "10.1.0.{20-23}"}}, seed)["ip"] for seed in range(50)}
    assert chosen <= set(objectives.possible_values("ip", {"ip": "10.1.0.{20-23}"}))
