"""Admin24 settings: one module, every knob an environment variable (twelve-factor).

Defaults are the zero-setup ones (`make run` on a bare machine): SQLite and kombu's filesystem
broker under ``var/``, console email. Production sets DATABASE_URL, REDIS_URL, SECRET_KEY,
ALLOWED_HOSTS, HTTPS=true and an ESP; see ``.env.example``.
"""

import ipaddress
import secrets
from datetime import timedelta
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()
env_file = BASE_DIR / ".env"
if env_file.exists():
    env.read_env(str(env_file))


def _read_secret(name: str, default=None):
    """A secret from NAME, or from the file named by NAME_FILE (Docker/Kubernetes secrets)."""
    file_path = env.str(f"{name}_FILE", default="")
    if file_path:
        return Path(file_path).read_text().strip()
    return env.str(name, default=default)


def _local_secret_key() -> str:
    # Zero-setup runs get a random key kept under var/, so sessions survive restarts
    # without anyone committing or inventing a key.
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = _read_secret("SECRET_KEY") or _local_secret_key()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://localhost:8000").rstrip("/")

INSTALLED_APPS = [
    "admin24.admin_site.Admin24AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "anymail",
    "axes",
    "admin24",
    "notifications",
    "crm",
    "servicedesk",
    "config",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "admin24.csp.ContentSecurityPolicyMiddleware",  # every response, static files and errors too
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "admin24.middleware.RefuseNullCharactersMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "admin24.timezones.UserTimeZoneMiddleware",
    "axes.middleware.AxesMiddleware",  # a locked sign-in's answer (admin24.login_throttle)
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "admin24.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'admin24.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the worker and beat write while the web process reads.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "admin24.User"
# Axes first: it refuses a sign-in while its account or address is locked (admin24.login_throttle).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "admin24.auth.UsernameOrEmailBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Failures are counted in the database: one table on SQLite and PostgreSQL, shared by every
# process and still counting when Redis is down (the cache handler would lose them with it).
AXES_HANDLER = "admin24.login_throttle.LoginAttempts"
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # per account, and per address
AXES_RESET_ON_SUCCESS = True
# Attempts during a lockout do not prolong it: the window is fixed from the last counted failure.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_USERNAME_CALLABLE = "admin24.login_throttle.account_key"
AXES_CLIENT_IP_CALLABLE = "admin24.client_address.client_bucket"
AXES_LOCKOUT_CALLABLE = "admin24.login_throttle.lockout_response"
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins are not recorded (the table would only grow)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["config.formats"]  # one date format per language
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Moscow")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_STORAGE",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage",
        )
    },
}

# --- Cache, broker -------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
# Redis (cache and rate counters): a Redis that hangs costs a request this long at most.
REDIS_TIMEOUT = env.float("REDIS_TIMEOUT", default=2)
if REDIS_URL:
    # A Redis that is down reads as an empty cache (config.cache): the pages keep working.
    CACHES = {
        "default": {
            "BACKEND": "config.cache.FailSoftRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": REDIS_TIMEOUT, "socket_timeout": REDIS_TIMEOUT},
        }
    }
else:
    # Without Redis every process of `make run` still shares one cache through the filesystem.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("queue", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        # Broadcasts (worker remote control) default to ./control in the working directory.
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    # Longer than any task may run, so Redis never re-delivers a task still being worked on.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # kombu's Redis transport with the guard that keeps a worker alive when Redis goes away.
    CELERY_BROKER_TRANSPORT = "config.broker:Transport"
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL or None)
CELERY_TASK_IGNORE_RESULT = env.bool("CELERY_TASK_IGNORE_RESULT", default=True)
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=120)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=180)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker waits for its broker as long as it takes (kombu's default gives up after 100 tries).
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
RATELIMIT_FAIL_OPEN = True  # django-ratelimit: a counter the cache cannot give lets the request through
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")  # tests isolate their workers
# Channel deliveries (the outbox's sends) have a queue of their own, so a provider that hangs
# holds only the workers of that queue: the clock (reminders, SLA actions, follow-ups) keeps its own.
CELERY_DELIVERY_QUEUE = env.str("CELERY_DELIVERY_QUEUE", default="deliveries")
CELERY_TASK_ROUTES = {
    "notifications.deliver": {"queue": CELERY_DELIVERY_QUEUE},
    "notifications.deliver_many": {"queue": CELERY_DELIVERY_QUEUE},
}

# --- Email ---------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Admin24 <noreply@localhost>")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))  # for the file-based backend
ANYMAIL_ESP = env.str("ANYMAIL_ESP", default="")  # e.g. "mailgun", "postmark", "unisender_go"
if ANYMAIL_ESP:
    EMAIL_BACKEND = f"anymail.backends.{ANYMAIL_ESP}.EmailBackend"
    # The ESP's own keys, e.g. ANYMAIL_CONFIG='{"MAILGUN_API_KEY": "...", "MAILGUN_SENDER_DOMAIN": "..."}'
    # The ESP's HTTP calls give up after ESP_TIMEOUT seconds (anymail's own default is 30).
    ANYMAIL = {"REQUESTS_TIMEOUT": env.float("ESP_TIMEOUT", default=15), **env.json("ANYMAIL_CONFIG", default={})}
elif env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    # Printed readably (decoded subjects and bodies) instead of Django's raw MIME.
    EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="notifications.console.EmailBackend")

