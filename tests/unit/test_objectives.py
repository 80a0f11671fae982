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
    assert check(check="role", role="Guest1", owner="contoso3").reason == "Guest1's Owner Node is contoso4, not contoso3"
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
    assert "Replication Health is Warning, not Normal" in check(check="replication", vm="HQ-WEB01",
                                                                health="Normal").reason


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
    assert more(check="cluster", cluster="WS08R2-CL01", address="192.168.100.200").reason == \
        "WS08R2-CL01's address is 192.168.100.231, not 192.168.100.200"


def test_operation_check_and_a_report_that_need_not_pass():
    assert more(check="operation", kind="node-restart", node="HQ-HV2").met
    assert not more(check="operation", kind="node-restart", node="HQ-HV1").met
    assert more(check="operation", kind="planned-failover").met
    with pytest.raises(o.ObjectiveError, match="an operation check needs kind"):
        o.validate({"id": "x", "check": "operation"})
    assert more(check="validation", nodes=["NODE1", "NODE2", "NODE3"], passing=False).met
    r = more(check="validation", nodes=["NODE1", "NODE2", "NODE3"])
    assert not r.met and r.reason == "Last validation of NODE1, NODE2, NODE3: 3 tests failed"
    assert more(check="validation", nodes=["NODE4"], passing=False).reason == \
        "No validation of NODE4 yet: the last one tested NODE1, NODE2, NODE3"


def test_possible_values_lists_every_address_of_a_range_and_every_choice():
    objectives = o
    assert objectives.possible_values("ip", {"ip": "10.1.0.{20-23}"}) == ["10.1.0.20", "10.1.0.21", "10.1.0.22",
                                                                          "10.1.0.23"]
    assert objectives.possible_values("vm", {"choices": ["A", "B"]}) == ["A", "B"]
    with pytest.raises(objectives.ObjectiveError, match="ip must look like"):
        objectives.possible_values("ip", {"ip": "10.1.0.20"})
    chosen = {objectives.choose_variables({"ip": {"ip": "10.1.0.{20-23}"}}, seed)["ip"] for seed in range(50)}
    assert chosen <= set(objectives.possible_values("ip", {"ip": "10.1.0.{20-23}"}))


# -- why an objective is not met, in the console's words -------------------------------------

WORDS = {"role_state": {"Online": "Online", "PartialOnline": "Partially Online"},
         "drain": {"In Progress": "Draining", "Completed": "Drain Completed", "Failed": "Drain Failed"},
         "quorum": {"NodeMajority": "Node Majority", "NodeAndDiskMajority": "Node and Disk Majority"},
         "replication_state": {"Replicating": "Replication Enabled",
                               "InitialReplicationInProgress": "Initial Replication in Progress"},
         "operation": {"live-migration": "Live Migration", "node-restart": "Node Restart",
                       "planned-failover": "Planned Failover"}}

LAB = o.LabFacts(
    roles={"HQ-SQL01": {"state": "PartialOnline", "owner": "HQ-HV2", "type": "Virtual Machine", "priority": "Medium"},
           "HQ-WEB01": {"state": "Online", "owner": "", "type": "Virtual Machine", "priority": "High"}},
    vms={"vWS08-SQL01": {"state": "Running", "host": "WS08R2-S1", "clustered": False},
         "HQ-SQL01": {"state": "Running", "host": "HQ-HV2", "clustered": True}},
    nodes={"HQ-HV1": {"state": "Paused", "power": "On", "drain": "In Progress"},
           "HQ-HV2": {"state": "Down", "power": "Off", "drain": ""},
           "NODE3": {"state": "", "power": "On", "drain": ""}},
    clusters={"WS08R2-CL01": {"state": "Running", "quorum": "NodeMajority", "witness": "Cluster Disk 4",
                              "witness_drive": "S:", "csv_enabled": False, "nodes": ["WS08R2-S1", "NODE3"],
                              "addresses": ["192.168.100.200"]},
              "HQ-CL": {"state": "Running", "quorum": "NodeMajority", "witness": "", "witness_drive": "",
                        "csv_enabled": True, "nodes": [], "addresses": []}},
    events=((1135, "HQ-HV1", ""),),
    validations=({"nodes": ["NODE1", "NODE2"], "failed": 2, "warnings": 1},
                 {"nodes": ["NODE1", "NODE2", "NODE3"], "failed": 1, "warnings": 3}),
    replications={"HQ-FILE01": {"state": "InitialReplicationInProgress", "health": "Warning"}},
    operations=(("live-migration", "HQ-SQL01", "HQ-HV2"), ("node-restart", "", "HQ-HV2")),
    words=WORDS,
)


