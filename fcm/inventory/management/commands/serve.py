"""`manage.py serve`: daphne on the given address, with a one-time sign-in link.

The engine's runner will run as a task on daphne's own event loop (see
DESIGN.md, Operations); this command is where it plugs in.
"""
from django.core.management.base import BaseCommand

from fcm.inventory import owners
from fcm.inventory.models import LoginToken


class Command(BaseCommand):
    help = "Serve the console with daphne and print a one-time sign-in link."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-link", action="store_true", help="do not print a sign-in link")

    def handle(self, *args, host, port, no_link, **options):
        from daphne.endpoints import build_endpoint_description_strings
        from daphne.server import Server

        from fcm.asgi import application

        base = f"http://{host}:{port}"
        if not no_link:
            token = LoginToken.issue(owners.administrator())
            self.stdout.write(self.style.SUCCESS(
                f"\nFailover Cluster Manager is at {base}/\n"
                f"Sign in as the administrator with this one-time link (valid 12 hours):\n"
                f"  {base}/login/{token}/\n"))
        self.stdout.flush()
        Server(
            application=application,
            endpoints=build_endpoint_description_strings(host=host, port=port),
        ).run()
