"""Two engines share the labs; kill -9 one mid-drain: how long until the other carries on (a benchmark).

Starts a throwaway PostgreSQL on loopback (tests/scaled/services.py), two `manage.py runengine` processes
(engine-1 and engine-2), and drains one node in each of several generated labs at a fast clock. Once both
engines hold some of the draining labs, the one holding more is killed with SIGKILL. Measured from the
kill: until the survivor holds every lease of the dead engine's busy labs (`takeover_s`), and until each of
those labs has had a transition applied again (`continue_s`). When every drain is over, the audit of
tests/scaled/drains.py counts moves that did not happen and steps applied twice. Last line:

    takeover_s=.. continue_s=.. lost=0 doubled=0 labs=6 engines=2

Run: `.venv/bin/python bench/takeover.py` (about a minute). Goal: takeover_s < 5, lost = doubled = 0.

`--compare` runs the same drains with one engine, then with two (nobody killed), twice over, and prints
for each run how long the drains took from their start to the last move, and the engines' CPU meanwhile:

    engines=1 drain_s=.. engine_cpu_s=.. lost=0 doubled=0
"""
import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from serving import cpu_seconds  # noqa: E402

from tests.scaled.services import Services, ensure_packages  # noqa: E402

ENGINES = ("engine-1", "engine-2")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labs", type=int, default=6)
    parser.add_argument("--speed", type=int, default=4, help="the labs' clock (x1 .. x60)")
    parser.add_argument("--vms", type=int, default=32, help="virtual machines per lab (4 nodes; one drained)")
    parser.add_argument("--compare", action="store_true", help="one engine, then two: how long the drains take")
    args = parser.parse_args()

    ensure_packages()
    services = Services()
    services.start_postgres()
    env = {**os.environ, "DATABASE_URL": services.env["DATABASE_URL"], "DJANGO_SETTINGS_MODULE": "fcm.settings",
           "FCM_VAR_DIR": str(services.root), "LOG_LEVEL": "WARNING"}
    for name in ("FCM_TEST_DB", "REDIS_URL"):
        env.pop(name, None)
    os.environ.update(env)
    procs = {}
    try:
        import django  # noqa: PLC0415  (after DATABASE_URL is set: settings read it once)
        django.setup()
        from django.core.management import call_command  # noqa: PLC0415
        call_command("migrate", verbosity=0)
        from tests.scaled import drains  # noqa: PLC0415  (it imports models: after django.setup())
        if args.compare:
            for count in (1, 2, 1, 2):
                compare(drains, args, count, env, services.root)
            return
        procs.update(start_engines(ENGINES, env, services.root))
        drained = drains.start_drains([drains.generate_lab(i, vms=args.vms) for i in range(args.labs)], args.speed)
        labs = set(drained)
        split = drains.wait(lambda: drains.split_between(ENGINES, labs), 60)
        if split is None:
            raise SystemExit(f"the engines did not split the labs: {drains.holders(labs)}")
        held = drains.holders(labs)
        victim = max(ENGINES, key=lambda name: list(held.values()).count(name))
        survivor = ENGINES[1 - ENGINES.index(victim)]
        victims_labs = drains.busy({lab for lab, engine in held.items() if engine == victim})
        steps = phase_sums(victims_labs)
        procs[victim].send_signal(signal.SIGKILL)
        procs.pop(victim).wait(10)
        killed = time.monotonic()
        takeover = drains.wait(lambda: all(drains.holders(labs).get(lab) == survivor
                                           for lab in drains.busy(victims_labs)), 60)
        moved = drains.wait(lambda: all(after > steps[lab] or lab not in drains.busy({lab})
                                        for lab, after in phase_sums(victims_labs).items()), 60, 0.02)
        continued = time.monotonic() - killed if moved is not None else None
        if drains.wait(lambda: not drains.busy(labs), 600, 0.5) is None:
            print(f"# still draining after 10 minutes: labs {sorted(drains.busy(labs))}")
        lost, doubled = drains.audit(drained)
        moves = sum(len(hosted) for _, hosted in drained.values())
    finally:
        for proc in procs.values():
            proc.terminate()
            proc.wait(20)
        for name in ENGINES:  # what each engine took and gave up
            log = services.root / f"{name}.log"
            for line in (log.read_text().splitlines()[:12] if log.exists() else ()):
                print(f"# {name}: {line}")
        services.stop()
    print(f"# {len(labs)} labs draining {moves} VMs at x{args.speed}; split {split:.1f} s after the drains began; "
          f"killed {victim} holding {len(victims_labs)} busy labs")
    print(f"takeover_s={_s(takeover)} continue_s={_s(continued)} lost={lost} doubled={doubled} labs={len(labs)} "
          f"engines={len(ENGINES)}")


def start_engines(names, env, logs):
    return {name: subprocess.Popen([sys.executable, "manage.py", "runengine", "--engine-id", name], cwd=ROOT,
                                   env=env, stdout=open(logs / f"{name}.out", "wb"),
                                   stderr=open(logs / f"{name}.log", "wb")) for name in names}


def compare(drains, args, count, env, logs):
    """The drains with `count` engines, from their start to the last move."""
    procs = start_engines(ENGINES[:count], env, logs)
    try:
        labs = [drains.generate_lab(i) for i in range(args.labs)]  # before the clock starts: not timed
        cpu = sum(cpu_seconds(proc.pid) for proc in procs.values())
        drained = drains.start_drains(labs, args.speed)
        took = drains.wait(lambda: not drains.busy(set(drained)), 900, 0.1)
        cpu = sum(cpu_seconds(proc.pid) for proc in procs.values()) - cpu
        lost, doubled = drains.audit(drained)
    finally:
        for proc in procs.values():
            proc.terminate()
            proc.wait(30)
    print(f"engines={count} drain_s={_s(took)} engine_cpu_s={cpu:.1f} lost={lost} doubled={doubled} "
          f"labs={args.labs} speed=x{args.speed}", flush=True)


def phase_sums(lab_ids):
    """{lab id: phases entered over all its operations}: it grows with each transition applied."""
    from django.db.models import Sum  # noqa: PLC0415  (after django.setup())

    from fcm.engine.models import Operation  # noqa: PLC0415
    sums = dict(Operation.objects.filter(lab_id__in=lab_ids).values("lab_id").annotate(n=Sum("phase_index"))
                .values_list("lab_id", "n"))
    return {lab: sums.get(lab, 0) for lab in lab_ids}


def _s(seconds):
    return "none" if seconds is None else f"{seconds:.2f}"


if __name__ == "__main__":
    main()
