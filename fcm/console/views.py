"""The three-pane console: tree, centre (list + detail), Actions.

One URL per thing a user can select, so back/forward, reload and deep
links all render the same page. A full request gets the whole page; an
htmx navigation gets only the `console` partial; a row click (target
`selection`) gets the detail pane plus the Actions pane out of band. All
three come from the same template, so they cannot drift apart.
"""
import time

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ObjectDoesNotExist
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.cache import patch_vary_headers
from django.views import View
from django.views.generic import TemplateView

from fcm.inventory.models import Cluster, ClusterDisk, ClusterEvent, Lab
from fcm.sim import quorum, versions

from fcm.engine.status import attach_last_operations, attach_operations
from fcm.training import panel as training

from . import actions, selectors
from fcm.engine.clock import CLOCK_SPEEDS
from .forms import EventQueryForm, SearchForm


class LabListView(LoginRequiredMixin, TemplateView):
    template_name = "console/lab_list.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs),
                "labs": selectors.labs_for(self.request.user)}


class ConsoleView(LoginRequiredMixin, View):
    """Base of every console page. Subclasses fill the centre and the actions."""

    template_name = "console/page.html"
    #: Which tree item is selected: root, servers, cluster, roles, nodes, ...
    tree_item = "root"
    centre_template = ""
    detail_template = ""

    def get(self, request, *args, **kwargs):
        #: Before any query: a push committed after this may be missing from the page (see lab-sync).
        rendered_at = time.time()
        self.lab = get_object_or_404(Lab.objects.visible_to(request.user), pk=kwargs["lab"])
        self.cluster = None
        if "cluster" in kwargs:
            self.cluster = get_object_or_404(
                Cluster.objects.select_related("domain", "lab"), lab=self.lab, pk=kwargs["cluster"])
        self.selected = None
        htmx = request.htmx
        #: A row click only needs the details and the Actions pane, not the list.
        self.selection_only = bool(htmx and htmx.target == "selection"
                                   and not htmx.history_restore_request and "pk" in kwargs)
        self.sim_now = self.lab.sim_now()
        context = {
            "lab": self.lab,
            "sim_now": self.sim_now,
            "can_control_clock": True,
            "clock_speeds": CLOCK_SPEEDS,
            "tree_item": self.tree_item,
            "current_cluster": self.cluster,
            "here": request.get_full_path(),
            "rendered_at": f"{rendered_at:.3f}",
        }
        context.update(self.centre_context(**kwargs))
        context["clusters"] = selectors.clusters_of(self.lab)
        context.setdefault("selected", self.selected)
        context["may_simulate"] = self.lab.may_simulate(request.user)
        context.update(training.console_context(self.lab, request.user))
        context["action_groups"] = [] if context["read_only"] else self.action_groups(context)
        context["can_control_clock"] = not context["read_only"] and not context.get("trainer_clock")
        if not context["may_simulate"]:
            for group in context["action_groups"]:
                group.actions = [a for a in group.actions if not a.is_fault]
        return self.render(context)

    def centre_context(self, **kwargs):
        return {}

    def action_groups(self, context):
        return []

    def render(self, context):
        htmx = self.request.htmx
        template = self.template_name
        if htmx and not htmx.history_restore_request:
            if self.selection_only and self.selected is not None:
                template += "#selection-swap"
            else:
                template += "#console"
        context.update(centre_template=self.centre_template, detail_template=self.detail_template)
        response = TemplateResponse(self.request, template, context)
        patch_vary_headers(response, ["HX-Request", "HX-Target", "HX-History-Restore-Request"])
        return response

    def select(self, fetch):
        """Load the selected row through `fetch()`; a stale or foreign pk is a 404."""
        try:
            self.selected = fetch()
        except ObjectDoesNotExist:
            raise Http404("That item is not in this cluster or lab.") from None
        return self.selected


