"""A lab to a JSON file and back (`manage.py dumplab`, `manage.py loadlab FILE.json`): the backup story.

Everything that makes the lab what it is goes in: the inventory, its state
(clock, nodes, roles, VMs, replication, the Operations in flight), its
events and validation reports. Left out: wizard drafts (one user's open
dialog), the outbox (pushes not yet sent), sign-in links. Users are written
by user name.

A dump is a file anyone may have edited, so loading trusts nothing in it:
every object is validated (`full_clean`: the fields' ranges, choices and
constraints, as the administration checks them) before the transaction
commits, and a refusal names the record and the field. A user name in a
dump means nothing in another installation (an "admin" there is not the
one here), so the loader needs to be told who owns the lab: `owner` (then
the dump's owners, members and requesters are not looked up at all), or
`trust_user_names` for a backup of this installation's own labs.

Loading gives every object a new primary key (so a copy can sit beside the
original, in this database or another) and rewrites every reference to
match, inside one transaction; the database checks the references at
commit (Django makes foreign keys deferrable), so the order of the records
does not matter even where they point at each other (a role's disk, the
disk's role).
"""
import json
from datetime import datetime, timezone as dt_timezone

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core import serializers
from django.core.exceptions import ValidationError
from django.core.serializers.base import DeserializationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connection, transaction
from django.core.management.color import no_style
from django.db.models import Max

from fcm.inventory.models import Lab

from .phases import with_keys

FORMAT = "fcm-lab-dump"
VERSION = 1

#: Every model of a lab and how it reaches its lab.
MODELS = [
    ("inventory.Lab", "pk"), ("inventory.Domain", "lab"), ("inventory.Network", "lab"), ("inventory.Node", "lab"),
    ("inventory.NetworkAdapter", "node__lab"), ("inventory.VirtualSwitch", "node__lab"),
    ("inventory.MigrationNetwork", "node__lab"), ("inventory.FileShare", "lab"), ("inventory.Disk", "lab"),
    ("inventory.DiskPath", "disk__lab"), ("inventory.Cluster", "lab"), ("inventory.ClusterAddress", "cluster__lab"),
    ("inventory.ClusterNetwork", "cluster__lab"), ("inventory.ClusterDisk", "cluster__lab"),
    ("inventory.Role", "cluster__lab"), ("inventory.PreferredOwner", "role__cluster__lab"),
    ("inventory.Resource", "role__cluster__lab"), ("inventory.VirtualMachine", "lab"),
    ("inventory.VirtualHardDisk", "virtual_machine__lab"), ("inventory.Checkpoint", "virtual_machine__lab"),
    ("inventory.CheckpointFile", "hard_disk__virtual_machine__lab"), ("inventory.ClusterEvent", "lab"),
    ("inventory.WanLink", "lab"), ("inventory.ReplicaServer", "lab"), ("inventory.ReplicaAuthorization", "server__lab"),
    ("inventory.Replication", "lab"), ("inventory.RecoveryPoint", "replication__lab"),
    ("engine.Operation", "lab"), ("engine.ValidationReport", "lab"),
]


#: Models that moved between apps since dumps were first written.
MOVED = {"wizards.ValidationReport": "engine.ValidationReport"}


class DumpError(ValueError):
    pass


def _upgrade(record):
    """A record of an older dump as this version stores it: moved models, phases with their keys."""
    if not isinstance(record, dict) or "model" not in record:
        raise DumpError("a record of the dump has no model")
    record = {**record, "model": MOVED.get(record["model"], record["model"])}
    fields = record.get("fields")
    if record["model"] == "engine.Operation" and isinstance(fields, dict) and isinstance(fields.get("plan"), dict):
        record["fields"] = {**fields, "plan": with_keys(fields.get("kind"), fields["plan"])}
    return record


def _user_fields(model):
    return {f.name for f in model._meta.get_fields() if f.is_relation and f.concrete
            and f.related_model is get_user_model()}


def dump(lab):
    """The lab as a JSON-ready dict."""
    User = get_user_model()
    names = dict(User.objects.values_list("pk", "username"))
    records = []
    for label, path in MODELS:
        model = apps.get_model(label)
        objects = model.objects.filter(**{path: lab.pk}).order_by("pk")
        users = _user_fields(model)
        for record in serializers.serialize("python", objects):
            fields = record["fields"]
            for name in users & set(fields):
                value = fields[name]
                fields[name] = [names.get(v) for v in value] if isinstance(value, list) else names.get(value)
            records.append({"model": label, "pk": record["pk"], "fields": fields})
    return {"format": FORMAT, "version": VERSION, "lab": lab.name,
            "dumped_at": datetime.now(dt_timezone.utc).isoformat(), "records": records}


def dumps(lab):
    return json.dumps(dump(lab), cls=DjangoJSONEncoder, indent=1, sort_keys=True)


def _user_value(field, value, owner, users):
    """A user field of a record: the dump's user by name (trusted), or `owner` / nobody (not trusted: users None)."""
    if users is None:
        if field.name == "owner":
            return owner.pk
        return [] if field.many_to_many else None
    if field.name == "owner" and owner is not None:
        return owner.pk
    if isinstance(value, list):
        return [users[v] for v in value if v in users]
    found = users.get(value)
    if found is None and not field.null:
        raise DumpError(f"no user {value!r} here: give --owner")
    return found


def _empty_by_design(obj):
    """Fields the row may leave empty (null=True) and does: "blank" is what a form may leave empty, and the
    engine leaves some of those unset (an Operation's source node) where no form asks for them."""
    return [f.name for f in obj._meta.concrete_fields if f.null and getattr(obj, f.attname) is None]


