"""Polku settings: one module, configured from the environment (django-environ).

Development defaults need no services at all (SQLite, Celery filesystem broker).
``DJANGO_ENV=production`` switches on secure defaults and refuses to start without a strong
``SECRET_KEY``, ``ALLOWED_HOSTS`` and a PostgreSQL ``DATABASE_URL`` (see the end of the module).
See ``.env.example`` for every variable.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
PRODUCTION = DJANGO_ENV == "production"

if PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY")  # required: no default in production
else:
    SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production")

DEBUG = env.bool("DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "recruitment.apps.PolkuAdminConfig",  # django.contrib.admin, superusers only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_fsm",  # its admin templates (transition buttons and forms)
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "recruitment",
    "credentials",
    "integration",
    "monitoring",
]

MIDDLEWARE = [
    # Outermost: one log line per refused request; problem+json for every error on /api/.
    "recruitment.middleware.RefusedRequestLogMiddleware",
    "integration.api.middleware.ApiProblemMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "recruitment.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {  # an empty DATABASE_URL (as in .env files) counts as unset
    "default": env.db_url_config(
        env.str("DATABASE_URL", default="") or f"sqlite:///{VAR_DIR / 'polku.sqlite3'}"
    ),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60 if PRODUCTION else 0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the Celery worker share the demo database.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault(
        "init_command", "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=5000;"
    )
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://polku")}
# The API's rate limits are counted in this cache with atomic increments, shared by every web
# worker: production needs Redis or Memcached (local memory counts per process; the database
# cache's incr reads and writes back, losing counts under load). Checked below.
SHARED_CACHE_BACKENDS = (
    "django.core.cache.backends.redis.RedisCache",
    "django.core.cache.backends.memcached.PyMemcacheCache",
    "django.core.cache.backends.memcached.PyLibMCCache",
    "django_redis.cache.RedisCache",
)

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

# Lockout after repeated failed logins (django-axes).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

LANGUAGE_CODE = "fi"
LANGUAGES = [("fi", _("Finnish")), ("sv", _("Swedish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["config.formats"]  # English dates day-first (see config/formats/en)
TIME_ZONE = "Europe/Helsinki"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
MEDIA_URL = "media/"

# Sessions expire after inactivity; the browser session ends with the browser.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 8)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Secure-sessionid"
    CSRF_COOKIE_NAME = "__Secure-csrftoken"
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Content Security Policy (django-csp 4): every asset is served by Polku itself.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}

# Celery
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
# The filesystem broker's folders (one stack per folder). The Celery app makes them when it
# is configured (config/celery.py), not this module.
CELERY_DATA_DIR = Path(env.str("CELERY_DATA_DIR", default=str(VAR_DIR / "celery")))
if CELERY_BROKER_URL == "filesystem://":
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_DATA_DIR / "queue"),
        "data_folder_out": str(CELERY_DATA_DIR / "queue"),
        "processed_folder": str(CELERY_DATA_DIR / "processed"),
        "control_folder": str(CELERY_DATA_DIR / "control"),
        "store_processed": False,
    }
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=25 * 60)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = env.str(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(VAR_DIR / "celerybeat-schedule")
)
CELERY_BEAT_SCHEDULE: dict = {}
# Credential tracks: daily watches that notify the case's recruiters (idempotent tasks).
CELERY_BEAT_SCHEDULE.update(
    {
        "credentials-permit-expiry": {
            "task": "credentials.watch_permit_expiry",
            "schedule": crontab(hour=6, minute=0),
        },
        "credentials-stalled-cases": {
            "task": "credentials.detect_stalled_cases",
            "schedule": crontab(hour=6, minute=10),
        },
        "credentials-retention-checks": {
            "task": "credentials.notify_due_retention_checks",
            "schedule": crontab(hour=6, minute=20),
        },
    }
)
# Monitoring: hourly snapshots of yesterday (final) and today (so far); idempotent.
CELERY_BEAT_SCHEDULE["monitoring-daily-snapshots"] = {
    "task": "monitoring.take_daily_snapshots",
    "schedule": crontab(minute=5),
}

# Integration: deliver webhooks from the outbox (retries included); purge idempotency keys.
CELERY_BEAT_SCHEDULE["integration-dispatch-webhooks"] = {
    "task": "integration.dispatch_webhooks",
    "schedule": 30.0,
}
CELERY_BEAT_SCHEDULE["integration-purge-idempotency"] = {
    "task": "integration.purge_idempotency_records",
    "schedule": crontab(hour=3, minute=30),
}
# CSV imports whose worker died (or that no worker picked up) end failed, never stuck.
CELERY_BEAT_SCHEDULE["integration-fail-stale-imports"] = {
    "task": "integration.fail_stale_imports",
    "schedule": 300.0,
}

# Django REST framework (the partner API lives in the integration app).
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "integration.api.problems.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Polku partner API",
    "VERSION": "1.0.0",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "DESCRIPTION": "Educational institutions, employment services and counties update their "
    "part of each case. Partner guide: docs/api.md.",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "CEFRLevelEnum": "recruitment.models.CEFRLevel",
        "IntegrationStepKindEnum": "credentials.models.IntegrationStepKind",
        "IntegrationStepStatusEnum": "credentials.models.IntegrationStepStatus",
        "CsvImportKindEnum": "integration.models.CsvImport.Kind",
        "CsvImportStatusEnum": "integration.models.CsvImport.Status",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "integration.api.schema.add_problem_responses",
    ],
}

# Partner API limits (integration app). Bodies above the limit get 413 problem+json.
POLKU_API_MAX_BODY_BYTES = env.int("POLKU_API_MAX_BODY_BYTES", default=1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = max(2_621_440, POLKU_API_MAX_BODY_BYTES)
POLKU_API_THROTTLE_RATES = {
    "client": env.str("POLKU_API_RATE", default="1200/min"),
    "bulk": env.str("POLKU_API_BULK_RATE", default="60/min"),
}
POLKU_CSV_MAX_BYTES = env.int("POLKU_CSV_MAX_BYTES", default=5 * 1024 * 1024)
POLKU_CSV_MAX_ROWS = env.int("POLKU_CSV_MAX_ROWS", default=10_000)
# A running import whose worker wrote no progress for this long is failed (its worker died);
# a waiting one that no worker started within the queue time too.
POLKU_CSV_IMPORT_LEASE_SECONDS = env.int("POLKU_CSV_IMPORT_LEASE_SECONDS", default=10 * 60)
POLKU_CSV_IMPORT_QUEUE_SECONDS = env.int("POLKU_CSV_IMPORT_QUEUE_SECONDS", default=60 * 60)
POLKU_WEBHOOK_MAX_ATTEMPTS = env.int("POLKU_WEBHOOK_MAX_ATTEMPTS", default=8)
POLKU_WEBHOOK_RETRY_BASE_SECONDS = env.int("POLKU_WEBHOOK_RETRY_BASE_SECONDS", default=30)
POLKU_WEBHOOK_RETRY_MAX_SECONDS = env.int("POLKU_WEBHOOK_RETRY_MAX_SECONDS", default=6 * 3600)
POLKU_WEBHOOK_TIMEOUT_SECONDS = env.int("POLKU_WEBHOOK_TIMEOUT_SECONDS", default=5)
POLKU_WEBHOOK_ALLOW_HTTP = env.bool("POLKU_WEBHOOK_ALLOW_HTTP", default=not PRODUCTION)
# Development only: webhooks may go to receivers on this machine (loopback, any port). Every
# other non-public address is refused always (integration/destinations.py).
POLKU_WEBHOOK_ALLOW_LOOPBACK = env.bool("POLKU_WEBHOOK_ALLOW_LOOPBACK", default=False)
if PRODUCTION and POLKU_WEBHOOK_ALLOW_LOOPBACK:
    raise ImproperlyConfigured(
        "POLKU_WEBHOOK_ALLOW_LOOPBACK=true is for local testing only; unset it in production."
    )

# Personal data: closed cases are anonymised after this many days (DOMAIN.md: default 5 years).
POLKU_ANONYMISE_CLOSED_AFTER_DAYS = env.int("POLKU_ANONYMISE_CLOSED_AFTER_DAYS", default=5 * 365)

# --- Production refuses to start without its essentials ------------------------------------
# Without these the server would start and answer every request with 500 (no usable
# SECRET_KEY) or 400 (no ALLOWED_HOSTS), or keep real people's data in a file database.
# Importing the settings (gunicorn, Celery, manage.py) fails at once, naming the variable.
if PRODUCTION:
    from django.core.exceptions import ImproperlyConfigured

    # Django's own rule for a strong key (security check W009).
    _KEY_MIN_LENGTH, _KEY_MIN_UNIQUE, _KEY_INSECURE_PREFIX = 50, 5, "django-insecure-"
    _refusals = []
    if (
        len(SECRET_KEY) < _KEY_MIN_LENGTH
        or len(set(SECRET_KEY)) < _KEY_MIN_UNIQUE
        or SECRET_KEY.startswith(_KEY_INSECURE_PREFIX)
    ):
        _refusals.append(
            f"SECRET_KEY must be at least {_KEY_MIN_LENGTH} random characters "
            f"(at least {_KEY_MIN_UNIQUE} different, not starting with {_KEY_INSECURE_PREFIX!r})"
            ", e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    if not [host for host in ALLOWED_HOSTS if host.strip()]:
        _refusals.append("ALLOWED_HOSTS must name the host(s) Polku is served at, comma-separated")
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        _refusals.append("DATABASE_URL must point to PostgreSQL (postgres://…), not SQLite")
    if CACHES["default"]["BACKEND"] not in SHARED_CACHE_BACKENDS:
        _refusals.append(
            "CACHE_URL must point at Redis or Memcached (e.g. redis://host:6379/1): the API's "
            "rate limits are counted there for every web worker"
        )
    if _refusals:
        raise ImproperlyConfigured(
            "DJANGO_ENV=production refuses to start: " + "; ".join(_refusals) + "."
        )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Refused requests (4xx) are one line each (polku.refused), not Django's tracebacks.
    "filters": {"one_line_refusals": {"()": "recruitment.middleware.OneLineRefusals"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["one_line_refusals"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