class ListMixin:
    """Search box + pagination shared by every console list."""

    list_icon = ""
    list_title = ""

    def paginate(self, queryset):
        form = SearchForm(self.request.GET)
        q = form.cleaned_data["q"] if form.is_valid() else ""
        base = {"search_form": form, "q": q, "list_icon": self.list_icon,
                "list_title": self.list_title}
        if self.selection_only:
            return {**base, "page": None, "rows": [], "total": 0}
        paginator = Paginator(queryset(q) if callable(queryset) else queryset,
                              settings.FCM_PAGE_SIZE)
        page = paginator.get_page(self.request.GET.get("page"))
        return {**base, "page": page, "rows": list(page.object_list), "total": paginator.count}

    def tabs(self, *tabs):
        """The detail pane's tabs (key, label); an unknown ?tab= shows the first."""
        keys = [key for key, _ in tabs]
        tab = self.request.GET.get("tab", keys[0])
        return {"tab": tab if tab in keys else keys[0], "tab_list": tabs}


class RootView(ConsoleView):
    tree_item = "root"
    centre_template = "console/centre/root.html"

    def action_groups(self, context):
        order = max((c.version.order for c in context["clusters"]), default=0) or max(
            (versions.get(v).order for v in self.lab.nodes.values_list("os_version", flat=True).distinct()), default=3)
        return actions.for_root(self.lab, context["here"], order)


class ServersView(ListMixin, ConsoleView):
    list_icon = "server"
    list_title = "Servers"
    tree_item = "servers"
    centre_template = "console/centre/servers.html"
    detail_template = "console/detail/server.html"

    def centre_context(self, pk=None, **kwargs):
        ctx = self.paginate(lambda q: selectors.servers(self.lab, q))
        ctx["adapters"] = selectors.server_adapter_summaries(ctx["rows"])
        ctx["disk_counts"] = selectors.server_disk_counts(ctx["rows"])
        if pk is not None:
            self.select(lambda: selectors.server_detail(self.lab, pk))
            ctx.update(self.tabs(("summary", "Summary"), ("network", "Network Adapters"),
                                 ("storage", "Disks"), ("vms", "Virtual Machines")))
        return ctx

    def action_groups(self, context):
        return actions.for_servers(self.lab, context["here"], self.selected)


class ClusterView(ConsoleView):
    tree_item = "cluster"
    centre_template = "console/centre/cluster.html"

    def centre_context(self, **kwargs):
        c = self.cluster
        return {
            "summary_nodes": list(selectors.nodes(c)[:64]),
            "core_addresses": list(c.addresses.select_related("network")),
            "witness": ClusterDisk.objects.filter(
                cluster=c, assignment=ClusterDisk.Assignment.WITNESS).select_related("disk").first(),
            "role_count": c.roles.count(),
            "recent_problem_count": c.events.filter(level__lte=ClusterEvent.Level.ERROR).count(),
            "network_count": c.cluster_networks.count(),
            "disk_count": c.cluster_disks.count(),
            "survival": survival_of(c),
            "reserve": reserve_of(c),
        }

    def action_groups(self, context):
        from fcm.engine.models import ValidationReport
        last = ValidationReport.objects.filter(cluster=self.cluster).order_by("-pk").first()
        from fcm.inventory.models import WanLink
        sites = set(self.cluster.nodes.exclude(site="").values_list("site", flat=True))
        links = [w for w in WanLink.objects.filter(lab=self.lab) if {w.site_a, w.site_b} & sites]
        return actions.for_cluster(self.cluster, context["here"], last, links)


def current_votes(cluster):
    """Votes in force now (Current Vote): nodes that are Up, with dynamic quorum and witness."""
    from fcm.inventory.models import Node
    assigned = dict(Node.objects.filter(cluster=cluster, state=Node.State.UP).values_list("name", "node_weight"))
    return quorum.current_votes(assigned, cluster.quorum_type, dynamic_quorum=cluster.dynamic_quorum,
                                dynamic_witness=cluster.version.order >= 4)


def reserve_of(cluster):
    """Can the cluster sustain a node failure (and two, from 8 nodes)? From memory and priorities."""
    from fcm.engine.facts import node_facts
    from fcm.inventory.models import VirtualMachine
    from fcm.sim.placement import ReserveVm, reserve

    nodes = list(node_facts(cluster).values())
    vms = [ReserveVm(name, host, memory, priority) for name, host, memory, priority in
           VirtualMachine.objects.filter(role__cluster=cluster, state__in=VirtualMachine.RUNNING_STATES)
           .values_list("name", "host_node__name", "memory_mb", "role__priority")]
    checks = [(1, reserve(nodes, vms, 1))]
    if len(nodes) >= 8:
        checks.append((2, reserve(nodes, vms, 2)))
    return checks


