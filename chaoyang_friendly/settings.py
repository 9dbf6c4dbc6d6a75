"""Settings for 友好朝阳. Everything configurable comes from the environment (see README.md).

With no environment set the portal runs embedded: a SpatiaLite file under var/, Celery over kombu's
filesystem transport, SMS to the console. DATABASE_URL=postgis://… and REDIS_URL=redis://… switch to
PostgreSQL/PostGIS and Redis.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)
_DEV_SECRET_KEY = "dev-only-insecure-key-change-me-chaoyang-friendly-0000000000"  # noqa: S105 - refused in production
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", _DEV_SECRET_KEY)
if not DEBUG and (SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set to a random value of at least 50 characters when DJANGO_DEBUG=0."
    )

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "rest_framework",
    "rest_framework_gis",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "leaflet",
    "import_export",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "captcha",
    "chaoyang_friendly",
    "jurisdictions",
    "accounts",
    "stations",
    "housing",
    "reports",
    "partybranch",
    "analytics",
]

MIDDLEWARE = [
    # Outermost: frees DRF's view/request/response cycles once everything else is done with them.
    "chaoyang_friendly.middleware.ReleaseApiResponseMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # request.client_ip, request.request_id (X-Request-ID), log context, the access log.
    "chaoyang_friendly.middleware.RequestContextMiddleware",
    "chaoyang_friendly.middleware.DatabaseUnavailableMiddleware",  # a dropped connection: 503, not 500
    "django.middleware.security.SecurityMiddleware",
    "chaoyang_friendly.static_serving.StaticFilesMiddleware",  # WhiteNoise; gzip in the default mode too
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.StaffOtpMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # NUL and other control characters in the path, query string or a form field: a 400, never a 500.
    "chaoyang_friendly.badinput.RejectControlCharactersMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks: turns a lock-out into its 429 page
]

ROOT_URLCONF = "chaoyang_friendly.urls"
WSGI_APPLICATION = "chaoyang_friendly.wsgi.application"
ASGI_APPLICATION = "chaoyang_friendly.asgi.application"

# Django's form templates; a Chinese label ends in "：", not ":" (chaoyang_friendly/forms.py).
FORM_RENDERER = "chaoyang_friendly.forms.PortalFormRenderer"
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
                "chaoyang_friendly.context_processors.portal",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
    if DATABASES["default"]["ENGINE"] in ("django.db.backends.postgresql", "django.contrib.gis.db.backends.postgis"):
        # PostGIS, with a health check that polls the socket instead of a SELECT 1 round trip per request.
        DATABASES["default"]["ENGINE"] = "chaoyang_friendly.db.postgis"
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.contrib.gis.db.backends.spatialite",
            "NAME": str(VAR_DIR / "portal.sqlite3"),
            # WAL: readers never wait for the writer. IMMEDIATE: a transaction takes the write lock when
            # it starts, so two writers queue for `timeout` seconds instead of one failing at once with
            # "database is locked" when it upgrades a read lock (web, worker and beat share the file).
            "OPTIONS": {
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
            },
        }
    }
# Parallel developers/CI jobs can keep their test databases apart.
if os.environ.get("DJANGO_TEST_DB_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["DJANGO_TEST_DB_NAME"]}
SPATIALITE_LIBRARY_PATH = os.environ.get("SPATIALITE_LIBRARY_PATH", "mod_spatialite")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, broker --------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            # Fails open while Redis is away (chaoyang_friendly/cache.py); short timeouts bound the wait.
            "BACKEND": "chaoyang_friendly.cache.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "cyf"),
            "OPTIONS": {
                "socket_connect_timeout": float(os.environ.get("CACHE_CONNECT_TIMEOUT_SECONDS", "0.1")),
                "socket_timeout": float(os.environ.get("CACHE_SOCKET_TIMEOUT_SECONDS", "0.5")),
            },
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    # visibility_timeout: a message a worker took but never acknowledged (killed, or cut off from Redis)
    # returns to the queue after this long. It must exceed the longest countdown (REPORTS_DISPATCH_
    # BACKOFF_MAX, 300 s) plus a task's run time, or a retry waiting in a worker would run twice; much
    # longer only delays recovery (the report sweeper re-enqueues from the database anyway).
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {
        "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT_SECONDS", "900")),
        "socket_timeout": 5,
        "socket_connect_timeout": 5,
        "retry_on_timeout": True,
        "health_check_interval": 10,
        # Sweep for unacked messages older than visibility_timeout every 10 s (kombu's default scans only
        # every 10th sweep: 100 s): after a broker restart a worker cannot requeue the retries it held,
        # they come back through this sweep (bench/broker_restart.py).
        "unacked_restore_throttle": 1,
    }
else:
    # Embedded: file cache (shared by the web and worker processes) and kombu's filesystem transport.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT = "chaoyang_friendly.kombu_filesystem:Transport"  # whole messages only
    _queue = VAR_DIR / "celery" / "queue"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue),
        "data_folder_out": str(_queue),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "control_folder": str(VAR_DIR / "celery" / "control"),  # else kombu writes ./control/
        "store_processed": False,
        "polling_interval": 0.01,
    }
# After a Redis failure the cache skips Redis this long; a publish waits at most BROKER_ENQUEUE_TIMEOUT
# (chaoyang_friendly/broker.py), and after a failed or slow publish skips the broker for BROKER_RETRY_AFTER.
CACHE_RETRY_AFTER_SECONDS = float(os.environ.get("CACHE_RETRY_AFTER_SECONDS", "5"))
# 0: a request never waits for the broker; the publish finishes on the pool (a failure opens the breaker).
BROKER_ENQUEUE_TIMEOUT_SECONDS = float(os.environ.get("BROKER_ENQUEUE_TIMEOUT_SECONDS", "0"))
BROKER_RETRY_AFTER_SECONDS = float(os.environ.get("BROKER_RETRY_AFTER_SECONDS", "5"))
# django-ratelimit lets requests through when the cache cannot count (the cache above also fails open).
RATELIMIT_FAIL_OPEN = True
# The worker writes a heartbeat into the cache every WORKER_HEARTBEAT_SECONDS; /healthz is 503 when none
# is fresher than HEALTHZ_WORKER_MAX_AGE_SECONDS, unless HEALTHZ_REQUIRE_WORKER is off.
WORKER_HEARTBEAT_SECONDS = float(os.environ.get("WORKER_HEARTBEAT_SECONDS", "10"))
HEALTHZ_WORKER_MAX_AGE_SECONDS = float(os.environ.get("HEALTHZ_WORKER_MAX_AGE_SECONDS", "60"))
HEALTHZ_REQUIRE_WORKER = env_bool("HEALTHZ_REQUIRE_WORKER", True)
# acks_late + reject_on_worker_lost: a task is acknowledged after it ran, so a killed worker's task runs
# again (every task is idempotent); prefetch 1: a worker holds one message per process beyond the ones
# it runs, so a slow webhook does not strand others behind it. Reconnect for ever after a broker restart.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# Queues by duty (README, "Scaling out"): `dispatch` needs only the broker, the API URL and a token;
# `maintenance` (sweeps, escalation, housing and partybranch beat tasks) and `exports` need the database.
CELERY_TASK_DEFAULT_QUEUE = "maintenance"
CELERY_TASK_ROUTES = {
    "reports.dispatch": {"queue": "dispatch"},
    "reports.webhook_ping": {"queue": "dispatch"},
    "analytics.export_jobs_requeue": {"queue": "maintenance"},
    "analytics.export_files_remove": {"queue": "maintenance"},
    "analytics.*": {"queue": "exports"},
}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BEAT_SCHEDULE: dict = {}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# Workers reach the portal only through its REST API (DESIGN.md, dispatch flow).
API_BASE_URL = os.environ.get("API_BASE_URL", "http://127.0.0.1:8000")
DISPATCHER_TOKEN = os.environ.get("DISPATCHER_TOKEN", "")

# --- Auth ----------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out account or address, even with the right password
    "django.contrib.auth.backends.ModelBackend",
    "accounts.backends.RolePermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
# Staff password login (/admin/login/), django-axes: AXES_FAILURE_LIMIT wrong passwords lock that account
# (from any address) and that client address (for any account) for AXES_COOLOFF_TIME hours.
AXES_FAILURE_LIMIT = int(os.environ.get("STAFF_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = int(os.environ.get("STAFF_LOGIN_COOLOFF_MINUTES", "30")) / 60
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "accounts.staff_otp.axes_username"
AXES_CLIENT_IP_CALLABLE = "chaoyang_friendly.clientip.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.staff_views.staff_lockout_response"
AXES_RESET_ON_SUCCESS = True
# A TOTP second factor (django-otp) for these staff roles; others may enrol of their own accord.
STAFF_OTP_REQUIRED_ROLES = env_list("STAFF_OTP_REQUIRED_ROLES", "" if DEBUG else "district_staff")
OTP_TOTP_ISSUER = "友好朝阳"

# --- SMS -----------------------------------------------------------------------------------------
SMS_BACKEND = os.environ.get("SMS_BACKEND", "console")  # console | file | http
SMS_FILE_DIR = os.environ.get("SMS_FILE_DIR", str(VAR_DIR / "sms"))
SMS_HTTP_URL = os.environ.get("SMS_HTTP_URL", "")
SMS_HTTP_KEY = os.environ.get("SMS_HTTP_KEY", "")
SMS_HTTP_SIGN_NAME = os.environ.get("SMS_HTTP_SIGN_NAME", "友好朝阳")
SMS_CODE_TTL_SECONDS = 600
SMS_CODE_MAX_ATTEMPTS = 5
SMS_CODE_RESEND_SECONDS = 60
# Codes are stored as HMAC-SHA256(SMS_CODE_KEY, "phone:code"); without SMS_CODE_KEY the key derives
# from SECRET_KEY. Changing either voids the live codes (they last SMS_CODE_TTL_SECONDS anyway).
SMS_CODE_KEY = os.environ.get("SMS_CODE_KEY", "")
# The wait after the 1st, 2nd, 3rd… code sent to a number today grows; the last step repeats.
SMS_CODE_COOLDOWN_SECONDS = [SMS_CODE_RESEND_SECONDS, 120, 300, 600, 1800]
# A challenge (captcha) is required once a number had this many codes today, or an address this many
# in the last hour.
SMS_CODE_CHALLENGE_AFTER = 2
SMS_CODE_CHALLENGE_AFTER_PER_IP = int(os.environ.get("SMS_CODE_CHALLENGE_AFTER_PER_IP", "5"))
# Daily codes per number *from one client address*, so that others cannot use up a rider's allowance;
# SMS_CODE_DAILY_CEILING bounds the texts one number receives from all addresses together.
SMS_CODE_DAILY_LIMIT = 10
SMS_CODE_DAILY_CEILING = 30
# Rider API tokens expire this long after their last use (sliding); service tokens do not.
RIDER_TOKEN_TTL_SECONDS = int(os.environ.get("RIDER_TOKEN_TTL_SECONDS", str(30 * 86400)))
CAPTCHA_CHALLENGE_FUNCT = "captcha.helpers.math_challenge"
CAPTCHA_TIMEOUT = 5  # minutes
SMS_CODE_IP_RATE = os.environ.get("SMS_CODE_IP_RATE", "30/h")
LOGIN_IP_RATE = os.environ.get("LOGIN_IP_RATE", "60/h")
RATELIMIT_ENABLE = env_bool("RATELIMIT_ENABLE", True)

# --- I18N ----------------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media ----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Private files (export jobs) live outside MEDIA_ROOT and have no URL (chaoyang_friendly/storage.py).
PRIVATE_MEDIA_ROOT = Path(os.environ.get("PRIVATE_MEDIA_ROOT", VAR_DIR / "private"))
STORAGES = {
    "default": {"BACKEND": os.environ.get("STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage")},
    "private": {
        "BACKEND": os.environ.get("PRIVATE_STORAGE_BACKEND", "chaoyang_friendly.storage.PrivateFileSystemStorage")
    },
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# WhiteNoise serves static files in every mode (gunicorn has no static handler); in DEBUG straight from
# the apps' folders, so a fresh checkout needs no collectstatic, gzipped through copies under VAR_DIR
# (chaoyang_friendly/static_serving.py).
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 15 * 1024 * 1024

# --- Maps ----------------------------------------------------------------------------------------
# MAP_TILES_CRS tells the display edge whether the tiles are WGS-84 (OpenStreetMap) or GCJ-02 (Amap,
# Tencent); stored coordinates are always WGS-84.
MAP_TILES_URL = os.environ.get("MAP_TILES_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILES_ATTRIBUTION = os.environ.get("MAP_TILES_ATTRIBUTION", "© OpenStreetMap contributors")
MAP_TILES_CRS = os.environ.get("MAP_TILES_CRS", "wgs84")
if MAP_TILES_CRS not in {"wgs84", "gcj02"}:
    raise ImproperlyConfigured("MAP_TILES_CRS must be 'wgs84' or 'gcj02'.")
LEAFLET_CONFIG = {
    "DEFAULT_CENTER": (39.95, 116.48),
    "DEFAULT_ZOOM": 11,
    "MIN_ZOOM": 9,
    "MAX_ZOOM": 18,
    "TILES": [(_("地图"), MAP_TILES_URL, {"attribution": MAP_TILES_ATTRIBUTION, "maxZoom": 19})],
    "RESET_VIEW": False,
    "NO_GLOBALS": False,
    # static/js/leaflet-setup.js after leaflet.js on every map: no "Leaflet" attribution prefix. Auto-included by
    # {% leaflet_js %}; "forms" is what the admin's map widgets load.
    "PLUGINS": {
        "portal": {"js": ["js/leaflet-setup.js"], "auto-include": True},
        "forms": {"js": ["js/leaflet-setup.js"]},
    },
}

# --- REST API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "chaoyang_friendly.errors.api_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "友好朝阳 API",
    "DESCRIPTION": "Friendly Chaoyang: stations, housing, 随手拍 reports and party-branch activities.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from the vendored sidecar package: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several apps have a field called "status" with different choices; name them explicitly.
    "ENUM_NAME_OVERRIDES": {
        "HousingApplicationStatusEnum": "housing.models.Application.Status",
        "HouseholdKindEnum": "housing.models.HouseholdKind",
    },
}

# --- Security ------------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "chaoyang_friendly.error_views.csrf_failure"  # the rider layout, JSON under /api/
SECURE_CONTENT_TYPE_NOSNIFF = True
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Content-Security-Policy (django-csp): scripts only from here or with the per-request nonce
# (`{{ request.csp_nonce }}`); styles may be inline (style attributes; no script runs from CSS); map
# tiles from MAP_TILES_URL's host. CSP_REPORT_ONLY=1 only reports, to try a change in production.
_tiles = urlsplit(MAP_TILES_URL)
_TILES_ORIGIN = f"{_tiles.scheme}://{_tiles.netloc.replace('{s}', '*')}"
_media = urlsplit(MEDIA_URL)
_CSP = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:", "blob:", _TILES_ORIGIN]
        + ([f"{_media.scheme}://{_media.netloc}"] if _media.netloc else []),
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
if env_bool("CSP_REPORT_ONLY", False):
    CONTENT_SECURITY_POLICY_REPORT_ONLY = _CSP
else:
    CONTENT_SECURITY_POLICY = _CSP

# --- Proxy, logs, metrics -------------------------------------------------------------------------
# The proxies whose X-Forwarded-For / X-Request-ID are believed (CIDRs, e.g. "10.0.0.0/8,127.0.0.1");
# none by default, so REMOTE_ADDR is the client. Every rate limit (key="ip") and log uses the client's
# address computed from them (chaoyang_friendly/clientip.py).
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
RATELIMIT_IP_META_KEY = "chaoyang_friendly.clientip.client_ip"
AXES_CLIENT_IP_CALLABLE = "chaoyang_friendly.clientip.client_ip"  # staff lock-outs count clients too

# One time zone in every log (TIME_ZONE, written with its offset: Django, Celery, and gunicorn through
# gunicorn.conf.py), a request id on each record; LOG_FORMAT=json writes one JSON object per line.
from chaoyang_friendly.logs import logging_config  # noqa: E402

LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
LOGGING = logging_config(fmt=LOG_FORMAT, level=os.environ.get("LOG_LEVEL", "INFO"))
ACCESS_LOG = env_bool("ACCESS_LOG", True)
# Celery workers log through LOGGING above too (same format, time zone and JSON switch).
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# /metrics (Prometheus) answers a bearer METRICS_TOKEN or a client inside METRICS_ALLOWED_NETWORKS (CIDRs);
# with neither it is 404.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
METRICS_ALLOWED_NETWORKS = env_list("METRICS_ALLOWED_NETWORKS")

# --- Domain settings -----------------------------------------------------------------------------
# The district's bounding box; coordinates outside it never reach GEOS (DESIGN.md, Geography).
DISTRICT_BBOX = (116.30, 39.78, 116.70, 40.12)

# Default admin permissions by role (accounts.backends.RolePermissionBackend). Street staff work on
# their own street's objects (the rows are scoped by StreetScopedAdmin); district staff read everything.
_ALL = {"view", "add", "change", "delete"}
ROLE_PERMISSIONS = {
    "street_staff": {
        "stations": _ALL,
        "housing": _ALL,
        "reports": _ALL,
        "partybranch": _ALL,
        # Citizens' records and their timelines are never hard-deleted by a street: a status change with a
        # timeline event instead; district superusers may delete, audited (chaoyang_friendly/admin_audit.py).
        **dict.fromkeys(
            (
                "reports.report",
                "reports.reportevent",
                "reports.reportphoto",
                "reports.deliveryattempt",
                "housing.application",
                "housing.applicationstatuschange",
                "housing.lease",
                "partybranch.registration",
                "partybranch.registrationperson",
                "partybranch.attendance",
                "partybranch.volunteerhours",
                "partybranch.auditevent",
            ),
            {"view", "add", "change"},
        ),
        "jurisdictions": {"view"},
        "accounts.riderprofile": {"view"},
        # The district's holiday calendar (调休): kept by the district, read by the streets.
        "stations.calendarday": {"view"},
    },
    "district_staff": {
        "stations": {"view"},
        "housing": {"view"},
        "reports": {"view"},
        "partybranch": {"view"},
        "jurisdictions": {"view"},
        "accounts": {"view"},
        # One-time codes and API tokens: superusers only (a code or a token is a login).
        "accounts.smscode": set(),
        "accounts.apitoken": set(),
        "stations.calendarday": {"view", "add", "change", "delete"},
    },
}

# Debian 12 ships GDAL 3.6, which cannot block file/network access from spatial references. We never
# pass user-supplied spatial references or files to GDAL (all geometry enters as range-checked numbers
# through chaoyang_friendly.geo), so the warning does not apply.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

# --- Per-app settings ----------------------------------------------------------------------------
# Each domain app may keep its own settings in `<app>/app_settings.py` (UPPERCASE constants, read from
# the environment, importing nothing from Django's app registry). CELERY_BEAT_SCHEDULE entries merge.
import importlib  # noqa: E402

for _app in ("stations", "housing", "reports", "partybranch", "analytics"):
    try:
        _module = importlib.import_module(f"{_app}.app_settings")
    except ModuleNotFoundError as _exc:
        if _exc.name != f"{_app}.app_settings" and _exc.name != _app:
            raise
        continue
    for _name in dir(_module):
        if not _name.isupper():
            continue
        if _name == "CELERY_BEAT_SCHEDULE":
            CELERY_BEAT_SCHEDULE.update(getattr(_module, _name))
        else:
            globals()[_name] = getattr(_module, _name)
