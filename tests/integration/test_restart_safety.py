"""kill -9 the server in the middle of moves and a drain; after a restart every
Operation resolves and the invariants hold. Real processes on a scratch database."""
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SETUP = """
from fcm.engine.commands import moves, nodes
from fcm.engine.models import Operation
from fcm.inventory import owners
from fcm.inventory.generate import generate
from fcm.inventory.models import Lab, Node, Role, VirtualMachine
admin = owners.administrator()
lab = generate(admin, nodes=3, vms=12, os_version="2016", name="restart")
Lab.objects.filter(pk=lab.pk).update(speed=3)
VirtualMachine.objects.filter(lab=lab).update(state="Running", memory_mb=16384, workload="database")
hv = list(Node.objects.filter(lab=lab).order_by("name"))
roles = list(Role.objects.filter(owner_node=hv[1]).select_related("cluster", "virtual_machine__host_node"))
moves.request_moves(admin, roles[:2], Operation.Kind.LIVE_MIGRATION, hv[2])
nodes.pause_node(admin, hv[0], drain=True)
print(Operation.objects.filter(state__in=Operation.ACTIVE).count())
"""

CHECK = """
import json
from fcm.engine.models import Operation
from fcm.inventory.models import Node, Role, VirtualMachine
active = Operation.objects.filter(state__in=Operation.ACTIVE).count()
bad = []
for vm in VirtualMachine.objects.filter(state__in=VirtualMachine.RUNNING_STATES).select_related("host_node"):
    if vm.host_node.power_state != "On" or vm.host_node.state not in ("Up", "Paused"):
        bad.append(vm.name)
for node in Node.objects.all():
    used = sum(VirtualMachine.objects.filter(host_node=node, state__in=VirtualMachine.RUNNING_STATES)
               .values_list("memory_mb", flat=True))
    if used > node.memory_mb:
        bad.append(node.name)
owners_ok = all(r.owner_node_id for r in Role.objects.all())
print(json.dumps({"active": active, "bad": bad, "owners": owners_ok,
                  "states": sorted(set(Operation.objects.values_list("state", flat=True))),
                  "hv01": list(Node.objects.filter(name="HV01").values_list("state", "drain_status"))}))
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def env(tmp_path):
    e = {**os.environ, "FCM_VAR_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
         "DJANGO_SETTINGS_MODULE": "fcm.settings"}
    e.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=e, check=True)
    return e


def shell(env, code):
    out = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


def serve(env):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "manage.py", "serve", "--no-link", "--port", str(port)], cwd=ROOT,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


def test_kill_9_mid_move_then_restart_resolves_everything(env):
    assert int(shell(env, SETUP)) >= 3
    first = serve(env)
    time.sleep(1.5)  # let the engine apply some steps (real processes: no fake clock here)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    mid = json.loads(shell(env, CHECK))
    assert mid["active"] > 0 and mid["owners"] and not mid["bad"]
    second = serve(env)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            state = json.loads(shell(env, CHECK))
            if state["active"] == 0:
                break
            time.sleep(1)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(10)
    assert state["active"] == 0, state
    assert set(state["states"]) <= {"completed", "failed", "cancelled"}
    assert state["owners"] and not state["bad"]
    assert state["hv01"][0][0] == "Paused" and state["hv01"][0][1] in ("Completed", "Failed")
