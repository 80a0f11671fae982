"""Noisy neighbours (a benchmark, not a test): one lab flooding the engine, one broken, thirty others.

Starts `manage.py serve` (daphne + the embedded engine) on a scratch database
with LABS generated labs at x10, each with a console socket, and keeps live
migrations going in every one of them (all its roles move again as soon as
the last move finished). Every push carries the wall time its tick began
(`<!--fcm-tick EPOCH-->`, fcm/server/loop.py): tick-to-push latency is the
socket's arrival time minus it, so a tick that one lab slowed shows in every
other lab's pushes. Measured for BEFORE seconds, then for DURING seconds while

- one more lab floods: Validate a Configuration on every server (the product
  admits one run per server at a time, the rest are refused), then shut downs
  and starts of its VMs up to the simulator's limit of operations in flight,
  topped up as they finish, plus refused attempts beyond it;
- one more lab is broken: its clock speed set to 1e300 in the database (its
  `sim_now()` overflows), with a move in flight so the engine keeps trying it.

A lab is stalled when its console got no push for STALL_S seconds (its
migrations never stop). Last line:

    neighbours p99_ms_before=.. p99_ms_during=.. stalled_labs=0

Run: `.venv/bin/python bench/neighbours.py` (about two minutes).
"""
import argparse
import asyncio
import multiprocessing
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from serving import cpu_seconds, page_origin, quantile, scratch_env, serve, session_cookie  # noqa: E402

TICK = re.compile(r"<!--fcm-tick (\d+\.\d+)-->")
#: No push for this long: the lab is stalled. Its migrations never stop and their progress is pushed
#: every tick, so even a machine shared with other work (ticks of a second) stays well inside it.
STALL_S = 10.0


def setup(labs):
    import django
    django.setup()
    from django.core.management import call_command
    call_command("migrate", verbosity=0)
    from fcm.engine import clock
    from fcm.inventory import owners
    from fcm.inventory.generate import generate
    from fcm.inventory.models import Lab
    admin = owners.administrator()
    quiet = [generate(admin, nodes=3, vms=6, name=f"Neighbour {i + 1:02d}") for i in range(labs)]
    flood = generate(admin, nodes=8, vms=90, name="Flood")
    broken = generate(admin, nodes=2, vms=2, name="Broken")
    for lab in [*quiet, flood, broken]:
        clock.set_speed(Lab.objects.get(pk=lab.pk), 10)
    return admin, quiet, flood, broken


def keep_migrating(lab_ids, stop_at):
    """In a process of its own: whenever a lab has no move in flight, move all its roles (the per-host
    limits queue them, so the lab stays busy for several seconds at x10)."""
    import django
    django.setup()
    from fcm.engine.commands import moves
    from fcm.engine.models import Operation
    from fcm.inventory import owners
    from fcm.inventory.models import Role
    admin = owners.administrator()
    while time.time() < stop_at:
        busy = set(Operation.objects.filter(lab_id__in=lab_ids, state__in=Operation.ACTIVE)
                   .values_list("lab_id", flat=True))
        for pk in lab_ids:
            if pk not in busy:
                moves.request_moves(admin, list(Role.objects.filter(cluster__lab_id=pk, virtual_machine__isnull=False)
                                                .select_related("cluster", "virtual_machine__host_node")),
                                    Operation.Kind.LIVE_MIGRATION)
        time.sleep(0.5)


def flood_and_break(flood_id, broken_id, stop_at, counts):
    """In a process of its own: the flood lab's validations and power operations, as many as the limits
    admit and more, until `stop_at`; the broken lab's clock first."""
    import django
    django.setup()
    from fcm.engine.commands import moves
    from fcm.engine.commands import roles as role_commands
    from fcm.engine.commands.clusters import start_validation
    from fcm.engine.errors import EngineError
    from fcm.engine.models import Operation
    from fcm.inventory import owners
    from fcm.inventory.models import Lab, Node, Role, VirtualMachine
    admin = owners.administrator()
    role = Role.objects.filter(cluster__lab_id=broken_id, virtual_machine__isnull=False).select_related(
        "cluster", "virtual_machine__host_node").first()
    moves.request_moves(admin, [role], Operation.Kind.LIVE_MIGRATION)  # work the engine keeps trying
    Lab.objects.filter(pk=broken_id).update(speed=1e300)
    lab = Lab.objects.get(pk=flood_id)
    names = list(Node.objects.filter(lab=lab).order_by("name").values_list("name", flat=True))
    while time.time() < stop_at:
        for name in names + [",".join(names)]:  # one per server, then all of them: refused while any runs
            try:
                start_validation(admin, lab, name.split(","))
                counts["admitted"] += 1
            except EngineError:
                counts["refused"] += 1
        moving = set(Operation.objects.filter(lab=lab, state__in=Operation.ACTIVE)
                     .values_list("virtual_machine_id", flat=True))
        for vm in VirtualMachine.objects.filter(lab=lab).exclude(pk__in=moving).order_by("pk")[:70]:
            action = "shutdown" if vm.state == VirtualMachine.State.RUNNING else "start"
            try:
                role_commands.request_power(admin, vm, action)
                counts["admitted"] += 1
            except EngineError:
                counts["refused"] += 1
        time.sleep(0.2)


