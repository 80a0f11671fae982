"""Forms behind the console: the search box, the Cluster Events query, and the dialogs' fields."""
from django import forms
from django.core.exceptions import ValidationError

from fcm.engine.commands import properties
from fcm.engine.effects.servers import FEATURE_FIELDS
from fcm.engine.clock import CLOCK_SPEEDS
from fcm.inventory import ranges
from fcm.inventory.ids import whole_number, whole_numbers
from fcm.inventory.models import Cluster, ClusterEvent, ReplicaAuthorization, ReplicaServer, Role
from fcm.inventory.models.servers import MigrationAuthentication
from fcm.sim import migration
from fcm.sim import names as server_names
from fcm.sim import networks as netsim
from fcm.sim import servers as server_rules

from . import selectors


class SearchForm(forms.Form):
    """The search box above every list: a case-insensitive name filter."""

    q = forms.CharField(required=False, max_length=100, strip=True, label="Search")


def _parse_event_ids(value):
    """'1135, 1069 1177' -> [1135, 1069, 1177]; a clear error for anything else."""
    ids = []
    for part in value.replace(",", " ").split():
        if whole_number(part) is None or not 0 < int(part) < 65536:
            raise ValidationError(
                f"'{part}' is not an event ID. Type numbers from 1 to 65535, separated by commas.",
                code="invalid_event_id",
            )
        ids.append(int(part))
    return ids


