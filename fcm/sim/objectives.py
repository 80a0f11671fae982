"""Exercise objectives: declarative checks over a lab's state and events, and per-trainee variables.

A scenario states its objectives as data (scenarios/exercises/*.toml), e.g.

    { id = "moved", text = "Quick-migrate Guest1 to contoso4", check = "role",
      role = "Guest1", state = "Online", owner = "contoso4", moved_by = "quick-migration" }

and the training engine evaluates them after every change of the lab, from
plain facts (`LabFacts`) it reads once; nothing here touches the database,
so the rules are unit-tested and the same for every trainee. Variables
(`{node_b}`, `{vm_ip}`) are chosen per trainee so neighbours cannot copy
answers; `substitute` puts them into texts and checks alike.
"""
import random
import re
from dataclasses import dataclass, field

CHECKS = ("role", "vm", "node", "cluster", "event", "validation", "replication", "operation", "disk", "network")


@dataclass(frozen=True)
class LabFacts:
    """What objectives may look at, as plain values (names are case-insensitive)."""

    #: role name -> {"state", "owner", "type", "priority" (High, Medium, Low, No Auto Start)}
    roles: dict = field(default_factory=dict)
    #: VM name -> {"state", "host", "clustered"}
    vms: dict = field(default_factory=dict)
    #: node name -> {"state", "power", "drain"}
    nodes: dict = field(default_factory=dict)
    #: cluster name -> {"state", "quorum", "witness", "witness_drive", "csv_enabled", "nodes", "addresses"}
    clusters: dict = field(default_factory=dict)
    #: (event id, node name or "", role name or "") in the order they were logged
    events: tuple = ()
    #: validation reports: {"nodes": [...], "failed": n, "warnings": n}
    validations: tuple = ()
    #: VM name -> {"state", "health"}
    replications: dict = field(default_factory=dict)
    #: completed operations: (kind, role name, target node, or the node itself for node operations)
    operations: tuple = ()
    #: cluster disks: ({"cluster", "name", "lun", "assigned" (Assigned To), "owner", "state", "drive"}, ...)
    disks: tuple = ()
    #: cluster networks: ({"cluster", "name", "subnet", "role" (None, Cluster Only, Cluster and Client), "state"}, ...)
    networks: tuple = ()


@dataclass(frozen=True)
class Result:
    id: str
    met: bool
    #: Why not yet (shown to the trainer; the trainee sees only the tick).
    detail: str = ""


class ObjectiveError(ValueError):
    """A scenario objective that cannot be evaluated (reported with the scenario file's place)."""


def _get(mapping, name):
    for key, value in mapping.items():
        if key.lower() == str(name).lower():
            return value
    return None


def _same(a, b):
    return str(a).lower() == str(b).lower()


def validate(spec):
    """Raise ObjectiveError for an objective the evaluator would not understand."""
    if not spec.get("id"):
        raise ObjectiveError("an objective needs an id")
    check = spec.get("check")
    if check not in CHECKS:
        raise ObjectiveError(f"objective {spec.get('id')!r}: check must be one of {', '.join(CHECKS)}")
    required = {"role": "role", "vm": "vm", "node": "node", "cluster": "cluster", "event": "event_id",
                "replication": "vm", "operation": "kind"}.get(check)
    if required and not spec.get(required):
        article = "an" if check[0] in "aeiou" else "a"
        raise ObjectiveError(f"objective {spec['id']!r}: {article} {check} check needs {required}")
    for check_name, keys in _FOUND_BY.items():
        if check == check_name and not any(spec.get(k) for k in keys):
            raise ObjectiveError(f"objective {spec['id']!r}: a {check} check needs {' or '.join(keys)}")


def evaluate(objectives, facts):
    """[Result] for each objective spec, in order."""
    return [Result(spec["id"], *_check(spec, facts)) for spec in objectives]


