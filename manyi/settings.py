"""Settings for manyi: one file, every value from the environment (see .env.example).

Defaults are for a developer's machine: SQLite in ``$MANYI_DATA`` (``./var``), debug off unless
``MANYI_DEBUG=1``. Production sets ``DATABASE_URL`` (PostgreSQL), ``SECRET_KEY`` and
``ALLOWED_HOSTS``; with ``MANYI_PRODUCTION=1`` the deploy checks are enforced.
"""

import datetime as dt
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from manyi.env import env_bool, env_choice, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env_str("MANYI_DATA", str(BASE_DIR.parent / "var"))).resolve()

PRODUCTION = env_bool("MANYI_PRODUCTION", False)
DEBUG = env_bool("MANYI_DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) must be set in production")
    # A development key, stable per data directory so sessions survive restarts.
    _key_file = DATA_DIR / "secret_key"
    if _key_file.exists():
        SECRET_KEY = _key_file.read_text(encoding="utf-8").strip()
    else:
        import secrets

        DATA_DIR.mkdir(parents=True, exist_ok=True)
        SECRET_KEY = secrets.token_urlsafe(50)
        _key_file.write_text(SECRET_KEY, encoding="utf-8")
        _key_file.chmod(0o600)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "manyi",
    "manyi.org",
    "manyi.notify",
    "manyi.calendars",
    "manyi.customers",
    "manyi.cases",
    "manyi.workorders",
    "manyi.complaints",
    "manyi.instruments",
    "manyi.surveys",
    "manyi.quality",
    "manyi.team",
    "manyi.improvement",
    "manyi.insights",
    "manyi.privacy",
    "manyi.reliability",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "manyi.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # API writes with an Idempotency-Key run once; a retry gets the first response.
    "manyi.idempotency.IdempotencyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "manyi.middleware.DomainErrorMiddleware",
    "manyi.middleware.CalendarMemoMiddleware",
    # Content-Security-Policy on every response (the policy is below).
    "csp.middleware.CSPMiddleware",
    # Last: turns a locked-out login into the lockout page (django-axes).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "manyi.urls"
WSGI_APPLICATION = "manyi.wsgi.application"

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
                "manyi.org.context_processors.navigation",
            ],
        },
    },
]

# Database: SQLite in the data directory unless DATABASE_URL names another (PostgreSQL).
_default_db = f"sqlite:///{DATA_DIR / 'manyi.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", _default_db),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed while one writer commits; IMMEDIATE avoids lock upgrades that
    # fail with "database is locked" when a web worker and the task worker write together.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            " PRAGMA busy_timeout=10000;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Background tasks: the database backend by default (one machine, nothing more to run). To scale
