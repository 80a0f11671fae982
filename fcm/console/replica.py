"""Replication ▸ on a VM role, the Replica Broker's Replication Settings, the WAN link (Simulate)."""
import csv
from io import StringIO

from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views import View
from django_htmx.http import HttpResponseClientRefresh, retarget

from fcm.engine import replication as rep_engine
from fcm.inventory.models import Lab, Node, RecoveryPoint, ReplicaServer, WanLink
from fcm.sim import replication as model

from .actions import replication_of
from .moves import RoleActionMixin
from .storage import ClusterMixin


class ReplicationMixin(RoleActionMixin):
    def load_replication(self, request, lab, cluster, pk):
        self.load(request, lab, cluster, pk)
        self.rep, self.side = replication_of(self.role)
        if self.rep is None:
            raise Http404("Replication is not enabled for this virtual machine.")
        return self.rep

    def fail(self, request, title, exc):
        return self.dialog(request, "console/dialogs/error.html", {"title": title}, error=str(exc))


def health_context(rep, side, sim_now):
    h = rep_engine.health(rep, sim_now)
    return {
        "rep": rep, "side": side, "health": h, "sim_now": sim_now,
        "frequency": model.frequency_label(rep.frequency_s),
        "pending_gb": rep.pending_mib / 1024,
    }


class ReplicationHealthView(ReplicationMixin, View):
    """View Replication Health...: the product's fields; Reset Statistics; Save As... (CSV)."""

    template = "console/dialogs/replication_health.html"

    def get(self, request, lab, cluster, pk):
        rep = self.load_replication(request, lab, cluster, pk)
        sim_now = self.lab.sim_now()
        if request.GET.get("format") == "csv":
            return self.csv(rep, sim_now)
        return self.dialog(request, self.template, health_context(rep, self.side, sim_now))

    def post(self, request, lab, cluster, pk):
        rep = self.load_replication(request, lab, cluster, pk)
        rep_engine.reset_statistics(rep)
        rep.refresh_from_db()
        return self.dialog(request, self.template, health_context(rep, self.side, self.lab.sim_now()))

    def csv(self, rep, sim_now):
        h = rep_engine.health(rep, sim_now)
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


class ReplicationActionView(ReplicationMixin, View):
    """Pause / Resume / Resynchronize / Remove / Stop Test Failover / Cancel Failover / Reverse / Import."""

    TITLES = {"pause": "Pause Replication", "resume": "Resume Replication", "resync": "Resume Replication",
              "remove": "Remove Replication", "stop-test": "Stop Test Failover", "cancel-failover": "Cancel Failover",
              "reverse": "Reverse Replication", "import": "Import Initial Replica"}

    def post(self, request, lab, cluster, pk):
        rep = self.load_replication(request, lab, cluster, pk)
        action = request.GET.get("action", "")
        user = request.user
        handlers = {
            "pause": lambda: rep_engine.set_paused(user, rep, True),
            "resume": lambda: rep_engine.set_paused(user, rep, False),
            "resync": lambda: rep_engine.resynchronize(user, rep),
            "remove": lambda: rep_engine.remove(user, rep),
            "stop-test": lambda: rep_engine.stop_test_failover(user, rep),
            "cancel-failover": lambda: rep_engine.cancel_failover(user, rep),
            "reverse": lambda: rep_engine.reverse_replication(user, rep),
            "import": lambda: rep_engine.import_initial_replica(user, rep),
        }
        if action not in handlers:
            raise Http404("No such action.")
        try:
            handlers[action]()
        except rep_engine.ReplicationError as exc:
            return self.fail(request, self.TITLES[action], exc)
        return self.details(request, lab, cluster, pk)


