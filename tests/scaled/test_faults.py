"""Faults in a scaled setup: a daphne process, the engine, Redis and PostgreSQL killed or restarted."""
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.scaled.services import _pg_tool, _wait_port
from tests.scaled.test_two_processes import open_sql01


@pytest.fixture
def orm(django_db_blocker):
    """The ORM on the suite's own database (the one the processes use), not a test database."""
    with django_db_blocker.unblock():
        yield


def wait_for(check, timeout=60, every=0.5):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return True
        time.sleep(every)
    return False


def sign_in(browser, processes, name):
    page = browser.new_context().new_page()
    page.goto(processes.sign_in_link(name))
    return page


def move_sql01(page, node):
    """2008 R2's flyout: "Live migrate virtual machine to another node > 1 - Live migrate to node <node>"."""
    page.locator("#actions .action", has_text=f"Live migrate to node {node}").click()


def test_a_killed_daphne_process_loses_nothing(browser, processes):
    """kill -9 daphne A: its console reconnects to the restarted process and lists what it missed."""
    a, b = sign_in(browser, processes, "A"), sign_in(browser, processes, "B")
    open_sql01(a)
    open_sql01(b)
    owner = a.locator("[id$='-detail-owner']").inner_text()
    target = "WS08R2-S1" if owner == "WS08R2-S2" else "WS08R2-S2"
    processes.kill("A")
    move_sql01(b, target)  # while A is down
    expect(b.locator("[id$='-detail-owner']")).to_have_text(target, timeout=60000)
    processes.start("A")
    expect(a.locator("[id$='-detail-owner']")).to_have_text(target, timeout=60000)  # no reload


def test_a_killed_engine_resumes_a_drain(processes, orm):
    """kill -9 the engine mid-drain: restarted, every Operation resolves and the cluster is sound."""
    from fcm.engine import clock
    from fcm.engine.commands import nodes
    from fcm.engine.models import Operation
    from fcm.inventory.models import Lab, Node, Role, VirtualMachine
    lab = Lab.objects.get(name="replica-dr-2012")
    clock.set_speed(lab, 10)
    hv1 = Node.objects.get(lab=lab, name="HQ-HV1")
    nodes.pause_node(None, hv1, drain=True)
    assert wait_for(lambda: Operation.objects.filter(lab=lab, state="running").exists(), 20)
    time.sleep(1)
    processes.kill("engine")
    time.sleep(3)
    processes.start("engine")
    assert wait_for(lambda: not Operation.objects.filter(lab=lab, state__in=Operation.ACTIVE).exists(), 120)
    hv1.refresh_from_db()
    assert hv1.state == "Paused" and hv1.drain_status == "Completed"
    assert not Role.objects.filter(cluster__lab=lab, owner_node=hv1).exists()
    for vm in VirtualMachine.objects.filter(lab=lab, state="Running").select_related("host_node"):
        assert vm.host_node.power_state == "On" and vm.host_node.state in ("Up", "Paused"), vm.name
    for node in Node.objects.filter(lab=lab):
        used = sum(VirtualMachine.objects.filter(host_node=node, state__in=VirtualMachine.RUNNING_STATES)
                   .values_list("memory_mb", flat=True))
        assert used <= node.memory_mb
    assert not Operation.objects.filter(lab=lab, state__in=["completed", "failed", "cancelled"],
                                        finished_at__isnull=True).exists()
    nodes.resume_node(None, hv1, fail_back=False)


def test_updates_resume_after_redis_restarts(browser, processes):
    """Redis (the channel layer) restarted: consoles reconnect and updates flow again, without a reload."""
    a, b = sign_in(browser, processes, "A"), sign_in(browser, processes, "B")
    open_sql01(a)
    open_sql01(b)
    port = os.environ["FCM_SCALED_REDIS_PORT"]
    os.kill(int(os.environ["FCM_SCALED_REDIS_PID"]), signal.SIGKILL)
    time.sleep(2)
    redis = subprocess.Popen(["redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no"], stdout=subprocess.DEVNULL)
    os.environ["FCM_SCALED_REDIS_PID"] = str(redis.pid)  # run.py's own process is gone; this one is ours
    os.environ["FCM_SCALED_REDIS_RESTARTED"] = "1"
    _wait_port(int(port))
    time.sleep(8)  # the sockets notice and reconnect
    owner = a.locator("[id$='-detail-owner']").inner_text()
    target = "WS08R2-S1" if owner == "WS08R2-S2" else "WS08R2-S2"
    move_sql01(b, target)
    expect(a.locator("[id$='-detail-info']")).to_contain_text(re.compile("Live Migrating|Online|Running"),
                                                              timeout=30000)
    expect(a.locator("[id$='-detail-owner']")).to_have_text(target, timeout=60000)


def test_requests_fail_cleanly_while_postgresql_restarts(processes):
    """PostgreSQL down: pages answer with an error at once (no hang); back up: they work again."""
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    data = os.environ["FCM_SCALED_PG_DATA"]
    url = processes.url("A") + "/accounts/login/"

    def status():
        try:
            with urllib.request.urlopen(url, timeout=15) as r:
                return r.status
        except urllib.error.HTTPError as exc:
            return exc.code

    assert status() == 200
    subprocess.run([*as_postgres, _pg_tool("pg_ctl"), "-D", data, "-m", "fast", "-w", "stop"], check=True,
                   stdout=subprocess.DEVNULL)
    try:
        began = time.time()
        code = status()
        assert code >= 500 or code == 200, code  # the login page needs no database before a session exists
        assert time.time() - began < 15
        lab_page = processes.url("A") + "/"
        try:
            urllib.request.urlopen(lab_page, timeout=15)
        except urllib.error.HTTPError as exc:
            assert exc.code in (302, 500, 503)
    finally:
        subprocess.run([*as_postgres, _pg_tool("pg_ctl"), "-D", data, "-w", "-l", f"{data}/log", "-o",
                        f"-h 127.0.0.1 -p {os.environ['FCM_SCALED_PG_PORT']} -k {data} -c fsync=off "
                        "-c synchronous_commit=off -c max_connections=200", "start"], check=True,
                       stdout=subprocess.DEVNULL)
    assert wait_for(lambda: status() == 200, 30)


def test_a_trainers_dashboard_lists_itself_again_after_its_process_restarts(browser, processes, orm):
    """kill -9 daphne A under a trainer's dashboard; a trainee joins meanwhile: the reconnected table shows them."""
    from fcm.training import classroom
    from fcm.training.models import TrainingSession

    trainer = sign_in(browser, processes, "A")  # the administrator counts as a trainer
    trainer.goto(processes.url("A") + "/training/")
    trainer.get_by_label("Maintenance window").check()
    trainer.get_by_role("button", name="Start session").click()
    code = trainer.locator("#join-code").inner_text()
    session = TrainingSession.objects.get(code=code)
    classroom.join(session, "Ann")
    expect(trainer.locator("#trainees tbody tr", has_text="Ann")).to_have_count(1, timeout=30000)
    processes.kill("A")
    classroom.join(session, "Zoe")  # the engine's push of the new table reaches no dashboard
    time.sleep(3)
    processes.start("A")
    expect(trainer.locator("#trainees tbody tr", has_text="Zoe")).to_have_count(1, timeout=60000)  # no reload
