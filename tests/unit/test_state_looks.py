"""States carry their presentation: every presented enum member has an icon of the sprite and a colour,
and the console's template tags read them from the enum."""
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template

from fcm.console.templatetags.fcm_console import role_icon, state_icon
from fcm.inventory import looks
from fcm.inventory.models import (Cluster, ClusterDisk, ClusterEvent, ClusterNetwork, Node, Replication, Resource,
                                  Role, VirtualMachine)
from fcm.sim import placement, replication, storage_paths, validation
from fcm.engine.models import ValidationReport
from fcm.wizards.models import PhaseStatus

SPRITE = Path(settings.BASE_DIR) / "static" / "fcm" / "icons.svg"
SPRITE_IDS = set(re.findall(r'<symbol id="([^"]+)"', SPRITE.read_text()))

#: The states of the datacenter: each shows an icon in the console.
STATE_ENUMS = [Node.State, Node.PowerState, VirtualMachine.State, Role.State, Resource.State, ClusterDisk.State,
               ClusterDisk.Access, ClusterNetwork.State, Cluster.State, Replication.State, Replication.Health,
               ClusterEvent.Level, ValidationReport.Outcome]
#: The wizards' progress words; some are shown without an icon.
WIZARD_ENUMS = [ValidationReport.TestStatus, PhaseStatus]


def all_presented(base=looks.Presented):
    found = []
    for sub in base.__subclasses__():
        if list(sub):
            found.append(sub)
        found += all_presented(sub) if sub.__subclasses__() else []
    return found


def members(enums):
    return [pytest.param(m, id=f"{e.__qualname__}.{m.name}") for e in enums for m in e]


def test_the_sprite_is_read():
    assert {"up", "down", "failed", "pending", "off"} <= SPRITE_IDS


def test_every_presented_enum_is_checked_here():
    product = {e for e in all_presented() if e.__module__.startswith("fcm.")}
    assert product == set(STATE_ENUMS + WIZARD_ENUMS)


@pytest.mark.parametrize("member", members(STATE_ENUMS))
def test_every_state_has_an_icon_of_the_sprite_and_a_colour(member):
    assert member.icon in SPRITE_IDS
    assert member.colour in looks.Colour
    assert member.look == (member.icon, member.colour)


@pytest.mark.parametrize("member", members(WIZARD_ENUMS))
def test_wizard_words_have_a_colour_and_an_icon_of_the_sprite_or_none(member):
    assert member.icon in SPRITE_IDS | {""}
    assert member.colour in looks.Colour


def test_each_icon_has_one_colour():
    colours = {}
    for member in (m for e in STATE_ENUMS + WIZARD_ENUMS for m in e if m.icon):
        colours.setdefault(member.icon, set()).add(member.colour)
    assert {icon: c for icon, c in colours.items() if len(c) > 1} == {}


def test_a_member_without_a_look_is_refused():
    with pytest.raises(TypeError, match="needs a Look"):
        class Bare(looks.PresentedTextChoices):
            UP = "Up", "Up"


def test_values_and_labels_stay_the_fields_choices():
    assert Node.State.UP == "Up" and Node.State.UP.label == "Up"
    assert Node.State.choices[0] == ("Up", "Up")
    assert Role.State.PARTIAL_ONLINE.label == "Partially Online"
    assert ClusterEvent.Level.CRITICAL == 1 and ClusterEvent.Level.choices[0] == (1, "Critical")
    assert Node.State("Paused") is Node.State.PAUSED
    assert Node.State.coerce("Paused") is Node.State.PAUSED
    assert Node.State.coerce(Node.State.DOWN) is Node.State.DOWN
    assert Node.State.coerce("") is None and Node.State.coerce(None) is None


# The icons the console showed when its template tag kept them by display string: they must not change.
OLD_NODE = {"Up": "up", "Down": "down", "Paused": "paused", "Joining": "pending", "Isolated": "warning",
            "Quarantined": "failed"}
OLD_VM = {"Running": "up", "Off": "off", "Saved": "off", "Paused": "paused",
          "Starting": "pending", "Stopping": "pending", "Saving": "pending", "Resuming": "pending",
          # since: Hyper-V Manager's Pause (Servers)
          "Pausing": "pending"}
OLD_GENERIC = {"Online": "up", "Offline": "down", "Failed": "failed", "Up": "up", "Down": "down",
               "Partitioned": "warning", "Unavailable": "down", "Online Pending": "pending",
               "Offline Pending": "pending"}
OLD_ROLE = {"Online": "up", "Offline": "down", "Failed": "failed", "PartialOnline": "warning", "Pending": "pending"}


