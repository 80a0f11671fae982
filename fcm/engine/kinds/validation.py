"""Validate a Configuration: the tests' results, decided when the run began, are revealed one by one.

Cancelled in the Validating page, the finished tests keep their results and the others say so.
"""
from fcm.sim import validation

from ..models import Operation, ValidationReport
from ..registry import OperationKind, register


def finish_validation(op, cancelled=False):
    """The report gets its outcome and completion time."""
    report = ValidationReport.objects.filter(operation=op).first()
    if report is None:
        return
    if cancelled:
        done = max(op.phase_index - 1, 0)
        for r in report.results[done:]:
            r["status"] = validation.CANCELED
            r["lines"] = ["The test was canceled."]
    report.completed_at = op.finished_at
    report.outcome = (ValidationReport.Outcome.CANCELED if cancelled
                      else validation.overall(r["status"] for r in report.results))
    report.save(update_fields=["results", "completed_at", "outcome"])


@register
class Validation(OperationKind):
    kind = Operation.Kind.VALIDATION

    def finished(self, op, state, sim_time):
        finish_validation(op, cancelled=state == Operation.State.CANCELLED)
