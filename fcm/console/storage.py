"""Dialogs and actions on storage, nodes and the cluster: CSVs, evict, destroy, Live Migration Settings, Simulate faults."""
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.views import View
from django_htmx.http import HttpResponseClientRefresh, retarget

from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from fcm.engine.clusters import (
    StorageError, add_to_csv, destroy_cluster, enable_csv, evict_node, remove_from_csv,
)
from fcm.inventory.models import Cluster, ClusterDisk, Lab, Node



class ClusterMixin(LoginRequiredMixin):
    def load(self, request, lab, cluster):
        self.lab = get_object_or_404(Lab.objects.visible_to(request.user), pk=lab)
        self.cluster = get_object_or_404(Cluster.objects.select_related("domain", "lab"), lab=self.lab, pk=cluster)

    def disk(self, pk):
        try:
            return ClusterDisk.objects.select_related("disk", "cluster").get(cluster=self.cluster, pk=pk)
        except ObjectDoesNotExist:
            raise Http404("No such disk.") from None

    def dialog(self, request, template, **context):
        response = TemplateResponse(request, template, {"lab": self.lab, "cluster": self.cluster, **context})
        return retarget(response, "#dialog-host")

    @staticmethod
    def disk_details(request, lab, cluster, pk):
        """The disk's row and details both changed: the console shows itself again."""
        return HttpResponseClientRefresh()


class AddToCsvView(ClusterMixin, View):
    def post(self, request, lab, cluster, pk):
        self.load(request, lab, cluster)
        try:
            add_to_csv(self.disk(pk))
        except StorageError as exc:
            return self.dialog(request, "console/dialogs/error.html", title="Add to Cluster Shared Volumes",
                               error=str(exc))
        return self.disk_details(request, lab, cluster, pk)


class RemoveFromCsvView(ClusterMixin, View):
    template = "console/dialogs/confirm_remove_csv.html"

    def get(self, request, lab, cluster, pk):
        self.load(request, lab, cluster)
        return self.dialog(request, self.template, disk=self.disk(pk))

    def post(self, request, lab, cluster, pk):
        self.load(request, lab, cluster)
        disk = self.disk(pk)
        try:
            remove_from_csv(disk)
        except StorageError as exc:
            return self.dialog(request, self.template, disk=disk, error=str(exc))
        return self.disk_details(request, lab, cluster, pk)


class EnableCsvView(ClusterMixin, View):
    template = "console/dialogs/enable_csv.html"

    def get(self, request, lab, cluster):
        self.load(request, lab, cluster)
        return self.dialog(request, self.template)

    def post(self, request, lab, cluster):
        self.load(request, lab, cluster)
        if request.POST.get("accept") != "on":
            return self.dialog(request, self.template, error="Select the check box to accept the notice.")
        try:
            enable_csv(self.cluster)
        except StorageError as exc:
            return self.dialog(request, self.template, error=str(exc))
        return HttpResponseClientRefresh()


class AddStorageView(ClusterMixin, View):
    """2008 R2 Cluster Shared Volumes → Add storage: tick available disks."""

    template = "console/dialogs/add_storage.html"

    def available(self):
        return ClusterDisk.objects.filter(cluster=self.cluster, assignment=ClusterDisk.Assignment.AVAILABLE) \
            .select_related("disk").order_by("name")

    def get(self, request, lab, cluster):
        self.load(request, lab, cluster)
        return self.dialog(request, self.template, disks=self.available())

    def post(self, request, lab, cluster):
        self.load(request, lab, cluster)
        chosen = [d for d in self.available() if str(d.pk) in request.POST.getlist("disks")]
        if not chosen:
            return self.dialog(request, self.template, disks=self.available(),
                               error="Select the disks to add to Cluster Shared Volumes.")
        for d in chosen:
            try:
                add_to_csv(d)
            except StorageError as exc:
                return self.dialog(request, self.template, disks=self.available(), error=str(exc))
        return HttpResponseClientRefresh()


