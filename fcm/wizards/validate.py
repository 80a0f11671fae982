"""Validate a Configuration (Test-Cluster)."""
from django import forms

from fcm.engine.commands.clusters import start_validation
from fcm.inventory.models import Cluster, Node
from fcm.sim import validation

from .base import NamesField, Step, Wizard


def resolve_names(lab, names):
    """Servers for typed names (NetBIOS or FQDN, any case), or a cluster's nodes.

    Returns (nodes, cluster, errors) with the product's messages for names
    that are unknown or powered off.
    """
    nodes, errors, cluster = [], [], None
    by_name = {n.name.lower(): n for n in Node.objects.filter(lab=lab).select_related("domain", "cluster")}
    by_fqdn = {n.fqdn.lower(): n for n in by_name.values()}
    clusters = {c.name.lower(): c for c in Cluster.objects.filter(lab=lab).select_related("domain")}
    clusters.update({c.fqdn.lower(): c for c in list(clusters.values())})
    for name in names:
        key = name.lower()
        if key in clusters:
            cluster = clusters[key]
            nodes += list(Node.objects.filter(cluster=cluster).select_related("domain", "cluster"))
            continue
        node = by_name.get(key) or by_fqdn.get(key)
        if node is None:
            errors.append(f"The computer '{name}' could not be reached. Verify that you have typed the name "
                          "correctly and that the computer is on the network.")
        elif node.power_state == Node.PowerState.RESTARTING:
            errors.append(f"The computer '{node.name}' is not responding: it is restarting. Try again once it is "
                          "On (Servers).")
        elif node.power_state != Node.PowerState.ON:
            errors.append(f"The computer '{node.name}' is not responding: it is turned off.")
        else:
            nodes.append(node)
    unique = list({n.pk: n for n in nodes}.values())
    clustered = {n.cluster_id for n in unique if n.cluster_id}
    if len(clustered) > 1:
        errors.append("The servers are members of different clusters; validate one cluster at a time.")
    if cluster is None and len(clustered) == 1 and all(n.cluster_id for n in unique):
        cluster = unique[0].cluster
    return sorted(unique, key=lambda n: n.name), cluster, errors


class ServersForm(forms.Form):
    names = NamesField(label="Enter name", required=False, max_length=2000,
                       help_text="Separate names with commas or semicolons.")

    def __init__(self, *args, lab=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lab = lab

    def clean_names(self):
        names = self.cleaned_data["names"]
        if not names:
            raise forms.ValidationError("Type or select at least one server or cluster name.")
        nodes, cluster, errors = resolve_names(self.lab, names)
        if errors:
            raise forms.ValidationError(errors)
        self.nodes, self.cluster = nodes, cluster
        return [n.name for n in nodes]


class OptionsForm(forms.Form):
    mode = forms.ChoiceField(choices=[("all", "Run all tests (recommended)"),
                                      ("selected", "Run only tests I select")],
                             widget=forms.RadioSelect, initial="all")


class SelectionForm(forms.Form):
    tests = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple, required=True,
                                      error_messages={"required": "Select at least one test."})

    def __init__(self, *args, catalogue=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tests"].choices = [(t.name, t.name) for t in catalogue]
        self.catalogue = catalogue


class ValidateWizard(Wizard):
    kind = "validate"
    title = "Validate a Configuration Wizard"
    icon = "report"
    steps = [
        Step("before", "Before You Begin", "wizards/validate/before.html"),
        Step("servers", "Select Servers or a Cluster", "wizards/validate/servers.html", ServersForm),
        Step("options", "Testing Options", "wizards/validate/options.html", OptionsForm),
        Step("selection", "Test Selection", "wizards/validate/selection.html", SelectionForm,
             show=lambda w, d: bool(d) and (d.data.get("options") or {}).get("mode") == "selected"),
        Step("confirmation", "Confirmation", "wizards/validate/confirmation.html"),
        Step("progress", "Validating", "wizards/validate/progress.html"),
    ]

    def nodes(self, draft):
        names = ((draft.data.get("servers") or {}).get("names") or []) if draft else []
        return resolve_names(self.lab, names)[:2]

    def catalogue(self, draft):
        nodes, cluster = self.nodes(draft)
        order = max((n.version.order for n in nodes), default=3)
        return validation.catalogue(order, existing_cluster=cluster is not None)

    def initial(self, draft, step):
        if step.key == "servers" and self.cluster is not None:
            return {"names": self.cluster.name}
        if step.key == "selection":
            return {"tests": [t.name for t in self.catalogue(draft)]}
        return {}

    def form_kwargs(self, draft, step):
        if step.key == "servers":
            return {"lab": self.lab}
        if step.key == "selection":
            return {"catalogue": self.catalogue(draft)}
        return {}

    def selected_tests(self, draft):
        if (draft.data.get("options") or {}).get("mode") == "selected":
            return (draft.data.get("selection") or {}).get("tests") or []
        return [t.name for t in self.catalogue(draft)]

    def context(self, draft, step):
        ctx = {}
        if step.key == "servers":
            ctx["lab_servers"] = Node.objects.filter(lab=self.lab).select_related("cluster").order_by("name")
        if step.key in ("confirmation", "progress") and draft:
            nodes, cluster = self.nodes(draft)
            tests = self.selected_tests(draft)
            ctx.update(nodes=nodes, validated_cluster=cluster, tests=tests,
                       powershell=powershell(nodes, cluster, tests, len(self.catalogue(draft))))
        if step.key == "selection":
            groups = {}
            for t in self.catalogue(draft):
                groups.setdefault(t.category, []).append(t)
            ctx["test_groups"] = sorted(groups.items(), key=lambda kv: validation.CATEGORY_ORDER.index(kv[0]))
        return ctx

    def version_order(self, draft):
        """Validate runs from the servers it tests: their newest version's tools (2008 has no Test-Cluster)."""
        nodes, _ = self.nodes(draft) if draft else ([], None)
        return max((n.version.order for n in nodes), default=3)

    def start_operation(self, draft):
        nodes, cluster = self.nodes(draft)
        op, _ = start_validation(self.user, self.lab, [n.name for n in nodes],
                                                  set(self.selected_tests(draft)), cluster)
        return op


def powershell(nodes, cluster, tests, catalogue_size):
    target = f"-Cluster {cluster.name}" if cluster else "-Node " + ",".join(n.name for n in nodes)
    if len(tests) == catalogue_size:
        return f"Test-Cluster {target}"
    return f"Test-Cluster {target} -Include " + ",".join(f'"{t}"' for t in tests)
