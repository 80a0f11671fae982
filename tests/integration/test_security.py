"""Security rules: CSP, deployment checks, rate-limited sign-in, the trainers' audit log."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from fcm.training import classroom
from fcm.training.models import TRAINERS_GROUP, AuditEntry

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent.parent


def test_every_page_has_a_csp_without_unsafe_inline_and_the_htmx_script_has_its_nonce(client, owner, r2_lab):
    client.force_login(owner)
    for url in (reverse("console:lab-list"), reverse("console:root", args=[r2_lab.pk]), reverse("login")):
        response = client.get(url)
        policy = response["Content-Security-Policy"]
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
        nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
        html = response.content.decode()
        scripts = re.findall(r"<script[^>]*>", html)
        assert scripts and all(f'nonce="{nonce}"' in tag for tag in scripts)
        assert ' style="' not in html and "<style>" not in html


def test_deploy_checks_are_clean_behind_tls():
    env = {**os.environ, "FCM_TLS": "1", "DEBUG": "0", "DJANGO_SETTINGS_MODULE": "fcm.settings"}
    env.pop("FCM_TEST_DB", None)
    run = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "no issues" in run.stdout


def test_tls_mode_makes_cookies_secure_and_redirects_http(settings, client, owner):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert client.get(reverse("login"))["Location"].startswith("https://")
    response = client.get(reverse("login"), HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 200 and response.cookies["csrftoken"]["secure"]


def _refusal_seconds(response):
    """The N of "Too many attempts: try again in N s." on a refused page."""
    assert response.status_code == 429
    match = re.search(r"Too many attempts: try again in (\d+) s\.", response.content.decode())
    assert match, response.content.decode()[-2000:]
    return int(match.group(1))


def test_sign_in_failures_are_rate_limited(client, owner):
    url = reverse("login")
    for _ in range(10):
        r = client.post(url, {"username": owner.username, "password": "wrong"})
        assert r.status_code == 200 and "Please enter a correct" in r.content.decode()
    r = client.post(url, {"username": owner.username, "password": "correct-horse-9"})
    assert 1 <= _refusal_seconds(r) <= 600
    assert "_auth_user_id" not in client.session
    # Another user name from the same address is not locked out by this one.
    get_user_model().objects.create_user("maria", password="another-horse-7")
    assert Client().post(url, {"username": "maria", "password": "another-horse-7"}).status_code == 302


def test_wrong_passwords_from_elsewhere_do_not_lock_the_account_for_its_owner(client, owner):
    url = reverse("login")
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(10):
        assert attacker.post(url, {"username": owner.username, "password": "wrong"}).status_code == 200
    assert attacker.post(url, {"username": owner.username.upper(), "password": "wrong"}).status_code == 429
    r = client.post(url, {"username": owner.username, "password": "correct-horse-9"})  # the owner, 127.0.0.1
    assert r.status_code == 302 and client.session["_auth_user_id"] == str(owner.pk)


def test_an_ipv6_client_is_counted_by_its_network_not_each_address(owner):
    url = reverse("login")
    for i in range(10):  # a new address of the same /64 each time
        assert Client(REMOTE_ADDR=f"2001:db8:1:2::{i + 1:x}").post(
            url, {"username": owner.username, "password": "wrong"}).status_code == 200
    right = {"username": owner.username, "password": "correct-horse-9"}
    _refusal_seconds(Client(REMOTE_ADDR="2001:db8:1:2::ff").post(url, right))
    assert Client(REMOTE_ADDR="2001:db8:1:3::1").post(url, right).status_code == 302


def test_one_address_trying_many_names_meets_the_address_cap(client, owner, settings):
    # Unknown names still cost a password hash (Django's defence against timing): a cheap one here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *settings.PASSWORD_HASHERS]
    url = reverse("login")
    for i in range(100):
        assert client.post(url, {"username": f"guess{i}", "password": "wrong"}).status_code == 200
    _refusal_seconds(client.post(url, {"username": owner.username, "password": "correct-horse-9"}))
    elsewhere = Client(REMOTE_ADDR="198.51.100.4")
    assert elsewhere.post(url, {"username": owner.username, "password": "correct-horse-9"}).status_code == 302


def test_a_sign_in_lockout_ends_with_its_window_and_says_when(client, owner, ratelimit_clock):
    url = reverse("login")
    for _ in range(10):
        assert client.post(url, {"username": owner.username, "password": "wrong"}).status_code == 200
    seconds = _refusal_seconds(client.post(url, {"username": owner.username, "password": "correct-horse-9"}))
    ratelimit_clock.advance(seconds - 1)  # one second before the time it named: still refused, one second left
    assert _refusal_seconds(client.post(url, {"username": owner.username, "password": "correct-horse-9"})) == 1
    ratelimit_clock.advance(1)  # the time it named
    r = client.post(url, {"username": owner.username, "password": "correct-horse-9"})
    assert r.status_code == 302 and client.session["_auth_user_id"] == str(owner.pk)


def test_the_admin_sign_in_is_the_same_guarded_form(client):
    assert client.get("/admin/login/?next=/admin/").status_code == 200
    assert reverse("admin-login") == "/admin/login/"


def test_wrong_sign_in_links_are_rate_limited(client, owner):
    for i in range(30):
        assert client.get(reverse("one-time-login", args=[f"guess{i}"])).status_code == 403
    _refusal_seconds(client.get(reverse("one-time-login", args=["guess-more"])))


def test_trainer_actions_are_audit_logged(client, django_user_model):
    trainer = django_user_model.objects.create_user("trainer", password="correct-horse-9")
    trainer.groups.add(Group.objects.get_or_create(name=TRAINERS_GROUP)[0])
    client.force_login(trainer)
    client.post(reverse("training:sessions"), {"scenario": "quick-migration-2008"})
    session = trainer.training_sessions.get()
    ann = classroom.join(session, "Ann")
    act = lambda action, data: client.post(reverse("training:action", args=[session.pk, action]), data)  # noqa: E731
    act("broadcast", {"text": "Hello <b>class</b>"})
    act("clock", {"speed": "10"})
    act("inject", {"fault": "crash-node|contoso3", "target": str(ann.pk)})
    client.post(reverse("training:reset", args=[session.pk, ann.pk]))
    client.get(reverse("training:export", args=[session.pk]))
    act("end", {})  # the confirmation form unanswered: nothing ends, nothing is logged
    act("end", {"demo_lab": "remove", "trainee_labs": "keep"})
    entries = list(AuditEntry.objects.order_by("at", "pk").values_list("action", "detail"))
    assert [a for a, _ in entries] == ["start session", "broadcast", "clock", "inject fault", "reset lab",
                                       "export results", "end session"]
    assert entries[1][1] == "Hello <b>class</b>" and entries[3][1] == "crash-node contoso3 in Ann: done"
    assert entries[-1][1] == "Your demo lab was removed (1 lab). The trainees' labs are kept for review."
    assert all(e.actor == trainer and e.address == "127.0.0.1" for e in AuditEntry.objects.all())
