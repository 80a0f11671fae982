"""An exercise's solution as the console's sentences, grouped by objective; the next step to reveal."""
from fcm.sim import objectives
from fcm.training import solution as s


def test_each_kind_of_step_reads_as_the_console_says_it():
    assert s.step_text({"do": "click", "path": ["Servers", "WS08R2-S1", "Virtual Machines", "vWS08-SQL01",
                                                "Save"]}) == \
        "Click Servers \u203a WS08R2-S1 \u203a Virtual Machines \u203a vWS08-SQL01 \u203a Save"
    assert s.step_text({"do": "click", "path": ["Move", "Live Migration", "Select Node..."]}) == \
        "Click Move \u203a Live Migration \u203a Select Node..."
    assert s.step_text({"do": "choose", "path": ["Cluster Use"], "value": "Do not allow"}) == \
        "In Cluster Use, choose \u201cDo not allow\u201d"
    assert s.step_text({"do": "choose", "path": ["Cluster Network 3", "Properties", "Cluster Use"],
                        "value": "Do not allow"}) == \
        "Cluster Network 3 \u203a Properties: in Cluster Use, choose \u201cDo not allow\u201d"
    assert s.step_text({"do": "type", "path": ["Address"], "value": "192.168.100.214"}) == \
        "Type 192.168.100.214 in Address"
    assert s.step_text({"do": "type", "path": ["Name"], "value": "Cluster Network 1"}) == \
        "Type \u201cCluster Network 1\u201d in Name"
    assert s.step_text({"do": "check", "path": ["Features", "Failover Clustering"]}) == \
        "Features: tick Failover Clustering"
    assert s.step_text({"do": "check", "path": ["Failover Clustering"], "value": True}) == "Tick Failover Clustering"
    assert s.step_text({"do": "check", "path": ["Run all tests"], "value": False}) == "Untick Run all tests"
    assert s.step_text({"do": "wait", "value": "Online"}) == "Wait until the console shows Online"
    assert s.step_text({"do": "wait", "path": ["HQ-HV1", "Status"], "value": "Up"}) == \
        "Wait until HQ-HV1 \u203a Status shows Up"


def test_a_step_it_does_not_know_still_reads():
    assert s.step_text({"do": "drag", "path": ["A", "B"], "value": 3}) == "Drag A \u203a B 3"
    assert s.step_text({"do": "type", "path": [], "value": "x"}) == "Type x"
    assert s.step_text({}) == ""
    assert s.describe(None) == [] and s.describe(["not a step", 3]) == []


STEPS = [
    {"objective": "ha", "do": "click", "path": ["Roles", "Configure Role..."], "note": "The VM must be off."},
    {"objective": "ha", "do": "check", "path": ["{vm}"]},
    {"objective": "live", "do": "click", "path": ["{vm}", "Move", "Live Migration", "Select Node..."]},
    {"objective": "gone", "do": "wait", "value": "Online"},
]


def test_steps_are_grouped_under_their_objectives_in_order():
    groups = s.by_objective([("ha", "Make vm HA"), ("quorum", "Quorum"), ("live", "Live-migrate")],
                            objectives.substitute(STEPS, {"vm": "Guest7"}))
    assert [(g["id"], len(g["steps"])) for g in groups] == [("ha", 2), ("quorum", 0), ("live", 1), ("", 1)]
    assert groups[0]["steps"][0] == {"objective": "ha", "text": "Click Roles \u203a Configure Role...",
                                     "note": "The VM must be off."}
    assert groups[0]["steps"][1]["text"] == "Tick Guest7"
    assert groups[-1]["text"] == "Other steps"
    generic = s.by_objective([("live", "x")], objectives.by_variable_name(STEPS))
    assert generic[0]["steps"][0]["text"].startswith("Click \u2039vm\u203a \u203a Move")


def test_the_next_objective_is_the_first_not_met_not_shown_with_steps():
    ids = ["ha", "quorum", "live"]
    assert s.next_objective(ids, done=set(), shown=[], steps=STEPS) == "ha"
    assert s.next_objective(ids, done={"ha"}, shown=[], steps=STEPS) == "live"  # quorum has no steps
    assert s.next_objective(ids, done=set(), shown=["ha"], steps=STEPS) == "live"
    assert s.next_objective(ids, done={"live"}, shown=["ha"], steps=STEPS) is None
    assert s.next_objective(ids, done=set(), shown=[], steps=[]) is None
