"""Every URL the product serves, with malformed ids and values: never a 500, the lab unchanged.

The cases are generated from the URL configuration (`get_resolver().url_patterns`, walked
recursively), so a route added later is covered without touching this file. A route whose path
names something this file cannot yet give a real value for fails `test_every_route_has_cases`
instead of being skipped: add its segment to `REAL`.

For each route, signed in as the owner of a lab (and trainer of a session):
- each id in the path in turn replaced by a malformed one (0, 10**30, letters, a negative, unicode,
  a very long number): a 404 (or the route's own refusal), never a 500;
- GET and POST with every query/body name the route's page shows plus the names views read
  (cluster, target, ids, ...) set to malformed values, and with none at all;
and the lab is what it was whenever the answer is a refusal (4xx, or a form shown again with its
message).
"""
import re
import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern

from fcm.engine.events import log_event
from fcm.engine.models import Operation, Outbox, ValidationReport
from fcm.inventory.models import (Checkpoint, Cluster, ClusterDisk, ClusterEvent, ClusterNetwork, FileShare, Lab,
                                  NetworkAdapter, Node,
                                  ReplicaAuthorization, ReplicaServer, Replication, Role, VirtualMachine, WanLink)
from fcm.training import classroom
from fcm.training.models import TRAINERS_GROUP, TrainingSession
from fcm.wizards.models import WizardDraft

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true", "HX-Target": "dialog-host"}

#: What views read from query strings and bodies besides the fields their pages show.
READ_NAMES = ("cluster", "subject", "target", "ids", "node", "page", "tab", "q", "action", "best", "format", "test",
              "kind", "trainee", "frame", "shown", "connect", "download", "event_id", "code", "name", "speed")

#: Malformed values: letters, negative, huge, empty, unicode digits, control/bidi characters, very long.
BAD_VALUES = ("abc", "-1", str(10**30), "", "\u00b2", "\u202e\u0000x", "9" * 5000)

#: Malformed path values for an <int:...> converter (the rest cannot match it and are a 404 by the resolver).
BAD_INTS = (0, 10**18 - 1, 10**30)
BAD_STRS = ("abc", "-1", "\u00e9\u00e8\u202e", "x" * 2000, str(10**30))


def walk(patterns, prefix="", namespace="", convs=None):
    """(route text, name, converters by parameter) of every pattern under `patterns`. A regular expression's
    groups (the administration's app index) become <name> parameters that match what their group matches."""
    for p in patterns:
        here = {**(convs or {}), **getattr(p.pattern, "converters", {})}
        text = str(p.pattern)
        if isinstance(p.pattern, RegexPattern):
            for group in p.pattern.regex.groupindex:
                here[group] = None  # no converter: any value is matched or not by the expression itself
            text = re.sub(r"\(\?P<([^>]+)>[^)]*\)", r"<\1>", text).strip("^$")
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from walk(p.url_patterns, prefix + text, ns, here)
        elif isinstance(p, URLPattern):
            yield prefix + text, namespace + (p.name or ""), here


PARAM = re.compile(r"<(?:(?P<conv>[^>:]+):)?(?P<name>[^>]+)>")


def segments(route):
    """Each parameter of a route with the literal path segment before it ('roles' for roles/<int:pk>/)."""
    out, last = [], ""
    for part in route.split("/"):
        m = PARAM.fullmatch(part)
        if m:
            out.append((m["name"], last))
        elif part:
            last = part
    return out


# A real value for each parameter, found by the path segment before it (or the parameter's name).
REAL = {
    "labs": lambda w: w["lab"].pk,
    "clusters": lambda w: w["cluster"].pk,
    "roles": lambda w: w["role"].pk,
    "move": lambda w: "live",
    "resources": lambda w: w["role"].resources.order_by("pk").first().pk,
    "resource": lambda w: "offline",
    "wan": lambda w: w["wan"].pk,
    "nodes": lambda w: w["node"].pk,
    "adapters": lambda w: w["adapter"].pk,
    "disks": lambda w: w["disk"].pk,
    "cluster-shared-volumes": lambda w: w["disk"].pk,
    "networks": lambda w: w["network"].pk,
    "events": lambda w: w["event"].pk,
    "incidents": lambda w: w["incident"].pk,
    "servers": lambda w: w["node"].pk,
    "vms": lambda w: w["vm"].pk,
    "checkpoints": lambda w: w["checkpoint"].pk,
    "shares": lambda w: w["share"].pk,
    "hyper-v": lambda w: w["node"].pk,
    "wizards": lambda w: "validate",
    "wizard": lambda w: w["draft"].pk,
    "validation-reports": lambda w: w["report"].pk,
    "operations": lambda w: w["operation"].pk,
    "join": lambda w: w["session"].code,
    "login": lambda w: "no-such-token",
    "sessions": lambda w: w["session"].pk,
    "trainees": lambda w: w["trainee"].pk,
    "action": lambda w: "broadcast",
}
#: Admin routes: one real object of the lab's (the owner is no staff: every one answers the sign-in redirect).
ADMIN = {"app_label": lambda w: "inventory", "id": lambda w: w["owner"].pk, "object_id": lambda w: w["lab"].pk,
         "content_type_id": lambda w: 1, "url": lambda w: "inventory/lab/", "model": lambda w: "lab"}


