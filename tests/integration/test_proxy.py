"""Behind a proxy, through the whole ASGI application: a forged X-Forwarded-For changes no one's address,
the trusted proxy's does, and the join limit counts per real client."""
import re
from urllib.parse import urlencode

import pytest
from asgiref.sync import sync_to_async
from asgiref.testing import ApplicationCommunicator
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from fcm.server import asgi
from fcm.server.forwarded import LOOPBACK, ForwardedForMiddleware
from fcm.training import classroom
from fcm.training.models import TRAINERS_GROUP, JoinRefusal, Trainee

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]
BEHIND_NGINX = ForwardedForMiddleware(asgi.router, trusted=LOOPBACK)


class Browser:
    """One client's requests as the ASGI server hands them over, from `peer`, with its cookies."""

    def __init__(self, app, peer):
        self.app, self.peer, self.cookies = app, peer, {}

    async def request(self, method, path, data=None, forwarded=None):
        body = urlencode(data or {}).encode()
        headers = [(b"host", b"127.0.0.1:8000")]
        if self.cookies:
            headers.append((b"cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()).encode()))
        if data is not None:
            headers.append((b"content-type", b"application/x-www-form-urlencoded"))
        if forwarded is not None:
            headers.append((b"x-forwarded-for", forwarded.encode()))
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
                 "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
                 "headers": headers, "client": [self.peer, 40000], "server": ["127.0.0.1", 8000]}
        app = ApplicationCommunicator(self.app, scope)
        await app.send_input({"type": "http.request", "body": body})
        start = await app.receive_output(30)
        content = b""
        while True:
            chunk = await app.receive_output(30)
            content += chunk.get("body", b"")
            if not chunk.get("more_body"):
                break
        # Until the application has finished (Django closes the request, which hands its database connection
        # back to the pool): a communicator dropped earlier leaves the task pending and the connection held.
        await app.wait(30)
        for name, value in start.get("headers", []):
            if name.lower() == b"set-cookie":
                key, _, rest = value.decode().partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        return start["status"], content.decode()

    async def join(self, code, name, forwarded=None):
        status, page = await self.request("GET", "/join/", forwarded=forwarded)
        assert status == 200
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        return await self.request("POST", "/join/", {"csrfmiddlewaretoken": token, "code": code, "name": name},
                                  forwarded=forwarded)


@sync_to_async
def _session():
    trainer = get_user_model().objects.create_user("trainer", password="correct-horse-9")
    trainer.groups.add(Group.objects.get_or_create(name=TRAINERS_GROUP)[0])
    return classroom.start_session(trainer, "quick-migration-2008")


@sync_to_async
def _refusal_addresses():
    return list(JoinRefusal.objects.order_by("pk").values_list("address", flat=True))


@sync_to_async
def _trainees():
    return sorted(Trainee.objects.values_list("display_name", flat=True))


async def test_the_application_trusts_no_proxy_unless_configured():
    assert isinstance(asgi.application, ForwardedForMiddleware) and asgi.application.trusted == ()


async def test_a_forged_forwarded_for_sent_directly_is_ignored_and_the_limit_counts_the_real_peer():
    session = await _session()
    near = session.code[:7] + ("Z" if session.code[7] != "Z" else "Y")
    guesser = Browser(BEHIND_NGINX, "203.0.113.9")  # not the proxy: talks to daphne directly
    status, page = await guesser.join(near, "Eve", forwarded="10.0.0.1")
    assert status == 200 and "No session is open with this code" in page
    assert await _refusal_addresses() == ["203.0.113.9"]
    for i in range(199):  # 200 wrong codes in all, each "from" another forged address
        status, _ = await guesser.join(f"WRONG{i:03d}", "Eve", forwarded=f"10.0.{i // 250}.{i % 250 + 1}")
        assert status == 200
    status, page = await guesser.join(session.code, "Eve", forwarded="10.9.9.9")
    assert status == 429 and "Too many attempts: try again in" in page and await _trainees() == []


async def test_through_the_trusted_proxy_the_forwarded_client_is_counted():
    session = await _session()
    near = session.code[:7] + ("Z" if session.code[7] != "Z" else "Y")
    proxy = Browser(BEHIND_NGINX, "127.0.0.1")
    # What nginx sends ($remote_addr); and what an appending proxy sends when the client forged a value.
    await proxy.join(near, "Eve", forwarded="198.51.100.23")
    await proxy.join(near, "Eve", forwarded="6.6.6.6, 198.51.100.24")
    assert await _refusal_addresses() == ["198.51.100.23", "198.51.100.24"]
    status, _ = await proxy.join(session.code, "Ann", forwarded="198.51.100.25")
    assert status == 302 and await _trainees() == ["Ann"]
