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

CHECKS = ("role", "vm", "node", "cluster", "event", "validation", "replication", "operation", "disk", "network",
          "share")


@dataclass(frozen=True)
class LabFacts:
    """What objectives may look at, as plain values (names are case-insensitive)."""

    #: role name -> {"state", "owner", "type", "priority" (High, Medium, Low, No Auto Start)}
    roles: dict = field(default_factory=dict)
    #: VM name -> {"state", "host", "clustered", "checkpoints" (how many), "checkpoint_term" (Checkpoint, Snapshot),
    #: "files" (its configuration folder), "switch" (the virtual switch its network adapter is connected to),
    #: "vcpus", "memory_mb", "generation"}
    vms: dict = field(default_factory=dict)
    #: share path (\\\\server\\share) -> {"full_access": [server names whose accounts have Full Control]}
    shares: dict = field(default_factory=dict)
    #: node name -> {"state", "power", "drain", and its Hyper-V Settings: "live_migrations" (Enabled, Disabled),
    #: "authentication" (CredSSP, Kerberos), "performance" (TCP/IP, Compression, SMB), "migration_networks"
    #: ("any", or the subnets incoming live migrations use, in order), "replica_server" (Enabled, Disabled),
    #: "switches" (its virtual switches' names)}
    nodes: dict = field(default_factory=dict)
    #: cluster name -> {"state", "quorum", "witness", "witness_drive", "csv_enabled", "nodes", "addresses"}
    clusters: dict = field(default_factory=dict)
    #: (event id, node name or "", role name or "") in the order they were logged
    events: tuple = ()
    #: validation reports, newest first: {"nodes": [...], "failed": n, "warnings": n}
    validations: tuple = ()
    #: VM name -> {"state", "health"}
    replications: dict = field(default_factory=dict)
    #: completed operations: (kind, role name, target node, or the node itself for node operations)
    operations: tuple = ()
    #: cluster disks: ({"cluster", "name", "lun", "assigned" (Assigned To), "owner", "state", "drive"}, ...)
    disks: tuple = ()
    #: cluster networks: ({"cluster", "name", "subnet", "role" (None, Cluster Only, Cluster and Client), "state"}, ...)
    networks: tuple = ()
    #: {what: {stored value: the console's word}} for reasons, e.g. {"quorum": {"NodeMajority": "Node
    #: Majority"}, "drain": {"Completed": "Drain Completed"}}; a value without a word is shown as stored.
    words: dict = field(default_factory=dict)

    def word(self, what, value):
        for key, text in self.words.get(what, {}).items():
            if str(key).lower() == str(value).lower():
                return text
        return str(value)


@dataclass(frozen=True)
class Result:
    id: str
    met: bool
    #: Why not yet, in the console's words ("vWS08-SQL01 is not a cluster role yet"): the trainer's row
    #: shows it under the objective; the trainee's panel only where the exercise allows (show_reasons).
    reason: str = ""

    @property
    def detail(self):
        return self.reason


class ObjectiveError(ValueError):
    """A scenario objective that cannot be evaluated (reported with the scenario file's place)."""


def _get(mapping, name):
    for key, value in mapping.items():
        if key.lower() == str(name).lower():
            return value
    return None


def _same(a, b):
    return str(a).lower() == str(b).lower()


def _names(names):
    return ", ".join(str(n) for n in names)


def _plural(count, one, many):
    return f"{count} {one if count == 1 else many}"


def validate(spec):
    """Raise ObjectiveError for an objective the evaluator would not understand."""
    if not spec.get("id"):
        raise ObjectiveError("an objective needs an id")
    check = spec.get("check")
    if check not in CHECKS:
        raise ObjectiveError(f"objective {spec.get('id')!r}: check must be one of {', '.join(CHECKS)}")
    required = {"role": "role", "vm": "vm", "node": "node", "cluster": "cluster", "event": "event_id",
                "replication": "vm", "operation": "kind", "share": "share"}.get(check)
    if required and not spec.get(required):
        article = "an" if check[0] in "aeiou" else "a"
        raise ObjectiveError(f"objective {spec['id']!r}: {article} {check} check needs {required}")
    for check_name, keys in _FOUND_BY.items():
        if check == check_name and not any(spec.get(k) for k in keys):
            raise ObjectiveError(f"objective {spec['id']!r}: a {check} check needs {' or '.join(keys)}")


def evaluate(objectives, facts):
    """[Result] for each objective spec, in order: met, or why not in the console's words."""
    results = []
    for spec in objectives:
        reason = _CHECKS.get(spec["check"], _unknown)(spec, facts)
        results.append(Result(spec["id"], not reason, reason or ""))
    return results


