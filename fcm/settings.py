"""Settings for the Failover Cluster Manager simulator.

Everything that differs between a laptop (`make run`: SQLite and an
in-memory channel layer in one process) and a scaled deployment
(PostgreSQL, Redis, several daphne processes) is read from the environment,
so that nothing but settings changes between the two.
"""
import os
import secrets
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("FCM_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key(var_dir=VAR_DIR):
    """SECRET_KEY from the environment, else one generated once into var/.

    A key generated at every start would log everybody out on a restart. The file is written
    readable by its owner only from its first byte (a temporary file created 0600, then linked
    into place), so no other user can read it in between, and two processes starting at once
    keep one key: the first link wins, the other reads the winner's.
    """
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    path = Path(var_dir) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".secret_key.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(50))
            try:
                os.link(temporary, path)  # fails if another process put its key there first
            except FileExistsError:
                pass
        finally:
            os.unlink(temporary)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _env_bool("DEBUG", False)
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")
    if h.strip()
]
# WebSocket origins accepted besides the page's own (scheme, Host header, port: fcm/live/origins.py),
# e.g. "https://fcm.example.org" behind a proxy that does not pass the Host header on.
FCM_ALLOWED_ORIGINS = [o.strip() for o in os.environ.get("FCM_ALLOWED_ORIGINS", "").split(",") if o.strip()]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "django_htmx",
    "csp",
    "template_partials",
    "fcm.inventory",
    "fcm.engine",
    "fcm.wizards",
    "fcm.console",
    "fcm.training",
    "fcm.live",
    "fcm.server",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "fcm.training.access.LabAccessMiddleware",
    "fcm.server.trouble.LabTroubleMiddleware",
]

ROOT_URLCONF = "fcm.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "fcm.training.context.trainer",
                "fcm.console.context.csp_nonce",
            ],
        },
    }
]

WSGI_APPLICATION = None
ASGI_APPLICATION = "fcm.asgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'fcm.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several writers (daphne threads, the engine) share one file: wait for
    # the lock instead of failing at once, and keep readers off writers' way.
    # Transactions take the write lock when they begin (IMMEDIATE): a deferred one that read first
    # and then writes gets "database is locked" at once when another writer committed meanwhile,
    # whatever the timeout (bench/classroom.py: 30 trainees draining while the engine ticks).
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
    if _env_bool("FCM_SQLITE_WAL", True):
        DATABASES["default"]["OPTIONS"]["init_command"] = (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
    # The browser suite forks a daphne child: it needs a file test database.
    # FCM_TEST_DB lets a long run (make soak) use its own file beside a normal test run.
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("FCM_TEST_DB") or str(VAR_DIR / "test.sqlite3")}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and _env_bool("DB_POOL", True):
    # Under daphne every request and every socket's database step would open its own connection (a
    # new PostgreSQL backend process each time: most of a socket handshake's cost, bench/load.py).
    # Django's pool keeps them instead (persistent connections do not fit ASGI's thread per
    # request). Health checks: a checked-out connection is tested first, so a PostgreSQL restart
    # costs no request.
    DATABASES["default"].update(CONN_MAX_AGE=0, CONN_HEALTH_CHECKS=True)
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 2, "max_size": int(os.environ.get("DB_POOL_MAX", "10")),
        "timeout": float(os.environ.get("DB_POOL_TIMEOUT", "5"))}

if os.environ.get("REDIS_URL"):
    # Redis publish/subscribe: a push to a lab is one message per daphne process, which hands it to
    # its own consoles, instead of one queued copy per console (bench/load.py).
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [os.environ["REDIS_URL"]]},
        }
    }
    # Several daphne processes: rate-limit counters (sign-in, join codes) must be shared too.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": os.environ["REDIS_URL"]}}
    # Every page and every socket reads the session: from Redis, the database only on a miss.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "fcm.live.layers.InMemoryChannelLayer"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "console:lab-list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# Serve straight from the app and static/ folders too, so a checkout works
# before (or without) collectstatic; collectstatic still adds compression.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

# Reverse proxies whose X-Forwarded-For gives the client's address (fcm/server/forwarded.py): addresses or
# networks, commas between. Empty: nobody's (`manage.py serve --proxy-headers` then trusts this machine's).
FCM_TRUSTED_PROXIES = [p.strip() for p in os.environ.get("FCM_TRUSTED_PROXIES", "").split(",") if p.strip()]

# Behind TLS (FCM_TLS=1, docs/deploy/): cookies only over HTTPS, HTTP redirected, HSTS, and the
# proxy's X-Forwarded-Proto trusted to say the request came in over HTTPS.
FCM_TLS = _env_bool("FCM_TLS", False)
if FCM_TLS:
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("FCM_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("FCM_HSTS_SUBDOMAINS", False)
    SECURE_HSTS_PRELOAD = _env_bool("FCM_HSTS_PRELOAD", False)
    # Other sites under the domain, and the browsers' preload list, are the operator's decision
    # (both are hard to undo): chosen off by default rather than warned about on every check.
    SILENCED_SYSTEM_CHECKS = ([] if SECURE_HSTS_INCLUDE_SUBDOMAINS else ["security.W005"]) + \
        ([] if SECURE_HSTS_PRELOAD else ["security.W021"])

# Content-Security-Policy (django-csp): no inline script or style anywhere; the few <script>
# and <style> tags the pages carry (htmx, reports) have the response's nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# How many rows a console list shows per page: the product lists thousands
# of roles; one page keeps every list answer small and constant in queries.
FCM_PAGE_SIZE = int(os.environ.get("FCM_PAGE_SIZE", "100"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# Engines share the labs by lease (fcm/engine/leases.py): on by default with PostgreSQL, where several
# `manage.py runengine` processes may run; off with SQLite, where the embedded setup runs one engine and
# every lease write would queue behind the one file lock.
FCM_ENGINE_LEASES = _env_bool("FCM_ENGINE_LEASES", DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3")