async def listen(port, cookie, lab_ids, phases, stop):
    """One console socket per lab; every message's tick-to-push latency, by phase, and its arrival."""
    import websockets
    latencies = {name: [] for name, _ in phases}
    arrivals = {pk: [] for pk in lab_ids}
    dropped = [0]

    def phase_at(now):
        for name, (start, end) in phases:
            if start <= now < end:
                return name
        return None

    async def one(pk):
        try:
            url = f"ws://127.0.0.1:{port}/ws/labs/{pk}/"
            async with websockets.connect(url, open_timeout=60, max_size=2**22,
                                          additional_headers={"Cookie": cookie, "Origin": page_origin(url)}) as ws:
                while not stop.is_set():
                    try:
                        msg = await asyncio.wait_for(ws.recv(), timeout=0.5)
                    except asyncio.TimeoutError:
                        continue
                    now = time.time()
                    m = TICK.search(msg)
                    name = phase_at(now)
                    if m and name:
                        latencies[name].append((now - float(m.group(1))) * 1000)
                    arrivals[pk].append(now)
        except Exception:
            dropped[0] += 1

    tasks = [asyncio.create_task(one(pk)) for pk in lab_ids]
    return tasks, latencies, arrivals, dropped


def stalled(arrivals, start, end):
    """Labs whose pushes stopped for STALL_S seconds inside [start, end) (migrations never stop here)."""
    out = 0
    for times in arrivals.values():
        inside = [start] + [t for t in times if start <= t < end] + [end]
        if max(b - a for a, b in zip(inside, inside[1:])) > STALL_S:
            out += 1
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labs", type=int, default=30)
    parser.add_argument("--before", type=float, default=30.0)
    parser.add_argument("--during", type=float, default=40.0)
    args = parser.parse_args()

    env = scratch_env("fcm-neighbours-")
    began = time.time()
    admin, quiet, flood, broken = setup(args.labs)
    print(f"# {args.labs} labs, a flood lab and a broken lab ready in {time.time() - began:.1f} s")
    cookie = session_cookie(admin)
    lab_ids = [lab.pk for lab in quiet]
    from django.db import connections
    connections.close_all()
    log_path = Path(env["FCM_VAR_DIR"]) / "server.log"
    server, port = serve(env, stderr=log_path.open("w"))
    fork = multiprocessing.get_context("fork")
    manager = fork.Manager()
    counts = manager.dict(admitted=0, refused=0)
    try:
        cpu0 = cpu_seconds(server.pid)

        async def run():
            stop = asyncio.Event()
            warm = time.time() + 8  # sockets open, the first migrations start
            t1 = warm + args.before
            t2 = t1 + args.during
            phases = [("before", (warm, t1)), ("during", (t1 + 2, t2))]
            tasks, latencies, arrivals, dropped = await listen(port, cookie, lab_ids, phases, stop)
            migrating = fork.Process(target=keep_migrating, args=(lab_ids, t2))
            migrating.start()
            await asyncio.sleep(t1 - time.time())
            hostile = fork.Process(target=flood_and_break, args=(flood.pk, broken.pk, t2, counts))
            hostile.start()
            await asyncio.sleep(t2 - time.time())
            stop.set()
            await asyncio.wait(tasks, timeout=5)
            migrating.join(10)
            hostile.join(10)
            return latencies, arrivals, dropped[0], (warm, t1, t2)

        latencies, arrivals, dropped, (warm, t1, t2) = asyncio.run(run())
        cpu = cpu_seconds(server.pid) - cpu0
    finally:
        server.terminate()
        try:
            server.wait(30)
        except Exception:
            server.kill()
            server.wait(10)
    from fcm.engine.models import LabHealth, Operation
    before, during = sorted(latencies["before"]), sorted(latencies["during"])
    health = LabHealth.objects.filter(lab=broken).first()
    in_flight = Operation.objects.filter(lab=flood, state__in=Operation.ACTIVE).count()
    print(f"# pushes measured: {len(before)} before, {len(during)} during; p50 {quantile(before, 0.5):.1f} -> "
          f"{quantile(during, 0.5):.1f} ms; server CPU {cpu:.1f} s; dropped sockets {dropped}")
    print(f"# flood lab: {counts['admitted']} operations admitted, {counts['refused']} refused, {in_flight} "
          f"in flight at the end; broken lab: "
          f"{f'{health.error}, {health.failures} failures' if health else 'no failure recorded'}")
    print(f"# the server's log: {log_path} ({sum(1 for _ in log_path.open())} lines)")
    print(f"neighbours p99_ms_before={quantile(before, 0.99):.1f} p99_ms_during={quantile(during, 0.99):.1f} "
          f"stalled_labs={stalled(arrivals, warm, t1) + stalled(arrivals, t1 + 2, t2)}")


if __name__ == "__main__":
    main()