#: For each object check: (facts attribute, spec key naming it, what it is called, fields compared as text).
_OBJECTS = {
    "role": ("roles", "role", "role", ("state", "owner", "priority")),
    "vm": ("vms", "vm", "virtual machine", ("state", "host")),
    "node": ("nodes", "node", "node", ("state", "power", "drain")),
}


#: Disk and network checks find their object by one of these keys; the others they may compare.
_FOUND_BY = {"disk": ("disk", "lun"), "network": ("network", "subnet")}
_FIELDS = {"disk": (("disk", "name"), ("lun", "lun"), ("cluster", "cluster"), ("assigned", "assigned"),
                    ("owner", "owner"), ("state", "state"), ("drive", "drive")),
           "network": (("network", "name"), ("subnet", "subnet"), ("cluster", "cluster"), ("name", "name"),
                       ("role", "role"), ("state", "state"))}


def _found(spec, records, check):
    """The record a disk / network check is about (by its finding keys), and why none is."""
    keys = [k for k in _FOUND_BY[check] if spec.get(k)]
    matches = [r for r in records if all(_same(r.get(_key_field(check, k), ""), spec[k]) for k in keys)
               and ("cluster" not in spec or _same(r.get("cluster", ""), spec["cluster"]))]
    what = " ".join(str(spec[k]) for k in keys)
    return (matches[0], "") if matches else (None, f"There is no cluster {check} {what}.")


def _key_field(check, key):
    return dict(_FIELDS[check])[key]


def _check_listed(spec, f, check):
    record, why = _found(spec, f.disks if check == "disk" else f.networks, check)
    if record is None:
        return False, why
    label = record.get("name", "")
    for key, field_name in _FIELDS[check]:
        if key in _FOUND_BY[check] or key == "cluster" or key not in spec:
            continue
        if not _same(record.get(field_name) or "", spec[key]):
            return False, f"{label}: {key} is {record.get(field_name) or 'none'}."
    return True, ""


def _check(spec, f):
    check = spec["check"]
    if check in _FOUND_BY:
        return _check_listed(spec, f, check)
    if check in _OBJECTS:
        attr, key, noun, fields = _OBJECTS[check]
        name = spec[key]
        record = _get(getattr(f, attr), name)
        if record is None:
            return False, f"There is no {noun} {name}."
        for field_name in fields:
            if field_name in spec and not _same(record.get(field_name) or "", spec[field_name]):
                return False, f"{name}: {field_name} is {record.get(field_name) or 'none'}."
        if "clustered" in spec and bool(record.get("clustered")) != bool(spec["clustered"]):
            return False, f"{name} is {'' if record.get('clustered') else 'not '}highly available."
        if "moved_by" in spec and not any(_same(k, spec["moved_by"]) and _same(r, name)
                                          and ("owner" not in spec or _same(t, spec["owner"]))
                                          for k, r, t in f.operations):
            return False, f"{name} has not been moved by {spec['moved_by']}."
        return True, ""
    if check == "cluster":
        cluster = _get(f.clusters, spec["cluster"])
        if cluster is None:
            return False, f"There is no cluster {spec['cluster']}."
        for key in ("state", "quorum", "witness", "witness_drive"):
            if key in spec and not _same(cluster.get(key, ""), spec[key]):
                return False, f"{spec['cluster']}: {key} is {cluster.get(key) or 'none'}."
        if "csv_enabled" in spec and bool(cluster.get("csv_enabled")) != bool(spec["csv_enabled"]):
            return False, f"{spec['cluster']}: Cluster Shared Volumes are not enabled."
        if "address" in spec and spec["address"] not in cluster.get("addresses", ()):
            return False, f"{spec['cluster']} has no address {spec['address']}."
        if "nodes" in spec and {n.lower() for n in cluster.get("nodes", ())} != {n.lower() for n in spec["nodes"]}:
            return False, f"{spec['cluster']} has nodes {', '.join(cluster.get('nodes', ())) or 'none'}."
        return True, ""
    if check == "event":
        wanted = int(spec["event_id"])
        for event_id, node, role in f.events:
            if event_id == wanted and ("node" not in spec or _same(node, spec["node"])) \
                    and ("role" not in spec or _same(role, spec["role"])):
                return True, ""
        return False, f"Event {wanted} has not been logged."
    if check == "operation":
        for kind, role, node in f.operations:
            if _same(kind, spec["kind"]) and ("role" not in spec or _same(role, spec["role"])) \
                    and ("node" not in spec or _same(node, spec["node"])):
                return True, ""
        return False, f"No {spec['kind']} has completed yet."
    if check == "validation":
        wanted = {n.lower() for n in spec.get("nodes", ())}
        for report in f.validations:
            covers = wanted <= {n.lower() for n in report["nodes"]}
            passing = not spec.get("passing", True) or (
                report["failed"] == 0 and (spec.get("warnings_allowed", True) or report["warnings"] == 0))
            if covers and passing:
                return True, ""
        return False, "No validation report passes yet." if spec.get("passing", True) else \
            "No validation report covers these servers yet."
    if check == "replication":
        rep = _get(f.replications, spec["vm"])
        if rep is None:
            return False, f"Replication is not enabled for {spec['vm']}."
        for key in ("state", "health"):
            if key in spec and not _same(rep.get(key, ""), spec[key]):
                return False, f"{spec['vm']}: replication {key} is {rep.get(key)}."
        return True, ""
    raise ObjectiveError(f"unknown check {check!r}")


