"""Django settings for OpenMSP.

Everything is read from the environment (see docs/configuration.md); with nothing set, OpenMSP runs a
trial on SQLite in OPENMSP_DATA_DIR.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url

from openmsp.core.env import (
    ConfigError,
    default_data_dir,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_networks,
    env_rate,
    env_secret,
    env_str,
    env_time_zone,
    load_or_create_secret,
)

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env_str("OPENMSP_DATA_DIR", str(default_data_dir()))).expanduser().resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("OPENMSP_DEBUG", False)
SECRET_KEY = env_secret("OPENMSP_SECRET_KEY") or load_or_create_secret(DATA_DIR / "secret_key")
# Stored secrets (webhook keys, SNMP communities) are encrypted with this Fernet key, or with one
# derived from SECRET_KEY when unset; the old keys still decrypt (rotation). openmsp/core/encryption.py
OPENMSP_SECRET_KEY_ENCRYPTION = env_secret("OPENMSP_SECRET_KEY_ENCRYPTION") or ""
OPENMSP_SECRET_KEY_ENCRYPTION_OLD = [
    k.strip()
    for k in (env_secret("OPENMSP_SECRET_KEY_ENCRYPTION_OLD") or "").split(",")
    if k.strip()
]
SITE_URL = env_str("OPENMSP_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
ALLOWED_HOSTS = env_list("OPENMSP_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("OPENMSP_CSRF_TRUSTED_ORIGINS", [SITE_URL])
# Addresses of reverse proxies whose X-Forwarded-For we believe (the audit log records client IPs).
OPENMSP_TRUSTED_PROXIES = env_list("OPENMSP_TRUSTED_PROXIES", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",  # serves Swagger UI's files itself (no CDN; our CSP allows only 'self')
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "openmsp.core",
    "openmsp.accounts",
    "openmsp.tenants",
    "openmsp.assets",
    "openmsp.metrics",
    "openmsp.agent_api",
    "openmsp.heartbeats",
    "openmsp.monitoring",
    "openmsp.notifications",
    "openmsp.alerts",
    "openmsp.interfaces",
    "openmsp.servicedesk",
    "openmsp.knowledge",
    "openmsp.oncall",
    "openmsp.reports",
    "openmsp.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "servestatic.middleware.ServeStaticMiddleware",
    "openmsp.core.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "openmsp.accounts.middleware.SessionSecurityMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "openmsp.urls"
WSGI_APPLICATION = "openmsp.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "openmsp.web.context.shell",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
_database_url = env_secret("OPENMSP_DATABASE_URL")
if _database_url:
    if not _database_url.startswith(("postgres://", "postgresql://", "sqlite://")):
        raise ConfigError("OPENMSP_DATABASE_URL must start with postgresql:// or sqlite://.")
    _db = dj_database_url.parse(_database_url)
    if _db["ENGINE"] == "django.db.backends.postgresql":
        # Under ASGI each concurrent request runs in a thread of its own; a bounded pool per
        # process (instead of a persistent connection per thread) keeps PostgreSQL's connection
        # count fixed however many agents check in at once. Threads wait for a free connection.
        # OPENMSP_DB_POOL_SIZE=0 turns the pool off (behind pgbouncer; the test process).
        _pool_size = env_int("OPENMSP_DB_POOL_SIZE", 8, minimum=0)
        _db.setdefault("OPTIONS", {})["application_name"] = "openmsp"
        if _pool_size:
            _db["OPTIONS"]["pool"] = {
                "min_size": 1,
                "max_size": _pool_size,
                "timeout": env_int("OPENMSP_DB_POOL_TIMEOUT", 30, minimum=1),
            }
else:
    _db = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(DATA_DIR / "openmsp.sqlite3"),
    }
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["ENGINE"] = "openmsp.core.sqlite3"  # flush-aware, see openmsp/core/sqlite3/base.py
    # WAL lets the worker and scheduler read while the web process writes; IMMEDIATE takes the
    # write lock at BEGIN so two writers queue on busy_timeout instead of failing mid-transaction.
    _db.setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # Tests use a file, not Django's shared-cache in-memory database: with the in-memory one the live
    # server hands ONE connection object to every request thread, so two concurrent requests (an
    # agent's long poll and its batch upload) interleave their transactions on it and can poison
    # it for every later request. A file gives each thread its own connection, as in production.
    _db.setdefault("TEST", {})["NAME"] = str(DATA_DIR / "test-openmsp.sqlite3")
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# `openmsp backup` / `restore` on PostgreSQL run pg_dump / pg_restore from here (empty: PATH);
# they must be at least the server's major version (docs/backup.md).
OPENMSP_PG_BIN_DIR = env_str("OPENMSP_PG_BIN_DIR", "")

# --- Monitoring (synthetic checks, the poller) ----------------------------------------------
# Networks every outbound request (checks, webhooks) may reach whatever its network scope; see
# openmsp/core/netguard.py and docs/security.md. Empty: the scopes alone decide.
OPENMSP_OUTBOUND_ALLOWED_NETWORKS = env_networks("OPENMSP_OUTBOUND_ALLOWED_NETWORKS", [])
OPENMSP_POLLER_CONCURRENCY = env_int("OPENMSP_POLLER_CONCURRENCY", 200, minimum=1)
OPENMSP_POLLER_BATCH = env_int("OPENMSP_POLLER_BATCH", 100, minimum=1)

# --- Authentication -------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["openmsp.accounts.backends.EmailBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("OPENMSP_PASSWORD_MIN_LENGTH", 10, minimum=8)},
    },
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

OPENMSP_LOCKOUT_THRESHOLD = env_int("OPENMSP_LOCKOUT_THRESHOLD", 5, minimum=1)
OPENMSP_LOCKOUT_MINUTES = env_int("OPENMSP_LOCKOUT_MINUTES", 15, minimum=1)
# Sliding windows, LIMIT/SECONDS, counted in the database (all web processes share them).
OPENMSP_RATELIMIT_LOGIN_IP = env_rate("OPENMSP_RATELIMIT_LOGIN_IP", "30/300")
OPENMSP_RATELIMIT_LOGIN_ACCOUNT = env_rate("OPENMSP_RATELIMIT_LOGIN_ACCOUNT", "10/300")
OPENMSP_RATELIMIT_TOKEN_CREATE = env_rate("OPENMSP_RATELIMIT_TOKEN_CREATE", "20/3600")
OPENMSP_SESSION_IDLE_MINUTES = env_int("OPENMSP_SESSION_IDLE_MINUTES", 30, minimum=1)
OPENMSP_MFA_REQUIRED_FOR_STAFF = env_bool("OPENMSP_MFA_REQUIRED_FOR_STAFF", False)
OTP_TOTP_ISSUER = env_str("OPENMSP_TOTP_ISSUER", "OpenMSP")

SESSION_COOKIE_AGE = env_int("OPENMSP_SESSION_MAX_HOURS", 12, minimum=1) * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = SITE_URL.startswith("https://")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# HSTS goes out on TLS requests only (SecurityMiddleware checks request.is_secure()); behind a
# TLS-terminating proxy OPENMSP_BEHIND_TLS_PROXY=true trusts its X-Forwarded-Proto (an https
# OPENMSP_SITE_URL implies it). OPENMSP_HSTS_SECONDS=0 sends none.
SECURE_HSTS_SECONDS = env_int("OPENMSP_HSTS_SECONDS", 31536000, minimum=0)
if SESSION_COOKIE_SECURE or env_bool("OPENMSP_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Request bodies: the API refuses anything larger with 413 (see openmsp/core/middleware.py).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("OPENMSP_MAX_REQUEST_BYTES", 1_048_576, minimum=1024)

# --- Audit ----------------------------------------------------------------------------------
# PIPA (Korea) asks for access records kept at least 2 years and permission changes 3 years.
OPENMSP_AUDIT_RETENTION_DAYS = env_int("OPENMSP_AUDIT_RETENTION_DAYS", 730, minimum=730)
# Telemetry history (openmsp.core.retention), pruned daily. Availability and SLA reports read
# problems and tickets, not these rows; interface runs feed the weekday/hour traffic baseline.
OPENMSP_RETENTION_CHECK_RESULTS_DAYS = env_int(
    "OPENMSP_RETENTION_CHECK_RESULTS_DAYS", 90, minimum=1
)
OPENMSP_RETENTION_NOTIFICATIONS_DAYS = env_int(
    "OPENMSP_RETENTION_NOTIFICATIONS_DAYS", 180, minimum=1
)
OPENMSP_RETENTION_INTERFACE_RUNS_DAYS = env_int(
    "OPENMSP_RETENTION_INTERFACE_RUNS_DAYS", 400, minimum=35
)
OPENMSP_AUDIT_PERMISSION_RETENTION_DAYS = env_int(
    "OPENMSP_AUDIT_PERMISSION_RETENTION_DAYS", 1095, minimum=1095
)

# --- Background work ------------------------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# A worker renews its lease every third of this; a task still RUNNING under a worker whose lease is
# older than this goes back to the queue (openmsp.core.workers).
OPENMSP_WORKER_LEASE_SECONDS = env_int("OPENMSP_WORKER_LEASE_SECONDS", 30, minimum=3)

# --- Email ----------------------------------------------------------------------------------
EMAIL_HOST = env_str("OPENMSP_SMTP_HOST", "")
EMAIL_PORT = env_int("OPENMSP_SMTP_PORT", 587, minimum=1)
EMAIL_HOST_USER = env_str("OPENMSP_SMTP_USER", "")
EMAIL_HOST_PASSWORD = env_secret("OPENMSP_SMTP_PASSWORD") or ""
# Implicit TLS (port 465) or STARTTLS (587), never both: Django's SMTP backend refuses both.
EMAIL_USE_SSL = env_bool("OPENMSP_SMTP_SSL", False)
EMAIL_USE_TLS = env_bool("OPENMSP_SMTP_STARTTLS", True) and not EMAIL_USE_SSL
EMAIL_TIMEOUT = env_int("OPENMSP_SMTP_TIMEOUT", 30, minimum=1)
OPENMSP_SMTP_CA_FILE = env_str("OPENMSP_SMTP_CA_FILE", "")
DEFAULT_FROM_EMAIL = env_str("OPENMSP_EMAIL_FROM", "OpenMSP <openmsp@localhost>")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = str(DATA_DIR / "outbox-mail")

# --- Notifications and /metrics ------------------------------------------------------------
# A worker holds a claimed outbox message this long; if it dies, another worker takes the message
# over after it. Must exceed the slowest delivery (SMTP and HTTP time-outs are 30 s and 10 s).
OPENMSP_NOTIFY_LEASE_SECONDS = env_int("OPENMSP_NOTIFY_LEASE_SECONDS", 120, minimum=1)
OPENMSP_NOTIFY_MAX_ATTEMPTS = env_int("OPENMSP_NOTIFY_MAX_ATTEMPTS", 10, minimum=1)
OPENMSP_METRICS_TOKEN = env_secret("OPENMSP_METRICS_TOKEN") or ""
# The on-call schedule (by name) whose on-call person is paged when a P1 ticket is opened; empty:
# nobody is paged. A schedule limited to one client pages only for that client's tickets.
OPENMSP_ONCALL_P1_SCHEDULE = env_str("OPENMSP_ONCALL_P1_SCHEDULE", "")

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = env_choice("OPENMSP_LANGUAGE", "ko", ["ko", "en"])
LANGUAGES = [("ko", "한국어"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_time_zone("OPENMSP_TIME_ZONE", "Asia/Seoul")
USE_I18N = True
USE_TZ = True

# --- Static and stored files ----------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # servestatic serves from finders; it only wants the folder
MEDIA_ROOT = DATA_DIR / "files"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "servestatic.storage.CompressedStaticFilesStorage"},
}
# ServeStatic (an async-capable WhiteNoise) serves the apps' static folders directly: no
# collectstatic step at install, and no thread held per static request under ASGI.
SERVESTATIC_USE_FINDERS = True
SERVESTATIC_AUTOREFRESH = DEBUG

# Ticket attachments (openmsp.servicedesk): at most this many bytes each, of these types.
SD_ATTACHMENT_MAX_BYTES = env_int("OPENMSP_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024, minimum=1)
SD_ATTACHMENT_TYPES = env_list(
    "OPENMSP_ATTACHMENT_TYPES",
    [
        "image/png", "image/jpeg", "image/gif", "application/pdf", "text/plain", "text/csv",
        "application/zip", "application/json",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ],
)  # fmt: skip

# Client reports (openmsp.reports, docs/reports.md): the TrueType font embedded in PDFs (it must
# have Hangul; scripts/ensure-services installs Debian's fonts-nanum), and how far ahead the
# capacity forecast lists resources that will fill.
OPENMSP_REPORT_FONT = env_str(
    "OPENMSP_REPORT_FONT", "/usr/share/fonts/truetype/nanum/NanumGothic.ttf"
)
OPENMSP_REPORT_CAPACITY_HORIZON_DAYS = env_int(
    "OPENMSP_REPORT_CAPACITY_HORIZON_DAYS", 90, minimum=1
)
# Service desk mail (openmsp.servicedesk.mail_in / mail_out, docs/servicedesk-email.md).
OPENMSP_MAIL_POLL_SECONDS = env_int("OPENMSP_MAIL_POLL_SECONDS", 60, minimum=5)
OPENMSP_MAIL_BATCH = env_int("OPENMSP_MAIL_BATCH", 50, minimum=1)
OPENMSP_MAIL_IMAP_TIMEOUT = env_int("OPENMSP_MAIL_IMAP_TIMEOUT", 30, minimum=1)
OPENMSP_MAIL_SENDER_LIMIT_PER_HOUR = env_int("OPENMSP_MAIL_SENDER_LIMIT_PER_HOUR", 30, minimum=1)
# The domain of our outgoing Message-IDs (mail coming back with it is our own: never answered).
OPENMSP_MAIL_DOMAIN = env_str("OPENMSP_MAIL_DOMAIN", "")
# The SMTP/LMTP listener (openmsp mail-listener; openmsp serve starts it when this is set).
OPENMSP_MAIL_LISTENER = env_str("OPENMSP_MAIL_LISTENER", "")
OPENMSP_MAIL_LISTENER_PROTOCOL = env_choice(
    "OPENMSP_MAIL_LISTENER_PROTOCOL", "smtp", ["smtp", "lmtp"]
)
OPENMSP_MAIL_LISTENER_MAX_BYTES = env_int(
    "OPENMSP_MAIL_LISTENER_MAX_BYTES", 25 * 1024 * 1024, minimum=1024
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("OPENMSP_LOG_LEVEL", "INFO")},
    # fontTools (report PDFs) logs every font table it subsets, and warns about hinting tables
    # it drops, on every report.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "fontTools": {"level": "ERROR"}},
}

# Time entries (openmsp.servicedesk.timekeeping): the work types a technician picks from.
SD_WORK_TYPES = env_list(
    "OPENMSP_WORK_TYPES", ["remote", "onsite", "travel", "project", "consulting", "admin"]
)
# CSAT survey links (openmsp.servicedesk.csat): valid this many days after the mail is sent.
SD_CSAT_TOKEN_DAYS = env_int("OPENMSP_CSAT_TOKEN_DAYS", 14, minimum=1)
