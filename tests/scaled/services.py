"""PostgreSQL and Redis for the scaled suite, started on loopback and stopped again (`make test-scaled`).

Uses the distribution's packages (installed with apt-get when absent and
allowed, as in CI); a throwaway PostgreSQL cluster in a temporary folder
(trust authentication, loopback only) and a Redis without persistence.
Nothing is left running: `stop()` ends exactly the processes started here.
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

PG_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.3).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


def _pg_tool(name):
    for d in PG_BIN_DIRS:
        if (d / name).exists():
            return str(d / name)
    found = shutil.which(name)
    if found:
        return found
    raise FileNotFoundError(name)


def ensure_packages():
    """apt-get install postgresql and redis-server when missing (as root, or through sudo)."""
    missing = []
    try:
        _pg_tool("initdb")
    except FileNotFoundError:
        missing.append("postgresql")
    if not shutil.which("redis-server"):
        missing.append("redis-server")
    if missing:
        sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
        if sudo and not shutil.which("sudo"):
            raise SystemExit(f"make test-scaled needs {' and '.join(missing)}: apt-get install {' '.join(missing)}")
        subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True)
        subprocess.run([*sudo, "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-qq", *missing],
                       check=True)


class Services:
    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="fcm-scaled-"))
        self.pg_port, self.redis_port = free_port(), free_port()
        self.pg_data = self.root / "pg"
        self.redis = None
        self.as_postgres = []
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            os.chmod(self.root, 0o755)
            self.as_postgres = ["runuser", "-u", "postgres", "--"]

    @property
    def env(self):
        return {"DATABASE_URL": f"postgres://postgres@127.0.0.1:{self.pg_port}/fcm",
                "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0"}

    def start(self):
        self.start_postgres()
        self.start_redis()
        return self

    def start_postgres(self):
        self.pg_data.mkdir(exist_ok=True)
        if self.as_postgres:
            shutil.chown(self.pg_data, "postgres", "postgres")
        if not (self.pg_data / "PG_VERSION").exists():
            subprocess.run([*self.as_postgres, _pg_tool("initdb"), "-D", str(self.pg_data), "-U", "postgres",
                            "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"], check=True, stdout=subprocess.DEVNULL)
        subprocess.run([*self.as_postgres, _pg_tool("pg_ctl"), "-D", str(self.pg_data), "-w", "-l",
                        str(self.pg_data / "log"), "-o", f"-h 127.0.0.1 -p {self.pg_port} -k {self.pg_data} "
                        "-c fsync=off -c synchronous_commit=off -c max_connections=200", "start"],
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run([_pg_tool("psql"), "-h", "127.0.0.1", "-p", str(self.pg_port), "-U", "postgres", "-qc",
                        "CREATE DATABASE fcm"], check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop_postgres(self, mode="fast"):
        subprocess.run([*self.as_postgres, _pg_tool("pg_ctl"), "-D", str(self.pg_data), "-m", mode, "-w", "stop"],
                       check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start_redis(self):
        self.redis = subprocess.Popen(["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
                                       "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
        _wait_port(self.redis_port)

    def stop_redis(self):
        if self.redis and self.redis.poll() is None:
            self.redis.send_signal(signal.SIGTERM)
            self.redis.wait(10)

    def stop(self):
        self.stop_redis()
        self.stop_postgres()
        shutil.rmtree(self.root, ignore_errors=True)
