"""What the socket benchmarks share: a scratch database, a served instance, a signed-in cookie."""
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def scratch_env(prefix):
    """Point this process (and the server it starts) at a fresh SQLite file; returns the environment."""
    scratch = tempfile.mkdtemp(prefix=prefix)
    env = {**os.environ, "FCM_VAR_DIR": scratch, "DATABASE_URL": f"sqlite:///{scratch}/bench.sqlite3",
           "DJANGO_SETTINGS_MODULE": "fcm.settings", "ALLOWED_HOSTS": "127.0.0.1,localhost"}
    os.environ.update(env)
    return env


def serve(env, *extra, stderr=subprocess.PIPE):
    """`manage.py serve` (daphne + the embedded engine, unless `extra` says --no-engine) on a free port,
    once it accepts connections.

    A server that logs much (a bench that makes it fail on purpose) needs `stderr` to be a file: an
    unread pipe fills and blocks it."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "manage.py", "serve", "--no-link", "--port", str(port), *extra],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    return server, port


def page_origin(ws_url):
    """The Origin a browser sends for a socket to `ws_url`: the page's scheme, host and port (the server
    accepts nothing else: fcm/live/origins.py)."""
    scheme, rest = ws_url.split("://", 1)
    return f"{'https' if scheme == 'wss' else 'http'}://{rest.split('/', 1)[0]}"


def quantile(sorted_values, p):
    """The p-quantile of an already sorted list (nan when empty): what every bench prints as p50/p99."""
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * p))]


def session_cookie(user):
    """A Cookie header value for a session signed in as `user`."""
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore
    s = SessionStore()
    s["_auth_user_id"] = str(user.pk)
    s["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    s["_auth_user_hash"] = user.get_session_auth_hash()
    s.create()
    return f"{settings.SESSION_COOKIE_NAME}={s.session_key}"