# --- Timeouts of outside calls (seconds) ---------------------------------------------------
# An SMTP server that accepts and never answers gives up after EMAIL_TIMEOUT instead of holding a
# worker until Celery's time limit; the outbox row is retried later.
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", default=vars().get("EMAIL_TIMEOUT") or 15)
# For the channels that read mail and talk to Telegram: every connect and every read.
IMAP_TIMEOUT = env.float("IMAP_TIMEOUT", default=30)
TELEGRAM_TIMEOUT = env.float("TELEGRAM_TIMEOUT", default=15)

# --- Security ------------------------------------------------------------------------------
HTTPS = env.bool("HTTPS", default=False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if HTTPS else 0)
# Both commit more than this site (every subdomain; the browsers' built-in list, hard to leave), so
# only the operator who owns the domain turns them on (docs/security.md "Headers and links").
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("HSTS_PRELOAD", default=False)
SILENCED_SYSTEM_CHECKS = [
    *(["security.W005"] if not SECURE_HSTS_INCLUDE_SUBDOMAINS else []),
    *(["security.W021"] if not SECURE_HSTS_PRELOAD else []),
]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_PROXY", default=HTTPS) else None
# The reverse proxies whose X-Forwarded-For is believed (addresses or networks, comma-separated):
# every rate limit and the login lockout key on the client's address (admin24.client_address).
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
for _proxy in TRUSTED_PROXIES:
    ipaddress.ip_network(_proxy.strip(), strict=False)  # a typo stops the start, not every request
RATELIMIT_IP_META_KEY = "admin24.client_address.client_address"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- API -----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["admin24.api.permissions.AccessRightsPermission"],
    # JSON bodies bounded in size and depth (a deep document would be a RecursionError).
    "DEFAULT_PARSER_CLASSES": [
        "admin24.api.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "admin24.api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Admin24 API",
    "DESCRIPTION": "Service Desk and CRM for IT-outsourcing companies.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No "valid" badge: it is an image from validator.swagger.io, fetched with the schema's address.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    # The stage and status slugs, named once for the fields that show them and the moves that take them.
    "ENUM_NAME_OVERRIDES": {
        "TicketStatusEnum": "servicedesk.api.TICKET_STATUSES",
        "DealStageEnum": "crm.api.deals.DEAL_STAGES",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "filters": {"client_errors": {"()": "admin24.errors.ClientErrorsWithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["client_errors"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # Django's own console handler (DEBUG only) would print every record a second time.
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # Axes says INFO at every start and sign-in; its warnings (failures, lockouts) stay.
        "axes": {"level": "WARNING"},
    },
}

# --- Service Desk --------------------------------------------------------------------------
# Client emails carry Reply-To "<local>+<signed ticket token>@<domain>" built from this address.
SERVICEDESK_REPLY_TO = env.str("SERVICEDESK_REPLY_TO", default="")
SERVICEDESK_FORM_RATE_PER_IP = env.str("SERVICEDESK_FORM_RATE_PER_IP", default="20/h")
SERVICEDESK_FORM_RATE_PER_EMAIL = env.str("SERVICEDESK_FORM_RATE_PER_EMAIL", default="10/h")
SERVICEDESK_FORM_MIN_SECONDS = env.int("SERVICEDESK_FORM_MIN_SECONDS", default=3)
# The commercial proposal task is due at the end of this many working days after the deal enters «Формирование КП».
CRM_PROPOSAL_DEADLINE_WORKING_DAYS = env.int("CRM_PROPOSAL_DEADLINE_WORKING_DAYS", default=1)

# --- Telegram ------------------------------------------------------------------------------
# The Bot API server's address without /bot: the code appends /bot<token>/<method> and
# /file/bot<token>/<path>. A company may run Telegram's own local Bot API server; tests run a fake.
TELEGRAM_API_BASE_URL = env.str("TELEGRAM_API_BASE_URL", default="https://api.telegram.org").rstrip("/")
# Seconds one Bot API call may take (long polling adds its own wait on top).
TELEGRAM_TIMEOUT = env.float("TELEGRAM_TIMEOUT", default=20.0)
