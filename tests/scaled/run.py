"""`make test-scaled`: the integration suite and the cross-process browser suite on PostgreSQL + Redis.

Only settings differ from `make test` (DATABASE_URL, REDIS_URL); the
processes and services it starts are stopped on the way out.
"""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))

from tests.scaled.services import Services, ensure_packages  # noqa: E402


def main():
    ensure_packages()
    services = Services().start()
    env = {**os.environ, **services.env, "FCM_SCALED_ROOT": str(services.root),
           # The fault tests restart these themselves (tests/scaled/test_faults.py).
           "FCM_SCALED_PG_DATA": str(services.pg_data), "FCM_SCALED_PG_PORT": str(services.pg_port),
           "FCM_SCALED_REDIS_PORT": str(services.redis_port), "FCM_SCALED_REDIS_PID": str(services.redis.pid)}
    env.pop("FCM_TEST_DB", None)
    try:
        for suite in (["tests/integration"], ["tests/scaled"]):
            run = subprocess.run([sys.executable, "-m", "pytest", *suite, *sys.argv[1:]], cwd=ROOT, env=env)
            if run.returncode:
                return run.returncode
        return 0
    finally:
        services.stop()


if __name__ == "__main__":
    sys.exit(main())
