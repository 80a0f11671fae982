"""`manage.py serve`: daphne and the engine in one process, with a sign-in link.

The engine runs as a task on daphne's own event loop (DESIGN.md,
Operations): pushes to the in-memory channel layer then never cross
threads. daphne sends no ASGI lifespan events, so the task is started from
daphne's ready callback; `--no-engine` leaves it to a separate
`manage.py runengine` (scaled setups).
"""
from django.conf import settings
from django.core.management.base import BaseCommand

from fcm.inventory import owners
from fcm.inventory.models import LoginToken
from fcm.server.forwarded import ForwardedForMiddleware, trusted_proxies


class Command(BaseCommand):
    help = "Serve the console with daphne and print a one-time sign-in link."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-link", action="store_true", help="do not print a sign-in link")
        parser.add_argument("--no-engine", action="store_true",
                            help="do not run the engine here (run manage.py runengine instead)")
        parser.add_argument("--proxy-headers", action="store_true",
                            help="behind a reverse proxy: take the client's address from X-Forwarded-For when "
                                 "the request comes from a trusted proxy (FCM_TRUSTED_PROXIES, else one on "
                                 "this machine), so that rate limits count per client, not per proxy")

    def handle(self, *args, host, port, no_link, no_engine, proxy_headers, **options):
        from daphne.endpoints import build_endpoint_description_strings
        from daphne.server import Server

        from fcm.live import expiry, watchdog
        from fcm.server import loop
        from fcm.server.asgi import router

        application = ForwardedForMiddleware(router, trusted_proxies(settings.FCM_TRUSTED_PROXIES, proxy_headers))

        def ready():
            if not no_engine:
                loop.start_on_daphne_loop()
            watchdog.start_on_daphne_loop()
            expiry.start_on_daphne_loop()

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
            # A classroom connects all at once: a deeper accept queue than Twisted's 50.
            endpoints=[e + ":backlog=1024" for e in build_endpoint_description_strings(host=host, port=port)],
            ready_callable=ready,
            # A class connecting at once (or every console reconnecting after a restart) queues for the
            # database: a handshake waits its turn rather than being dropped after autobahn's 5 s.
            websocket_handshake_timeout=30, websocket_connect_timeout=30,
            # No proxy_forwarded_* here: daphne would believe X-Forwarded-For from any peer, leftmost value
            # first; fcm.server.forwarded believes it from trusted proxies only.
        ).run()