class EventQueryForm(forms.Form):
    """Cluster Events -> Query...: levels, event IDs, node, role, dates, text."""

    level = forms.TypedMultipleChoiceField(
        choices=ClusterEvent.Level.choices, coerce=int, required=False,
        widget=forms.CheckboxSelectMultiple, label="Event level",
    )
    event_id = forms.CharField(
        required=False, max_length=200, label="Event IDs",
        help_text="Separate IDs with commas, e.g. 1069, 1135",
    )
    node = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label="Node")
    role = forms.IntegerField(required=False, widget=forms.HiddenInput)
    q = forms.CharField(required=False, max_length=100, strip=True, label="Description contains")
    since = forms.DateTimeField(required=False, label="Events on or after",
                                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    until = forms.DateTimeField(required=False, label="Events on or before",
                                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))

    def __init__(self, *args, nodes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["node"].choices = [("", "All nodes")] + [(n.pk, n.name) for n in nodes]

    def clean_event_id(self):
        return _parse_event_ids(self.cleaned_data["event_id"])

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", "The end of the period is before its start.")
        return data

    def apply(self, queryset):
        data = self.cleaned_data
        if data.get("level"):
            queryset = queryset.filter(level__in=data["level"])
        if data.get("event_id"):
            queryset = queryset.filter(event_id__in=data["event_id"])
        if data.get("node"):
            queryset = queryset.filter(node_id=data["node"])
        if data.get("role"):
            queryset = queryset.filter(role_id=data["role"])
        if data.get("q"):
            queryset = queryset.filter(description__icontains=data["q"])
        if data.get("since"):
            queryset = queryset.filter(sim_time__gte=data["since"])
        if data.get("until"):
            queryset = queryset.filter(sim_time__lte=data["until"])
        return queryset

    @property
    def is_filtered(self):
        return self.is_bound and self.is_valid() and any(
            self.cleaned_data.get(k) for k in ("level", "event_id", "node", "role", "q", "since", "until")
        )


class ClusterPropertiesForm(forms.ModelForm):
    """Heartbeat thresholds and (2016+) compute resiliency: the cluster common properties
    an administrator tunes with (Get-Cluster).<Property> = <value>.

    Ranges follow the failover clustering team's tuning guidance (fcm.md section 8.1); the
    engine holds them (fcm.engine.commands.properties.CLUSTER_PROPERTIES).
    """

    RANGES = {name: (low, high) for name, (_, low, high) in properties.CLUSTER_PROPERTIES.items()}
    #: The PowerShell property behind each field.
    PROPERTIES = {name: label for name, (label, _, _) in properties.CLUSTER_PROPERTIES.items()}

    class Meta:
        model = Cluster
        fields = ["same_subnet_delay_ms", "same_subnet_threshold", "cross_subnet_delay_ms",
                  "cross_subnet_threshold", "resiliency_period_s", "quarantine_threshold", "quarantine_duration_s"]
        labels = {
            "same_subnet_delay_ms": "Same subnet delay (ms)", "same_subnet_threshold": "Same subnet threshold",
            "cross_subnet_delay_ms": "Cross subnet delay (ms)", "cross_subnet_threshold": "Cross subnet threshold",
            "resiliency_period_s": "Resiliency default period (s)", "quarantine_threshold": "Quarantine threshold",
            "quarantine_duration_s": "Quarantine duration (s)",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        present = properties.cluster_property_names(self.instance)  # compute resiliency came with 2016
        for name in [n for n in self.fields if n not in present]:
            del self.fields[name]
        for name, field in self.fields.items():
            low, high = self.RANGES[name]
            field.help_text = f"{self.PROPERTIES[name]}, {low} to {high}"

    def clean(self):
        data = super().clean()
        for name in self.fields:
            value = data.get(name)
            low, high = self.RANGES[name]
            if value is not None and not low <= value <= high:
                self.add_error(name, f"{self.fields[name].label} must be from {low} to {high}.")
        return data


class RolePropertiesForm(forms.Form):
    """A role's Properties: General (name, priority, preferred owners), Failover (threshold, failback)."""

    name = forms.CharField(max_length=120)
    priority = forms.TypedChoiceField(choices=Role.Priority.choices, coerce=int)
    failover_threshold = forms.IntegerField(required=False, min_value=0, max_value=4294967295,
                                            label="Maximum failures in the specified period")
    failover_period_hours = forms.IntegerField(min_value=1, max_value=1193, label="Period (hours)")
    failback = forms.ChoiceField(choices=[("prevent", "Prevent failback"),
                                          ("immediately", "Allow failback: Immediately"),
                                          ("window", "Allow failback: Failback between")])
    window_start = forms.IntegerField(required=False, min_value=0, max_value=23)
    window_end = forms.IntegerField(required=False, min_value=0, max_value=23)

    def __init__(self, *args, role=None, nodes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.role, self.nodes = role, list(nodes)
        for n in self.nodes:
            self.fields[f"owner_{n.pk}"] = forms.IntegerField(required=False, min_value=1, max_value=len(self.nodes))

    @classmethod
    def of(cls, role, nodes, data=None):
        """The form showing the role as it is (bound to `data` when posted)."""
        ranks = {p.node_id: p.rank for p in role.preferred_owner_entries.all()}
        initial = {
            "name": role.name, "priority": role.priority, "failover_threshold": role.failover_threshold,
            "failover_period_hours": role.failover_period_hours,
            "failback": "prevent" if role.failback == Role.Failback.PREVENT else (
                "window" if role.failback_window_start is not None else "immediately"),
            "window_start": role.failback_window_start, "window_end": role.failback_window_end,
            **{f"owner_{pk}": rank for pk, rank in ranks.items()},
        }
        return cls(data, initial=initial, role=role, nodes=nodes)

    def owner_rows(self):
        return [(n, self[f"owner_{n.pk}"]) for n in self.nodes]

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if selectors.role_name_taken(self.role.cluster, name, self.role):
            raise forms.ValidationError(f"Another role of this cluster is named {name}.")
        return name

    def clean(self):
        data = super().clean()
        ranks = {n.pk: data.get(f"owner_{n.pk}") for n in self.nodes if data.get(f"owner_{n.pk}")}
        if len(set(ranks.values())) != len(ranks):
            raise forms.ValidationError("Give each preferred owner a different position (1 is tried first).")
        data["preferred"] = [pk for pk, _ in sorted(ranks.items(), key=lambda kv: kv[1])]
        if data.get("failback") == "window":
            if data.get("window_start") is None or data.get("window_end") is None:
                self.add_error("window_start", "Type the hours (0-23) between which failback may happen.")
        return data

    def properties(self):
        """The cleaned values as fcm.engine.commands.properties.set_role_properties takes them."""
        d = self.cleaned_data
        window = d["failback"] == "window"
        return {"name": d["name"], "priority": d["priority"], "failover_threshold": d["failover_threshold"],
                "failover_period_hours": d["failover_period_hours"],
                "failback": Role.Failback.PREVENT if d["failback"] == "prevent" else Role.Failback.ALLOW,
                "failback_window": (d["window_start"], d["window_end"]) if window else None,
                "preferred_owners": d["preferred"]}


class MoveTargetForm(forms.Form):
    """Move > ... > Best Possible Node, or Select Node... and the node."""

    target = forms.IntegerField(required=False)
    best = forms.BooleanField(required=False)

    def clean(self):
        data = super().clean()
        if not data.get("best") and not data.get("target"):
            raise forms.ValidationError("Select the node to move the virtual machine to.")
        return data


class RecoveryPointForm(forms.Form):
    """(Test) Failover...: the recovery point to fail over to.

    "Latest Recovery Point" means the newest when the failover starts (a replication cycle may have
    added one since the dialog opened); an older point is the one chosen, while it is kept.
    """

    LATEST = "latest"

    point = forms.CharField(error_messages={"required": "Select a recovery point."})

    def __init__(self, *args, points=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.ordered = sorted(points, key=lambda p: (p.sim_time, p.pk), reverse=True)
        self.points = {p.pk: p for p in self.ordered}

    def clean_point(self):
        value = self.cleaned_data["point"]
        if value == self.LATEST and self.ordered:
            return self.ordered[0]
        pk = whole_number(value)
        if pk not in self.points:
            raise forms.ValidationError("That recovery point no longer exists; choose another.")
        return self.points[pk]


#: The most rows "Allow replication from the specified servers" keeps: a wildcard (*.contoso.com) covers a domain.
MAX_AUTHORIZED = 100
_AUTHORIZED_FIELDS = {f.name: f.max_length for f in ReplicaAuthorization._meta.fields if f.max_length}


class ReplicaServerForm(forms.ModelForm):
    """Replication Settings (a broker) / Replication Configuration (a server)."""

    authorized = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}),
        # No max_length: the count of rows is the limit people meet (and each row's fields have theirs); the
        # request itself is bounded by DATA_UPLOAD_MAX_MEMORY_SIZE.
        label="Allow replication from the specified servers (one per line: primary server, storage location, "
              "trust group)")

    class Meta:
        model = ReplicaServer
        fields = list(properties.REPLICA_SERVER_SETTINGS)

    def clean_authorized(self):
        lines = [(n, line) for n, line in enumerate(self.cleaned_data["authorized"].splitlines(), start=1)
                 if line.strip()]
        if len(lines) > MAX_AUTHORIZED:
            raise forms.ValidationError(
                f"At most {MAX_AUTHORIZED} primary servers (this list has {len(lines)}): allow a whole domain "
                "with a wildcard, e.g. *.contoso.com.")
        rows = []
        for n, line in lines:
            parts = [p.strip() for p in line.split(",")]
            if len(parts) < 2 or not parts[0] or not parts[1]:
                raise forms.ValidationError(f"Line {n}: give the primary server and its storage location, "
                                            "separated by a comma.")
            problem = server_names.host_pattern_problem(parts[0])
            if problem:
                raise forms.ValidationError(f"Line {n}: {problem}")
            row = (parts[0], parts[1], parts[2] if len(parts) > 2 and parts[2] else "DEFAULT")
            for name, value in zip(("primary_server", "storage_location", "trust_group"), row):
                if len(value) > _AUTHORIZED_FIELDS[name]:
                    raise forms.ValidationError(f"Line {n}: the {name.replace('_', ' ')} is longer than "
                                                f"{_AUTHORIZED_FIELDS[name]} characters.")
            rows.append(row)
        return rows

    def clean(self):
        data = super().clean()
        if data.get("enabled"):
            if not data.get("kerberos") and not data.get("certificate"):
                self.add_error("kerberos", "Choose at least one authentication type.")
            if data.get("allow_any") and not data.get("default_storage"):
                self.add_error("default_storage", "Specify the default location to store Replica files.")
            if not data.get("allow_any") and not data.get("authorized"):
                self.add_error("authorized", "Add at least one primary server, or allow any authenticated server.")
        return data

    def settings(self):
        """The cleaned settings as fcm.engine.commands.properties.set_replica_server takes them."""
        return {name: self.cleaned_data[name] for name in properties.REPLICA_SERVER_SETTINGS}


class ClockForm(forms.Form):
    """The status bar's clock: pause, resume, or one of the speeds."""

    action = forms.ChoiceField(choices=[("pause", "Pause"), ("resume", "Resume")], required=False)
    speed = forms.TypedChoiceField(choices=[(s, s) for s in CLOCK_SPEEDS], coerce=int, required=False,
                                   empty_value=None)


class WholeNumbersField(forms.Field):
    """Ticked rows posted as several values of one name: the whole numbers among them (the rest dropped)."""

    widget = forms.CheckboxSelectMultiple

    def to_python(self, value):
        return whole_numbers(value or [])


class AddDiskForm(forms.Form):
    """Storage > Add Disk: the LUNs ticked (which may be added is the engine's to say, at this field)."""

    disks = WholeNumbersField(required=False, label="Disks")


class StorageMoveForm(forms.Form):
    """Move Available Storage / a Cluster Shared Volume's Move: Best Possible Node, or the node selected."""

    target = forms.CharField(required=False, label="Node")
    best = forms.BooleanField(required=False)

    def clean(self):
        data = super().clean()
        data["target"] = whole_number(data.get("target"))
        if not data.get("best") and data["target"] is None:
            self.add_error("target", "Select the node to move the storage to.")
        return data


class DriveLetterForm(forms.Form):
    """Change Drive Letter: one letter A to Z (which are free is the engine's to say)."""

    letter = forms.CharField(max_length=2, label="Drive letter",
                             error_messages={"required": "Choose a drive letter.",
                                             "max_length": "Type a drive letter from A to Z."})

    def clean_letter(self):
        letter = self.cleaned_data["letter"].strip().rstrip(":").upper()
        if len(letter) != 1 or not ("A" <= letter <= "Z"):
            raise forms.ValidationError("Type a drive letter from A to Z.")
        return letter


class NetworkPropertiesForm(forms.Form):
    """A cluster network's Properties: Name and Cluster Use in the product's words (fcm.sim.networks)."""

    ALLOW, DENY = "allow", "deny"

    name = forms.CharField(max_length=netsim.MAX_NAME_LENGTH, label="Name",
                           error_messages={"required": "Type a name for the network.",
                                           "max_length": f"A network name can have at most {netsim.MAX_NAME_LENGTH} "
                                                         "characters."})
    cluster_use = forms.ChoiceField(choices=[(ALLOW, netsim.ALLOW_CLUSTER), (DENY, netsim.DENY_CLUSTER)],
                                    widget=forms.RadioSelect, label="Cluster Use",
                                    error_messages={"required": "Choose whether the cluster may use this network.",
                                                    "invalid_choice": "Choose whether the cluster may use this "
                                                                      "network."})
    clients = forms.BooleanField(required=False, label=netsim.ALLOW_CLIENTS)

    @classmethod
    def of(cls, network, data=None):
        initial = {"name": network.name,
                   "cluster_use": cls.DENY if network.role == netsim.ROLE_NONE else cls.ALLOW,
                   "clients": network.role == netsim.ROLE_CLUSTER_AND_CLIENT}
        return cls(data, initial=initial)

    def role(self):
        """The Role the choices give (0, 1 or 3)."""
        d = self.cleaned_data
        return netsim.role_for(d["cluster_use"] == self.ALLOW, d.get("clients", False))

# -- Servers: System Properties, Server Manager, TCP/IPv4, iSCSI Initiator --------------------------------

class JoinDomainForm(forms.Form):
    """Computer Name/Domain Changes: Member of a domain or a workgroup."""

    member_of = forms.ChoiceField(choices=[("domain", "Domain:"), ("workgroup", "Workgroup:")],
                                  widget=forms.RadioSelect, initial="domain", label="Member of")
    domain = forms.CharField(required=False, max_length=255, label="Domain")
    workgroup = forms.CharField(required=False, max_length=15, label="Workgroup")

    def clean(self):
        data = super().clean()
        if data.get("member_of") == "domain" and not data.get("domain"):
            self.add_error("domain", "Type the name of the domain to join.")
        if data.get("member_of") == "workgroup" and not data.get("workgroup"):
            self.add_error("workgroup", "Type the name of the workgroup.")
        return data

    def target(self):
        """The engine command's arguments: join_domain(domain=..., workgroup=...)."""
        if self.cleaned_data["member_of"] == "domain":
            return {"domain": self.cleaned_data["domain"]}
        return {"workgroup": self.cleaned_data["workgroup"]}


class FeaturesForm(forms.Form):
    """Add Roles and Features (2012+), Add Roles / Add Features (2008, 2008 R2): what to install."""

    features = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple, required=False,
                                         label="Roles and features")
    restart = forms.BooleanField(required=False, label="Restart the destination server automatically if required")

    def __init__(self, *args, node=None, kind="", **kwargs):
        super().__init__(*args, **kwargs)
        self.node = node
        offered = [f for f in server_rules.FEATURES if not kind or f.role == (kind == "roles")]
        self.fields["features"].choices = [(f.name, f.label) for f in offered]
        pending = set((node.pending_changes or {}).get("features", ())) if node is not None else set()
        #: (feature, installed, waiting for a restart) rows, as the wizard lists them.
        self.rows = [(f, node is not None and getattr(node, FEATURE_FIELDS[f.name]), f.name in pending)
                     for f in offered]

    def clean_features(self):
        chosen = self.cleaned_data["features"]
        if not chosen:
            raise ValidationError("Select at least one role or feature to install.")
        return chosen


