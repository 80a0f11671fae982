"""Push latency to many open consoles (a benchmark, not a test).

Starts `manage.py serve` (daphne + the embedded engine, in-memory channel
layer) on a scratch database, opens N WebSocket clients on one lab, runs M
live migrations at a high clock speed and measures, for every message each
client receives, the time from the engine's commit (stamped in the message)
to its arrival. Also times the engine alone per transition. Last line:

    clients=500 p50_ms=.. p99_ms=.. max_ms=.. dropped=0 msgs_s=..

Run: `.venv/bin/python bench/ws_fanout.py --clients 500 --migrations 16`.
"""
import argparse
import asyncio
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from serving import cpu_seconds, page_origin, quantile, scratch_env, serve, session_cookie  # noqa: E402
STAMP = re.compile(r"<!--fcm-commit (\d+\.\d+)-->")


def setup(nodes, vms):
    import django
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from fcm.inventory import owners
    from fcm.inventory.generate import generate

    admin = owners.administrator()
    return admin, generate(admin, nodes=nodes, vms=vms), session_cookie(admin)


def engine_cost(admin, lab, migrations):
    """Engine alone, fake clock: wall time per applied transition."""
    from datetime import timedelta

    from fcm.engine.commands import moves
    from fcm.engine.models import Operation
    from fcm.engine.runner import Runner
    from fcm.inventory.models import Node, Role

    cluster = lab.clusters.get()
    nodes = list(Node.objects.filter(cluster=cluster).order_by("name"))
    roles = list(Role.objects.filter(cluster=cluster, owner_node=nodes[0])
                 .select_related("cluster", "virtual_machine__host_node")[:migrations])
    moves.request_moves(admin, roles, Operation.Kind.LIVE_MIGRATION, nodes[1])
    runner = Runner()
    lab.refresh_from_db()
    t = 0
    while Operation.objects.filter(state__in=Operation.ACTIVE).exists() and t < 3600:
        t += 1
        runner.tick(to=lab.wall_anchor + timedelta(seconds=t / lab.speed))
    stats = dict(runner.stats)
    Operation.objects.all().delete()
    return stats


#: Why clients dropped (the first few are printed).
ERRORS = []
#: Per pushed message (its commit stamp), the latency of the first client that got it: the server's
#: own path, without the time the bench's clients take to read a thousand copies one after another.
FIRST = {}


async def run_clients(url, cookie, n, duration, start_moves):
    """`url` may be a list: client i connects to url[i % len(url)] (several daphne processes)."""
    import websockets
    urls = url if isinstance(url, list) else [url]

    latencies, counts, dropped = [], [0] * n, [0]
    connected = asyncio.Event()
    ready = [0]

    async def client(i):
        try:
            async with websockets.connect(urls[i % len(urls)], additional_headers={"Cookie": cookie, "Origin": page_origin(urls[i % len(urls)])},
                                          open_timeout=60, max_size=2**22) as ws:
                ready[0] += 1
                if ready[0] == n:
                    connected.set()
                end = time.time() + duration + 60
                while time.time() < end:
                    try:
                        msg = await asyncio.wait_for(ws.recv(), timeout=max(end - time.time(), 0.1))
                    except asyncio.TimeoutError:
                        break
                    now = time.time()
                    m = STAMP.search(msg)
                    if m:
                        latencies.append((now - float(m.group(1))) * 1000)
                        FIRST[m.group(1)] = min(FIRST.get(m.group(1), latencies[-1]), latencies[-1])
                    counts[i] += 1
                    if stop.is_set():
                        break
        except Exception as exc:
            ERRORS.append(repr(exc)[:200])
            dropped[0] += 1
            if ready[0] + dropped[0] == n:
                connected.set()

    stop = asyncio.Event()
    tasks = [asyncio.create_task(client(i)) for i in range(n)]
    await asyncio.wait_for(connected.wait(), timeout=120)
    began = time.time()
    await asyncio.get_running_loop().run_in_executor(None, start_moves)
    await asyncio.sleep(duration)
    stop.set()
    elapsed = time.time() - began
    await asyncio.wait(tasks, timeout=10)
    for t in tasks:
        t.cancel()
    silent = sum(1 for c in counts if c == 0)
    return latencies, sum(counts), elapsed, dropped[0] + silent


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--migrations", type=int, default=16)
    parser.add_argument("--speed", type=int, default=2)
    parser.add_argument("--duration", type=float, default=15.0)
    args = parser.parse_args()

    env = scratch_env("fcm-fanout-")
    admin, lab, cookie = setup(nodes=8, vms=max(64, args.migrations * 4))
    stats = engine_cost(admin, lab, args.migrations)
    print(f"# engine alone ({args.migrations} live migrations, fake clock): {stats['ticks']} ticks, "
          f"{1000 * stats['tick_s'] / stats['ticks']:.1f} ms per tick, {stats['transitions']} transition steps, "
          f"{1000 * stats['tick_s'] / max(stats['transitions'], 1):.1f} ms of tick per step "
          "(claims, state writes, outbox, rendering included)")

    from fcm.inventory.models import Lab
    Lab.objects.filter(pk=lab.pk).update(speed=args.speed)
    server, port = serve(env)
    try:
        cpu0 = cpu_seconds(server.pid)
        client_cpu0 = time.process_time()

        def start_moves():
            from fcm.engine.commands import moves
            from fcm.engine.models import Operation
            from fcm.inventory.models import Node, Role
            cluster = lab.clusters.get()
            nodes = list(Node.objects.filter(cluster=cluster).order_by("name"))
            roles = list(Role.objects.filter(cluster=cluster, owner_node=nodes[2])
                         .select_related("cluster", "virtual_machine__host_node")[:args.migrations])
            moves.request_moves(admin, roles, Operation.Kind.LIVE_MIGRATION, None)

        lat, msgs, elapsed, dropped = asyncio.run(run_clients(
            f"ws://127.0.0.1:{port}/ws/labs/{lab.pk}/", cookie, args.clients, args.duration, start_moves))
        cpu = cpu_seconds(server.pid) - cpu0
        client_cpu = time.process_time() - client_cpu0
    finally:
        server.terminate()
        server.wait(10)
    lat.sort()
    q = lambda p: quantile(lat, p)  # noqa: E731
    print(f"# {len(lat)} stamped messages received; server CPU {cpu:.1f} s over {elapsed:.1f} s "
          f"({100 * cpu / elapsed:.0f}% of one core); bench clients CPU {client_cpu:.1f} s")
    print(f"clients={args.clients} p50_ms={q(0.5):.1f} p99_ms={q(0.99):.1f} max_ms={(lat[-1] if lat else 0):.1f} "
          f"dropped={dropped} msgs_s={msgs / elapsed:.0f}")


if __name__ == "__main__":
    main()