def reason(**spec):
    spec.setdefault("id", "x")
    o.validate(spec)
    result = o.evaluate([spec], LAB)[0]
    assert result.met is (result.reason == "") and result.detail == result.reason
    return result.reason


def test_every_check_has_its_reasons():
    assert set(o._CHECKS) == set(o.CHECKS)


def test_role_reasons():
    assert reason(check="role", role="vWS08-SQL01") == "vWS08-SQL01 is not a cluster role yet"
    assert reason(check="role", role="Nope") == "There is no role Nope"
    assert reason(check="role", role="HQ-SQL01", state="Online") == "HQ-SQL01 is Partially Online, not Online"
    assert reason(check="role", role="HQ-SQL01", owner="HQ-HV1") == "HQ-SQL01's Owner Node is HQ-HV2, not HQ-HV1"
    assert reason(check="role", role="HQ-WEB01", owner="HQ-HV1") == "HQ-WEB01 has no Owner Node (it should be HQ-HV1)"
    assert reason(check="role", role="HQ-SQL01", priority="High") == "HQ-SQL01's priority is Medium, not High"
    assert reason(check="role", role="HQ-WEB01", moved_by="live-migration") == \
        "No Live Migration of HQ-WEB01 has completed yet"
    assert reason(check="role", role="HQ-SQL01", owner="HQ-HV2", moved_by="quick-migration") == \
        "No quick-migration of HQ-SQL01 to HQ-HV2 has completed yet"  # a kind without a word: as stored
    assert reason(check="role", role="hq-sql01", owner="hq-hv2", moved_by="live-migration") == ""


def test_vm_reasons():
    assert reason(check="vm", vm="vWS08-SQL01", clustered=True) == "vWS08-SQL01 is not a cluster role yet"
    assert reason(check="vm", vm="HQ-SQL01", clustered=False) == "HQ-SQL01 is still a cluster role"
    assert reason(check="vm", vm="vWS08-SQL01", state="Off") == "vWS08-SQL01 is Running, not Off"
    assert reason(check="vm", vm="vWS08-SQL01", host="WS08R2-S2") == "vWS08-SQL01 is on WS08R2-S1, not WS08R2-S2"
    assert reason(check="vm", vm="Nope", state="Off") == "There is no virtual machine Nope"
    assert reason(check="vm", vm="vWS08-SQL01", moved_by="live-migration") == \
        "No Live Migration of vWS08-SQL01 has completed yet"


def test_node_reasons():
    assert reason(check="node", node="HQ-HV1", drain="Completed") == "HQ-HV1 shows Draining, not Drain Completed"
    assert reason(check="node", node="HQ-HV2", drain="Completed") == "HQ-HV2 has not been drained yet"
    assert reason(check="node", node="HQ-HV1", state="Up") == "HQ-HV1 is Paused, not Up"
    assert reason(check="node", node="NODE3", state="Up") == "NODE3 is not a node of a cluster"
    assert reason(check="node", node="HQ-HV2", power="On") == "HQ-HV2 is powered off, not on"
    assert reason(check="node", node="NODE9") == "There is no server NODE9"


def test_cluster_reasons():
    assert reason(check="cluster", cluster="WS08R2-CL01", witness_drive="Q:") == \
        "The witness is Cluster Disk 4 (S:), not Q:"
    assert reason(check="cluster", cluster="WS08R2-CL01", witness="Cluster Disk 1") == \
        "The witness is Cluster Disk 4 (S:), not Cluster Disk 1"
    assert reason(check="cluster", cluster="HQ-CL", witness_drive="Q:") == "HQ-CL has no disk witness (it should be Q:)"
    assert reason(check="cluster", cluster="WS08R2-CL01", quorum="NodeAndDiskMajority") == \
        "WS08R2-CL01's quorum configuration is Node Majority, not Node and Disk Majority"
    assert reason(check="cluster", cluster="WS08R2-CL01", csv_enabled=True) == \
        "Cluster Shared Volumes are not enabled on WS08R2-CL01"
    assert reason(check="cluster", cluster="HQ-CL", csv_enabled=False) == "Cluster Shared Volumes are enabled on HQ-CL"
    assert reason(check="cluster", cluster="WS08R2-CL01", address="192.168.100.214") == \
        "WS08R2-CL01's address is 192.168.100.200, not 192.168.100.214"
    assert reason(check="cluster", cluster="HQ-CL", address="10.0.0.9") == "HQ-CL has no IP address (it should be 10.0.0.9)"
    assert reason(check="cluster", cluster="WS08R2-CL01", nodes=["WS08R2-S1", "WS08R2-S2"]) == \
        "WS08R2-S2 is not a node of WS08R2-CL01; NODE3 should not be a node of WS08R2-CL01"
    assert reason(check="cluster", cluster="HQ-CL", nodes=["A", "B"]) == "A, B are not nodes of HQ-CL"
    assert reason(check="cluster", cluster="WS08R2-CL01", state="Down") == "WS08R2-CL01 is Running, not Down"
    assert reason(check="cluster", cluster="NEW-CL") == "There is no cluster NEW-CL yet"