# out, MANYI_TASK_BACKEND=rq puts them on Redis (MANYI_REDIS_URL) for RQ workers on any host:
# `python -m django rqworker --job-class django_tasks_rq.Job default` (tests/soak runs it so).
_TASK_BACKEND = env_str("MANYI_TASK_BACKEND", "django_tasks_db.DatabaseBackend")
if _TASK_BACKEND in ("rq", "django_tasks_rq.RQBackend"):
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    RQ_QUEUES = {
        "default": {
            "URL": env_str("MANYI_REDIS_URL", "redis://127.0.0.1:6379/0"),
            # A task may run this long before RQ stops it (rebuilds of big rollups run long).
            "DEFAULT_TIMEOUT": env_int("MANYI_RQ_TIMEOUT", 1800, minimum=10),
        }
    }
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
else:
    TASKS = {"default": {"BACKEND": _TASK_BACKEND}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# django-axes first: it refuses a locked-out username+IP before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Chinese first, English second.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
# Hashed, compressed static files in production; plain ones in debug and tests (no build step).
STATIC_MANIFEST = env_bool("MANYI_STATIC_MANIFEST", not DEBUG)
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(DATA_DIR / "media")},
    },
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if STATIC_MANIFEST
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        ),
    },
}
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Customer imports are streamed from disk; the cap keeps a runaway upload off the server.
# Text messages to customers (acknowledgements, sign-off codes): console, file or locmem.
MANYI_SMS_BACKEND = env_choice(
    "MANYI_SMS_BACKEND", "console", ("console", "file", "locmem", "http")
)
MANYI_SMS_FILE = env_str("MANYI_SMS_FILE", str(DATA_DIR / "sms.jsonl"))
# The http backend: a provider's (or relay's) endpoint taking {"to", "body"} as JSON, and its key.
MANYI_SMS_URL = env_str("MANYI_SMS_URL")
MANYI_SMS_KEY = env_str("MANYI_SMS_KEY")
if MANYI_SMS_BACKEND == "http" and not MANYI_SMS_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured("MANYI_SMS_BACKEND=http needs MANYI_SMS_URL (http:// or https://)")
# Seconds to wait for an SMS provider or a WeCom robot before counting the attempt as failed.
MANYI_NOTIFY_HTTP_TIMEOUT = env_int("MANYI_NOTIFY_HTTP_TIMEOUT", 10, minimum=1, maximum=120)
# Staff e-mail (notifications) through Django's mail: SMTP in production, the console by default.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20, minimum=1, maximum=300)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "manyi@localhost")
# The address customers reach the public pages at (survey links in text messages, QR posters),
# e.g. https://manyi.example.com; the local server's address by default.
MANYI_PUBLIC_URL = env_str(
    "MANYI_PUBLIC_URL", f"http://{env_str('HOST', '127.0.0.1')}:{env_str('PORT', '8000')}"
).rstrip("/")
if not MANYI_PUBLIC_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured("MANYI_PUBLIC_URL must start with http:// or https://")
# Personal data (PIPL): customers with every record closed and nothing newer than this many
# years are anonymised by a daily task (manyi.privacy); 0 keeps everything.
MANYI_RETENTION_YEARS = env_int("MANYI_RETENTION_YEARS", 0, minimum=0)
MANYI_IMPORT_MAX_BYTES = env_int("MANYI_IMPORT_MAX_BYTES", 50 * 1024 * 1024, minimum=1024)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 12 * 3600, minimum=300)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", PRODUCTION)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", PRODUCTION)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if PRODUCTION else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
# A session ends SESSION_COOKIE_AGE after login (12 h: one working day). With
# SESSION_SAVE_EVERY_REQUEST=1 it ends after that long *idle* instead (each request pushes it
# on, at the cost of one session write per page). In production it also ends when the browser
# closes, so a shared counter PC is not left logged in.
SESSION_SAVE_EVERY_REQUEST = env_bool("SESSION_SAVE_EVERY_REQUEST", False)
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", PRODUCTION)
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
MANYI_BEHIND_PROXY = env_bool("MANYI_BEHIND_PROXY", False)
if MANYI_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp): scripts and styles only from our own static files —
# no inline script, no eval, no CDN (htmx and ECharts are served locally). Style *attributes*
# stay allowed (style-src-attr): bar widths are computed per row and ECharts' tooltips are
# styled inline; they cannot run code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-elem": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Login throttling (django-axes): a username from one address is locked for the cool-off after
# AXES_FAILURE_LIMIT wrong passwords; other users and addresses are unaffected. Attempts are
# kept in the database, so every app-server process sees them.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_MINUTES = env_int("AXES_COOLOFF_MINUTES", 15, minimum=1)
AXES_COOLOFF_TIME = dt.timedelta(minutes=AXES_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "manyi.security.lockout_response"
# Behind a proxy the client's address is the one the proxy appended to X-Forwarded-For.
AXES_CLIENT_IP_CALLABLE = "manyi.security.client_ip"
AXES_VERBOSE = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}

NINJA_PAGINATION_PER_PAGE = 50