def progress(results):
    """Percentage of objectives met."""
    return round(100 * sum(r.met for r in results) / len(results)) if results else 0


# -- variables ------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


_IP_RANGE = re.compile(r"(\d+\.\d+\.\d+\.)\{(\d+)-(\d+)\}")


def placeholders(text):
    """The variable names a text uses, in order."""
    return _PLACEHOLDER.findall(text)


def possible_values(name, rule):
    """Every value variable `name` can take: its choices, or each address of its ip range."""
    if "choices" in rule:
        return list(rule["choices"])
    if "ip" in rule:
        m = _IP_RANGE.fullmatch(rule["ip"])
        if not m:
            raise ObjectiveError(f"variable {name}: ip must look like 10.1.0.{{20-200}}")
        return [f"{m.group(1)}{n}" for n in range(int(m.group(2)), int(m.group(3)) + 1)]
    raise ObjectiveError(f"variable {name}: give choices = [...] or ip = \"a.b.c.{{from-to}}\"")


def choose_variables(spec, seed):
    """Pick each variable for one trainee: `{ choices = [...] }` or `{ ip = "10.1.0.{20-200}" }`.

    The seed (e.g. the trainee's id) makes the choice repeatable; different
    variables never get the same value when drawn from the same list.
    """
    rng = random.Random(seed)
    chosen, used = {}, set()
    for name in sorted(spec):
        rule = spec[name]
        if "choices" in rule:
            pool = [c for c in rule["choices"] if c not in used] or list(rule["choices"])
            value = rng.choice(pool)
        elif "ip" in rule:
            m = _IP_RANGE.fullmatch(rule["ip"])
            if not m:
                raise ObjectiveError(f"variable {name}: ip must look like 10.1.0.{{20-200}}")
            value = f"{m.group(1)}{rng.randint(int(m.group(2)), int(m.group(3)))}"
        else:
            raise ObjectiveError(f"variable {name}: give choices = [...] or ip = \"a.b.c.{{from-to}}\"")
        chosen[name] = value
        used.add(value)
    return chosen


def substitute(value, variables):
    """Put the trainee's variables into a text, or every text inside a dict or list."""
    if isinstance(value, str):
        def repl(m):
            if m.group(1) not in variables:
                raise ObjectiveError(f"unknown variable {{{m.group(1)}}}")
            return str(variables[m.group(1)])
        return _PLACEHOLDER.sub(repl, value)
    if isinstance(value, dict):
        return {k: substitute(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, variables) for v in value]
    return value
