"""Create Cluster (New-Cluster)."""
import ipaddress

from django import forms

from fcm.engine.commands.clusters import start_create_cluster
from fcm.engine.errors import EngineError
from fcm.engine.facts import eligible_disks
from fcm.engine.models import ValidationReport
from fcm.inventory.models import Cluster, ClusterAddress, Network, NetworkAdapter, Node, Role, VirtualMachine
from fcm.sim.names import netbios_name_problem

from .base import NamesField, Step, Wizard

from .validate import resolve_names


class SelectServersForm(forms.Form):
    """Servers to make cluster nodes: not clustered yet, with the Failover Clustering feature."""

    names = NamesField(label="Enter server name", required=False, max_length=2000)

    def __init__(self, *args, lab=None, cluster=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lab, self.cluster = lab, cluster

    def clean_names(self):
        names = self.cleaned_data["names"]
        if not names:
            raise forms.ValidationError("Type or select the servers to add to the cluster.")
        nodes, _, errors = resolve_names(self.lab, names)
        for n in nodes:
            if n.cluster_id:
                errors.append(f"The computer '{n.name}' is already part of the cluster '{n.cluster.name}'.")
            elif not n.failover_clustering_installed:
                errors.append(f"The Failover Clustering feature is not installed on '{n.name}'.")
        errors += self.more_problems(nodes)
        if errors:
            raise forms.ValidationError(errors)
        return [n.name for n in nodes]

    def more_problems(self, nodes):
        if len({n.os_version for n in nodes}) > 1:
            return ["The servers do not run the same version of Windows Server."]
        return []


class ValidationWarningForm(forms.Form):
    run_validation = forms.ChoiceField(choices=[
        ("yes", "Yes. When I click Next, run configuration validation tests, and then return to the process "
                "of creating the cluster."),
        ("no", "No. I do not require support for this cluster, and therefore do not want to run the "
               "validation tests. When I click Next, continue creating the cluster.")],
        widget=forms.RadioSelect, initial="yes")


def client_networks(lab, nodes):
    """Networks an administrative access point can use: a default gateway, and
    an adapter on every selected server. DHCP networks get their address automatically."""
    per_node = {}
    for a in NetworkAdapter.objects.filter(node__in=nodes, network__isnull=False, connected=True) \
            .select_related("network"):
        per_node.setdefault(a.network_id, {})[a.node_id] = a
    out = []
    for adapters in per_node.values():
        if len(adapters) != len(nodes):
            continue
        net = next(iter(adapters.values())).network
        if not net.gateway:
            continue
        out.append((net, all(a.dhcp for a in adapters.values())))
    return sorted(out, key=lambda pair: ipaddress.IPv4Network(pair[0].subnet))


class AccessPointForm(forms.Form):
    name = forms.CharField(label="Cluster Name", max_length=15, required=False)

    def __init__(self, *args, lab=None, nodes=(), version_order=3, **kwargs):
        super().__init__(*args, **kwargs)
        self.lab, self.nodes = lab, nodes
        self.networks = client_networks(lab, nodes) if nodes else []
        for net, dhcp in self.networks:
            self.fields[f"use_{net.pk}"] = forms.BooleanField(required=False, initial=True, label=net.subnet)
            self.fields[f"address_{net.pk}"] = forms.CharField(required=False, max_length=15,
                                                               label=f"Address on {net.subnet}")

    def rows(self):
        return [(net, dhcp, self[f"use_{net.pk}"], self[f"address_{net.pk}"]) for net, dhcp in self.networks]

    def clean_name(self):
        name = (self.cleaned_data.get("name") or "").strip()
        problem = netbios_name_problem(name)
        if problem:
            raise forms.ValidationError(problem)
        taken = (Node.objects.filter(lab=self.lab, name__iexact=name).exists()
                 or Cluster.objects.filter(lab=self.lab, name__iexact=name).exists()
                 or VirtualMachine.objects.filter(lab=self.lab, name__iexact=name).exists()
                 or Role.objects.filter(cluster__lab=self.lab, name__iexact=name).exists())
        if taken:
            raise forms.ValidationError(f"The name '{name}' is already used in the domain by another "
                                        "computer, cluster or role. Type a unique name.")
        return name

    def clean(self):
        data = super().clean()
        used = set(NetworkAdapter.objects.filter(node__lab=self.lab).exclude(ip_address="")
                   .values_list("ip_address", flat=True))
        used |= set(ClusterAddress.objects.filter(cluster__lab=self.lab).values_list("ip_address", flat=True))
        chosen = []
        for net, dhcp in self.networks:
            if not data.get(f"use_{net.pk}"):
                continue
            if dhcp:
                chosen.append((net, None))
                continue
            field = f"address_{net.pk}"
            raw = (data.get(field) or "").strip()
            if not raw:
                self.add_error(field, f"Type an address on {net.subnet}.")
                continue
            try:
                ip = ipaddress.IPv4Address(raw)
            except ValueError:
                self.add_error(field, f"'{raw}' is not a valid IPv4 address.")
                continue
            subnet = net.ip_network
            if ip not in subnet:
                self.add_error(field, f"{ip} is not in the network {net.subnet}.")
            elif ip in (subnet.network_address, subnet.broadcast_address):
                self.add_error(field, f"{ip} is the {'network' if ip == subnet.network_address else 'broadcast'} "
                                      f"address of {net.subnet}; it cannot be used.")
            elif str(ip) in used:
                self.add_error(field, f"The address {ip} is already in use on the network.")
            else:
                chosen.append((net, str(ip)))
        if self.networks and not chosen and not self.errors:
            raise forms.ValidationError("Select at least one network for the cluster's administrative "
                                        "access point.")
        if not self.networks:
            raise forms.ValidationError("None of the servers' networks has a default gateway shared by every "
                                        "server: the cluster needs one for its administrative access point.")
        data["addresses"] = [{"network": net.pk, "ip": ip} for net, ip in chosen if ip]
        return data


class ConfirmationForm(forms.Form):
    add_storage = forms.BooleanField(required=False, initial=True,
                                     label="Add all eligible storage to the cluster.")


def _has_servers(wizard, draft):
    return not (draft and draft.data.get("from_validation"))


def _needs_warning(wizard, draft):
    if not draft:
        return False
    names = sorted((draft.data.get("servers") or {}).get("names") or [])
    if not names:
        return False
    passing = ValidationReport.objects.filter(lab=wizard.lab, outcome__in=ValidationReport.PASSING)
    return not any(sorted(r.nodes) == names for r in passing)


class CreateClusterWizard(Wizard):
    kind = "create-cluster"
    title = "Create Cluster Wizard"
    icon = "cluster"
    steps = [
        Step("before", "Before You Begin", "wizards/create/before.html"),
        Step("servers", "Select Servers", "wizards/create/servers.html", SelectServersForm, show=_has_servers),
        Step("warning", "Validation Warning", "wizards/create/warning.html", ValidationWarningForm,
             show=_needs_warning),
        Step("access", "Access Point for Administering the Cluster", "wizards/create/access.html", AccessPointForm),
        Step("confirmation", "Confirmation", "wizards/create/confirmation.html", ConfirmationForm),
        Step("progress", "Creating New Cluster", "wizards/create/progress.html"),
    ]

    def nodes(self, draft):
        names = ((draft.data.get("servers") or {}).get("names") or []) if draft else []
        return list(Node.objects.filter(lab=self.lab, name__in=names).order_by("name"))

    def version_order(self, draft):
        return max((n.version.order for n in self.nodes(draft)), default=3)

    def form_kwargs(self, draft, step):
        if step.key == "servers":
            return {"lab": self.lab}
        if step.key == "access":
            return {"lab": self.lab, "nodes": self.nodes(draft), "version_order": self.version_order(draft)}
        return {}

    def params(self, draft):
        access = draft.data.get("access") or {}
        confirm = draft.data.get("confirmation") or {}
        return {"name": access.get("name", ""), "nodes": [n.name for n in self.nodes(draft)],
                "addresses": access.get("addresses", []),
                "add_storage": bool(confirm.get("add_storage", True)) if self.version_order(draft) >= 3 else True}

    def context(self, draft, step):
        ctx = {}
        if step.key == "servers":
            ctx["lab_servers"] = Node.objects.filter(lab=self.lab).select_related("cluster").order_by("name")
        if draft and step.key in ("confirmation", "progress", "access", "warning"):
            params = self.params(draft)
            ctx.update(params=params, nodes=self.nodes(draft), version_order=self.version_order(draft),
                       eligible=eligible_disks(self.lab, self.nodes(draft)))
            ctx["addresses"] = [a["ip"] for a in params["addresses"]]
            ctx["powershell"] = powershell(params, self.version_order(draft))
        return ctx

    def cluster_exe(self, draft, step):
        params = self.params(draft)
        networks = {n.pk: n for n in Network.objects.filter(lab=self.lab)}
        line = f'cluster /cluster:{params["name"] or "<name>"} /create /nodes:"{" ".join(params["nodes"])}"'
        for a in params["addresses"]:
            net = networks.get(a["network"])
            line += f" /ipaddr:{a['ip']}/{net.ip_network.netmask if net else '<mask>'}"
        return line

    def start_operation(self, draft):
        params = self.params(draft)
        if Cluster.objects.filter(lab=self.lab, name__iexact=params["name"]).exists():
            raise EngineError(f"A cluster named {params['name']} already exists.")
        return start_create_cluster(self.user, self.lab, params)


def powershell(params, version_order):
    line = f"New-Cluster -Name {params['name'] or '<name>'} -Node {','.join(params['nodes'])}"
    if params["addresses"]:
        line += " -StaticAddress " + ",".join(a["ip"] for a in params["addresses"])
    if version_order >= 3 and not params["add_storage"]:
        line += " -NoStorage"
    return line