def _unknown(spec, f):
    raise ObjectiveError(f"unknown check {spec['check']!r}")


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
    return (matches[0], "") if matches else (None, f"There is no cluster {check} {what}")


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
            return False, f"{label}'s {key} is {record.get(field_name) or 'none'}, not {spec[key]}"
    return True, ""


def _moved(f, kind, name, to=None):
    """'' when an operation of `kind` moved `name` (to `to`, when given); else why not."""
    if any(_same(k, kind) and _same(r, name) and (to is None or _same(t, to)) for k, r, t in f.operations):
        return ""
    return f"No {f.word('operation', kind)} of {name}{f' to {to}' if to else ''} has completed yet"


def _role(spec, f):
    name = spec["role"]
    role = _get(f.roles, name)
    if role is None:
        if _get(f.vms, name) is not None:
            return f"{name} is not a cluster role yet"
        return f"There is no role {name}"
    if "state" in spec and not _same(role.get("state") or "", spec["state"]):
        return f"{name} is {f.word('role_state', role.get('state') or 'none')}, " \
               f"not {f.word('role_state', spec['state'])}"
    if "owner" in spec and not _same(role.get("owner") or "", spec["owner"]):
        if not role.get("owner"):
            return f"{name} has no Owner Node (it should be {spec['owner']})"
        return f"{name}'s Owner Node is {role['owner']}, not {spec['owner']}"
    if "priority" in spec and not _same(role.get("priority") or "", spec["priority"]):
        return f"{name}'s priority is {role.get('priority') or 'not set'}, not {spec['priority']}"
    if "moved_by" in spec:
        return _moved(f, spec["moved_by"], name, spec.get("owner"))
    return ""


def _vm(spec, f):
    name = spec["vm"]
    vm = _get(f.vms, name)
    if vm is None:
        return f"There is no virtual machine {name}"
    if "state" in spec and not _same(vm.get("state") or "", spec["state"]):
        return f"{name} is {f.word('vm_state', vm.get('state') or 'none')}, not {f.word('vm_state', spec['state'])}"
    if "host" in spec and not _same(vm.get("host") or "", spec["host"]):
        return f"{name} is on {vm.get('host') or 'no host'}, not {spec['host']}"
    if "checkpoints" in spec and (vm.get("checkpoints") or 0) < int(spec["checkpoints"]):
        term = (vm.get("checkpoint_term") or "checkpoint").lower()
        have = vm.get("checkpoints") or 0
        return f"{name} has no {term} yet" if not have else \
            f"{name} has {_plural(have, term, term + 's')}, not {spec['checkpoints']}"
    if "clustered" in spec and bool(vm.get("clustered")) != bool(spec["clustered"]):
        return f"{name} is still a cluster role" if vm.get("clustered") else f"{name} is not a cluster role yet"
    for key, word in (("vcpus", "virtual processors"), ("memory_mb", "MB of startup memory")):
        if key in spec and vm.get(key) != int(spec[key]):
            return f"{name} has {vm.get(key)} {word}, not {spec[key]}"
    if "generation" in spec and vm.get("generation") != int(spec["generation"]):
        return f"{name} is a generation {vm.get('generation')} virtual machine, not {spec['generation']}"
    if "switch" in spec and not _same(vm.get("switch") or "", spec["switch"]):
        return f"{name} is connected to {vm.get('switch') or 'no virtual switch'}, not {spec['switch']}"
    if "files_in" in spec:
        files, folder = vm.get("files") or "", spec["files_in"].rstrip("\\")
        if not (files.lower() == folder.lower() or files.lower().startswith(folder.lower() + "\\")):
            return f"{name}'s files are in {files}, not in {folder}"
    if "moved_by" in spec:
        return _moved(f, spec["moved_by"], name, spec.get("owner"))
    return ""


def _share(spec, f):
    unc = spec["share"]
    share = _get(f.shares, unc)
    if share is None:
        return f"There is no share {unc}"
    have = {n.lower() for n in share.get("full_access", ())}
    wanted = spec.get("full_access", ())
    missing = [str(n) for n in ([wanted] if isinstance(wanted, str) else wanted) if str(n).lower() not in have]
    if missing:
        return f"{_names(missing)} {'has' if len(missing) == 1 else 'have'} no Full Control of {unc} yet"
    return ""


