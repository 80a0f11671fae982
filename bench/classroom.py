"""A classroom under load (a benchmark, not a test).

Starts `manage.py serve` (daphne + the embedded engine) on a scratch
database, starts a training session on the Maintenance window exercise,
joins N trainees (each with a console socket on their own lab) and opens the
trainer's dashboard socket. Every trainee then drains HQ-HV1 at a fast clock,
so live migrations run in every lab; when a drain completes the objective
"Drain HQ-HV1" is met. Measured: from the moment the engine met it (the
time it records for the objective) to the trainer's dashboard receiving the
row with its tick. Also the engine's cost per busy lab:

    engine_ms_per_lab_tick = server CPU over the run / messages the trainees' consoles received

The engine pushes one message to a lab's consoles in each pass that rendered the lab (its moves
progressed or its outbox had rows), one more in a pass that graded it, so the trainees' messages
count the busy lab-passes. The server's CPU is the whole `serve` process (daphne's socket work
included), from before the sockets open until the drains are over. `bench/engine_tick.py`
measures the pass alone, without sockets. Last line:

    trainees=30 p50_ms=.. p99_ms=.. dropped=0 engine_ms_per_lab_tick=..

Run: `.venv/bin/python bench/classroom.py --trainees 30`.
"""
import argparse
import asyncio
import multiprocessing
import re
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from serving import cpu_seconds, page_origin, quantile, scratch_env, serve, session_cookie  # noqa: E402

ROW = re.compile(r'<tr id="trainee-(\d+)"(.*?)</tr>', re.S)


def setup(n):
    import django
    django.setup()
    from django.core.management import call_command
    call_command("migrate", verbosity=0)
    from fcm.inventory import owners
    from fcm.training import classroom
    trainer = owners.administrator()
    session = classroom.start_session(trainer, "maintenance-window")
    trainees = [classroom.join(session, f"Trainee {i + 1:02d}") for i in range(n)]
    return trainer, session, trainees


async def run(port, trainer_cookie, session, trainees, cookies, duration, start_drains):
    import websockets

    seen, dropped, counts = {}, [0], {}
    ready = asyncio.Event()
    opened = [0]
    stop = asyncio.Event()
    total = len(trainees) + 1

    async def listen(url, cookie, key, on_message=None):
        try:
            async with websockets.connect(url, additional_headers={"Cookie": cookie, "Origin": page_origin(url)},
                                          open_timeout=60, max_size=2**22) as ws:
                opened[0] += 1
                if opened[0] == total:
                    ready.set()
                counts[key] = 0
                while not stop.is_set():
                    try:
                        msg = await asyncio.wait_for(ws.recv(), timeout=0.5)
                    except asyncio.TimeoutError:
                        continue
                    counts[key] += 1
                    if on_message:
                        on_message(msg, time.time())
        except Exception:
            dropped[0] += 1
            if opened[0] + dropped[0] == total:
                ready.set()

    def dashboard(msg, now):
        for pk, row in ROW.findall(msg):
            if 'objective-cell met" data-objective="drained"' in row and pk not in seen:
                seen[pk] = now

    tasks = [asyncio.create_task(listen(f"ws://127.0.0.1:{port}/ws/training/{session.pk}/", trainer_cookie,
                                        "trainer", dashboard))]
    for t, cookie in zip(trainees, cookies):
        tasks.append(asyncio.create_task(listen(f"ws://127.0.0.1:{port}/ws/labs/{t.lab_id}/", cookie, t.pk)))
    await asyncio.wait_for(ready.wait(), timeout=120)
    await asyncio.get_running_loop().run_in_executor(None, start_drains)
    deadline = time.time() + duration
    while time.time() < deadline and len(seen) < len(trainees):
        await asyncio.sleep(0.2)
    await asyncio.sleep(1)
    stop.set()
    await asyncio.wait(tasks, timeout=5)
    silent = sum(1 for key, c in counts.items() if c == 0)
    return seen, dropped[0] + silent, counts


