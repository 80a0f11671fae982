"""Many consoles on two daphne processes with PostgreSQL and Redis (a benchmark, not a test).

Starts PostgreSQL and Redis on loopback (tests/scaled/services.py: installed
with apt-get when missing), two `manage.py serve --no-engine` processes and
one `manage.py runengine`; opens N WebSocket clients on one lab, split over
the two processes; runs live migrations and a node drain at a fast clock
while HTTP clients browse the console (Roles, Nodes, a role's details,
Cluster Events) on both processes. Measures, per message, the time from the
engine's commit to its arrival (and, per push, to the first client that got
it: the server's path without the bench reading a thousand copies in turn),
and the HTTP answers. Last line:

    clients=1000 procs=2 p50_ms=.. p99_ms=.. dropped=0 http_p99_ms=.. errors=0

Run: `.venv/bin/python bench/load.py --clients 1000`.
"""
import argparse
import asyncio
import os
import resource
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from serving import cpu_seconds, quantile as q, session_cookie  # noqa: E402
from ws_fanout import ERRORS, FIRST, run_clients  # noqa: E402

from tests.scaled.services import Services, _wait_port, ensure_packages, free_port  # noqa: E402


FAILURES = []


def browse(urls, cookie, stop, out):
    """One HTTP client: page after page, as a person clicking around, until `stop`."""
    i = 0
    while not stop.is_set():
        url = urls[i % len(urls)]
        i += 1
        began = time.perf_counter()
        try:
            req = urllib.request.Request(url, headers={"Cookie": cookie, "Host": "127.0.0.1"})
            with urllib.request.urlopen(req, timeout=30) as r:
                r.read()
                ok = r.status == 200
        except Exception as exc:
            ok = False
            FAILURES.append(f"{url}: {exc}")
        out.append(((time.perf_counter() - began) * 1000, ok))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--migrations", type=int, default=16)
    parser.add_argument("--browsers", type=int, default=4, help="HTTP clients browsing at once")
    parser.add_argument("--speed", type=int, default=10)
    parser.add_argument("--duration", type=float, default=20.0)
    args = parser.parse_args()

    # A thousand sockets here, five hundred in each daphne: more than the usual 1,024 open files.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 8192)), hard))
    ensure_packages()
    services = Services().start()
    env = {**os.environ, **services.env, "DJANGO_SETTINGS_MODULE": "fcm.settings",
           "ALLOWED_HOSTS": "127.0.0.1,localhost", "FCM_VAR_DIR": str(services.root)}
    env.pop("FCM_TEST_DB", None)
    os.environ.update(env)
    procs = []
    try:
        import django
        django.setup()
        from django.core.management import call_command
        call_command("migrate", verbosity=0)
        from fcm.inventory import owners
        from fcm.inventory.generate import generate
        from fcm.inventory.models import Lab, Node, Role
        admin = owners.administrator()
        lab = generate(admin, nodes=8, vms=max(64, args.migrations * 4))
        Lab.objects.filter(pk=lab.pk).update(speed=args.speed)
        cookie = session_cookie(admin)
        ports = [free_port(), free_port()]
        logs = Path(os.environ.get("FCM_LOAD_LOGS", "/tmp"))
        for port in ports:
            procs.append(subprocess.Popen([sys.executable, "manage.py", "serve", "--no-engine", "--no-link", "--port",
                                           str(port)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                          stderr=open(logs / f"fcm-load-daphne-{port}.log", "wb")))
        procs.append(subprocess.Popen([sys.executable, "manage.py", "runengine"], cwd=ROOT, env=env,
                                      stdout=subprocess.DEVNULL, stderr=open(logs / "fcm-load-engine.log", "wb")))
        for port in ports:
            _wait_port(port)
        cluster = lab.clusters.get()
        role = Role.objects.filter(cluster=cluster).order_by("pk").first()
        pages = [f"/labs/{lab.pk}/clusters/{cluster.pk}/roles/", f"/labs/{lab.pk}/clusters/{cluster.pk}/nodes/",
                 f"/labs/{lab.pk}/clusters/{cluster.pk}/roles/{role.pk}/",
                 f"/labs/{lab.pk}/clusters/{cluster.pk}/events/"]
        urls = [f"http://127.0.0.1:{port}{page}" for page in pages for port in ports]
        cpu0 = sum(cpu_seconds(p.pid) for p in procs)
        client_cpu0 = time.process_time()
        http, stop, browsers = [], threading.Event(), []

        def start_moves():
            from fcm.engine.commands import moves
            from fcm.engine.commands import nodes as node_commands
            from fcm.engine.models import Operation
            nodes = list(Node.objects.filter(cluster=cluster).order_by("name"))
            roles = list(Role.objects.filter(cluster=cluster, owner_node=nodes[2])
                         .select_related("cluster", "virtual_machine__host_node")[:args.migrations])
            moves.request_moves(admin, roles, Operation.Kind.LIVE_MIGRATION, None)
            node_commands.pause_node(admin, nodes[3], drain=True)
            for _ in range(args.browsers):
                browsers.append(threading.Thread(target=browse, args=(urls, cookie, stop, http), daemon=True))
                browsers[-1].start()

        lat, msgs, elapsed, dropped = asyncio.run(run_clients(
            [f"ws://127.0.0.1:{port}/ws/labs/{lab.pk}/" for port in ports], cookie, args.clients, args.duration,
            start_moves))
        stop.set()
        for thread in browsers:  # let the pages in flight finish before the servers stop
            thread.join(60)
        cpu = sum(cpu_seconds(p.pid) for p in procs) - cpu0
        client_cpu = time.process_time() - client_cpu0
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:  # daphne closing a thousand sockets can take its time
                p.kill()
                p.wait(10)
        services.stop()
    lat.sort()
    times = sorted(t for t, _ in http)
    errors = sum(1 for _, ok in http if not ok)
    for error in sorted(set(ERRORS))[:3]:
        print(f"# socket failure: {error}")
    for failure in sorted(set(FAILURES))[:5]:
        print(f"# HTTP failure: {failure}")
    print(f"# {len(lat)} stamped messages; {msgs / elapsed:.0f} msgs/s; {len(http)} HTTP pages "
          f"(p50 {q(times, 0.5):.0f} ms); CPU of the three processes {cpu:.1f} s over {elapsed:.1f} s; "
          f"the bench's own clients {client_cpu:.1f} s")
    first = sorted(FIRST.values())
    print(f"# first client to receive each push: p50 {q(first, 0.5):.1f} ms, p99 {q(first, 0.99):.1f} ms "
          f"({len(first)} pushes)")
    print(f"clients={args.clients} procs=2 p50_ms={q(lat, 0.5):.1f} p99_ms={q(lat, 0.99):.1f} dropped={dropped} "
          f"http_p99_ms={q(times, 0.99):.1f} errors={errors}")


if __name__ == "__main__":
    main()