def _node(spec, f):
    name = spec["node"]
    node = _get(f.nodes, name)
    if node is None:
        return f"There is no server {name}"
    if "state" in spec and not _same(node.get("state") or "", spec["state"]):
        if not node.get("state"):
            return f"{name} is not a node of a cluster"
        return f"{name} is {f.word('node_state', node['state'])}, not {f.word('node_state', spec['state'])}"
    if "power" in spec and not _same(node.get("power") or "", spec["power"]):
        return f"{name} is powered {str(node.get('power') or 'off').lower()}, not {str(spec['power']).lower()}"
    if "drain" in spec and not _same(node.get("drain") or "", spec["drain"]):
        if not node.get("drain"):
            return f"{name} has not been drained yet"
        return f"{name} shows {f.word('drain', node['drain'])}, not {f.word('drain', spec['drain'])}"
    return _host_settings(spec, name, node)


def _host_settings(spec, name, node):
    """A node check's Hyper-V Settings keys (live_migrations, authentication, performance, migration_networks,
    replica_server: its Replication Configuration enables it as a Replica server)."""
    if "live_migrations" in spec and not _same(node.get("live_migrations") or "", spec["live_migrations"]):
        enabled = _same(spec["live_migrations"], "Enabled")
        return f"{name}: incoming and outgoing live migrations are {'not ' if enabled else ''}enabled"
    if "authentication" in spec and not _same(node.get("authentication") or "", spec["authentication"]):
        return f"{name} authenticates live migrations with {node.get('authentication')}, not {spec['authentication']}"
    if "performance" in spec and not _same(node.get("performance") or "", spec["performance"]):
        return f"{name}'s live migration performance option is {node.get('performance')}, not {spec['performance']}"
    if "switch" in spec and spec["switch"].lower() not in {n.lower() for n in node.get("switches", ())}:
        return f"{name} has no virtual switch named {spec['switch']}"
    if "replica_server" in spec and not _same(node.get("replica_server") or "Disabled", spec["replica_server"]):
        enabled = _same(spec["replica_server"], "Enabled")
        return f"{name} is {'not ' if enabled else ''}enabled as a Replica server"
    if "migration_networks" in spec:
        want, have = spec["migration_networks"], node.get("migration_networks")
        if isinstance(want, str) and _same(want, "any"):
            if not (isinstance(have, str) and _same(have, "any")):
                return f"{name} accepts incoming live migrations only on {', '.join(have) or 'no network'}"
        elif isinstance(have, str):
            return f"{name} accepts incoming live migrations on any network, not only on {', '.join(want)}"
        elif [str(w).lower() for w in want] != [str(h).lower() for h in have]:
            return f"{name} accepts incoming live migrations on {', '.join(have) or 'no network'}, " \
                   f"not on {', '.join(want)}"
    return ""


def _cluster(spec, f):
    name = spec["cluster"]
    cluster = _get(f.clusters, name)
    if cluster is None:
        return f"There is no cluster {name} yet"
    if "state" in spec and not _same(cluster.get("state") or "", spec["state"]):
        return f"{name} is {f.word('cluster_state', cluster.get('state') or 'none')}, " \
               f"not {f.word('cluster_state', spec['state'])}"
    if "quorum" in spec and not _same(cluster.get("quorum") or "", spec["quorum"]):
        return f"{name}'s quorum configuration is {f.word('quorum', cluster.get('quorum') or 'none')}, " \
               f"not {f.word('quorum', spec['quorum'])}"
    for key in ("witness", "witness_drive"):
        if key in spec and not _same(cluster.get(key) or "", spec[key]):
            if not cluster.get("witness"):
                return f"{name} has no disk witness (it should be {spec[key]})"
            return f"The witness is {cluster['witness']} ({cluster.get('witness_drive') or 'no drive letter'}), " \
                   f"not {spec[key]}"
    if "csv_enabled" in spec and bool(cluster.get("csv_enabled")) != bool(spec["csv_enabled"]):
        return f"Cluster Shared Volumes are {'' if cluster.get('csv_enabled') else 'not '}enabled on {name}"
    if "address" in spec and spec["address"] not in cluster.get("addresses", ()):
        if not cluster.get("addresses"):
            return f"{name} has no IP address (it should be {spec['address']})"
        return f"{name}'s address is {_names(cluster['addresses'])}, not {spec['address']}"
    if "nodes" in spec:
        have = {n.lower(): n for n in cluster.get("nodes", ())}
        want = {n.lower(): n for n in spec["nodes"]}
        missing = [want[n] for n in want if n not in have]
        extra = [have[n] for n in have if n not in want]
        parts = []
        if missing:
            parts.append(f"{_names(missing)} {'is not a node' if len(missing) == 1 else 'are not nodes'} of {name}")
        if extra:
            parts.append(f"{_names(extra)} should not be {'a node' if len(extra) == 1 else 'nodes'} of {name}")
        return "; ".join(parts)
    return ""


