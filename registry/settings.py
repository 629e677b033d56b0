"""Enlace settings, read from the environment (see .env.example).

Debug is off unless DJANGO_DEBUG says otherwise; with debug off the app refuses to
start without DJANGO_SECRET_KEY.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set and DJANGO_DEBUG is off. Set DJANGO_SECRET_KEY to a "
            "long random value (python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set DJANGO_DEBUG=1 for local development."
        )
    SECRET_KEY = "insecure-development-key-only-used-with-debug-on"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")


def site_url(environ, *, debug: bool, allowed_hosts: list[str]) -> str:
    """The address people open Enlace at, for the links in e-mails (a bare path is no link in
    a mail program). ENLACE_SITE_URL (ENLACE_BASE_URL, its former name, still counts); unset:
    http://localhost:8000 with debug on, https:// and the first DJANGO_ALLOWED_HOSTS name with
    it off; with neither, empty, and `check --deploy` fails (registry/checks.py)."""
    value = (environ.get("ENLACE_SITE_URL") or environ.get("ENLACE_BASE_URL", "")).strip().rstrip("/")
    if value:
        from urllib.parse import urlsplit

        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
            raise ImproperlyConfigured(
                f"ENLACE_SITE_URL must be the site's address, such as https://enlace.example.gov (got {value!r})."
            )
        return value
    if debug:
        return "http://localhost:8000"
    named = [host for host in allowed_hosts if host and host != "*" and not host.startswith(".")]
    return f"https://{named[0]}" if named else ""


ENLACE_SITE_URL = site_url(os.environ, debug=DEBUG, allowed_hosts=ALLOWED_HOSTS)
ENLACE_SITE_URL_SET = bool(os.environ.get("ENLACE_SITE_URL") or os.environ.get("ENLACE_BASE_URL"))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "phonenumber_field",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "axes",
    "registry",
    "agencies",
    "cases",
    "flags",
    "web",
    "privacy",
    "synthetic",
    "interchange",
    "federation",
    "django_tasks",  # background tasks (webhook deliveries),
    "django_tasks_db",  # queued in the database
    "django.forms",  # Django's widget templates, after the apps that override some (FORM_RENDERER)
]

MIDDLEWARE = [
    # First, so that every response (errors included) carries X-Request-ID.
    "registry.middleware.RequestIdMiddleware",
    # With read replicas: which database each query of the request reads (registry/db/router.py).
    *(["registry.db.router.ReplicaMiddleware"] if env_list("DATABASE_REPLICA_URLS") else []),
    "django.middleware.security.SecurityMiddleware",
    "registry.middleware.CSPMiddleware",  # django-csp's, with its constant header built once
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "registry.middleware.LocaleMiddleware",  # Django's, without the URL-prefix lookups
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "registry.mfa.OTPMiddleware",  # django-otp's, skipped without a session cookie
    "registry.middleware.IdleSessionTimeoutMiddleware",
    "registry.middleware.SecondFactorRequiredMiddleware",
    "registry.middleware.MessageMiddleware",  # Django's, with the storage built on first use
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "registry.middleware.HistoryRequestMiddleware",  # simple-history's, without its context manager
    # Database down → 503 (with Retry-After) instead of a 500, for views and the middleware below.
    "registry.middleware.DatabaseUnavailableMiddleware",
    "registry.middleware.IdempotencyMiddleware",
    # Last, as django-axes asks: turns a lockout flagged during authentication into its answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "registry.urls"
WSGI_APPLICATION = "registry.wsgi.application"

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
            ],
        },
    },
]

# Widgets render through the project's template engine, so an app may override one of
# Django's widget templates (web/templates/django/forms/widgets/select.html: the same
# markup, written faster).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# Unset DATABASE_URL means the embedded quickstart database.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", "") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
# One request, one transaction: a refused write leaves nothing half-written.
DATABASES["default"]["ATOMIC_REQUESTS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend, with a health check of reused connections that reads the socket
    # instead of sending SELECT 1 (registry/db/postgresql/base.py).
    DATABASES["default"]["ENGINE"] = "registry.db.postgresql"
    # The registry is read from memory or SSD: tell the planner (random_page_cost 1.1 instead
    # of 4, the spinning-disk default), or at national scale `?q=` and the function and
    # jurisdiction filters read whole tables instead of their indexes. Per connection, so it
    # needs no database rights and changes no other application's plans.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "options", f"-c random_page_cost={os.environ.get('ENLACE_PG_RANDOM_PAGE_COST', '1.1')}"
    )
# The token lookup that every API call runs is a prepared statement on PostgreSQL; 0 behind
# a pooler in transaction mode that cannot keep them (registry/db/postgresql/base.py).
ENLACE_PG_PREPARED_STATEMENTS = os.environ.get("ENLACE_PG_PREPARED_STATEMENTS", "1") != "0"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several requests may write at once (tests with a live server, runserver threads).
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    DATABASES["default"]["CONN_MAX_AGE"] = 0

# Read replicas (PostgreSQL streaming replicas, docs/deploy.md § Read replicas): comma-separated
# URLs, aliases replica1, replica2, ... Read requests read there; writes, and a client's reads for
# ENLACE_REPLICA_PIN_SECONDS after it wrote, go to the primary (registry/db/router.py). A replica
# that refuses a connection is left alone for ENLACE_REPLICA_DOWN_SECONDS; with every replica
# down, reads go to the primary. Several workers need REDIS_URL for the pinning to reach them all.
DATABASE_REPLICA_URLS = env_list("DATABASE_REPLICA_URLS")
ENLACE_REPLICA_PIN_SECONDS = int(os.environ.get("ENLACE_REPLICA_PIN_SECONDS", "10"))
ENLACE_REPLICA_DOWN_SECONDS = float(os.environ.get("ENLACE_REPLICA_DOWN_SECONDS", "5"))
if DATABASE_REPLICA_URLS:
    if DATABASES["default"]["ENGINE"] != "registry.db.postgresql":
        raise ImproperlyConfigured("DATABASE_REPLICA_URLS needs a PostgreSQL DATABASE_URL (replicas of it).")
    for number, url in enumerate(DATABASE_REPLICA_URLS, start=1):
        replica = dj_database_url.parse(url, conn_max_age=DATABASES["default"]["CONN_MAX_AGE"], conn_health_checks=True)
        replica["ENGINE"] = "registry.db.postgresql"
        options = replica.setdefault("OPTIONS", {})
        options.setdefault("options", DATABASES["default"]["OPTIONS"]["options"])
        # A replica that is gone must cost a request little before its reads go to the primary.
        options.setdefault("connect_timeout", int(os.environ.get("ENLACE_REPLICA_CONNECT_TIMEOUT", "2")))
        # The test suite reads the replicas as the primary's test database (one server).
        replica["TEST"] = {"MIRROR": "default"}
        DATABASES[f"replica{number}"] = replica
    DATABASE_ROUTERS = ["registry.db.router.ReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "registry.User"

# django-axes first: it refuses a locked-out account before any password is checked. Then
# Django's ModelBackend, loading each page's user with agency and role in one query.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "registry.auth.ModelBackend",
]

# OWASP ASVS 2.1: at least 12 characters, at least 64 allowed (Django's fields take 128),
# no common or user-like passwords.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
# Numeric dates in ISO 8601, long ones with the month's name, every time with its zone, in
# both languages (registry/formats/: 12/04 means December in Texas and April in Chihuahua).
FORMAT_MODULE_PATH = ["registry.formats"]
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []
# Serve assets (the API docs' Swagger UI included) from the app itself, with or without
# collectstatic: these networks are often closed, so nothing comes from a CDN.
WHITENOISE_USE_FINDERS = True

# The quickstart uses a local-memory cache; production points REDIS_URL at the shared
# cache that several workers need (throttling, lockouts).
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

EMAIL_BACKEND = os.environ.get("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "enlace@localhost")
# The SMTP relay (with the smtp backend); in a container localhost is the container itself.
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("DJANGO_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", False)

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

PHONENUMBER_DEFAULT_FORMAT = "E164"
PHONENUMBER_DB_FORMAT = "E164"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "registry.api.tokens.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["registry.api.permissions.DenyAll"],
    "DEFAULT_PAGINATION_CLASS": "registry.api.pagination.RegistryPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "registry.api.schema.RegistryAutoSchema",
    "EXCEPTION_HANDLER": "registry.api.exceptions.exception_handler",
    # 0: the address is REMOTE_ADDR; a client cannot pick its own by sending X-Forwarded-For.
    "NUM_PROXIES": int(os.environ.get("ENLACE_TRUSTED_PROXY_COUNT", "0")),
    # Anonymous callers by address, signed-in users by account; the counts live in the
    # default cache, which is Redis (shared by every worker) whenever REDIS_URL is set.
    "DEFAULT_THROTTLE_CLASSES": [
        "registry.api.throttles.AnonymousRateThrottle",
        "registry.api.throttles.SignedInRateThrottle",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
        "interchange.renderers.CSVRenderer",  # ?format=csv on every list: the requester's own rows
        "interchange.renderers.XLSXRenderer",  # ?format=xlsx
    ],
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Enlace API",
    "DESCRIPTION": (
        "Binational interagency coordination and responsibility registry (U.S.–Mexico). "
        "Authenticate with POST /api/v1/auth/token/ and send `Authorization: Token <token>`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One name per choice set, so clients get stable enum names (and `check --deploy` is quiet).
    "ENUM_NAME_OVERRIDES": {
        "CaseStatusEnum": "cases.models.Case.Status",
        "ActionItemStatusEnum": "cases.models.ActionItem.Status",
        "FlagStatusEnum": "flags.models.FlagStatus",
        "FlagKindEnum": "flags.models.FlagKind",
        "SubjectKindEnum": "cases.models.CaseSubject.Kind",
        "JurisdictionKindEnum": "agencies.models.Jurisdiction.Kind",
        "AgencyKindEnum": "agencies.models.Agency.Kind",
        "AgencyNameKindEnum": "agencies.models.AgencyName.Kind",
        # The brief forms in the schema bring the mandate's and the participant's roles together.
        "MandateRoleEnum": "agencies.models.Mandate.Role",
        "ParticipantRoleEnum": "cases.models.CaseParticipant.Role",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "registry.api.schema.document_errors_and_idempotency",
        "registry.api.schema.state_the_constraints",
    ],
}

# Logs: one JSON object a line (python-json-logger) unless ENLACE_LOG_FORMAT=text (the default
# with debug on). Every line names the request it belongs to (the X-Request-ID of its response),
# the signed-in user's id and the route (URL pattern); never a username, e-mail or path.
ENLACE_LOG_FORMAT = os.environ.get("ENLACE_LOG_FORMAT", "text" if DEBUG else "json")
if ENLACE_LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured("ENLACE_LOG_FORMAT must be json or text.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "registry.middleware.RequestIdLogFilter"}},
    "formatters": {
        "default": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
        "json": {
            "()": "registry.observability.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(user_id)s %(route)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "json" if ENLACE_LOG_FORMAT == "json" else "default",
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# ---------------------------------------------------------------------------------------
# Security (docs/security.md): FBI CJIS Security Policy, OWASP ASVS level 2, and Django's
# deployment checklist (`manage.py check --deploy --fail-level WARNING` passes with debug off).

# Transport. Behind a TLS-terminating proxy set DJANGO_SECURE_PROXY_SSL_HEADER=1 and make
# sure the proxy sets X-Forwarded-Proto (and strips it from what clients send).
if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
# The container's health check asks over plain HTTP from inside (docs/deploy.md): no redirect.
# /metrics too: Prometheus scrapes the service directly on the internal network, never
# through the TLS proxy (which must not forward it: docs/observability.md).
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^livez$", r"^metrics$"]
SECURE_HSTS_SECONDS = 0 if DEBUG else int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
# A form sent with a stale or missing token: a page in the site's layout and language, not Django's.
CSRF_FAILURE_VIEW = "registry.middleware.csrf_failure"
# CORS: no Access-Control-Allow-* header is ever sent (no CORS middleware is installed), so
# browsers on other origins cannot read the API; partner scripts use tokens server-side.

# Sessions: 30 minutes idle ends a session (CJIS 5.5.5); none lives past 12 hours.
ENLACE_SESSION_IDLE_SECONDS = int(os.environ.get("ENLACE_SESSION_IDLE_SECONDS", str(30 * 60)))
SESSION_COOKIE_AGE = 12 * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Content-Security-Policy (django-csp 4): nothing inline, nothing from elsewhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# Failed sign-ins (registry/lockout.py). Lock (django-axes, CJIS AC-7): 5 failures in a row
# for one account from one address, each within the cool-off of the previous, lock that pair
# (not the account at other addresses, not the address's other accounts) for
# ENLACE_LOCKOUT_COOLOFF_MINUTES, or until admin staff release it (Axes admin, or
# `manage.py axes_reset_username USER` / `axes_reset_ip ADDRESS` / `axes_reset_ip_username
# ADDRESS USER`). Retrying while locked does not extend the lock.
ENLACE_LOCKOUT_COOLOFF_MINUTES = float(os.environ.get("ENLACE_LOCKOUT_COOLOFF_MINUTES", "10"))
if ENLACE_LOCKOUT_COOLOFF_MINUTES <= 0:
    raise ImproperlyConfigured("ENLACE_LOCKOUT_COOLOFF_MINUTES must be a positive number of minutes.")
AXES_ENABLED = True
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=ENLACE_LOCKOUT_COOLOFF_MINUTES)
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_HANDLER = "registry.lockout.PairLockHandler"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_CALLABLE = "registry.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = False
AXES_USERNAME_FORM_FIELD = "username"
AXES_SENSITIVE_PARAMETERS = ["password", "otp", "token"]
# The client's address: REMOTE_ADDR, or behind ENLACE_TRUSTED_PROXY_COUNT proxies the
# address that many hops from the right of X-Forwarded-For (never a client-chosen value).
ENLACE_TRUSTED_PROXY_COUNT = int(os.environ.get("ENLACE_TRUSTED_PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "registry.middleware.client_ip"
# Throttle: an address with this many failed sign-ins (any accounts) within the window is
# answered 429 with Retry-After, without a password being checked, until the window slides
# past them; nothing is locked. One person's typos stay far below it; a password spray does not.
ENLACE_SIGNIN_THROTTLE_FAILURES = int(os.environ.get("ENLACE_SIGNIN_THROTTLE_FAILURES", "20"))
ENLACE_SIGNIN_THROTTLE_WINDOW_SECONDS = int(os.environ.get("ENLACE_SIGNIN_THROTTLE_WINDOW_SECONDS", str(15 * 60)))
if ENLACE_SIGNIN_THROTTLE_FAILURES < 1 or ENLACE_SIGNIN_THROTTLE_WINDOW_SECONDS < 1:
    raise ImproperlyConfigured("ENLACE_SIGNIN_THROTTLE_FAILURES and _WINDOW_SECONDS must be at least 1.")

# Second factor (django-otp, TOTP): required of admin staff and coordinators, on by default
# whenever debug is off.
ENLACE_REQUIRE_MFA = env_bool("ENLACE_REQUIRE_MFA", not DEBUG)
ENLACE_MFA_ROLES = ["admin-staff", "coordinator"]
OTP_TOTP_ISSUER = "Enlace"

# API tokens expire after ENLACE_TOKEN_TTL_HOURS and can be revoked (DELETE /api/v1/auth/token/).
ENLACE_TOKEN_TTL_HOURS = float(os.environ.get("ENLACE_TOKEN_TTL_HOURS", "12"))

# Throttling (per minute unless the rate says otherwise).
ENLACE_THROTTLE_RATES = {
    "anon": os.environ.get("ENLACE_THROTTLE_ANON", "120/minute"),
    "user": os.environ.get("ENLACE_THROTTLE_USER", "1200/minute"),
}

# Retries: a POST with an Idempotency-Key header is answered once; retries within this
# time get the first answer back.
ENLACE_IDEMPOTENCY_TTL_HOURS = 24
# Database unreachable → 503 with this Retry-After (seconds).
ENLACE_DB_RETRY_AFTER_SECONDS = 5

# Audit: history, the read log and security events are kept at least this long; nothing in
# the app deletes them (docs/security.md § Retention).
ENLACE_AUDIT_RETENTION_DAYS = 366

# Enlace's own settings.
ENLACE_STALE_CONTACT_DAYS = 365

# Background tasks (django-tasks): persisted in the database, run by `manage.py db_worker`.
# Federation with partner registries (docs/federation.md): this instance's key id and its
# Ed25519 signing key (base64 seed, `manage.py federation_keygen`); unset: no exchange.
ENLACE_FEDERATION_ID = os.environ.get("ENLACE_FEDERATION_ID", "")
ENLACE_FEDERATION_SIGNING_KEY = os.environ.get("ENLACE_FEDERATION_SIGNING_KEY", "")
ENLACE_FEDERATION_TIMEOUT = int(os.environ.get("ENLACE_FEDERATION_TIMEOUT", "120"))
# A folder where the initiator writes every body it sends and receives (debugging, and the
# test that searches the wire for what must not be on it); unset in production.
ENLACE_FEDERATION_TRACE_DIR = os.environ.get("ENLACE_FEDERATION_TRACE_DIR", "")

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# The daily jobs of `manage.py run_schedule` (the scheduler service, docs/deploy.md): a time of
# day (HH:MM, in ENLACE_SCHEDULE_TIME_ZONE) or `off`; backups go to ENLACE_BACKUP_DIR, newest kept.
ENLACE_SCHEDULE_TIME_ZONE = os.environ.get("ENLACE_SCHEDULE_TIME_ZONE", TIME_ZONE)
ENLACE_SCHEDULE_DETECT_FLAGS = os.environ.get("ENLACE_SCHEDULE_DETECT_FLAGS", "02:00")
ENLACE_SCHEDULE_BACKUP = os.environ.get("ENLACE_SCHEDULE_BACKUP", "03:00")
ENLACE_SCHEDULE_REMINDERS = os.environ.get("ENLACE_SCHEDULE_REMINDERS", "06:00")
ENLACE_BACKUP_DIR = os.environ.get("ENLACE_BACKUP_DIR", str(BASE_DIR / "backups"))
ENLACE_BACKUP_KEEP = int(os.environ.get("ENLACE_BACKUP_KEEP", "14"))

# Prometheus metrics at /metrics (docs/observability.md): for a scraper sending
# `Authorization: Bearer <ENLACE_METRICS_TOKEN>`, or a signed-in admin staff member; anyone else
# gets 404. Unset: admin staff only.
ENLACE_METRICS_TOKEN = os.environ.get("ENLACE_METRICS_TOKEN", "")
