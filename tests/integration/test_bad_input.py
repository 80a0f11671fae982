"""Bad input never breaks the console: generated values posted to every wizard step and to the dialogs.

Never a 500; the lab does not change; a form that refuses says why, in
the page it answers with. (Malformed WebSocket frames: test_live_socket.py.)

Every form page of every wizard is reached the way a person reaches it:
the walker fills each page as a browser would submit it (what is ticked,
selected or typed by default) plus the few values a page needs to go on
(server names, an address), and presses Next. Before each generated post
the draft is put back on its page with the answers it had, so every
example hits the page it names. Confirmation pages are left out: their
only input is a checkbox, any value of which means ticked, so a post there
is Finish and rightly changes the lab.
"""
import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings, strategies as st

from fcm.engine.models import Operation
from fcm.inventory.models import (Cluster, ClusterDisk, ClusterEvent, Lab, Network, Node, Role, VirtualHardDisk,
                                  VirtualMachine)
from fcm.wizards.models import WizardDraft
from fcm.wizards.registry import CLUSTER_WIZARDS, WIZARDS

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true", "HX-Target": "dialog-host"}

NASTY = st.one_of(
    st.just(""), st.just(" "), st.text(max_size=40), st.text(min_size=3000, max_size=5000),
    st.sampled_from(["<script>alert(1)</script>", "' OR 1=1 --", "'; DROP TABLE inventory_lab; --", "\u202e\u0000",
                     "-1", "-99999999999999999999", "1e309", "NaN", "0", "3.5", "true", "null", "[]", "{}",
                     "..\\..\\etc\\passwd", "%00", "\U0001F4A5" * 50, "WS08R2-S2", "HV-B", "Q", "192.168.0.999"]),
    st.integers(min_value=-2**63, max_value=2**63).map(str),
)


def fingerprint(lab_id):
    """What a refused post must not change."""
    lab = Lab.objects.get(pk=lab_id)
    return (lab.speed, lab.name,
            sorted(Role.objects.filter(cluster__lab=lab).values_list("name", "state", "owner_node_id", "priority",
                                                                     "failback")),
            sorted(Node.objects.filter(lab=lab).values_list("name", "state", "power_state", "cluster_id")),
            sorted(VirtualMachine.objects.filter(lab=lab).values_list("name", "state", "host_node_id", "memory_mb")),
            sorted(Cluster.objects.filter(lab=lab).values_list(
                "name", "quorum_type", "same_subnet_delay_ms", "same_subnet_threshold", "csv_enabled")),
            Operation.objects.filter(lab=lab).count(), ClusterEvent.objects.filter(lab=lab).count())


