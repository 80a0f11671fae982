"""Time from signing out to the close of that user's open sockets (a benchmark, not a test).

Starts `manage.py serve` (daphne + the embedded engine, in-memory channel layer) on a scratch
database, signs one user in, opens N sockets on a lab with that sign-in session (N console tabs),
then signs out through the site's own Sign out (a POST, as the browser does) and times, for every
socket, from the moment the POST is sent to its close for access (code 4403). Repeats it R times,
a new sign-in each time. Last line:

    processes=1 layer=memory sockets=50 rounds=10 close_ms p50=.. p99=.. max=.. closed=500/500

With `--redis redis://127.0.0.1:6379/0` (a Redis you run) it is the scaled path instead: two daphne
processes on the Redis channel layer (publish/subscribe), the sockets on one, the sign-out on the
other, so the close crosses processes as a message to the user's group.

Run: `.venv/bin/python bench/close.py --sockets 50 --rounds 10 [--redis URL]`.
"""
import argparse
import asyncio
import http.cookies
import os
import re
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from serving import page_origin, quantile, scratch_env, serve, session_cookie  # noqa: E402

CLOSED_FOR_ACCESS = 4403
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def setup():
    import django
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from fcm.inventory import owners
    from fcm.inventory.models import Lab

    admin = owners.administrator()
    return admin, Lab.objects.create(name="Close bench", owner=admin)


def sign_out(base, lab_id, cookie):
    """The console's File > Sign out: the page's CSRF token, then the POST. Returns when it was sent and
    when its answer came."""
    page = urllib.request.urlopen(urllib.request.Request(f"{base}/labs/{lab_id}/", headers={"Cookie": cookie}))
    csrf = http.cookies.SimpleCookie(page.headers["Set-Cookie"])["csrftoken"].value
    token = TOKEN.search(page.read().decode()).group(1)
    request = urllib.request.Request(
        f"{base}/accounts/logout/", data=f"csrfmiddlewaretoken={token}".encode(), method="POST",
        headers={"Cookie": f"{cookie}; csrftoken={csrf}", "Content-Type": "application/x-www-form-urlencoded"})
    sent = time.perf_counter()
    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(request)
    except urllib.error.HTTPError as answer:  # the 302 to the sign-in page
        assert answer.code == 302, answer.code
    return sent, time.perf_counter()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


async def one_round(url, base, lab_id, cookie, n):
    import websockets
    opened, closes = asyncio.Event(), []
    ready = [0]

    async def tab():
        async with websockets.connect(url, additional_headers={"Cookie": cookie, "Origin": page_origin(url)},
                                      open_timeout=60) as ws:
            await ws.recv()  # lab-sync: the socket is in its groups
            ready[0] += 1
            if ready[0] == n:
                opened.set()
            try:
                while True:
                    await asyncio.wait_for(ws.recv(), timeout=30)
            except websockets.ConnectionClosed as closed:
                closes.append((time.perf_counter(), closed.rcvd.code if closed.rcvd else None))
            except asyncio.TimeoutError:
                closes.append((None, None))

    tasks = [asyncio.create_task(tab()) for _ in range(n)]
    await asyncio.wait_for(opened.wait(), timeout=120)
    sent, answered = await asyncio.get_running_loop().run_in_executor(None, sign_out, base, lab_id, cookie)
    await asyncio.gather(*tasks)
    return [(at - sent) * 1000 for at, code in closes if at is not None and code == CLOSED_FOR_ACCESS], \
        (answered - sent) * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--redis", help="a Redis URL: two daphne processes share it (the scaled setup)")
    args = parser.parse_args()

    if args.redis:
        os.environ["REDIS_URL"] = args.redis
    env = scratch_env("fcm-close-")
    admin, lab = setup()
    servers = [serve(env)] + ([serve(env, "--no-engine")] if args.redis else [])
    base = f"http://127.0.0.1:{servers[0][1]}"  # signs out here; the sockets are on the last process
    url = f"ws://127.0.0.1:{servers[-1][1]}/ws/labs/{lab.pk}/"
    times, posts = [], []
    try:
        for _ in range(args.rounds):
            closes, post_ms = asyncio.run(one_round(url, base, lab.pk, session_cookie(admin), args.sockets))
            times += closes
            posts.append(post_ms)
    finally:
        for server, _ in servers:
            server.terminate()
            server.wait(10)
    times.sort()
    posts.sort()
    print(f"# the sign-out POST itself (answered after the close messages left): p50={quantile(posts, 0.5):.1f} ms "
          f"max={posts[-1]:.1f} ms")
    q = lambda p: quantile(times, p)  # noqa: E731
    setup_name = "processes=2 layer=redis" if args.redis else "processes=1 layer=memory"
    print(f"{setup_name} sockets={args.sockets} rounds={args.rounds} close_ms p50={q(0.5):.1f} p99={q(0.99):.1f} "
          f"max={(times[-1] if times else float('nan')):.1f} closed={len(times)}/{args.sockets * args.rounds}")


if __name__ == "__main__":
    main()