def survival_of(cluster):
    """What the cluster summary says about failures the quorum survives."""
    voting = cluster.nodes.filter(node_weight=1).count()
    v = cluster.version
    return quorum.survivable_failures(voting, cluster.quorum_type, dynamic_quorum=cluster.dynamic_quorum,
                                      dynamic_witness=v.order >= 4).sentence()


class RolesView(ListMixin, ConsoleView):
    list_icon = "folder"
    tree_item = "roles"
    centre_template = "console/centre/roles.html"
    detail_template = "console/detail/role.html"

    def centre_context(self, pk=None, **kwargs):
        ctx = self.paginate(lambda q: selectors.roles(self.cluster, q))
        ctx["list_title"] = self.cluster.roles_label
        role = None
        if pk is not None:
            role = self.select(lambda: selectors.role_detail(self.cluster, pk))
            tabs = [("summary", "Summary"), ("resources", "Resources")]
            if role.type == role.Type.VIRTUAL_MACHINE:
                tabs.append(("migration", "Migration"))
                rep, side = actions.replication_of(role)
                if rep is not None:  # the product shows the tab only for a replicated VM
                    tabs.append(("replication", "Replication"))
                    from .replica import health_context
                    ctx.update(health_context(rep, side, self.sim_now))
            ctx.update(self.tabs(*tabs))
            ctx["resource_groups"] = _group_resources(role.resources.all())
            attach_last_operations([role], self.sim_now)
            ctx["recent_events"] = list(selectors.events(self.cluster).filter(role=role)[:5])
        attach_operations(self.lab, ctx["rows"] + ([role] if role else []))
        return ctx

    def action_groups(self, context):
        return actions.for_roles(self.cluster, context["here"], self.selected,
                                 getattr(self.selected, "operation", None))


def _group_resources(resources):
    """The Resources tab groups resources the way the product does."""
    groups = {"Storage": [], "Virtual Machine": [], "Server Name": [], "Other Resources": []}
    for r in resources:
        if r.type == r.Type.PHYSICAL_DISK:
            groups["Storage"].append(r)
        elif r.type in (r.Type.VIRTUAL_MACHINE, r.Type.VM_CONFIGURATION):
            groups["Virtual Machine"].append(r)
        elif r.type in (r.Type.NETWORK_NAME, r.Type.IP_ADDRESS):
            groups["Server Name"].append(r)
        else:
            groups["Other Resources"].append(r)
    return [(title, items) for title, items in groups.items() if items]


class DependencyReportView(LoginRequiredMixin, View):
    """More Actions -> Show Dependency Report: the role's resource dependency tree."""

    def get(self, request, lab, cluster, pk):
        lab_obj = get_object_or_404(Lab.objects.visible_to(request.user), pk=lab)
        cluster_obj = get_object_or_404(Cluster.objects.select_related("domain"), lab=lab_obj, pk=cluster)
        try:
            role = selectors.role_detail(cluster_obj, pk)
        except ObjectDoesNotExist:
            raise Http404("No such role.") from None
        resources = list(role.resources.all())
        return TemplateResponse(request, "console/reports/dependency.html", {
            "lab": lab_obj, "cluster": cluster_obj, "role": role, "resources": resources,
            "top": [r for r in resources if not any(r in o.depends_on.all() for o in resources)],
            "generated_at": lab_obj.sim_now(),
        })


class NodesView(ListMixin, ConsoleView):
    list_icon = "node"
    list_title = "Nodes"
    tree_item = "nodes"
    centre_template = "console/centre/nodes.html"
    detail_template = "console/detail/node.html"

    def centre_context(self, pk=None, **kwargs):
        ctx = self.paginate(lambda q: selectors.nodes(self.cluster, q))
        votes = current_votes(self.cluster)
        for n in ctx["rows"]:
            n.current_vote = votes.node_votes.get(n.name, 0)
        ctx["witness_vote"] = votes.witness_vote
        if pk is not None:
            self.select(lambda: selectors.node_detail(self.cluster, pk))
            self.selected.current_vote = votes.node_votes.get(self.selected.name, 0)
            ctx["recent_events"] = list(selectors.events(self.cluster).filter(node=self.selected)[:5])
            ctx.update(self.tabs(("summary", "Summary"), ("network", "Network Connections")))
        return ctx

    def action_groups(self, context):
        return actions.for_nodes(self.cluster, context["here"], self.selected)


