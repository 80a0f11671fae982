"""Replication ▸ on a VM role, the Replica Broker's Replication Settings, a server's Replication
Configuration, and the WAN link (Simulate)."""
import csv
from io import StringIO

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.views import View
from django_htmx.http import HttpResponseClientRefresh

from fcm.engine.commands import properties
from fcm.sim import replication as model
from fcm.engine.commands import faults
from fcm.engine.commands import replication as rep_commands
from fcm.engine.effects import replication as replication_effects

from . import selectors
from .base import ClusterMixin, LabMixin, VmRoleMixin, refused
from .forms import RecoveryPointForm, ReplicaServerForm
from .presenters import answer_for_vm, replication_health, role_details


class ReplicationMixin(VmRoleMixin):
    """Replication of a VM role: its views are under the role's URL, the answer is the role's details."""

    NAMES = {"health": "console:role-replication-health", "failover": "console:role-failover",
             "planned": "console:role-planned-failover"}

    def load_replication(self, request, lab, cluster, pk):
        self.load(request, lab, cluster, pk)
        self.rep, self.side = selectors.replication_of(self.role)
        if self.rep is None:
            raise Http404("Replication is not enabled for this virtual machine.")
        return self.rep

    def url(self, what):
        return reverse(self.NAMES[what], args=[self.lab.pk, self.cluster.pk, self.role.pk])

    def answer(self, request, lab, cluster, pk):
        return role_details(request, lab, cluster, pk)

    def dialog(self, request, template, error="", **context):
        return super().dialog(request, template, error, vm_name=self.role.name if self.role else "", **context)


class VmReplicationMixin(LabMixin):
    """Replication of a VM in no cluster (Hyper-V Manager or the Servers view): its views are under the VM's
    URL, the answer is the VM's details in the page the action came from."""

    NAMES = {"health": "console:server-vm-replication-health", "failover": "console:server-vm-failover",
             "planned": "console:server-vm-planned-failover"}
    vm = None

    def load_replication(self, request, lab, pk, vm):
        self.load(request, lab)
        node = selectors.server_in(self.lab, pk)
        try:
            self.vm = selectors.server_vm(node, vm) if node else None
        except ObjectDoesNotExist:
            self.vm = None
        if self.vm is None or self.vm.role_id:
            raise Http404("No such virtual machine in no cluster on this server.")
        self.rep, self.side = selectors.replication_of_vm(self.vm)
        if self.rep is None:
            raise Http404("Replication is not enabled for this virtual machine.")
        return self.rep

    def url(self, what):
        return reverse(self.NAMES[what], args=[self.lab.pk, self.vm.host_node_id, self.vm.pk])

    def answer(self, request, lab, pk, vm):
        return answer_for_vm(request, self.lab, self.vm)

    def dialog(self, request, template, error="", **context):
        return super().dialog(request, template, error, vm_name=self.vm.name if self.vm else "", **context)