def fields_of(html):
    names = re.findall(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"', html)
    return sorted({n for n in names if n not in ("csrfmiddlewaretoken", "action", "cluster")})


STEP = re.compile(r'aria-current="step">([^<]+)<')


class FormDefaults(HTMLParser):
    """What a browser would submit for the page's form as it stands: ticked, selected, typed."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.values, self._select, self._first = {}, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button"):
            kind = a.get("type", "text")
            if kind in ("radio", "checkbox"):
                if "checked" in a:
                    self.values.setdefault(name, []).append(a.get("value") or "on")
            else:
                self.values[name] = [a.get("value") or ""]
        elif tag == "select" and name:
            self._select, self._first = name, None
        elif tag == "option" and self._select:
            if self._first is None:
                self._first = a.get("value", "")
            if "selected" in a:
                self.values[self._select] = [a.get("value", "")]

    def handle_endtag(self, tag):
        if tag == "select" and self._select:
            self.values.setdefault(self._select, [self._first or ""])
            self._select = None


def form_defaults(html):
    parser = FormDefaults()
    parser.feed(html)
    return {k: v for k, v in parser.values.items() if k not in ("csrfmiddlewaretoken", "action")}


@dataclass
class Target:
    lab: int
    url: str
    names: list
    step: str = ""  # the page's title in the step list
    draft: int = None  # WizardDraft to put back on `key` with `data` before each post
    key: str = ""
    data: str = "{}"
    row: dict = None  # the draft's lab, user, kind and cluster, to put it back if it was replaced

    def rewind(self):
        if self.draft:
            state = {"step": self.key, "data": json.loads(self.data), "cancelled": False}
            if not WizardDraft.objects.filter(pk=self.draft).update(**state):
                # A later start of the same wizard replaced it (one open run per user, lab and wizard): back it comes.
                WizardDraft.objects.open().filter(**{k: v for k, v in self.row.items() if k != "cluster_id"}).delete()
                WizardDraft.objects.create(pk=self.draft, **self.row, **state)


def walk(client, lab, kind, query="", answers=None):
    """Every form page of one wizard, in order, as a Target; `answers`: step key -> values it needs to go on."""
    answers = dict(answers or {})
    url = reverse("wizards:start", args=[lab.pk, kind]) + query
    html = client.get(url, headers=HX).content.decode()
    known = set(WizardDraft.objects.filter(lab=lab).values_list("pk", flat=True))
    draft, targets, seen = None, [], []
    confirm, progress = WIZARDS[kind].confirm_step, WIZARDS[kind].progress_step
    while True:
        key = draft.step if draft else WIZARDS[kind].steps[0].key
        if key in (confirm, progress) or len(seen) > 12:
            break
        seen.append(key)
        names = fields_of(html)
        title = STEP.search(html)
        if names:
            targets.append(Target(lab.pk, url, names, title.group(1) if title else "", draft.pk if draft else None, key,
                                  json.dumps(draft.data) if draft else "{}",
                                  {"lab_id": draft.lab_id, "user_id": draft.user_id, "kind": draft.kind,
                                   "cluster_id": draft.cluster_id} if draft else None))
        values = {**form_defaults(html), **answers.pop(key, {})}
        html = client.post(url, {**values, "action": "next"}, headers=HX).content.decode()
        if draft is None:
            draft = WizardDraft.objects.filter(lab=lab).exclude(pk__in=known).order_by("-created_at").first()
            assert draft is not None, (kind, html[:2000])
            url = reverse("wizards:draft", args=[lab.pk, draft.pk])
        else:
            draft.refresh_from_db()
        assert draft.step != key, f"{kind}: stuck on {key}: " + " | ".join(
            re.findall(r'class="field-error[^"]*"[^>]*>([^<]*)<', html))
    assert not answers, f"{kind}: pages never reached: {sorted(answers)}"
    assert key == confirm, (kind, seen, key)
    return targets


def first_pages(client, lab, cluster):
    """The first form page of every wizard: the lab's own wizards may stop at Select Servers."""
    out = []
    for kind in WIZARDS:
        query = f"?cluster={cluster.pk}" if kind in CLUSTER_WIZARDS else ""
        start = reverse("wizards:start", args=[lab.pk, kind]) + query
        html = client.get(start, headers=HX).content.decode()
        names = fields_of(html)
        if not names:  # Before You Begin: Next
            html = client.post(start, {"action": "next", "cluster": cluster.pk}, headers=HX).content.decode()
            draft = WizardDraft.objects.filter(lab=lab, kind=kind).order_by("-created_at").first()
            start = reverse("wizards:draft", args=[lab.pk, draft.pk]) if draft else start
            names = fields_of(html)
        if names:
            step = STEP.search(html)
            out.append(Target(lab.pk, start, names, step.group(1) if step else ""))
    return out


def dialogs(lab, cluster):
    role = Role.objects.filter(cluster=cluster).order_by("pk").first()
    node = Node.objects.filter(cluster=cluster).order_by("pk").first()
    c = [lab.pk, cluster.pk]
    return [
        reverse("console:role-move", args=[*c, role.pk, "live"]),
        reverse("console:role-move", args=[*c, role.pk, "quick"]),
        reverse("console:role-properties", args=[*c, role.pk]),
        reverse("console:cluster-properties", args=c),
        reverse("console:live-migration-settings", args=c),
        reverse("console:role-power", args=[*c, role.pk]),
        reverse("console:node-action", args=[*c, node.pk]),
        reverse("console:clock", args=[lab.pk]),
    ]


def r2_world(client, lab, request):
    """2008 R2: the first page of every wizard and every dialog; Validate (test selection) and Quorum whole."""
    cluster = lab.clusters.get()
    targets = first_pages(client, lab, cluster)
    assert len(targets) >= 6, targets
    for url in dialogs(lab, cluster):
        html = client.get(url, headers=HX).content.decode()
        targets.append(Target(lab.pk, url, fields_of(html) or ["action"]))
    targets += walk(client, lab, "validate", answers={
        "servers": {"names": "WS08R2-S1, WS08R2-S2"}, "options": {"mode": "selected"}, "selection": {}})
    targets += walk(client, lab, "quorum", f"?cluster={cluster.pk}", answers={
        "option": {"option": "NodeAndFileShareMajority"}, "witness_config": {"file_share": r"\\FS01\witness"}})
    return targets


def world_2008(client, lab, request):
    """2008: High Availability for a virtual machine, and New Virtual Machine, every page."""
    cluster = lab.clusters.get()
    guest7 = VirtualMachine.objects.get(lab=lab, name="Guest7")
    return walk(client, lab, "configure-role", f"?cluster={cluster.pk}", answers={
        "role": {"role_type": "Virtual Machine"}, "vms": {"vms": [guest7.pk]}}) + walk(
        client, lab, "new-vm", f"?cluster={cluster.pk}", answers={
            "node": {"node": Node.objects.get(lab=lab, name="contoso4").pk},
            "name": {"name": "Guest8", "other_location": "on", "location": r"H:\VMs"}, "memory": {"memory_mb": 2048},
            "disk": {"vhd": "create", "vhd_path": r"H:\VMs\Guest8\Guest8.vhd", "vhd_size_gb": 30},
            "install": {"install": "later"}})


def fresh_world(client, lab, request):
    """2012, no cluster yet: Create Cluster every page; then a one-node cluster for Add Node, Quorum and a broker."""
    create_cluster_now = request.getfixturevalue("create_cluster_now")
    public = Network.objects.get(lab=lab, name="Public")
    targets = walk(client, lab, "create-cluster", answers={
        "servers": {"names": "HV-A;HV-B"}, "warning": {"run_validation": "no"},
        "access": {"name": "CL2012", f"use_{public.pk}": "on", f"address_{public.pk}": "10.10.0.50"}})
    cluster = create_cluster_now(client, lab, names="HV-A")
    query = f"?cluster={cluster.pk}"
    data_disk = ClusterDisk.objects.get(cluster=cluster, disk__name="Data")
    return targets + walk(client, lab, "add-node", query, answers={
        "servers": {"names": "HV-B"}, "warning": {"confirm": "no"}}) + walk(client, lab, "quorum", query, answers={
            "option": {"option": "witness"}, "witness": {"witness": "disk"}, "witness_config": {"disk": data_disk.pk}}) + walk(
        client, lab, "configure-role", query, answers={
            "role": {"role_type": "Hyper-V Replica Broker"}, "access": {"name": "REPLICA-BRK", "ip": "10.10.0.80"}})


def replica_world(client, lab, request):
    """Replica: Enable Replication, every page, on 2012 and on a 2012 R2 copy (which asks for the frequency)."""
    from fcm.engine import labfile
    data = labfile.read(labfile.lab_path("replica-dr-2012"))
    for item in data["nodes"] + data["clusters"]:
        item["os_version"] = "2012R2"
    r2 = labfile.load(labfile.lab_path("replica-dr-2012"), lab.owner, name="replica-dr-2012r2", data=data)
    targets = []
    for each, extra in ((lab, {}), (r2, {"frequency": {"frequency_s": "30"}})):
        hq = Cluster.objects.get(lab=each, name="HQ-CL")
        role = Role.objects.get(cluster=hq, name="HQ-WEB01")
        vhd = VirtualHardDisk.objects.get(virtual_machine__lab=each, virtual_machine__name="HQ-WEB01",
                                          virtual_machine__host_node__site="HQ")
        targets += walk(client, each, "enable-replication", f"?cluster={hq.pk}&subject={role.pk}", answers={
            "server": {"replica_server": "DR-BROKER.contoso.com"}, "connection": {"port": "80", "auth": "Kerberos"},
            "vhds": {"vhds": [vhd.pk]}, "points": {"keep": "hourly", "additional": "4"},
            "initial": {"method": "network", "when": "now"}, **extra})
    # Hyper-V Manager's Move Wizard, on a VM in no cluster between two standalone hosts.
    standalone = labfile.load(labfile.lab_path("shared-nothing-2012"), lab.owner)
    Node.objects.filter(lab=standalone, name="HV02").update(vm_migration_enabled=True)
    vm = VirtualMachine.objects.get(lab=standalone, name="APP01")
    targets += walk(client, standalone, "move-vm", f"?subject={vm.pk}", answers={"destination": {"name": "HV02"}})
    # Hyper-V Manager's New > Virtual Machine on a 2012 R2 server in no cluster (Specify Generation).
    r2_hosts = labfile.load(labfile.lab_path("shared-nothing-2012r2"), lab.owner)
    hv01 = Node.objects.get(lab=r2_hosts, name="HV01")
    targets += walk(client, r2_hosts, "new-vm", f"?subject={hv01.pk}", answers={
        "name": {"name": "WEB09"}, "generation": {"generation": "2"}, "memory": {"memory_mb": 2048},
        "disk": {"vhd": "create", "vhd_path": r"D:\VMs\WEB09\WEB09.vhdx", "vhd_size_gb": 30},
        "install": {"install": "later"}})
    return targets


# Each world: the fixture of its lab, and its builder(client, lab, request) -> the targets (the test's
# request gives a builder the other fixtures it needs).
WORLDS = {"2008r2": ("r2_lab", r2_world), "2008": ("lab_2008", world_2008),
          "2012-fresh": ("fresh_lab", fresh_world), "2012-replica": ("replica_lab", replica_world)}
_TARGETS = {}


@pytest.fixture
def fresh_lab(owner):
    from fcm.engine import labfile
    return labfile.load(labfile.lab_path("two-node-fresh-2012"), owner)


@pytest.mark.parametrize("world", WORLDS)
@settings(max_examples=80, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(data=st.data())
def test_generated_values_everywhere_change_nothing_and_never_fail(request, client, owner, world, data):
    client.force_login(owner)
    fixture, build = WORLDS[world]
    lab = request.getfixturevalue(fixture)
    if (lab.pk, lab.created_at) not in _TARGETS:  # once per lab: the examples share its database state
        _TARGETS[lab.pk, lab.created_at] = build(client, lab, request)
    target = data.draw(st.sampled_from(_TARGETS[lab.pk, lab.created_at]), label="target")
    values = {name: data.draw(NASTY, label=name) for name in target.names}
    target.rewind()
    before = fingerprint(target.lab)
    response = client.post(target.url, {**values, "action": values.get("action", "next")}, headers=HX)
    assert response.status_code < 500
    assert response.status_code in (200, 204, 302, 400, 403, 404, 405)
    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html  # escaped wherever it is shown back
    assert fingerprint(target.lab) == before, (target, values)
    # Refused and shown again: the page says why (a wizard on the same page, or a dialog).
    again = (target.step and f'aria-current="step">{target.step}<' in html) or 'id="action-dialog"' in html
    if response.status_code == 200 and again and "<form" in html and values:
        assert 'class="field-error' in html or 'role="alert"' in html or "errorlist" in html, (target, values)


def test_the_walk_reaches_every_form_page_of_every_wizard(request, client, owner, r2_lab, lab_2008, replica_lab,
                                                           fresh_lab):
    """The generated posts above cover each wizard's every page that has a form, bar confirmations."""
    client.force_login(owner)
    reached = set()
    for fixture, build in WORLDS.values():
        lab = {"r2_lab": r2_lab, "lab_2008": lab_2008, "replica_lab": replica_lab, "fresh_lab": fresh_lab}[fixture]
        for target in build(client, lab, request):
            reached.add((target.row["kind"], target.key) if target.row else None)
    expected = {(kind, step.key) for kind, wizard in WIZARDS.items() for step in wizard.steps
                if step.form_class and step.key not in (wizard.confirm_step, wizard.steps[0].key)}
    assert expected - reached == set()


def test_digits_that_are_not_numbers_are_refused_not_a_500(client, owner, r2_lab):
    """'²' passes str.isdigit but not int(); 5,000 digits pass neither int() nor a row id. Every dialog
    that reads a number from a post refuses them as it refuses any other non-number."""
    client.force_login(owner)
    cluster = r2_lab.clusters.get()
    c = [r2_lab.pk, cluster.pk]
    vm = Role.objects.filter(cluster=cluster, type=Role.Type.VIRTUAL_MACHINE).order_by("pk").first()
    net = cluster.cluster_networks.order_by("pk").first()
    before = fingerprint(r2_lab.pk)
    sel = {"HX-Request": "true", "HX-Target": "selection"}
    settings_url = reverse("console:live-migration-settings", args=c)
    for data, message in (({"allowed": ["\u00b2"], "simultaneous": "2"}, "Select at least one network"),
                          ({"allowed": [net.pk], "simultaneous": "\u00b2"}, "from 1 to 64"),
                          ({"allowed": [net.pk], "simultaneous": "9" * 5000}, "from 1 to 64"),
                          ({"order": ["\u00b2"], "allowed": [net.pk], "simultaneous": "9" * 19}, "from 1 to 64")):
        response = client.post(settings_url, data, headers=HX)
        assert response.status_code == 200 and message in response.content.decode()
    response = client.post(reverse("console:role-move-storage", args=[*c, vm.pk]), {"target": "abc"}, headers=sel)
    assert "Select the destination volume." in response.content.decode()
    assert client.get(reverse("console:roles-selection", args=c) + "?ids=\u00b2", headers=sel).status_code == 404
    move_many = reverse("console:roles-move", args=[*c, "live"]) + f"?ids={vm.pk},\u00b2"
    response = client.post(move_many, {"target": "\u00b2"}, headers=sel)
    assert "Choose Best Possible Node or one of the nodes." in response.content.decode()
    events = client.get(reverse("console:events", args=c) + "?event_id=\u00b2", headers=HX).content.decode()
    assert "is not an event ID" in events
    assert fingerprint(r2_lab.pk) == before
