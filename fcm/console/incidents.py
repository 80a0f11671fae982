"""The incident timeline a trainer draws on the whiteboard, from the engine's records.

For a node failure: power lost at t0, declared down at t0 + detection
(1135), then each role of the node: the failure logged (1069), where it was
placed and when its VM started booting, when it was running again, and the
total outage of the role.
"""
from datetime import timedelta

from django.http import Http404
from django.template.response import TemplateResponse
from django.views import View

from fcm.engine.models import Operation

from . import selectors
from .base import ClusterMixin

CHART_W = 640


def timeline(op):
    t0 = op.started_at
    detect = op.plan["phases"][-1]["start_s"]
    declared = t0 + timedelta(seconds=detect)
    rows = []
    for ev in selectors.roles_failed_at(op.cluster, declared):
        role = ev.role
        boot = selectors.first_boot_after(role, declared)
        failed = selectors.role_could_not_be_placed(role, declared)
        row = {"role": role.name if role else "", "failed_at": 0.0, "declared": detect,
               "placed_on": boot.target_node.name if boot else "", "boot_start": None, "online": None,
               "outcome": "Failed: no node could host it" if failed else ("Left off (No Auto Start)" if not boot
                                                                          else "")}
        if boot:
            row["boot_start"] = (boot.started_at - t0).total_seconds()
            if boot.state == Operation.State.COMPLETED:
                row["online"] = (boot.finished_at - t0).total_seconds()
                row["outcome"] = f"Running on {boot.target_node.name}"
            else:
                row["outcome"] = "Starting"
        rows.append(row)
    end = max([r["online"] or 0 for r in rows] + [detect, 1])
    scale = CHART_W / end
    for r in rows:
        r["outage"] = r["online"]
        r["bars"] = [{"x": 0, "w": detect * scale, "kind": "detect", "title": f"Heartbeats missed: {detect:.0f} s"}]
        if r["boot_start"] is not None:
            stop = r["online"] if r["online"] is not None else end
            r["bars"].append({"x": r["boot_start"] * scale, "w": max((stop - r["boot_start"]) * scale, 2),
                              "kind": "boot", "title": f"Booting on {r['placed_on']}"})
    return {"t0": t0, "declared": declared, "detect_s": detect, "rows": rows, "end_s": end, "width": CHART_W}


class IncidentView(ClusterMixin, View):
    def get(self, request, lab, cluster, pk=None):
        self.load(request, lab, cluster)
        incidents = selectors.node_failures(self.cluster)
        chosen = None
        if pk is not None:
            chosen = selectors.node_failure(self.cluster, pk)
            if chosen is None:
                raise Http404("No such incident.")
        elif incidents:
            chosen = incidents[0]
        return TemplateResponse(request, "console/reports/incident.html", {
            "lab": self.lab, "cluster": self.cluster, "incidents": incidents, "incident": chosen,
            "timeline": timeline(chosen) if chosen and chosen.state == Operation.State.COMPLETED else None})