class EvictView(ClusterMixin, View):
    """More Actions -> Evict, after the product's confirmation."""

    template = "console/dialogs/confirm.html"

    def node(self, pk):
        node = Node.objects.filter(cluster=self.cluster, pk=pk).first()
        if node is None:
            raise Http404("No such node.")
        return node

    def context(self, node, error=""):
        return {"title": "Evict node", "icon": "failed", "error": error, "yes": "Yes",
                "question": f"Are you sure you want to evict node {node.name} from cluster {self.cluster.name}? "
                            "Its cluster configuration will be removed."}

    def get(self, request, lab, cluster, pk):
        self.load(request, lab, cluster)
        return self.dialog(request, self.template, **self.context(self.node(pk)))

    def post(self, request, lab, cluster, pk):
        self.load(request, lab, cluster)
        node = self.node(pk)
        try:
            evict_node(node)
        except StorageError as exc:
            return self.dialog(request, self.template, **self.context(node, str(exc)))
        return HttpResponseClientRedirect(reverse("console:nodes", args=[lab, cluster]))


class DestroyView(ClusterMixin, View):
    template = "console/dialogs/confirm.html"

    def context(self, error=""):
        return {"title": "Destroy Cluster", "icon": "failed", "error": error, "yes": "Yes",
                "question": f"Are you sure you want to destroy cluster {self.cluster.fqdn}? The nodes leave the "
                            "cluster and its configuration is deleted. This cannot be undone."}

    def get(self, request, lab, cluster):
        self.load(request, lab, cluster)
        return self.dialog(request, self.template, **self.context())

    def post(self, request, lab, cluster):
        self.load(request, lab, cluster)
        try:
            destroy_cluster(self.cluster)
        except StorageError as exc:
            return self.dialog(request, self.template, **self.context(str(exc)))
        return HttpResponseClientRedirect(reverse("console:root", args=[lab]))


class LiveMigrationSettingsView(ClusterMixin, View):
    """Networks -> Live Migration Settings...: networks in preference order, and the per-node limit."""

    template = "console/dialogs/live_migration_settings.html"

    def networks(self):
        from fcm.inventory.models import ClusterNetwork
        nets = list(ClusterNetwork.objects.filter(cluster=self.cluster).select_related("network"))
        return sorted(nets, key=lambda n: (n.live_migration_rank is None, n.live_migration_rank or 0, n.metric))

    def get(self, request, lab, cluster):
        self.load(request, lab, cluster)
        return self.dialog(request, self.template, networks=self.networks())

    def post(self, request, lab, cluster):
        from fcm.inventory.models import ClusterNetwork
        self.load(request, lab, cluster)
        nets = self.networks()
        order = [int(x) for x in request.POST.getlist("order") if x.isdigit()]
        allowed = {int(x) for x in request.POST.getlist("allowed") if x.isdigit()}
        limit = request.POST.get("simultaneous", "")
        error = ""
        if not allowed & {n.pk for n in nets}:
            error = "Select at least one network for live migration."
        elif not limit.isdigit() or not 1 <= int(limit) <= 64:
            error = "Simultaneous live migrations must be a number from 1 to 64."
        if error:
            return self.dialog(request, self.template, networks=nets, error=error)
        ranks = {pk: i for i, pk in enumerate(order, start=1)}
        for n in nets:
            ClusterNetwork.objects.filter(pk=n.pk).update(live_migration_rank=ranks.get(n.pk),
                                                          live_migration_allowed=n.pk in allowed)
        Cluster.objects.filter(pk=self.cluster.pk).update(simultaneous_live_migrations=int(limit))
        return HttpResponseClientRefresh()


def _simulate(view, request, title, handler, fault=True):
    """Run a Simulate / node action; a refusal opens the error dialog and changes nothing.
    Faults (`fault`) are the lab owner's to cause."""
    from fcm.engine import failures, membership, replication, storage_faults

    if fault and not view.lab.may_simulate(request.user):
        raise PermissionDenied("Only the lab's owner can simulate failures.")
    try:
        handler()
    except (failures.FailureError, membership.MembershipError, storage_faults.StorageFaultError,
            replication.ReplicationError) as exc:
        return view.dialog(request, "console/dialogs/error.html", title=title, error=str(exc))
    return HttpResponseClientRefresh()