def test_event_operation_validation_and_replication_reasons():
    assert reason(check="event", event_id=1135, node="HQ-HV2") == "No event 1135 from HQ-HV2 in Cluster Events yet"
    assert reason(check="event", event_id=1069, role="HQ-SQL01") == "No event 1069 about HQ-SQL01 in Cluster Events yet"
    assert reason(check="event", event_id=1135) == ""
    assert reason(check="operation", kind="node-restart", node="HQ-HV1") == "No Node Restart of HQ-HV1 has completed yet"
    assert reason(check="operation", kind="planned-failover") == "No Planned Failover has completed yet"
    assert reason(check="operation", kind="live-migration", role="HQ-WEB01", node="HQ-HV1") == \
        "No Live Migration of HQ-WEB01 to HQ-HV1 has completed yet"
    # Reports come newest first: the last validation of these servers is the one that failed.
    assert reason(check="validation", nodes=["NODE1", "NODE2"]) == "Last validation of NODE1, NODE2: 2 tests failed"
    assert reason(check="validation", nodes=["NODE1", "NODE3"]) == \
        "Last validation of NODE1, NODE2, NODE3: 1 test failed"
    assert reason(check="validation", nodes=["NODE1", "NODE3"], passing=False) == ""
    warned = o.LabFacts(validations=({"nodes": ["A", "B"], "failed": 0, "warnings": 3},
                                     {"nodes": ["A", "B"], "failed": 2, "warnings": 0}))
    spec = {"id": "v", "check": "validation", "nodes": ["A", "B"], "warnings_allowed": False}
    assert o.evaluate([spec], warned)[0].reason == "Last validation of A, B: 3 warnings"
    assert o.evaluate([{**spec, "warnings_allowed": True}], warned)[0].met
    assert reason(check="validation", nodes=["NODE4"]) == "No validation of NODE4 yet: the last one tested NODE1, NODE2"
    assert o.evaluate([{"id": "v", "check": "validation", "nodes": ["A"]}], o.LabFacts())[0].reason == \
        "No validation of A has been run yet"
    one = o.LabFacts(validations=({"nodes": ["A", "B"], "failed": 1, "warnings": 0},))
    assert o.evaluate([{"id": "v", "check": "validation", "nodes": ["A", "B"]}], one)[0].reason == \
        "Last validation of A, B: 1 test failed"
    assert reason(check="replication", vm="HQ-WEB01") == "Replication is not enabled for HQ-WEB01"
    assert reason(check="replication", vm="HQ-FILE01", state="Replicating") == \
        "HQ-FILE01's Replication State is Initial Replication in Progress, not Replication Enabled"
    assert reason(check="replication", vm="HQ-FILE01", health="Normal") == \
        "HQ-FILE01's Replication Health is Warning, not Normal"


def test_by_variable_name_names_each_variable():
    assert o.by_variable_name({"text": "Create WS08R2-CL01 at {cluster_ip}", "n": ["{vm}", 3, True]}) == \
        {"text": "Create WS08R2-CL01 at \u2039cluster_ip\u203a", "n": ["\u2039vm\u203a", 3, True]}


HOSTS = o.LabFacts(nodes={
    "HV-A": {"state": "", "power": "On", "live_migrations": "Enabled", "authentication": "Kerberos",
             "performance": "TCP/IP", "migration_networks": ["10.20.0.0/24"]},
    "HV-B": {"state": "", "power": "On", "live_migrations": "Disabled", "authentication": "CredSSP",
             "performance": "TCP/IP", "migration_networks": "any"}})


