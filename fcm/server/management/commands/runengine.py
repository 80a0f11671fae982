"""`manage.py runengine`: the engine alone, beside daphne processes (scaled setup).

Several engines share the labs by lease (fcm/engine/leases.py, on by default with PostgreSQL): each works
only the labs it holds, and takes over those of an engine that stopped. Each has an engine id (hostname:pid
unless given) and logs which labs it takes and gives up; a thread renews its leases between passes.
SIGTERM or Ctrl+C ends the pass under way and gives the leases up, so that another engine takes the labs
at once instead of after the leases expire.
"""
import asyncio
import logging
import signal

from django.core.management.base import BaseCommand
from django.utils import timezone

from fcm.engine.leases import LEASE_S, Renewer, default_engine_id
from fcm.engine.runner import Runner
from fcm.server.loop import TICK_S, run


class Command(BaseCommand):
    help = "Run the simulation engine: apply due transitions and push changes to consoles."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=TICK_S, help="seconds between ticks")
        parser.add_argument("--engine-id", default="", help="this engine's name among engines sharing the labs "
                            "(default: hostname:pid)")

    def handle(self, *args, interval, engine_id, **options):
        logging.getLogger("fcm.engine.leases").setLevel(logging.INFO)
        runner = Runner(engine_id=engine_id or default_engine_id())
        sharing = (f"sharing the labs by lease as {runner.leases.engine_id} (leases last {LEASE_S:g} s)"
                   if runner.leases.enabled else "working every lab (leases off)")
        self.stdout.write(f"Engine running (tick every {interval} s), {sharing}. Ctrl+C stops it.")
        self.stdout.flush()
        renewer = Renewer(runner.leases)
        if runner.leases.enabled:
            renewer.start()
        try:
            asyncio.run(self._run(runner, interval))
        finally:
            if renewer.is_alive():
                renewer.stop()
            runner.leases.release(timezone.now())
            stats = runner.stats
            self.stdout.write(f"Engine stopped: {stats['ticks']} passes, "
                              f"{stats['tick_s'] * 1000 / max(stats['ticks'], 1):.1f} ms per pass, "
                              f"{stats['transitions']} transitions.")

    async def _run(self, runner, interval):
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run(runner, interval=interval, stop=stop)
