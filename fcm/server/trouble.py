"""A lab that cannot be shown gets a page saying why, not a server error.

Every entry point (forms, administration, lab files, dumps) keeps a lab's numbers within range,
but a row written to the database directly can still hold a clock the simulator cannot run
(`LabClockError`). Any view of that lab reads its clock, so rather than guard each of them, this
middleware answers every request that met one with a 503 page naming the lab and the repair: the
trouble stays that lab's, and the rest of the product, including its other labs, keeps working.
An htmx request (a row click, a dialog) gets the same page in place of the window's body.
"""
from django.template.response import TemplateResponse
from django_htmx.http import reswap, retarget

from fcm.inventory.models.labs import LabClockError


class LabTroubleMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, LabClockError):
            return None
        response = TemplateResponse(request, "lab_trouble.html", {"message": str(exception)}, status=503)
        response["Retry-After"] = "60"
        if getattr(request, "htmx", False):
            response = reswap(retarget(response, "body"), "innerHTML")
        return response
