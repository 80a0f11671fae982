"""`manage.py testcluster LAB NODE [NODE ...]`: Validate a Configuration from the shell (Test-Cluster)."""
from django.core.management.base import BaseCommand, CommandError
from django.test import RequestFactory

from fcm.engine import lifecycle
from fcm.engine.commands import clusters
from fcm.engine.models import Operation, ValidationReport
from fcm.inventory import owners
from fcm.inventory.models import Lab
from fcm.sim import validation

from fcm.wizards.validate import resolve_names
from fcm.wizards.views import ReportView


class Command(BaseCommand):
    help = ("Run the validation tests on servers (or a cluster) of a lab, print one line per test, "
            "optionally write the HTML report; exit 1 when any test failed.")

    def add_arguments(self, parser):
        parser.add_argument("lab", help="lab name")
        parser.add_argument("nodes", nargs="+", help="server or cluster names")
        parser.add_argument("--include", nargs="*", default=None, metavar="CATEGORY_OR_TEST",
                            help="only these categories or test names (as Test-Cluster -Include)")
        parser.add_argument("--report", help="write the report to this .html file")

    def handle(self, *args, lab, nodes, include, report, **options):
        lab_obj = Lab.objects.filter(name=lab).first()
        if lab_obj is None:
            raise CommandError(f"no lab named {lab!r}")
        found, cluster, errors = resolve_names(lab_obj, nodes)
        if errors:
            raise CommandError(" ".join(errors))
        order = max(n.version.order for n in found)
        catalogue = validation.catalogue(order, existing_cluster=cluster is not None)
        selected = None
        if include:
            wanted = {i.lower() for i in include}
            selected = {t.name for t in catalogue if t.name.lower() in wanted or t.category.lower() in wanted}
            if not selected:
                raise CommandError("--include matches no category or test; categories: "
                                   + ", ".join(sorted({t.category for t in catalogue})))
        op, rep = clusters.start_validation(owners.administrator(), lab_obj, [n.name for n in found],
                                            selected, cluster)
        # The shell does not wait for the lab's clock: the run completes at once.
        Operation.objects.filter(pk=op.pk).update(phase_index=len(op.phases))
        op.refresh_from_db()
        lifecycle.finish(op, Operation.State.COMPLETED, op.started_at)
        rep.refresh_from_db()
        width = max(len(r["name"]) for r in rep.results)
        for r in rep.results:
            self.stdout.write(f"{r['category']:<22} {r['name']:<{width}}  {r['status']}")
            if r["status"] in (validation.FAILED, validation.WARNING):
                for line in r["lines"]:
                    if any(word in line for word in ("not", "only", "different", "failed", "more than")):
                        self.stdout.write(f"{'':<22}   - {line}")
        self.stdout.write(f"Result: {rep.outcome}")
        if report:
            request = RequestFactory().get("/", {"download": "1"})
            request.user = owners.administrator()
            response = ReportView.as_view()(request, lab=lab_obj.pk, pk=rep.pk)
            with open(report, "wb") as fh:
                fh.write(response.content)
            self.stdout.write(f"Report written to {report}")
        if rep.outcome == ValidationReport.Outcome.FAILED:
            raise SystemExit(1)
