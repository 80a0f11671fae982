"""Storage: the Disks and Cluster Shared Volumes pages, adding and removing CSVs, Enable Cluster Shared
Volumes (2008 R2), Add Disk, Move Available Storage, a CSV's Move, a disk's Bring Online / Take Offline and
Change Drive Letter, and Simulate -> Fail / Repair Disk."""
from abc import ABC, abstractmethod

from django.http import Http404
from django.views import View
from django_htmx.http import HttpResponseClientRefresh

from fcm.engine.commands.clusters import add_to_csv, enable_csv, remove_from_csv
from fcm.engine import facts
from fcm.engine.commands import faults, storage
from fcm.engine.effects import disks as disk_checks
from fcm.sim import disks as disksim

from . import menus, selectors
from .base import ClusterMixin, ConsoleView, ListPage, refused
from .forms import AddDiskForm, DriveLetterForm, StorageMoveForm


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
                               csv_folder=self.csv_only,
                               available_storage=not self.csv_only and selectors.available_disks(self.cluster).exists())


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


class AddDiskView(ClusterMixin, View):
    """Storage > Add Disk (2008 / 2008 R2: Add a disk): tick the LUNs every node sees that are not in the cluster."""

    template = "console/dialogs/add_disk.html"

    def show(self, request, form):
        return self.dialog(request, self.template, form=form, disks=disk_checks.addable_disks(self.cluster),
                           title="Add Disk" if self.cluster.version.order >= 3 else "Add a disk")

    def get(self, request, lab, cluster):
        self.load(request, lab, cluster)
        return self.show(request, AddDiskForm())

    def post(self, request, lab, cluster):
        self.load(request, lab, cluster)
        form = AddDiskForm(request.POST)
        if not form.is_valid() or refused(lambda: storage.add_disks(request.user, self.cluster,
                                                                    form.cleaned_data["disks"]), form, "disks"):
            return self.show(request, form)
        return HttpResponseClientRefresh()


class StorageMoveMixin(ClusterMixin, ABC):
    """Best Possible Node (?best=1) / Select Node... for a group of disks: the dialog and its OK."""

    template = "console/dialogs/move_disks.html"

    @abstractmethod
    def moving(self):
        """(what moves, its disks, their owner)."""

    @abstractmethod
    def start(self, request, target):
        """Start the move to `target` (None: the best possible node); a refusal's message, or ''."""

    def show(self, request, form, best):
        what, disks, owner = self.moving()
        plan = disksim.plan_group_move(max(len(disks), 1)) if self.group == disk_checks.AVAILABLE_STORAGE \
            else disksim.plan_csv_move()
        owner_name = owner.name if owner else ""
        return self.dialog(request, self.template, form=form, best=best, what=what, owner=owner, disks=disks,
                           best_node=disk_checks.best_node(self.cluster, disks, owner_name) if best and disks else None,
                           options=disk_checks.move_options(self.cluster, disks, owner_name) if not best else [],
                           expected=plan.summary, title=self.title)

    def get(self, request, lab, cluster, **kwargs):
        self.load(request, lab, cluster, **kwargs)
        return self.show(request, StorageMoveForm(), best=request.GET.get("best") == "1")

    def post(self, request, lab, cluster, **kwargs):
        self.load(request, lab, cluster, **kwargs)
        form = StorageMoveForm(request.POST)
        best = request.POST.get("best") == "1" or request.POST.get("best") == "on"
        if not form.is_valid():
            return self.show(request, form, best)
        target = None
        if not form.cleaned_data["best"]:
            target = selectors.node_in(self.cluster, form.cleaned_data["target"])
            if target is None:
                form.add_error("target", "That node is not a node of this cluster.")
                return self.show(request, form, best)
        if refused(lambda: self.start(request, target), form, "target"):
            return self.show(request, form, best)
        return HttpResponseClientRefresh()


class MoveAvailableStorageView(StorageMoveMixin, View):
    """Move Available Storage (2008 / 2008 R2: Move available storage to another node)."""

    group = disk_checks.AVAILABLE_STORAGE
    title = "Move Available Storage"

    def moving(self):
        return "Available Storage", list(selectors.available_disks(self.cluster)), \
            disk_checks.available_storage_owner(self.cluster)

    def start(self, request, target):
        storage.start_move_available_storage(request.user, self.cluster, target)


class MoveCsvView(StorageMoveMixin, View):
    """A Cluster Shared Volume's Move (2008 R2: Move this shared volume to another node)."""

    group = disk_checks.CSV
    title = "Move Cluster Shared Volume"

    def load(self, request, lab, cluster, pk=None):
        super().load(request, lab, cluster)
        self.cluster_disk = self.disk(pk)
        return self.cluster

    def moving(self):
        cd = selectors.cluster_disk_detail(self.cluster, self.cluster_disk.pk)
        return cd.name, [cd], cd.owner_node

    def start(self, request, target):
        storage.start_move_csv(request.user, self.cluster_disk, target)


class DiskStateView(ClusterMixin, View):
    """Bring Online / Take Offline (2008 / 2008 R2: Bring this resource online / Take this resource offline)."""

    def post(self, request, lab, cluster, pk):
        self.load(request, lab, cluster)
        disk = self.disk(pk)
        action = request.GET.get("action", "")
        if action not in ("online", "offline"):
            raise Http404("No such action.")
        modern = self.cluster.version.order >= 3
        title = ("Bring Online" if modern else "Bring this resource online") if action == "online" else \
            ("Take Offline" if modern else "Take this resource offline")
        error = refused(lambda: storage.set_disk_online(request.user, disk, action == "online"))
        if error:
            return self.error_dialog(request, title, error)
        return HttpResponseClientRefresh()


class DriveLetterView(ClusterMixin, View):
    """More Actions > Change Drive Letter (2008 / 2008 R2: Change drive letter): the letters no node uses."""

    template = "console/dialogs/drive_letter.html"

    def show(self, request, form, disk):
        in_use = disk_checks.drive_letters_in_use(self.cluster, exclude=disk.disk)
        return self.dialog(request, self.template, form=form, disk=disk, letters=disksim.free_drive_letters(in_use),
                           title="Change Drive Letter" if self.cluster.version.order >= 3 else "Change drive letter")

    def get(self, request, lab, cluster, pk):
        self.load(request, lab, cluster)
        disk = self.disk(pk)
        return self.show(request, DriveLetterForm(initial={"letter": disk.disk.drive_letter}), disk)

    def post(self, request, lab, cluster, pk):
        self.load(request, lab, cluster)
        disk = self.disk(pk)
        form = DriveLetterForm(request.POST)
        if not form.is_valid() or refused(lambda: storage.change_drive_letter(
                request.user, disk, form.cleaned_data["letter"]), form, "letter"):
            return self.show(request, form, disk)
        return HttpResponseClientRefresh()