def page_timings(trainer, session, trainee, runs=20):
    """Median wall time and queries of the class's pages, through Django's test client (no socket)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    lab = trainee.lab
    cluster = lab.clusters.order_by("name").last()
    pages = [(trainer, "dashboard", reverse("training:dashboard", args=[session.pk])),
             (trainer, "watch (trainee console)", reverse("console:root", args=[lab.pk])),
             (trainee.user, "trainee console", reverse("console:root", args=[lab.pk])),
             (trainee.user, "trainee roles", reverse("console:roles", args=[lab.pk, cluster.pk])),
             (trainee.user, "replay", reverse("training:replay", args=[trainee.pk]))]
    out = []
    for user, name, url in pages:
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        client.get(url)
        times = []
        for _ in range(runs):
            with CaptureQueriesContext(connection) as ctx:
                began = time.perf_counter()
                assert client.get(url).status_code == 200, url
                times.append((time.perf_counter() - began) * 1000)
        times.sort()
        out.append(f"{name} {times[len(times) // 2]:.0f} ms ({len(ctx.captured_queries)} queries)")
    return out


def drain_all(trainees):
    from fcm.engine.commands import nodes
    from fcm.inventory.models import Node
    for t in trainees:
        nodes.pause_node(t.user, Node.objects.get(lab_id=t.lab_id, name="HQ-HV1"), drain=True)
        time.sleep(0.1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trainees", type=int, default=30)
    parser.add_argument("--speed", type=int, default=10)
    parser.add_argument("--duration", type=float, default=90.0)
    args = parser.parse_args()

    env = scratch_env("fcm-classroom-")
    began = time.time()
    trainer, session, trainees = setup(args.trainees)
    print(f"# session and {args.trainees} trainee labs ready in {time.time() - began:.1f} s")
    print("# pages, median of 20: " + "; ".join(page_timings(trainer, session, trainees[0])))
    cookies = [session_cookie(t.user) for t in trainees]
    trainer_cookie = session_cookie(trainer)
    from fcm.training import classroom
    classroom.set_clocks(session, args.speed)

    server, port = serve(env)
    try:
        cpu0 = cpu_seconds(server.pid)
        t0 = time.time()

        def start_drains():
            """Each trainee drains HQ-HV1, a few a second (a class does not click in unison), from a
            process of its own: the clicks must not slow down this process's socket clients."""
            from django.db import connections
            connections.close_all()
            clicks = multiprocessing.get_context("fork").Process(target=drain_all, args=(trainees,))
            clicks.start()

        seen, dropped, counts = asyncio.run(run(port, trainer_cookie, session, trainees, cookies, args.duration,
                                                start_drains))
        elapsed = time.time() - t0
        cpu = cpu_seconds(server.pid) - cpu0
    finally:
        server.terminate()
        server.wait(10)
    from fcm.training.models import Trainee
    lat = []
    for t in Trainee.objects.filter(session=session):
        at = t.met.get("drained")
        if at and str(t.pk) in seen:
            lat.append((seen[str(t.pk)] - datetime.fromisoformat(at).timestamp()) * 1000)
    missing = args.trainees - len(lat)
    lat.sort()
    q = lambda p: quantile(lat, p)  # noqa: E731
    print(f"# {len(lat)} objectives ticked on the dashboard ({missing} not seen); server CPU {cpu:.1f} s over "
          f"{elapsed:.1f} s; {sum(counts.values())} messages to {len(counts)} sockets; clock x{args.speed}")
    lab_messages = sum(c for key, c in counts.items() if key != "trainer")
    print(f"trainees={args.trainees} p50_ms={q(0.5):.1f} p99_ms={q(0.99):.1f} max_ms={(lat[-1] if lat else 0):.1f} "
          f"dropped={dropped + missing} engine_ms_per_lab_tick={cpu * 1000 / max(lab_messages, 1):.2f}")


if __name__ == "__main__":
    main()