@pytest.mark.parametrize("node,spec,reason", [
    ("HV-A", {"live_migrations": "Enabled", "authentication": "kerberos",
              "migration_networks": ["10.20.0.0/24"]}, ""),
    ("HV-B", {"live_migrations": "Enabled"}, "HV-B: incoming and outgoing live migrations are not enabled"),
    ("HV-A", {"live_migrations": "Disabled"}, "HV-A: incoming and outgoing live migrations are enabled"),
    ("HV-B", {"authentication": "Kerberos"}, "HV-B authenticates live migrations with CredSSP, not Kerberos"),
    ("HV-A", {"performance": "Compression"},
     "HV-A's live migration performance option is TCP/IP, not Compression"),
    ("HV-B", {"migration_networks": ["10.20.0.0/24"]},
     "HV-B accepts incoming live migrations on any network, not only on 10.20.0.0/24"),
    ("HV-A", {"migration_networks": "any"}, "HV-A accepts incoming live migrations only on 10.20.0.0/24"),
    ("HV-A", {"migration_networks": ["10.10.0.0/24"]},
     "HV-A accepts incoming live migrations on 10.20.0.0/24, not on 10.10.0.0/24"),
    ("HV-B", {"migration_networks": "any"}, ""),
])
def test_a_hosts_hyper_v_settings(node, spec, reason):
    spec = {"id": "x", "check": "node", "node": node, **spec}
    o.validate(spec)
    assert o.evaluate([spec], HOSTS)[0].reason == reason


def test_a_checkpoint_count_and_its_reason_in_the_versions_word():
    facts = o.LabFacts(vms={"APP01": {"state": "Running", "host": "HV01", "clustered": False, "checkpoints": 0,
                                      "checkpoint_term": "Snapshot"}})
    spec = {"id": "s", "text": "Take a snapshot", "check": "vm", "vm": "APP01", "checkpoints": 1}
    [result] = o.evaluate([spec], facts)
    assert not result.met and result.reason == "APP01 has no snapshot yet"
    facts.vms["APP01"]["checkpoints"] = 1
    assert o.evaluate([spec], facts)[0].met
    [result] = o.evaluate([{**spec, "checkpoints": 2}], facts)
    assert result.reason == "APP01 has 1 snapshot, not 2"


SHARED = o.LabFacts(vms={"APP02": {"state": "Running", "host": "HV02", "files": "\\\\FS01\\VMs\\APP02"}},
                    shares={"\\\\FS01\\VMs": {"full_access": ["HV01"]}})


def test_a_vms_files_and_a_shares_full_control():
    met = lambda **spec: o.evaluate([{"id": "x", **spec}], SHARED)[0]  # noqa: E731
    assert met(check="vm", vm="APP02", files_in="\\\\fs01\\vms\\").met
    assert met(check="vm", vm="APP02", files_in="\\\\FS01\\VMs\\APP02").met
    assert met(check="vm", vm="APP02", files_in="\\\\FS01\\VM").reason == \
        "APP02's files are in \\\\FS01\\VMs\\APP02, not in \\\\FS01\\VM"
    assert met(check="share", share="\\\\fs01\\vms", full_access=["hv01"]).met
    assert met(check="share", share="\\\\FS01\\VMs", full_access=["HV01", "HV02"]).reason == \
        "HV02 has no Full Control of \\\\FS01\\VMs yet"
    assert met(check="share", share="\\\\FS02\\VMs").reason == "There is no share \\\\FS02\\VMs"
    with pytest.raises(o.ObjectiveError, match="a share check needs share"):
        o.validate({"id": "x", "check": "share"})


def test_a_vms_switch_and_a_hosts_switches():
    facts = o.LabFacts(vms={"WEB03": {"state": "Off", "host": "HV02", "switch": "Isolated", "vcpus": 1,
                                      "memory_mb": 2048, "generation": 1}},
                       nodes={"HV02": {"switches": ["External", "Isolated"]}})
    met = lambda **spec: o.evaluate([{"id": "x", **spec}], facts)[0]  # noqa: E731
    assert met(check="vm", vm="WEB03", switch="isolated").met
    assert met(check="vm", vm="WEB03", switch="External").reason == "WEB03 is connected to Isolated, not External"
    assert met(check="node", node="HV02", switch="ISOLATED").met
    assert met(check="vm", vm="WEB03", memory_mb=2048).met
    assert met(check="vm", vm="WEB03", generation=2).reason == "WEB03 is a generation 1 virtual machine, not 2"
    assert met(check="vm", vm="WEB03", vcpus=2).reason == "WEB03 has 1 virtual processors, not 2"
    assert met(check="node", node="HV02", switch="Lab").reason == "HV02 has no virtual switch named Lab"