def real_for(name, segment):
    if name in ADMIN:
        return ADMIN[name]
    return REAL.get(segment) or REAL.get(name)


@pytest.fixture
def world(owner, replica_lab, client):
    owner.groups.add(Group.objects.get_or_create(name=TRAINERS_GROUP)[0])
    lab = replica_lab
    cluster = Cluster.objects.filter(lab=lab).order_by("pk").first()
    role = Role.objects.filter(cluster=cluster, type=Role.Type.VIRTUAL_MACHINE).order_by("pk").first()
    node = Node.objects.filter(cluster=cluster).order_by("pk").first()
    session = classroom.start_session(owner, "quick-migration-2008")
    trainee = classroom.join(session, "Ann")
    draft = WizardDraft.objects.create(lab=lab, user=owner, kind="validate", step="servers")
    op = Operation.objects.create(lab=lab, cluster=cluster, kind=Operation.Kind.VALIDATION,
                                  plan={"phases": [], "total_s": 0}, state=Operation.State.COMPLETED,
                                  queued_at=lab.sim_now())
    event = log_event(lab, cluster, ClusterEvent.Level.INFORMATION, 1201, "The Cluster service started.")
    report = ValidationReport.objects.create(lab=lab, cluster=cluster, operation=op, started_at=lab.sim_now())
    vm = VirtualMachine.objects.filter(host_node=node).order_by("pk").first()
    checkpoint = Checkpoint.objects.create(virtual_machine=vm, name="Before update", taken_at=lab.sim_now(),
                                           vm_state="Off")
    share = FileShare.objects.create(lab=lab, server=node, name="VMs", local_path=r"E:\Shares\VMs",
                                     capacity_bytes=2**40)
    return {
        "owner": owner, "lab": lab, "cluster": cluster, "role": role, "node": node, "share": share,
        "wan": WanLink.objects.filter(lab=lab).order_by("pk").first(),
        "adapter": NetworkAdapter.objects.filter(node=node).order_by("pk").first(),
        "disk": ClusterDisk.objects.filter(cluster=cluster).order_by("pk").first(),
        "network": ClusterNetwork.objects.filter(cluster=cluster).order_by("pk").first(),
        "event": event, "incident": op,
        "vm": vm, "checkpoint": checkpoint,
        "draft": draft, "operation": op, "session": session, "trainee": trainee,
        "report": report,
    }


def fingerprint(world):
    """What a refused request must not change: every row of the lab (and of the session) that a view may write."""
    lab = world["lab"]
    tables = [Lab.objects.filter(pk=lab.pk), Node.objects.filter(lab=lab), Cluster.objects.filter(lab=lab),
              Role.objects.filter(cluster__lab=lab), VirtualMachine.objects.filter(lab=lab),
              ClusterDisk.objects.filter(cluster__lab=lab), ClusterNetwork.objects.filter(cluster__lab=lab),
              NetworkAdapter.objects.filter(node__lab=lab), ReplicaServer.objects.filter(lab=lab),
              ReplicaAuthorization.objects.filter(server__lab=lab),
              Replication.objects.filter(lab=lab), WanLink.objects.filter(lab=lab),
              Checkpoint.objects.filter(virtual_machine__lab=lab),
              FileShare.objects.filter(lab=lab), FileShare.full_access.through.objects.filter(fileshare__lab=lab),
              TrainingSession.objects.filter(pk=world["session"].pk)]
    rows = [sorted(map(repr, qs.values_list())) for qs in tables]
    return rows, Operation.objects.filter(lab=lab).count(), ClusterEvent.objects.filter(lab=lab).count()


def url_with(route, values):
    path = route
    for m in PARAM.finditer(route):
        path = path.replace(m[0], str(values[m["name"]]), 1)
    return "/" + path