@pytest.mark.parametrize("enum, old", [
    (Node.State, OLD_NODE), (VirtualMachine.State, OLD_VM), (Resource.State, OLD_GENERIC),
    (ClusterDisk.State, OLD_GENERIC), (ClusterNetwork.State, OLD_GENERIC), (Role.State, OLD_ROLE),
    (Cluster.State, {"Running": "up", "Down": "down"}), (Node.PowerState, {"On": "up", "Off": "off", "Restarting": "pending"}),
    (ClusterDisk.Access, {"Direct": "up", "Redirected": "warning", "No access": "failed"}),
    (Replication.Health, {"Normal": "up", "Warning": "warning", "Critical": "critical"}),
    (ClusterEvent.Level, {1: "critical", 2: "failed", 3: "warning", 4: "info", 5: "info"}),
    (ValidationReport.TestStatus, {"Success": "up", "Warning": "warning", "Failed": "failed", "Running": "pending",
                                   "Not Applicable": "", "Canceled": "", "Pending": ""}),
    (PhaseStatus, {"Completed": "up", "In progress": "pending", "Canceled": "", "Pending": ""}),
    (ValidationReport.Outcome, {"success": "up", "warnings": "warning", "canceled": "warning", "failed": "failed"}),
])
def test_icons_are_the_ones_the_console_showed(enum, old):
    assert {m.value: m.icon for m in enum} == {v: i for v, i in old.items() if v in enum.values}
    assert set(enum.values) <= set(old)


def test_the_simulators_words_are_members():
    assert placement.UP == Node.State.UP
    assert {storage_paths.DIRECT, storage_paths.REDIRECTED, storage_paths.NO_ACCESS} == set(ClusterDisk.Access.values)
    assert {replication.NORMAL, replication.WARNING, replication.CRITICAL} == set(Replication.Health.values)
    assert {validation.SUCCESS, validation.WARNING, validation.FAILED, validation.NA, validation.CANCELED} \
        <= set(ValidationReport.TestStatus.values)
    outcomes = {validation.overall(s) for s in ([validation.SUCCESS], [validation.WARNING], [validation.FAILED])}
    assert outcomes <= set(ValidationReport.Outcome.values)


class Probe(looks.PresentedTextChoices):
    """A state whose look no table outside it could know."""

    ODD = "Up", "Up", looks.Look("replica", looks.Colour.BLUE)


def test_the_tag_asks_the_enum():
    assert state_icon("Up", Probe) == "replica"
    assert state_icon(Probe.ODD) == "replica"
    assert state_icon("Up", Node.State) == "up"
    assert state_icon(Node.State.QUARANTINED) == "failed"
    assert state_icon("Saved", VirtualMachine.State) == "off"


def test_the_tag_shows_info_for_a_blank_or_unknown_value():
    assert state_icon("", Node.State) == "info"
    assert state_icon("Sleeping", Node.State) == "info"
    assert state_icon(None) == "info"


def test_the_tag_refuses_a_bare_value_without_its_enum():
    with pytest.raises(TypeError, match="needs the enum"):
        state_icon("Up")


def render(source, **context):
    return Template("{% load fcm_console %}" + source).render(Context(context))


def test_templates_render_the_enums_icon_exactly_as_before():
    html = render("{% icon n.state|state_icon:n.State %}", n=Node(state="Isolated"))
    assert html == '<svg class="ico ico-warning" aria-hidden="true"><use href="/static/fcm/icons.svg#warning"></use></svg>'
    assert render("{% icon p.power_state|state_icon:p.PowerState %}", p=Node(power_state="Off")).count("ico-off") == 1
    assert 'ico-pending' in render("{% icon s|state_icon %}", s=PhaseStatus.IN_PROGRESS)


def test_templates_compare_with_members():
    node = Node(state="Up", power_state="Off")
    assert render("{% if n.state == n.State.UP %}up{% endif %}", n=node) == "up"
    assert render("{% if n.power_state == n.PowerState.OFF %}off{% endif %}", n=node) == "off"
    assert render("{% if n.state == n.State.PAUSED %}paused{% endif %}", n=node) == ""


def test_role_icon_reads_the_vms_state_from_2012_and_the_groups_before():
    modern, old = Cluster(os_version="2012"), Cluster(os_version="2008R2")
    vm = VirtualMachine(state=VirtualMachine.State.SAVED)
    for cluster, state, expected in [(modern, Role.State.OFFLINE, "off"), (modern, Role.State.FAILED, "failed"),
                                     (old, Role.State.OFFLINE, "down"), (old, Role.State.PARTIAL_ONLINE, "warning")]:
        role = Role(cluster=cluster, state=state, type=Role.Type.VIRTUAL_MACHINE)
        role.virtual_machine = vm
        assert role_icon(role) == expected, (cluster.os_version, state)
    assert role_icon(Role(cluster=modern, state=Role.State.PENDING, type=Role.Type.FILE_SERVER)) == "pending"