class DisksView(ListMixin, ConsoleView):
    list_icon = "storage"
    tree_item = "disks"
    csv_only = False
    centre_template = "console/centre/disks.html"
    detail_template = "console/detail/disk.html"

    def title(self):
        if self.csv_only:
            return "Cluster Shared Volumes"
        return "Disks" if self.cluster.version.order >= 3 else "Storage"

    def centre_context(self, pk=None, **kwargs):
        if self.csv_only and not self.cluster.show_csv_folder:
            raise Http404("Cluster Shared Volumes are not enabled on this cluster.")
        ctx = self.paginate(lambda q: selectors.cluster_disks(self.cluster, q, self.csv_only))
        ctx["disk_numbers"] = selectors.disk_numbers(ctx["rows"])
        ctx["list_title"] = self.title()
        ctx["url_name"] = "csv" if self.csv_only else "disk"
        if pk is not None:
            disk = self.select(lambda: selectors.cluster_disk_detail(self.cluster, pk))
            ctx.update(self.tabs(("summary", "Summary"), ("volumes", "Volumes")))
            ctx["selected_disk_number"] = selectors.disk_numbers([disk]).get(disk.pk)
            if disk.assignment == disk.Assignment.CSV:
                from fcm.engine.storage_faults import csv_access
                ctx["csv_access"] = csv_access(disk)
        return ctx

    def action_groups(self, context):
        return actions.for_disks(self.cluster, context["here"], context["list_title"], self.selected,
                                 csv_folder=self.csv_only)


class CsvView(DisksView):
    tree_item = "csv"
    csv_only = True


class NetworksView(ListMixin, ConsoleView):
    list_icon = "network"
    list_title = "Networks"
    tree_item = "networks"
    centre_template = "console/centre/networks.html"
    detail_template = "console/detail/network.html"

    def centre_context(self, pk=None, **kwargs):
        ctx = self.paginate(lambda q: selectors.cluster_networks(self.cluster, q))
        if pk is not None:
            net = self.select(lambda: selectors.cluster_network_detail(self.cluster, pk))
            ctx.update(self.tabs(("summary", "Summary"), ("connections", "Network Connections")))
            ctx["connections"] = list(selectors.network_connections(self.cluster, net.network))
        return ctx

    def action_groups(self, context):
        links = {a.connected for a in context.get("connections", ())}
        return actions.for_networks(self.cluster, context["here"], self.selected, links)


class EventsView(ListMixin, ConsoleView):
    list_icon = "events"
    list_title = "Cluster Events"
    tree_item = "events"
    centre_template = "console/centre/events.html"
    detail_template = "console/detail/event.html"

    def centre_context(self, pk=None, **kwargs):
        nodes = list(selectors.nodes(self.cluster))
        form = EventQueryForm(self.request.GET or None, nodes=nodes)
        queryset = selectors.events(self.cluster)
        if form.is_bound and form.is_valid():
            queryset = form.apply(queryset)
        # An invalid query changes nothing: the list stays unfiltered and the
        # dialog reopens with the message beside the field.
        ctx = self.paginate(queryset)
        query_string = _without(self.request.GET, "page", "tab")
        ctx.update(query_form=form, query_invalid=form.is_bound and not form.is_valid(),
                   query_string=query_string, query_suffix=f"?{query_string}" if query_string else "")
        if pk is not None:
            self.select(lambda: selectors.event_detail(self.cluster, pk))
            ctx.update(self.tabs(("general", "General"), ("details", "Details")))
        return ctx

    def action_groups(self, context):
        return actions.for_events(self.cluster, context["here"], self.selected)


def _without(querydict, *keys):
    q = querydict.copy()
    for key in keys:
        q.pop(key, None)
    return q.urlencode()