class _HealthView(View):
    """View Replication Health...: the product's fields; Reset Statistics; Save As... (CSV)."""

    template = "console/dialogs/replication_health.html"

    def get(self, request, **kw):
        rep = self.load_replication(request, **kw)
        sim_now = self.lab.sim_now()
        if request.GET.get("format") == "csv":
            return self.csv(rep, sim_now)
        return self.dialog(request, self.template, form_url=self.url("health"),
                           **replication_health(rep, self.side, sim_now))

    def post(self, request, **kw):
        rep = self.load_replication(request, **kw)
        rep_commands.reset_statistics(rep)
        rep.refresh_from_db()
        return self.dialog(request, self.template, form_url=self.url("health"),
                           **replication_health(rep, self.side, self.lab.sim_now()))

    def csv(self, rep, sim_now):
        h = replication_effects.health(rep, sim_now)
        out = StringIO()
        w = csv.writer(out)
        w.writerow(["Name", "Replication State", "Replication Health", "Primary Server", "Replica Server",
                    "From Time", "To Time", "Average Size (MB)", "Maximum Size (MB)", "Successful Cycles",
                    "Missed Cycles", "Errors", "Pending Replication Size (MB)", "Last Synchronized At"])
        w.writerow([rep.primary_vm.name, rep.get_state_display(), h.level, rep.primary_server, rep.replica_server.name,
                    f"{rep.stats_from:%m/%d/%Y %H:%M:%S}" if rep.stats_from else "", f"{sim_now:%m/%d/%Y %H:%M:%S}",
                    f"{rep.average_mib:.1f}", f"{rep.max_mib:.1f}", rep.successful_cycles, rep.missed_cycles,
                    rep.errors, f"{rep.pending_mib:.1f}",
                    f"{rep.last_sync_at:%m/%d/%Y %H:%M:%S}" if rep.last_sync_at else ""])
        response = HttpResponse(out.getvalue(), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="{rep.primary_vm.name}-replication-health.csv"'
        return response


class _ActionView(View):
    """Pause / Resume / Resynchronize / Remove / Stop Test Failover / Cancel Failover / Reverse / Import."""

    TITLES = {"pause": "Pause Replication", "resume": "Resume Replication", "resync": "Resume Replication",
              "remove": "Remove Replication", "stop-test": "Stop Test Failover", "cancel-failover": "Cancel Failover",
              "reverse": "Reverse Replication", "import": "Import Initial Replica"}

    def post(self, request, **kw):
        rep = self.load_replication(request, **kw)
        action = request.GET.get("action", "")
        user = request.user
        handlers = {
            "pause": lambda: rep_commands.set_paused(user, rep, True),
            "resume": lambda: rep_commands.set_paused(user, rep, False),
            "resync": lambda: rep_commands.resynchronize(user, rep),
            "remove": lambda: rep_commands.remove(user, rep),
            "stop-test": lambda: rep_commands.stop_test_failover(user, rep),
            "cancel-failover": lambda: rep_commands.cancel_failover(user, rep),
            "reverse": lambda: rep_commands.reverse_replication(user, rep),
            "import": lambda: rep_commands.import_initial_replica(user, rep),
        }
        if action not in handlers:
            raise Http404("No such action.")
        error = refused(handlers[action])
        if error:
            return self.error_dialog(request, self.TITLES[action], error)
        return self.answer(request, **kw)


class _FailoverView(View):
    """Test Failover... / Failover... on the replica: choose a recovery point; the data-loss window is shown."""

    template = "console/dialogs/replica_failover.html"

    def context(self, rep, test, form=None):
        sim_now = self.lab.sim_now()
        points = list(selectors.recovery_points(rep))
        rows = [(p, model.data_loss_s(sim_now, p.sim_time)) for p in points]
        return {"rep": rep, "test": test, "rows": rows, "form": form or RecoveryPointForm(points=points),
                "sim_now": sim_now, "latest_loss": rows[0][1] if rows else None, "form_url": self.url("failover")}

    def load_replica(self, request, **kw):
        rep = self.load_replication(request, **kw)
        if self.side != "Replica":
            raise Http404("Failover is done on the Replica virtual machine.")
        return rep

    def get(self, request, **kw):
        rep = self.load_replica(request, **kw)
        return self.dialog(request, self.template, **self.context(rep, request.GET.get("test") == "1"))

    def post(self, request, **kw):
        rep = self.load_replica(request, **kw)
        test = request.GET.get("test") == "1"
        form = RecoveryPointForm(request.POST, points=selectors.recovery_points(rep))
        if not form.is_valid():
            return self.dialog(request, self.template, **self.context(rep, test, form))
        fail_over = rep_commands.test_failover if test else rep_commands.failover
        error = refused(lambda: fail_over(request.user, rep, form.cleaned_data["point"]))
        if error:
            return self.dialog(request, self.template, error=error, **self.context(rep, test, form))
        return self.answer(request, **kw)


class _PlannedFailoverView(View):
    """Planned Failover... on the primary: the prerequisites, then fail over and reverse."""

    template = "console/dialogs/planned_failover.html"

    def get(self, request, **kw):
        rep = self.load_replication(request, **kw)
        return self.dialog(request, self.template, rep=rep, checks=replication_effects.planned_failover_checks(rep),
                           form_url=self.url("planned"))

    def post(self, request, **kw):
        rep = self.load_replication(request, **kw)
        error = refused(lambda: rep_commands.planned_failover(
            request.user, rep, start_replica=request.POST.get("start_replica") == "on"))
        if error:
            return self.dialog(request, self.template, error=error, rep=rep, form_url=self.url("planned"),
                               checks=replication_effects.planned_failover_checks(rep))
        return self.answer(request, **kw)


class ReplicationHealthView(ReplicationMixin, _HealthView):
    pass


class ReplicationActionView(ReplicationMixin, _ActionView):
    pass


class FailoverView(ReplicationMixin, _FailoverView):
    pass


class PlannedFailoverView(ReplicationMixin, _PlannedFailoverView):
    pass


class VmReplicationHealthView(VmReplicationMixin, _HealthView):
    pass


class VmReplicationActionView(VmReplicationMixin, _ActionView):
    pass


class VmFailoverView(VmReplicationMixin, _FailoverView):
    pass


class VmPlannedFailoverView(VmReplicationMixin, _PlannedFailoverView):
    pass


class ReplicaSettingsMixin:
    """One dialog for a broker's Replication Settings and a server's Replication Configuration."""

    template = "console/dialogs/replica_settings.html"

    @staticmethod
    def initial(server):
        if server.pk is None:  # not configured yet
            return ""
        return "\n".join(f"{a.primary_server}, {a.storage_location}, {a.trust_group}"
                          for a in server.authorizations.all())

    def show(self, request, server, url, form=None):
        form = form or ReplicaServerForm(instance=server, initial={"authorized": self.initial(server)})
        return self.dialog(request, self.template, form=form, server=server, form_url=url)

    def save(self, request, server, url):
        form = ReplicaServerForm(request.POST, instance=server)
        if not form.is_valid():
            return self.show(request, server, url, form)
        if refused(lambda: properties.set_replica_server(server, form.settings(), form.cleaned_data["authorized"]),
                   form, "authorized"):
            return self.show(request, server, url, form)
        return HttpResponseClientRefresh()


class BrokerSettingsView(ReplicaSettingsMixin, ClusterMixin, View):
    """The Replica Broker role -> Replication Settings (applied to every node of the cluster)."""

    def server(self, request, lab, cluster, pk):
        self.load(request, lab, cluster)
        try:
            server = selectors.broker_server(self.cluster, pk)
        except ObjectDoesNotExist:
            raise Http404("No Replica Broker here.") from None
        return server, reverse("console:broker-settings", args=[lab, cluster, pk])

    def get(self, request, lab, cluster, pk):
        return self.show(request, *self.server(request, lab, cluster, pk))

    def post(self, request, lab, cluster, pk):
        return self.save(request, *self.server(request, lab, cluster, pk))


class ServerReplicationView(ReplicaSettingsMixin, LabMixin, View):
    """Servers -> a Hyper-V server -> Hyper-V Settings -> Replication Configuration."""

    def server(self, request, lab, pk):
        self.load(request, lab)
        node = selectors.standalone_hyperv_server(self.lab, pk)
        if node is None:
            raise Http404("No such Hyper-V server.")
        return selectors.replica_server_of(self.lab, node), reverse("console:server-replication", args=[lab, pk])

    def get(self, request, lab, pk):
        return self.show(request, *self.server(request, lab, pk))

    def post(self, request, lab, pk):
        return self.save(request, *self.server(request, lab, pk))


class WanLinkView(ClusterMixin, View):
    """Simulate -> Disconnect / Reconnect WAN link (the link between the sites)."""

    def post(self, request, lab, cluster, pk):
        self.load(request, lab, cluster)
        link = selectors.wan_link(self.lab, pk)
        if link is None:
            raise Http404("No such WAN link.")
        up = request.GET.get("action") == "connect"
        return self.simulate(request, link.name, lambda: faults.set_wan_link(request.user, link, up))