class Ipv4Form(forms.Form):
    """Internet Protocol Version 4 (TCP/IPv4) Properties: automatic, or the address, mask and gateway."""

    mode = forms.ChoiceField(choices=[("automatic", "Obtain an IP address automatically"),
                                      ("static", "Use the following IP address:")],
                             widget=forms.RadioSelect, initial="automatic", label="IP settings")
    ip = forms.CharField(required=False, max_length=15, label="IP address")
    mask = forms.CharField(required=False, max_length=15, label="Subnet mask")
    gateway = forms.CharField(required=False, max_length=15, label="Default gateway")

    def clean(self):
        data = super().clean()
        if data.get("mode") == "automatic" and (data.get("ip") or data.get("mask") or data.get("gateway")):
            self.add_error("mode", "Choose 'Use the following IP address:' to set the address you typed.")
        return data

    def settings(self):
        data = self.cleaned_data
        return {"automatic": data["mode"] == "automatic", "ip": data["ip"], "mask": data["mask"],
                "gateway": data["gateway"]}


class IscsiForm(forms.Form):
    """iSCSI Initiator Properties > Targets: a discovered target, and Connect or Disconnect."""

    target = forms.TypedChoiceField(coerce=int, widget=forms.RadioSelect, label="Discovered targets",
                                    error_messages={"required": "Select a target from the list of discovered "
                                                                "targets.",
                                                    "invalid_choice": "Select a target from the list of "
                                                                      "discovered targets."})
    action = forms.ChoiceField(choices=[("connect", "Connect"), ("disconnect", "Disconnect")])

    def __init__(self, *args, node=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.luns = {d.pk: d for d, _, _ in selectors.iscsi_targets(node)} if node is not None else {}
        self.fields["target"].choices = [(pk, d.name) for pk, d in self.luns.items()]

    def clean_target(self):
        return self.luns[self.cleaned_data["target"]]


class MigrationSettingsForm(forms.Form):
    """Hyper-V Settings: Live Migrations, Advanced Features, Storage Migrations (numbers are checked by the
    engine command, so the dialog says exactly what Hyper-V Manager would beside the box)."""

    enabled = forms.BooleanField(required=False, label="Enable incoming and outgoing live migrations")
    simultaneous = forms.CharField(required=False, label="Simultaneous live migrations")
    use_any = forms.ChoiceField(choices=[("on", "Use any available network for live migration"),
                                         ("", "Use these IP addresses for live migration:")],
                                widget=forms.RadioSelect, required=False, label="Incoming live migrations")
    networks = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
                               label="IP addresses or subnets, one per line, in priority order")
    authentication = forms.ChoiceField(choices=MigrationAuthentication.choices, widget=forms.RadioSelect,
                                       label="Authentication protocol")
    performance = forms.ChoiceField(choices=migration.PERFORMANCE_CHOICES, widget=forms.RadioSelect,
                                    required=False, label="Performance options")
    storage_simultaneous = forms.CharField(required=False, label="Simultaneous storage migrations")

    @classmethod
    def of(cls, node):
        return cls(initial={
            "enabled": node.vm_migration_enabled, "simultaneous": node.max_vm_migrations,
            "use_any": "on" if node.use_any_network_for_migration else "",
            "networks": "\n".join(n.subnet for n in node.migration_networks.all()),
            "authentication": node.migration_authentication, "performance": node.live_migration_performance,
            "storage_simultaneous": node.max_storage_migrations})

    def initial_settings(self):
        """The settings as they are saved (what `of` filled in), in the shape of `settings()`."""
        data = self.initial
        return {"enabled": data["enabled"], "simultaneous": data["simultaneous"],
                "storage_simultaneous": data["storage_simultaneous"], "authentication": data["authentication"],
                "performance": data["performance"], "use_any": data["use_any"] == "on",
                "networks": data["networks"].splitlines()}

    def settings(self):
        data = self.cleaned_data
        return {"enabled": data["enabled"], "simultaneous": whole_number(data["simultaneous"]),
                "storage_simultaneous": whole_number(data["storage_simultaneous"]),
                "authentication": data["authentication"], "performance": data["performance"],
                "use_any": data["use_any"] == "on", "networks": data["networks"].splitlines()}


