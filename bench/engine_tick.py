"""The engine's cost per busy lab, without sockets (a benchmark, not a test).

A class's engine spends its time in the pass (fcm.engine.runner): applying
due transitions, taking the outbox, grading the labs that changed and
rendering their consoles' fragments. This harness isolates that cost from
daphne and the sockets: on a scratch database it starts a training session
on the Maintenance window exercise, joins N trainees (each a clone of the
exercise's lab) and has every trainee drain HQ-HV1 on stopped clocks, then
starts every lab's clock at one instant at a fast speed, so live migrations
run in every lab from the same moment in every run. It then repeats the pass the
way the engine loop does (`tick_graded`, then `render`), with a wall clock of
its own that advances 0.25 s per pass (the loop's interval), and that
Django's `timezone.now` answers too (what a pass begins itself reads it), so
every run does the same simulated work however fast or slow the machine is,
until no lab is busy.

    engine_ms_per_lab_tick = CPU time of the passes / sum over passes of the busy labs in each

where a pass's busy labs are those it took changes for or that have moves in
progress (the labs `render` is asked about), and the CPU time is this
process's (`time.process_time`, SQLite's work included) over the passes
alone: unlike wall time it does not count the time other processes on the
machine hold the cores. `wall_ms_per_lab_tick` divides the runner's own
`stats["tick_s"]` the same way. The trainer's early pushes (`emit`) are
drawn as in the loop and dropped. Last line:

    trainees=60 ticks=.. busy_lab_ticks=.. engine_ms_per_lab_tick=.. wall_ms_per_lab_tick=..

Comparing two versions of the code: the machine's load swings absolute
figures by 2x, so run both alternately on the same sizes, three runs each,
and compare the medians. `--profile FILE` writes a cProfile of the passes
(read it with `python -m pstats FILE`).

Run: `.venv/bin/python bench/engine_tick.py --trainees 60`. (Django and the product are imported
inside the functions, as in the other benches: only once the scratch database is chosen.)
"""
import argparse
import cProfile
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from serving import scratch_env  # noqa: E402

#: Wall seconds the harness's clock moves per pass: the engine loop's interval (fcm.server.loop.TICK_S).
STEP_S = 0.25


def setup(n):
    import django
    django.setup()
    from django.core.management import call_command
    call_command("migrate", verbosity=0)
    from fcm.inventory import owners
    from fcm.training import classroom
    trainer = owners.administrator()
    session = classroom.start_session(trainer, "maintenance-window")
    classroom.set_clocks(session, 0)
    return [classroom.join(session, f"Trainee {i + 1:03d}") for i in range(n)]


def set_speed(trainees, speed):
    """Start every lab's clock at one wall instant, returned. The drains were begun on stopped
    clocks, so every run of the harness sees the same work whatever the time the set-up took."""
    from django.utils import timezone
    from fcm.inventory.models import Lab
    from fcm.training import classroom
    classroom.set_clocks(trainees[0].session, speed)
    start = timezone.now()
    Lab.objects.filter(pk__in=[t.lab_id for t in trainees]).update(wall_anchor=start)
    return start


def drain_all(trainees):
    from fcm.engine.commands import nodes
    from fcm.inventory.models import Node
    for t in trainees:
        nodes.pause_node(t.user, Node.objects.get(lab_id=t.lab_id, name="HQ-HV1"), drain=True)


def run_passes(start, max_ticks, profile):
    """Repeat the pass from wall time `start` until no lab is busy (or `max_ticks`); returns (runner,
    passes, busy lab-passes)."""
    from django.utils import timezone
    from fcm.engine.runner import Runner
    runner = Runner()
    now = start
    # What the pass begins itself (a drain's next move) reads the wall clock: it reads the harness's.
    timezone.now = lambda: now
    # The drains' commands committed outbox rows; the first pass takes them (it is a pass like the others).
    ticks = busy = 0
    cpu = 0.0
    profiler = cProfile.Profile() if profile else None
    while ticks < max_ticks:
        now += timedelta(seconds=STEP_S)
        if profiler:
            profiler.enable()
        began = time.process_time()
        graded, pending = runner.tick_graded(to=now, emit=lambda key, html: None)
        runner.render(pending)
        cpu += time.process_time() - began
        if profiler:
            profiler.disable()
        labs = len(pending[1])
        ticks += 1
        busy += labs
        if not labs:
            break
    if profiler:
        profiler.dump_stats(profile)
    return runner, ticks, busy, cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trainees", type=int, default=60)
    parser.add_argument("--speed", type=int, default=10)
    parser.add_argument("--max-ticks", type=int, default=2000)
    parser.add_argument("--profile", default="", help="write a cProfile of the passes to this file")
    args = parser.parse_args()

    scratch_env("fcm-engine-tick-")
    began = time.time()
    trainees = setup(args.trainees)
    drain_all(trainees)
    start = set_speed(trainees, args.speed)
    print(f"# {args.trainees} trainee labs ready and draining in {time.time() - began:.1f} s; clock x{args.speed}")
    runner, ticks, busy, cpu = run_passes(start, args.max_ticks, args.profile)
    tick_s = runner.stats["tick_s"]
    from fcm.training.models import Trainee
    drained = sum(1 for t in Trainee.objects.all() if "drained" in t.met)
    print(f"# {runner.stats['transitions']} transitions in {ticks} passes, {tick_s:.1f} s of passes "
          f"({cpu:.1f} s CPU); {drained}/{args.trainees} trainees met 'drained'")
    print(f"trainees={args.trainees} ticks={ticks} busy_lab_ticks={busy} "
          f"engine_ms_per_lab_tick={cpu * 1000 / max(busy, 1):.2f} wall_ms_per_lab_tick={tick_s * 1000 / max(busy, 1):.2f}")


if __name__ == "__main__":
    main()