class RecoveryPointForm(forms.Form):
    point = forms.IntegerField(error_messages={"required": "Select a recovery point."})

    def __init__(self, *args, points=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.points = {p.pk: p for p in points}

    def clean_point(self):
        pk = self.cleaned_data["point"]
        if pk not in self.points:
            raise forms.ValidationError("That recovery point no longer exists; choose another.")
        return self.points[pk]


class FailoverView(ReplicationMixin, View):
    """Test Failover... / Failover... on the replica: choose a recovery point; the data-loss window is shown."""

    template = "console/dialogs/replica_failover.html"

    def context(self, rep, test, form=None):
        sim_now = self.lab.sim_now()
        points = list(RecoveryPoint.objects.filter(replication=rep))
        rows = [(p, model.data_loss_s(sim_now, p.sim_time)) for p in points]
        return {"rep": rep, "test": test, "rows": rows, "form": form or RecoveryPointForm(points=points),
                "sim_now": sim_now, "latest_loss": rows[0][1] if rows else None}

    def get(self, request, lab, cluster, pk):
        rep = self.load_replication(request, lab, cluster, pk)
        if self.side != "Replica":
            raise Http404("Failover is done on the Replica virtual machine.")
        return self.dialog(request, self.template, self.context(rep, request.GET.get("test") == "1"))

    def post(self, request, lab, cluster, pk):
        rep = self.load_replication(request, lab, cluster, pk)
        if self.side != "Replica":
            raise Http404("Failover is done on the Replica virtual machine.")
        test = request.GET.get("test") == "1"
        form = RecoveryPointForm(request.POST, points=RecoveryPoint.objects.filter(replication=rep))
        if not form.is_valid():
            return self.dialog(request, self.template, self.context(rep, test, form))
        try:
            if test:
                rep_engine.test_failover(request.user, rep, form.cleaned_data["point"])
            else:
                rep_engine.failover(request.user, rep, form.cleaned_data["point"])
        except rep_engine.ReplicationError as exc:
            return self.dialog(request, self.template, self.context(rep, test, form), error=str(exc))
        return self.details(request, lab, cluster, pk)


class PlannedFailoverView(ReplicationMixin, View):
    """Planned Failover... on the primary: the prerequisites, then fail over and reverse."""

    template = "console/dialogs/planned_failover.html"

    def get(self, request, lab, cluster, pk):
        rep = self.load_replication(request, lab, cluster, pk)
        return self.dialog(request, self.template, {"rep": rep, "checks": rep_engine.planned_failover_checks(rep)})

    def post(self, request, lab, cluster, pk):
        rep = self.load_replication(request, lab, cluster, pk)
        try:
            rep_engine.planned_failover(request.user, rep, start_replica=request.POST.get("start_replica") == "on")
        except rep_engine.ReplicationError as exc:
            return self.dialog(request, self.template, {"rep": rep, "checks": rep_engine.planned_failover_checks(rep)},
                               error=str(exc))
        return self.details(request, lab, cluster, pk)


class ReplicaServerForm(forms.ModelForm):
    """Replication Settings (a broker) / Replication Configuration (a server)."""

    authorized = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}),
        label="Allow replication from the specified servers (one per line: primary server, storage location, "
              "trust group)")

    class Meta:
        model = ReplicaServer
        fields = ["enabled", "kerberos", "kerberos_port", "certificate", "certificate_port", "allow_any",
                  "default_storage", "firewall_http", "firewall_https"]

    def clean_authorized(self):
        rows = []
        for n, line in enumerate(self.cleaned_data["authorized"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split(",")]
            if len(parts) < 2 or not parts[0] or not parts[1]:
                raise forms.ValidationError(f"Line {n}: give the primary server and its storage location, "
                                            "separated by a comma.")
            if any(c in parts[0] for c in " /\\"):
                raise forms.ValidationError(f"Line {n}: '{parts[0]}' is not a server name (FQDN or *.domain).")
            rows.append((parts[0], parts[1], parts[2] if len(parts) > 2 and parts[2] else "DEFAULT"))
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
        with transaction.atomic():
            form.save()
            server.authorizations.all().delete()
            for primary, storage, group in form.cleaned_data["authorized"]:
                server.authorizations.create(primary_server=primary, storage_location=storage, trust_group=group)
        return HttpResponseClientRefresh()


class BrokerSettingsView(ReplicaSettingsMixin, ClusterMixin, View):
    """The Replica Broker role -> Replication Settings (applied to every node of the cluster)."""

    def server(self, request, lab, cluster, pk):
        self.load(request, lab, cluster)
        try:
            server = ReplicaServer.objects.get(broker_role__cluster=self.cluster, broker_role_id=pk)
        except ObjectDoesNotExist:
            raise Http404("No Replica Broker here.") from None
        return server, reverse("console:broker-settings", args=[lab, cluster, pk])

    def get(self, request, lab, cluster, pk):
        return self.show(request, *self.server(request, lab, cluster, pk))

    def post(self, request, lab, cluster, pk):
        return self.save(request, *self.server(request, lab, cluster, pk))


class ServerReplicationView(ReplicaSettingsMixin, LoginRequiredMixin, View):
    """Servers -> a Hyper-V server -> Hyper-V Settings -> Replication Configuration."""

    def server(self, request, lab, pk):
        self.lab = get_object_or_404(Lab.objects.visible_to(request.user), pk=lab)
        node = get_object_or_404(Node, lab=self.lab, pk=pk, cluster__isnull=True, hyperv_installed=True)
        server = ReplicaServer.objects.filter(node=node).first() or ReplicaServer(
            lab=self.lab, node=node, name=node.name)
        return server, reverse("console:server-replication", args=[lab, pk])

    def dialog(self, request, template, **context):
        return retarget(TemplateResponse(request, template, {"lab": self.lab, "cluster": None, **context}),
                        "#dialog-host")

    def get(self, request, lab, pk):
        return self.show(request, *self.server(request, lab, pk))

    def post(self, request, lab, pk):
        return self.save(request, *self.server(request, lab, pk))


class WanLinkView(ClusterMixin, View):
    """Simulate -> Disconnect / Reconnect WAN link (the link between the sites)."""

    def post(self, request, lab, cluster, pk):
        from .storage import _simulate

        self.load(request, lab, cluster)
        link = get_object_or_404(WanLink, lab=self.lab, pk=pk)
        up = request.GET.get("action") == "connect"
        return _simulate(self, request, link.name, lambda: rep_engine.set_wan_link(request.user, link, up))

