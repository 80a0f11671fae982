"""Storage: the Disks and Cluster Shared Volumes pages, adding and removing CSVs, Enable Cluster Shared
Volumes (2008 R2), and Simulate -> Fail / Repair Disk."""
from django.http import Http404
from django.views import View
from django_htmx.http import HttpResponseClientRefresh

from fcm.engine.commands.clusters import add_to_csv, enable_csv, remove_from_csv
from fcm.engine import facts
from fcm.engine.commands import faults

from . import menus, selectors
from .base import ClusterMixin, ConsoleView, ListPage, refused


class DisksPage(ListPage):
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
                ctx["csv_access"] = facts.csv_access(disk)
        return ctx

    def action_groups(self, context):
        return menus.for_disks(self.cluster, context["here"], context["list_title"], self.selected,
                               csv_folder=self.csv_only)


class CsvPage(DisksPage):
    tree_item = "csv"
    csv_only = True


class DisksView(ConsoleView):
    page = DisksPage


class CsvView(ConsoleView):
    page = CsvPage


class AddToCsvView(ClusterMixin, View):
    """Add to Cluster Shared Volumes (the disk's row and details both change: the console shows itself again)."""

    def post(self, request, lab, cluster, pk):
        self.load(request, lab, cluster)
        disk = self.disk(pk)
        error = refused(lambda: add_to_csv(disk))
        if error:
            return self.error_dialog(request, "Add to Cluster Shared Volumes", error)
        return HttpResponseClientRefresh()


class RemoveFromCsvView(ClusterMixin, View):
    template = "console/dialogs/confirm_remove_csv.html"

    def get(self, request, lab, cluster, pk):
        self.load(request, lab, cluster)
        return self.dialog(request, self.template, disk=self.disk(pk))

    def post(self, request, lab, cluster, pk):
        self.load(request, lab, cluster)
        disk = self.disk(pk)
        error = refused(lambda: remove_from_csv(disk))
        if error:
            return self.dialog(request, self.template, disk=disk, error=error)
        return HttpResponseClientRefresh()


class EnableCsvView(ClusterMixin, View):
    template = "console/dialogs/enable_csv.html"

    def get(self, request, lab, cluster):
        self.load(request, lab, cluster)
        return self.dialog(request, self.template)

    def post(self, request, lab, cluster):
        self.load(request, lab, cluster)
        if request.POST.get("accept") != "on":
            return self.dialog(request, self.template, error="Select the check box to accept the notice.")
        error = refused(lambda: enable_csv(self.cluster))
        if error:
            return self.dialog(request, self.template, error=error)
        return HttpResponseClientRefresh()


class AddStorageView(ClusterMixin, View):
    """2008 R2 Cluster Shared Volumes → Add storage: tick available disks."""

    template = "console/dialogs/add_storage.html"

    def get(self, request, lab, cluster):
        self.load(request, lab, cluster)
        return self.dialog(request, self.template, disks=selectors.available_disks(self.cluster))

    def post(self, request, lab, cluster):
        self.load(request, lab, cluster)
        chosen = [d for d in selectors.available_disks(self.cluster) if str(d.pk) in request.POST.getlist("disks")]
        if not chosen:
            return self.dialog(request, self.template, disks=selectors.available_disks(self.cluster),
                               error="Select the disks to add to Cluster Shared Volumes.")
        for d in chosen:
            error = refused(lambda d=d: add_to_csv(d))
            if error:
                return self.dialog(request, self.template, disks=selectors.available_disks(self.cluster), error=error)
        return HttpResponseClientRefresh()


class DiskFaultView(ClusterMixin, View):
    """Simulate -> Fail Disk / Repair Disk: the LUN behind a cluster disk."""

    def post(self, request, lab, cluster, pk):
        self.load(request, lab, cluster)
        disk = self.disk(pk)
        action = request.GET.get("action", "")
        if action not in ("fail", "repair"):
            raise Http404("No such action.")
        return self.simulate(request, disk.name,
                             lambda: faults.set_disk(request.user, disk.disk, action == "repair"))
