"""`manage.py runengine`: the engine alone, beside daphne processes (scaled setup).

Several runners are harmless: each transition is claimed with a conditional
UPDATE, so only one of them applies it.
"""
import asyncio

from django.core.management.base import BaseCommand

from fcm.server.loop import TICK_S, run


class Command(BaseCommand):
    help = "Run the simulation engine: apply due transitions and push changes to consoles."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=TICK_S, help="seconds between ticks")

    def handle(self, *args, interval, **options):
        self.stdout.write(f"Engine running (tick every {interval} s). Ctrl+C stops it.")
        try:
            asyncio.run(run(interval=interval))
        except KeyboardInterrupt:
            pass
