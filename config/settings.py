"""Auberge settings: one module, every switch read from the environment.

Unset variables give the embedded default that `make run` uses: SQLite under `var/`,
Celery on a filesystem broker under `var/celery/` (no Redis), e-mails written to the console.
Production sets DATABASE_URL, REDIS_URL, SECRET_KEY, ALLOWED_HOSTS and DJANGO_DEBUG=False.
"""

import os
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("AUBERGE_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()


def env_secret(name: str, default: str | None = None) -> str | None:
    """Read NAME, or the file named by NAME_FILE (Docker secrets), as healthchecks does."""
    path = env.str(f"{name}_FILE", default="")
    if path:
        return Path(path).read_text().strip()
    return env.str(name, default=default)


DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env_secret("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG and not env.bool("AUBERGE_ALLOW_INSECURE_KEY", default=False):
        raise environ.ImproperlyConfigured(
            "SECRET_KEY is not set. Set it (or DJANGO_DEBUG=True for a local demo)."
        )
    SECRET_KEY = "insecure-local-only-" + "x" * 40
# the address guests reach this site at: links in e-mails (campaigns' unsubscribe, pixel,
# clicks) are built on it, and a campaign's click may redirect only there or to the
# property's own websites
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # the admin site asks administrators for the second factor (core.admin_site)
    "core.admin_site.AubergeAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "core",
    "inventory",
    "crm",
    "billing",
    "pms",
    "pos",
    "devices",
    "webhooks",
    "channels_sync",
    "timeclock",
    "reporting",
    "demo",  # manage.py seed_demo (above every app)
]

MIDDLEWARE = [
    # first: every later layer (rate limits, sign-in records) sees the client's address
    "core.middleware.ClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every response (docs/security.md); the booking engine, the
    # admin and the API docs adjust it per view (core.csp)
    "csp.middleware.CSPMiddleware",
    "core.middleware.RequestTokensMiddleware",
    # the public iCal feed needs none of the staff middleware below (OTAs poll it often)
    "channels_sync.middleware.FeedFastPathMiddleware",
    # a token call to /api/v1/ needs none of the staff middleware below either (issue 28)
    "core.middleware.ApiTokenMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): the administrator passed the second factor (TOTP)
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # PIN sessions: idle expiry, no password-only screens; the admin's second factor
    "core.terminal_sessions.TerminalSessionMiddleware",
    "core.middleware.ActivePropertyMiddleware",
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
                "core.context_processors.staff_context",
            ],
            # money, number, rate and day filters in every template (core.formatting)
            "builtins": ["core.templatetags.formatting"],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'auberge.sqlite3'}")}
# Services own their transactions: never wrap whole requests.
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Take the write lock at BEGIN so the locking services stay correct on SQLite.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update({"transaction_mode": "IMMEDIATE", "timeout": 20})
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    # Server-side binding lets psycopg prepare what a connection repeats: PostgreSQL parses
    # and plans each hot statement (a tap's locks, inserts, the fiscal chain) once per
    # connection instead of every time (a waiter's pay: ~3 ms less of its ~14 ms in SQL).
    # Behind a transaction-mode pooler without prepared-statement support (PgBouncer before
    # 1.21), set DATABASE_PREPARED_STATEMENTS=False.
    if DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql") and env.bool(
        "DATABASE_PREPARED_STATEMENTS", default=True
    ):
        DATABASES["default"].setdefault("OPTIONS", {})
        DATABASES["default"]["OPTIONS"].setdefault("server_side_binding", True)
        DATABASES["default"]["OPTIONS"].setdefault(
            "prepare_threshold", env.int("DATABASE_PREPARE_THRESHOLD", default=5)
        )
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("TEST", {})
    DATABASES["default"]["TEST"].setdefault("NAME", env.str("TEST_DATABASE_NAME", default=None))
IS_POSTGRES = DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql")
# Reporting's reads (dashboards, the financial report) on a PostgreSQL streaming replica of
# the primary (reporting/routers.py); writes, locks and every other app stay on the primary.
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
# how long a dashboard waits for the replica to replay what it just wrote, then reads the primary
DATABASE_REPLICA_MAX_WAIT = env.float("DATABASE_REPLICA_MAX_WAIT", default=0.5)
if DATABASE_REPLICA_URL:
    if not IS_POSTGRES:
        raise environ.ImproperlyConfigured("DATABASE_REPLICA_URL needs a PostgreSQL primary.")
    DATABASES["replica"] = env.db_url_config(DATABASE_REPLICA_URL)
    DATABASES["replica"].update(
        {
            "ATOMIC_REQUESTS": False,
            "CONN_MAX_AGE": DATABASES["default"]["CONN_MAX_AGE"],
            "CONN_HEALTH_CHECKS": True,
            # in the test suite the alias reads the test database itself
            "TEST": {"MIRROR": "default"},
        }
    )
    DATABASE_ROUTERS = ["reporting.routers.ReplicaRouter"]