class AccountsField(forms.ModelMultipleChoiceField):
    """Computer accounts by row id: a value that is no row id is refused before it reaches a query."""

    def _check_values(self, value):
        if any(whole_number(v) is None for v in value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super()._check_values(value)


class SharePermissionsForm(forms.Form):
    """A share's Properties > Permissions: the computer accounts with Full Control (share and folder alike)."""

    full_access = AccountsField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple, label="Full Control",
        error_messages={"invalid_choice": "That computer account is not in this domain.",
                        "invalid_pk_value": "That computer account is not in this domain."})

    def __init__(self, *args, accounts=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["full_access"].queryset = accounts
        self.fields["full_access"].label_from_instance = \
            lambda node: f"{node.domain.netbios_name}\\{node.name}$"


class VirtualSwitchForm(forms.Form):
    """Virtual Switch Manager > New virtual network switch: its name, what it connects to, its adapter."""

    name = forms.CharField(max_length=80, required=False, label="Name:")
    kind = forms.ChoiceField(widget=forms.RadioSelect, label="Connection type", initial="External", choices=[
        ("External", "External network"), ("Internal", "Internal network"), ("Private", "Private network")])
    adapter = forms.CharField(required=False, label="External network:")

    def __init__(self, *args, node=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.adapters = list(node.adapters.order_by("name")) if node else []

    def clean_adapter(self):
        value = self.cleaned_data["adapter"]
        if not value:
            return None
        pk = whole_number(value)
        found = next((a for a in self.adapters if a.pk == pk), None)
        if found is None:
            raise ValidationError("Choose one of this server's network adapters.")
        return found


class VmSettingsForm(forms.Form):
    """Settings for a VM: Memory (startup RAM, Dynamic Memory), Processor, Network Adapter."""

    memory_mb = forms.IntegerField(label="Startup RAM:", min_value=1, max_value=ranges.MAX_MEMORY_MB,
                                   error_messages={"required": "Type the startup memory in MB.",
                                                   "invalid": "Type the startup memory in MB, a whole number."})
    dynamic_memory = forms.BooleanField(required=False, label="Enable Dynamic Memory")
    vcpus = forms.IntegerField(label="Number of virtual processors:", min_value=1, max_value=ranges.MAX_VCPUS,
                               error_messages={"required": "Type the number of virtual processors.",
                                               "invalid": "Type the number of virtual processors, a whole number."})
    switch = forms.ChoiceField(required=False, label="Virtual switch:")

    def __init__(self, *args, vm=None, **kwargs):
        super().__init__(*args, **kwargs)
        names = list(vm.host_node.virtual_switches.order_by("name").values_list("name", flat=True)) if vm else []
        self.fields["switch"].choices = [("", "Not connected")] + [(n, n) for n in names]