def field_names(html):
    return {n for n in re.findall(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"', html)
            if n != "csrfmiddlewaretoken"}


def routes():
    """(route, name, converters) of every pattern the product serves, admin's included."""
    return list(walk(get_resolver().url_patterns))


def is_int(converter):
    return converter is not None and converter.regex.strip("^$").startswith("[0-9]")


def cases(route, convs, world, page_html):
    """(method, url, data) of the generated cases of one route."""
    real = {name: real_for(name, seg)(world) for name, seg in segments(route)}
    for name, _ in segments(route):
        for value in BAD_INTS if is_int(convs[name]) else BAD_STRS:
            for method in ("get", "post"):
                yield method, url_with(route, {**real, name: value}), {}
    url = url_with(route, real)
    names = set(READ_NAMES) | field_names(page_html)
    yield "get", url, {}
    yield "post", url, {}
    for value in BAD_VALUES:
        data = {n: value for n in names}
        yield "get", url, data
        yield "post", url, data
        if "action" in field_names(page_html):  # a wizard's page: its Next reads the fields
            yield "post", url, {**{n: value for n in names if n != "action"}, "action": "next"}


REFUSED_AT_THE_FIELD = re.compile(r'class="field-error|role="alert"|errorlist|class="error')


def test_every_route_has_cases():
    """A route whose path names something without a real value here fails, rather than going untested."""
    missing = [(name, param) for route, name, _ in routes() for param, seg in segments(route)
               if real_for(param, seg) is None]
    assert missing == [], "add the segment before each of these parameters to REAL: %s" % missing
    assert len(routes()) >= 80


def check_routes(client, user, chosen, world, query_bag=True):
    """Every case of every route in `chosen`, signed in as `user`; what went wrong, and how many requests."""
    problems, requests = [], 0
    for route, name, convs in chosen:
        with transaction.atomic():  # each route starts from the same lab (a route's own action may change it)
            # A new sign-in session each route: the last one's row went with the rollback, though a
            # cached session store (Redis, scaled) still remembers it.
            client.cookies.pop(settings.SESSION_COOKIE_NAME, None)
            client.force_login(user)
            real_url = url_with(route, {p: real_for(p, seg)(world) for p, seg in segments(route)})
            page = client.get(real_url, headers=HX)
            html = page.content.decode(errors="replace") if page.status_code == 200 else ""
            before = fingerprint(world)
            outbox = Outbox.objects.filter(lab=world["lab"]).count()
            for method, url, data in cases(route, convs, world, html):
                if not query_bag and url == real_url:
                    continue
                client.force_login(user)  # a case may have signed out (logout) or been refused
                requests += 1
                where = (name, method, url[:100], sorted(data)[:3])
                try:
                    response = getattr(client, method)(url, data, headers=HX)
                except Exception as exc:  # the test client re-raises what would have been a 500
                    problems.append((*where, f"{type(exc).__name__}: {exc}"[:160]))
                    continue
                body = response.content.decode(errors="replace")
                status = response.status_code
                if status not in (200, 204, 302, 400, 403, 404, 405, 429):
                    problems.append((*where, status))
                    continue
                if status in (400, 404) and not body.strip():
                    problems.append((*where, f"a {status} without a message"))
                refusal = status >= 400 or (status == 200 and REFUSED_AT_THE_FIELD.search(body))
                if method == "post":
                    after = fingerprint(world)
                    if refusal and after != before:
                        problems.append((*where, "refused, yet the lab changed"))
                    before = after  # what a route does with input it accepts is its own tests' business
                    outbox = Outbox.objects.filter(lab=world["lab"]).count()
                elif Outbox.objects.filter(lab=world["lab"]).count() != outbox:
                    problems.append((*where, "a GET changed the lab"))
            transaction.set_rollback(True)
    return problems, requests


def test_malformed_ids_and_values_on_every_route_answer_a_refusal_never_a_500(world, client, owner):
    chosen = [r for r in routes() if not r[0].startswith("admin/") or r[1] == "admin-login"]
    problems, requests = check_routes(client, owner, chosen, world)
    assert problems == []
    assert requests > 1500


def test_the_administration_refuses_malformed_ids_never_a_500(world, client, django_user_model):
    """The administration's routes, as a superuser: each id in the path malformed (its lists and forms with
    out-of-range values: test_admin.py)."""
    admin = django_user_model.objects.create_superuser("root", password="correct-horse-9")
    chosen = [r for r in routes() if r[0].startswith("admin/") and segments(r[0])]
    problems, requests = check_routes(client, admin, chosen, world, query_bag=False)
    assert problems == []
    assert requests > 500