def _check(index, record, obj, validate):
    """Run `validate(obj)`; a DumpError naming the record (its place, model, pk in the dump, name), the field
    and the reason when it refuses."""
    try:
        validate(obj)
    except ValidationError as exc:
        label = f"{record['model']} {record['pk']}" + (f" ({obj.name})" if getattr(obj, "name", "") else "")
        reasons = "; ".join(f"{field}: {' '.join(messages)}" if field != "__all__" else " ".join(messages)
                            for field, messages in exc.message_dict.items())
        raise DumpError(f"records[{index}] {label}: {reasons}") from None


@transaction.atomic
def load(data, owner=None, name=None, replace=False, trust_user_names=False):
    """Create the lab described by a dump (a dict); returns it. `name` loads it under another name.

    `owner` owns the copy; without `trust_user_names` the dump's user names are ignored (no members, no
    requesters), and one of the two is required. Every object is validated; a refusal loads nothing."""
    if owner is None and not trust_user_names:
        raise DumpError("a dump names its owner and members by user name, which need not be the same people here: "
                        "give --owner USERNAME (or --trust-user-names to restore this installation's own backup)")
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise DumpError("not a lab dump (made by manage.py dumplab)")
    if data.get("version") != VERSION:
        raise DumpError(f"dump version {data.get('version')!r}; this version reads {VERSION}")
    if not isinstance(data.get("records"), list):
        raise DumpError("a dump has a list of records")
    records = [_upgrade(r) for r in data["records"]]
    for r in records:
        if not isinstance(r.get("fields"), dict) or isinstance(r.get("pk"), bool) or not isinstance(r.get("pk"), int):
            raise DumpError(f"a record of {r['model']} needs a whole-number pk and its fields")
    lab_records = [r for r in records if r["model"] == "inventory.Lab"]
    if len(lab_records) != 1:
        raise DumpError("a dump holds exactly one lab")
    name = name or lab_records[0]["fields"]["name"]
    existing = Lab.objects.filter(name=name)
    if existing.exists():
        if not replace:
            raise DumpError(f"a lab named {name!r} already exists (use --replace, or --as another name)")
        existing.delete()
    known = {label for label, _ in MODELS}
    new_pk = {}
    for label in known:
        model = apps.get_model(label)
        pks = [r["pk"] for r in records if r["model"] == label]
        base = model.objects.aggregate(m=Max("pk"))["m"] or 0
        new_pk[label] = {old: base + i for i, old in enumerate(sorted(pks), start=1)}
    for r in records:
        if r["model"] not in known:
            raise DumpError(f"unknown model {r['model']!r} in the dump")
    User = get_user_model()
    users = dict(User.objects.values_list("username", "pk")) if trust_user_names else None
    rewritten = []
    for r in records:
        model = apps.get_model(r["model"])
        fields = dict(r["fields"])
        for field in model._meta.get_fields():
            if not (field.is_relation and field.concrete) or field.name not in fields:
                continue
            value = fields[field.name]
            if field.related_model is User:
                fields[field.name] = _user_value(field, value, owner, users)
                continue
            target = field.related_model._meta.label
            mapping = new_pk.get(target)
            if mapping is None:
                raise DumpError(f"{r['model']}.{field.name} points outside the lab")
            try:
                fields[field.name] = [mapping[v] for v in value] if isinstance(value, list) else (
                    None if value is None else mapping[value])
            except (KeyError, TypeError):
                raise DumpError(f"{r['model']} {r['pk']}: {field.name} points at {value!r}, "
                                f"which is no {target} of the dump") from None
        if r["model"] == "inventory.Lab":
            fields["name"] = name
        rewritten.append({"model": r["model"], "pk": new_pk[r["model"]][r["pk"]], "fields": fields})
    saved = []
    try:
        for record, obj in zip(records, serializers.deserialize("python", rewritten)):
            # The fields' own checks first: a value the database cannot hold (10**30) never reaches it.
            relations = [f.name for f in obj.object._meta.get_fields() if f.is_relation] + _empty_by_design(obj.object)
            _check(len(saved), record, obj.object, lambda o: o.clean_fields(exclude=relations))
            obj.save()
            saved.append((record, obj.object))
    except (DeserializationError, DatabaseError, ValueError, TypeError) as exc:
        raise DumpError(f"records[{len(saved)}] {records[len(saved)]['model']} {records[len(saved)]['pk']}: "
                        f"{exc}") from None
    for index, (record, obj) in enumerate(saved):  # the whole object, now that what it points at exists
        _check(index, record, obj, lambda o: o.full_clean(exclude=_empty_by_design(o)))
    if connection.vendor == "postgresql":  # the sequences must move past the keys given here
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [apps.get_model(label) for label in known]):
                cursor.execute(sql)
    return Lab.objects.get(pk=new_pk["inventory.Lab"][lab_records[0]["pk"]])


def canonical(data):
    """A dump with its primary keys replaced by their rank per model and its time stamp removed: two dumps
    of the same lab state compare equal, wherever they were loaded."""
    rank = {}
    for r in data["records"]:
        rank.setdefault(r["model"], []).append(r["pk"])
    order = {label: {pk: i for i, pk in enumerate(sorted(pks))} for label, pks in rank.items()}
    out = []
    for r in data["records"]:
        model = apps.get_model(r["model"])
        fields = dict(r["fields"])
        for field in model._meta.get_fields():
            if field.is_relation and field.concrete and field.name in fields and \
                    field.related_model is not get_user_model():
                m = order.get(field.related_model._meta.label, {})
                v = fields[field.name]
                fields[field.name] = sorted(m[x] for x in v) if isinstance(v, list) else m.get(v, v)
        out.append((r["model"], order[r["model"]][r["pk"]], json.dumps(fields, sort_keys=True, cls=DjangoJSONEncoder)))
    return sorted(out)