class NodeActionView(ClusterMixin, View):
    """Pause / Resume (with or without drain and failback), cluster service, and Simulate faults."""

    FAULTS = {"power-off", "power-on", "storage-off", "storage-on"}

    def post(self, request, lab, cluster, pk):
        from fcm.engine import failures, storage_faults

        self.load(request, lab, cluster)
        node = Node.objects.filter(cluster=self.cluster, pk=pk).first()
        if node is None:
            raise Http404("No such node.")
        user = request.user
        handlers = {
            "drain": lambda: failures.pause_node(user, node, drain=True),
            "pause": lambda: failures.pause_node(user, node, drain=False),
            "failback": lambda: failures.resume_node(user, node, fail_back=True),
            "resume": lambda: failures.resume_node(user, node, fail_back=False),
            "power-off": lambda: failures.crash_node(user, node),
            "power-on": lambda: failures.restart_node(user, node),
            "stop-service": lambda: failures.stop_cluster_service(user, node),
            "start-service": lambda: failures.start_cluster_service(user, node),
            "storage-off": lambda: storage_faults.set_storage_paths(user, node, False),
            "storage-on": lambda: storage_faults.set_storage_paths(user, node, True),
        }
        action = request.GET.get("action", "")
        handler = handlers.get(action)
        if handler is None:
            raise Http404("No such action.")
        return _simulate(self, request, node.name, handler, fault=action in self.FAULTS)


class AdapterView(ClusterMixin, View):
    """Simulate -> Disconnect / Reconnect one network adapter of a node."""

    def post(self, request, lab, cluster, pk, adapter):
        from fcm.engine import membership
        from fcm.inventory.models import NetworkAdapter

        self.load(request, lab, cluster)
        nic = NetworkAdapter.objects.filter(node__cluster=self.cluster, node_id=pk, pk=adapter).first()
        if nic is None:
            raise Http404("No such adapter.")
        connect = request.GET.get("connect") == "1"
        return _simulate(self, request, nic.name, lambda: membership.set_adapter(request.user, nic, connect))


class DiskFaultView(ClusterMixin, View):
    """Simulate -> Fail Disk / Repair Disk: the LUN behind a cluster disk."""

    def post(self, request, lab, cluster, pk):
        from fcm.engine import storage_faults

        self.load(request, lab, cluster)
        disk = self.disk(pk)
        action = request.GET.get("action", "")
        if action not in ("fail", "repair"):
            raise Http404("No such action.")
        return _simulate(self, request, disk.name,
                         lambda: storage_faults.set_disk(request.user, disk.disk, action == "repair"))


class NetworkFaultView(ClusterMixin, View):
    """Simulate -> Disconnect / Reconnect Network: every node's adapter on that cluster network."""

    def post(self, request, lab, cluster, pk):
        from fcm.engine import membership
        from fcm.inventory.models import ClusterNetwork

        self.load(request, lab, cluster)
        network = ClusterNetwork.objects.filter(cluster=self.cluster, pk=pk).first()
        action = request.GET.get("action", "")
        if network is None or action not in ("connect", "disconnect"):
            raise Http404("No such network or action.")
        return _simulate(self, request, network.name,
                         lambda: membership.set_network(request.user, network, action == "connect"))


class ClusterActionView(ClusterMixin, View):
    """More Actions -> Force Cluster Start."""

    def post(self, request, lab, cluster):
        from fcm.engine import membership

        self.load(request, lab, cluster)
        if request.GET.get("action") != "force-start":
            raise Http404("No such action.")
        return _simulate(self, request, self.cluster.name,
                         lambda: membership.force_cluster_start(request.user, self.cluster), fault=False)


class ClusterPropertiesView(ClusterMixin, View):
    """Cluster -> Properties: heartbeat thresholds and, on 2016+, compute resiliency."""

    template = "console/dialogs/cluster_properties.html"

    def get(self, request, lab, cluster):
        from .forms import ClusterPropertiesForm

        self.load(request, lab, cluster)
        return self.dialog(request, self.template, form=ClusterPropertiesForm(instance=self.cluster))

    def post(self, request, lab, cluster):
        from .forms import ClusterPropertiesForm

        self.load(request, lab, cluster)
        form = ClusterPropertiesForm(request.POST, instance=Cluster.objects.get(pk=self.cluster.pk))
        if not form.is_valid():
            return self.dialog(request, self.template, form=form)
        Cluster.objects.filter(pk=self.cluster.pk).update(**{n: form.cleaned_data[n] for n in form.fields})
        return HttpResponseClientRefresh()