# Least privilege (docs/fiscal.md): the application connects as a role that may only read
# and insert fiscal rows; `manage.py migrate` connects as the owner named here instead, then
# (re)grants the application role. Unset: migrations use DATABASE_URL (development).
DATABASE_MIGRATE_URL = env.str("DATABASE_MIGRATE_URL", default="")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def _redis_url_of_test_worker(url: str) -> str:
    """make test runs the suite in parallel processes (pytest-xdist), and every test clears the
    cache: each process gets a Redis database of its own (gw0 keeps REDIS_URL's, gw1 the one 8
    above...). The processes it starts (gunicorn, Celery) inherit the result, not shift again."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw") or os.environ.get("AUBERGE_REDIS_OF_WORKER"):
        return url
    scheme, _, rest = url.partition("://")
    address, _, db = rest.partition("/")
    shifted = (int(db or 0) + 8 * int(worker[2:])) % 16
    url = f"{scheme}://{address}/{shifted}"
    os.environ["REDIS_URL"] = url
    os.environ["AUBERGE_REDIS_OF_WORKER"] = worker
    return url


# --- Cache and Celery -----------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL and env.bool("AUBERGE_TESTING", default=False):
    REDIS_URL = _redis_url_of_test_worker(REDIS_URL)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "core.cache_backend.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_PREFIX", "auberge"),
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    # kombu's Redis transport keeping one client per pool (core/kombu_redis.py)
    CELERY_BROKER_TRANSPORT = "core.kombu_redis:Transport"
else:
    # Embedded default: a file cache shared by web and worker processes, and kombu's
    # filesystem transport as the broker, so the worker and beat run without Redis.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            # one entry per product price list, dish and token: Django's 300 would cull
            # (delete a third of the files) every few minutes of service
            "OPTIONS": {"MAX_ENTRIES": 20_000},
        }
    }
    CELERY_BROKER_URL = "filesystem://"
    _broker_dir = VAR_DIR / "celery" / "broker"
    _broker_dir.mkdir(parents=True, exist_ok=True)
    (VAR_DIR / "celery" / "processed").mkdir(parents=True, exist_ok=True)
    (VAR_DIR / "celery" / "control").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "store_processed": False,
        # the exchange tables too (kombu's default is ./control, in the source tree)
        "control_folder": str(VAR_DIR / "celery" / "control"),
    }
# Journal verification (billing.services.verification): a fiscal chain of at least this many
# entries is verified in parts, one child process per core (or VERIFY_PROCESSES)
VERIFY_PROCESSES = env.int("VERIFY_PROCESSES", default=0) or None
VERIFY_PARALLEL_MIN_ENTRIES = env.int("VERIFY_PARALLEL_MIN_ENTRIES", default=100_000)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "Europe/Paris"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Periodic tasks, declared in code; later capabilities add theirs here.


def _beat(task: str, **when) -> dict:
    """A beat entry: `task` on the crontab `when` (CELERY_TIMEZONE's clock)."""
    return {"task": task, "schedule": crontab(**when)}


CELERY_BEAT_SCHEDULE = {
    # daily at 05:00 Paris, after the business day rolled: daily (monthly, yearly) closures
    "billing-closures": _beat("billing.tasks.closures_run_due_task", hour=5, minute=0),
    # daily at 05:15 Paris, after the closures: verify the fiscal record (documents, chains,
    # signed checkpoints), recorded in the JET; managers are e-mailed when it is broken
    "billing-journal-verify": _beat("billing.tasks.journal_verify_task", hour=5, minute=15),
    # daily at 05:30 Paris, after the closures: yesterday's FEC and CSV into VAR_DIR/exports
    "billing-accounting-exports": _beat("billing.tasks.accounting_exports_task", hour=5, minute=30),
    # every 5 minutes: return expired capacity holds (booking engine carts, OTA applies) to sale
    "release-expired-holds": _beat("inventory.tasks.holds_release_expired_task", minute="*/5"),
    # every 5 minutes: reporting's daily facts for the days new documents touched
    "reporting-facts": _beat("reporting.tasks.facts_refresh_task", minute="*/5"),
    # every 15 minutes: the managers' alert rules (REP-2) and a digest of the new alerts
    "reporting-alerts": _beat("reporting.tasks.alerts_evaluate_task", minute="*/15"),
    # every minute: campaigns' queued e-mails released at each campaign's rate (CRM-3)
    "crm-campaigns-release": _beat("crm.tasks.campaigns_release_task", minute="*"),
    # hourly: triggered campaigns (after check-out, birthdays, seasons) queue who is due
    "reporting-campaigns-trigger": _beat("reporting.tasks.campaigns_trigger_task", minute=7),
    # daily at 04:40: gift cards and vouchers past their date expire (their breakage booked)
    "crm-gift-cards-expire": _beat("crm.tasks.gift_cards_expire_task", hour=4, minute=40),
    # every 10 minutes: gift cards bought online and never paid expire (intent cancelled)
    "pos-online-gift-cards-expire": _beat("pos.tasks.online_gift_cards_expire_task", minute="*/10"),
    # every 5 minutes: click-and-collect orders to pay at pickup never collected are released
    "pos-collect-no-shows": _beat("pos.tasks.collect_no_shows_task", minute="*/5"),
    # every minute: later days' click-and-collect orders due at the kitchen are sent to it
    "pos-collect-to-kitchen": _beat("pos.tasks.collect_kitchen_send_due_task", minute="*"),
    # every minute: kiosk orders left unpaid (card or counter) past their time are cancelled
    "pos-kiosk-orders-expire": _beat("pos.tasks.kiosk_orders_expire_task", minute="*"),
    # every minute: tasks whose publication failed at commit (broker down) are published
    "core-outbox-dispatch": _beat("core.tasks.outbox_dispatch_task", minute="*"),
    # every minute: one availability.changed per property whose capacity changed (webhooks)
    "webhooks-availability-changed": _beat("pms.tasks.availability_changed_task", minute="*"),
    # every minute: webhook deliveries whose backoff elapsed are sent again
    "webhooks-retry-due": _beat("webhooks.tasks.webhooks_retry_due_task", minute="*"),
    # every minute: booking-engine options whose hold ran out are cancelled (capacity back)
    "pms-expire-options": _beat("pms.tasks.options_expire_task", minute="*"),
    # every minute: print jobs left "sending" by a worker that died are failed and sent again
    "devices-reset-stale-print-jobs": _beat(
        "devices.tasks.print_jobs_reset_stale_task", minute="*"
    ),
    # daily at 09:00 Paris: pre-arrival e-mails to the guests arriving in 3 days (once each)
    "pms-pre-arrival-emails": _beat("pms.tasks.pre_arrival_emails_task", hour=9, minute=0),
    # daily at 03:10: police forms kept 6 months are deleted (CESEDA R611-42), the purge audited
    "pms-police-forms-purge": _beat("pms.tasks.police_forms_purge_task", hour=3, minute=10),
    # night audit: after the business day rolled (04:00), post last night's room charges
    "pms-room-nights-post": _beat("pms.tasks.room_nights_post_task", hour=4, minute=30),
    # every 5 minutes: pull the OTA calendars whose interval elapsed
    "channels-pull-due": _beat("channels_sync.tasks.connections_pull_due_task", minute="*/5"),
    # daily at 05:45 Paris, after the closures and exports: an encrypted backup, then the
    # retention (core.backups; nothing is written while BACKUP_KEY is unset)
    "core-backup": _beat("core.tasks.backup_task", hour=5, minute=45),
}

# --- Auth -----------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:login"
PIN_MAX_FAILURES = env.int("PIN_MAX_FAILURES", default=5)
PIN_LOCK_SECONDS = env.int("PIN_LOCK_SECONDS", default=300)
# a self-service kiosk left untouched this long starts afresh (its basket emptied)
KIOSK_IDLE_SECONDS = env.int("KIOSK_IDLE_SECONDS", default=90)
# A kiosk order awaiting its card payment this long (the guest walked away from the
# terminal) is cancelled by the beat, unless the terminal still has the card
KIOSK_CARD_TIMEOUT_MINUTES = env.int("KIOSK_CARD_TIMEOUT_MINUTES", default=10)
# Wrong PINs per device (a bound browser) and per property in the same window, whoever the
# PIN was for: one device cannot try everyone's PIN in turn (docs/security.md)
PIN_DEVICE_MAX_FAILURES = env.int("PIN_DEVICE_MAX_FAILURES", default=10)
PIN_PROPERTY_MAX_FAILURES = env.int("PIN_PROPERTY_MAX_FAILURES", default=30)
# A terminal session (opened by a PIN) ends after this many seconds without a request
PIN_SESSION_IDLE_SECONDS = env.int("PIN_SESSION_IDLE_SECONDS", default=300)
# What a terminal session never reaches (a "sign in with your password" page instead)
TERMINAL_PASSWORD_ONLY_PATHS = [
    "/admin/",
    "/api/",
    "/account/",
    "/billing/",
    "/channels/",
    "/staff/",
    "/property/",
    "/pos/terminals/",
    "/manage/",  # the back office (rates, staff, history)
]
# The second factor's issuer name in the authenticator app
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Auberge")
RATELIMIT_USE_CACHE = "default"
# Password sign-in: per client address and per username (lower-cased), each in its window
LOGIN_RATE_PER_ADDRESS = env.str("LOGIN_RATE_PER_ADDRESS", default="20/5m")
LOGIN_RATE_PER_USERNAME = env.str("LOGIN_RATE_PER_USERNAME", default="10/5m")
# tries at a tablet pairing code (pos/pair/) per person and per address
PAIRING_RATE = env.str("PAIRING_RATE", default="5/10m")
# How many reverse proxies in front of gunicorn append to X-Forwarded-For (the TLS proxy:
# 1). 0 trusts no header: REMOTE_ADDR is the client. Set it to the real count, never more, or
# a client could choose its own address (docs/deployment.md).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# --- I18N -----------------------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
DEFAULT_CURRENCY = "EUR"

# Ed25519 key signing the archive exports (billing.services.signing): a PEM, or a file path;
# unset → a per-install key generated in VAR_DIR/fiscal-signing-key.pem
FISCAL_SIGNING_KEY = env.str("FISCAL_SIGNING_KEY", default="")
FISCAL_SIGNING_KEY_FILE = env.str("FISCAL_SIGNING_KEY_FILE", default="")

# Backups (core.backups, docs/backups.md): the archive key (32 bytes, URL-safe base64; never in
# the archive), the folder archives go to, and how many the nightly run keeps
BACKUP_KEY = env.str("BACKUP_KEY", default="")
BACKUP_DIR = env.str("BACKUP_DIR", default=str(VAR_DIR / "backups"))
BACKUP_KEEP_DAILY = env.int("BACKUP_KEEP_DAILY", default=7)
BACKUP_KEEP_WEEKLY = env.int("BACKUP_KEEP_WEEKLY", default=4)

# CA bundle (PEM file) for the iCal downloads' certificate checks; unset → the public CAs
ICAL_CA_BUNDLE = env.str("ICAL_CA_BUNDLE", default="")

# Webhooks (docs/webhooks.md). Targets on private or loopback addresses are refused unless
# WEBHOOKS_ALLOW_PRIVATE_TARGETS is on (tests, or a receiver on the hotel's own network).
WEBHOOKS_ALLOW_PRIVATE_TARGETS = env.bool("WEBHOOKS_ALLOW_PRIVATE_TARGETS", default=False)
WEBHOOKS_RETRY_BASE_SECONDS = env.int("WEBHOOKS_RETRY_BASE_SECONDS", default=30)
WEBHOOKS_RETRY_MAX_SECONDS = env.int("WEBHOOKS_RETRY_MAX_SECONDS", default=6 * 3600)
# a subscription failing for this many days is switched off and its managers e-mailed
WEBHOOKS_DISABLE_AFTER_DAYS = env.int("WEBHOOKS_DISABLE_AFTER_DAYS", default=3)
# availability.changed reports the capacity changed up to this many seconds ago: a change
# written by a transaction still open when the beat runs is in the next run, not lost
WEBHOOKS_AVAILABILITY_SETTLE_SECONDS = env.int("WEBHOOKS_AVAILABILITY_SETTLE_SECONDS", default=30)

# Card terminals (docs/card-terminals.md): how long the till's Pay request waits for the
# terminal's answer before it tells the cashier to press Card again (the exchange goes on in
# a worker; the answer is never lost and never charged twice). Below gunicorn's timeout.
CARD_TILL_WAIT_SECONDS = env.float("CARD_TILL_WAIT_SECONDS", default=20.0)

# Online card payments of the booking engine (docs/payments.md): a Stripe-style PaymentIntents
# API. Unset secret key = no online card provider (the offline ones stay: make run, tests).
PAYMENT_PROVIDER_URL = env.str("PAYMENT_PROVIDER_URL", default="https://api.stripe.com")
PAYMENT_PROVIDER_SECRET_KEY = env_secret("PAYMENT_PROVIDER_SECRET_KEY", default="")
PAYMENT_PROVIDER_WEBHOOK_SECRET = env_secret("PAYMENT_PROVIDER_WEBHOOK_SECRET", default="")
# the guest's page at the provider (hosted payment page); {id} and {client_secret} filled in
PAYMENT_PROVIDER_HOSTED_URL = env.str(
    "PAYMENT_PROVIDER_HOSTED_URL", default="{base}/pay/{id}?client_secret={client_secret}"
)
PAYMENT_PROVIDER_TIMEOUT = env.float("PAYMENT_PROVIDER_TIMEOUT", default=10.0)
# a signed webhook older (or newer) than this is refused: a captured delivery cannot be replayed
PAYMENT_WEBHOOK_TOLERANCE_SECONDS = env.int("PAYMENT_WEBHOOK_TOLERANCE_SECONDS", default=300)
# the public address of this installation, for links in guest e-mails (pre-arrival page)
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")

# --- Static ---------------------------------------------------------------------------

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# photos uploaded by managers (room types, dishes: core.images), public: the "photos" storage
# under MEDIA_ROOT; `make run` serves them, in production the web server in front serves
# MEDIA_URL from MEDIA_ROOT (docs/backoffice.md). The default storage (accounting exports) is
# private, elsewhere, and never served.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "photos")))
MEDIA_URL = "/media/"
PHOTO_MAX_BYTES = env.int("PHOTO_MAX_BYTES", default=8 * 1024 * 1024)
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "media")},
    },
    "photos": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and env.bool("AUBERGE_MANIFEST_STATIC", default=True)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- E-mail ---------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