def _event(spec, f):
    wanted = int(spec["event_id"])
    for event_id, node, role in f.events:
        if event_id == wanted and ("node" not in spec or _same(node, spec["node"])) \
                and ("role" not in spec or _same(role, spec["role"])):
            return ""
    return (f"No event {wanted}" + (f" from {spec['node']}" if "node" in spec else "")
            + (f" about {spec['role']}" if "role" in spec else "") + " in Cluster Events yet")


def _operation(spec, f):
    for kind, role, node in f.operations:
        if _same(kind, spec["kind"]) and ("role" not in spec or _same(role, spec["role"])) \
                and ("node" not in spec or _same(node, spec["node"])):
            return ""
    subject = spec.get("role") or spec.get("node")
    to = spec.get("node") if spec.get("role") else None
    return (f"No {f.word('operation', spec['kind'])}" + (f" of {subject}" if subject else "")
            + (f" to {to}" if to else "") + " has completed yet")


def _validation(spec, f):
    wanted = [str(n) for n in spec.get("nodes", ())]
    covering = [r for r in f.validations if {n.lower() for n in wanted} <= {n.lower() for n in r["nodes"]}]
    must_pass = spec.get("passing", True)
    allow_warnings = spec.get("warnings_allowed", True)

    def passes(report):
        return not must_pass or (report["failed"] == 0 and (allow_warnings or report["warnings"] == 0))
    if any(passes(r) for r in covering):
        return ""
    if not covering:
        which = f"No validation of {_names(wanted)}" if wanted else "No validation"
        if f.validations:
            return f"{which} yet: the last one tested {_names(f.validations[0]['nodes'])}"
        return f"{which} has been run yet"
    last = covering[0]
    if last["failed"]:
        return f"Last validation of {_names(last['nodes'])}: {_plural(last['failed'], 'test', 'tests')} failed"
    return f"Last validation of {_names(last['nodes'])}: {_plural(last['warnings'], 'warning', 'warnings')}"


def _replication(spec, f):
    name = spec["vm"]
    rep = _get(f.replications, name)
    if rep is None:
        return f"Replication is not enabled for {name}"
    if "state" in spec and not _same(rep.get("state") or "", spec["state"]):
        return f"{name}'s Replication State is {f.word('replication_state', rep.get('state') or 'none')}, " \
               f"not {f.word('replication_state', spec['state'])}"
    if "health" in spec and not _same(rep.get("health") or "", spec["health"]):
        return f"{name}'s Replication Health is {f.word('health', rep.get('health') or 'none')}, " \
               f"not {f.word('health', spec['health'])}"
    return ""


def _disk(spec, f):
    return _check_listed(spec, f, "disk")[1]


def _network(spec, f):
    return _check_listed(spec, f, "network")[1]


#: Each check: (spec, facts) -> "" when met, else why not, in the console's words.
_CHECKS = {"role": _role, "vm": _vm, "node": _node, "cluster": _cluster, "event": _event,
           "operation": _operation, "validation": _validation, "replication": _replication,
           "disk": _disk, "network": _network, "share": _share}


def progress(results):
    """Percentage of objectives met."""
    return round(100 * sum(r.met for r in results) / len(results)) if results else 0


# -- variables ------------------------------------------------------------------------------

_VARIABLE = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


_IP_RANGE = re.compile(r"(\d+\.\d+\.\d+\.)\{(\d+)-(\d+)\}")


def variables_in(text):
    """The variable names a text uses, in order."""
    return _VARIABLE.findall(text)


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


def by_variable_name(value):
    """A text (or every text in a dict or list) as a reader who is no one trainee sees it: each
    variable shown by its name, e.g. "Make ‹vm› highly available"."""
    if isinstance(value, str):
        return _VARIABLE.sub(lambda m: f"\u2039{m.group(1)}\u203a", value)
    if isinstance(value, dict):
        return {k: by_variable_name(v) for k, v in value.items()}
    if isinstance(value, list):
        return [by_variable_name(v) for v in value]
    return value


def substitute(value, variables):
    """Put the trainee's variables into a text, or every text inside a dict or list."""
    if isinstance(value, str):
        def repl(m):
            if m.group(1) not in variables:
                raise ObjectiveError(f"unknown variable {{{m.group(1)}}}")
            return str(variables[m.group(1)])
        return _VARIABLE.sub(repl, value)
    if isinstance(value, dict):
        return {k: substitute(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, variables) for v in value]
    return value