# the mail provider's bounce notifications (POST /m/bounces/) are signed with it: empty = refused
EMAIL_BOUNCE_SECRET = env_secret("EMAIL_BOUNCE_SECRET", default="")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Auberge <no-reply@auberge.local>")

# --- API ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # DRF's token authentication, with the token's user and memberships cached briefly
        "core.api_auth.CachedTokenAuthentication",
        # scoped tokens a manager creates on screen (Bearer aub_…: core.api_tokens)
        "core.api_tokens.ScopedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "core.schema.AutoSchema",
    # JSON only: DRF's browsable API pages carry inline styles the Content-Security-Policy
    # blocks, and the API is for integrations; /api/docs/ documents it and tries it out
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
}
# core.middleware.ApiTokenMiddleware: token calls to /api/v1/ skip the staff middleware
API_LEAN_MIDDLEWARE = env.bool("AUBERGE_API_LEAN_MIDDLEWARE", default=True)
# How long an API token's user and memberships may be served from the cache. Any change to
# them (token revoked, user deactivated, role changed) drops the entry at once; this bounds
# what a bulk update that sends no signal could leave behind.
API_AUTH_CACHE_SECONDS = env.int("API_AUTH_CACHE_SECONDS", default=60)
SPECTACULAR_SETTINGS = {
    "TITLE": "Auberge API",
    "DESCRIPTION": "PMS and POS on one database: availability, quotes, reservations, orders.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # /api/schema/ and /api/docs/: staff or an API token only (docs/api.md)
    "SERVE_PERMISSIONS": ["core.api.StaffMember"],
    # vendored Swagger UI: no CDN
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # request and response components apart: a request's required text is non-blank
    # (minLength 1), which an answer's text need not be
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Security (production switches on from the environment) ---------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SESSION_COOKIE_HTTPONLY = True
# The signed-in user comes from the shared cache, dropped on any change to the user
# (core.auth_backend); sign-in itself checks the password against PostgreSQL as usual.
AUTHENTICATION_BACKENDS = ["core.auth_backend.CachedModelBackend"]
# Sessions kept in the database (the source of truth) and read from the cache: every page of a
# busy tablet skipped one SQL round trip (benchmarks/bench_waiter.py).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
X_FRAME_OPTIONS = "DENY"
# a form refused by the CSRF check gets our page (Django's own has an inline style)
CSRF_FAILURE_VIEW = "core.errors.csrf_failure"
# Content-Security-Policy (django-csp 4.x), strict for every page: scripts and styles only from
# our own static files (no inline <script>, event handler, style attribute or eval), nothing
# framed, no plugin. The booking engine lets the property's own websites frame it
# (Property.booking_frame_ancestors); the Django admin and the Swagger UI get the few
# relaxations they need (core.csp). docs/security.md says why each source is there.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

if env.bool("AUBERGE_TESTING", default=False):
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    SECURE_SSL_REDIRECT = False
    SESSION_COOKIE_SECURE = False
    CSRF_COOKIE_SECURE = False

# Offline tills (POS-9, docs/offline.md): how long a paired device may keep selling without
# reaching the server before its offline screen stops taking new sales.
OFFLINE_MAX_HOURS = env.int("OFFLINE_MAX_HOURS", default=72)
