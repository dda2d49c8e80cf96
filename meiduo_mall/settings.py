"""Settings for Meiduo accounts, read once from the environment.

Every value an operator may change is an environment variable; the defaults
are safe for a developer's machine (SQLite, console SMS). REDIS_URL has no
default here: the run and test commands start a private Redis and set it
(see meiduo_mall/embedded.py).
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from core.logs import log_format

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", True)

SECRET_KEY = env.str("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG=0")
    SECRET_KEY = "django-insecure-meiduo-development-only"  # noqa: S105 (dev default)

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "core",
    "users",
    "verifications",
    "contents",
    "deliveries",
]

MIDDLEWARE = [
    # First: the request id, the per-request log line and metrics cover every answer.
    "core.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.RequestBodyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Chinese unless the browser asks for English (Accept-Language); URLs stay as they are.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "core.middleware.MethodNotAllowedMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "users.middleware.UsernameCookieMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.ServiceUnavailableMiddleware",
]

ROOT_URLCONF = "meiduo_mall.urls"
WSGI_APPLICATION = "meiduo_mall.wsgi.application"

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
            ],
        },
    },
]

# --- Database: DATABASE_URL (sqlite://, mysql://, postgres://), SQLite by default.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", 60)
if DATABASES["default"]["ENGINE"] == "django.db.backends.mysql":
    # PyMySQL is pure Python: no client headers to install on the machine.
    import pymysql

    pymysql.install_as_MySQLdb()
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("charset", "utf8mb4")
    DATABASES["default"]["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web and the worker write to one file: WAL lets readers go on beside a writer
    # (synchronous=NORMAL is WAL's safe setting: no corruption, at most the last commits
    # lost to a power cut), IMMEDIATE takes the write lock up front (no deadlock on
    # upgrade), and a writer waits up to 20 s for the lock rather than failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        transaction_mode="IMMEDIATE",
        timeout=20,
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "users.User"
AUTHENTICATION_BACKENDS = ["users.backends.UsernameMobileAuthBackend"]
LOGIN_URL = "/login/"

# --- Redis: one URL per role, each defaulting to REDIS_URL, so a shop can move one role
# (codes, sessions, rate limits, the broker) to its own server or database number.
REDIS_URL = env.str("REDIS_URL", "")
if not REDIS_URL:
    raise ImproperlyConfigured(
        "REDIS_URL is not set: run one-off commands as `./run manage.py COMMAND` "
        "(it starts a private Redis), or point REDIS_URL at a Redis server."
    )
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", 2.0)
# Captchas and SMS codes, with the per-mobile send flag and the send_sms limits: the one
# Lua script that issues a code checks and records those limits atomically with the
# captcha and the code, so they live with the codes, not under REDIS_RATELIMIT_URL.
REDIS_CODES_URL = env.str("REDIS_CODES_URL", "") or REDIS_URL
REDIS_SESSION_URL = env.str("REDIS_SESSION_URL", "") or REDIS_URL
# Every other limit (logins, count endpoints, captcha images, e-mails): core/ratelimit.py.
REDIS_RATELIMIT_URL = env.str("REDIS_RATELIMIT_URL", "") or REDIS_URL


def redis_cache(url: str, key_prefix: str = "") -> dict:
    return {
        **env.cache_url_config(url),
        "KEY_PREFIX": key_prefix,
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "SOCKET_CONNECT_TIMEOUT": REDIS_SOCKET_TIMEOUT,
            "SOCKET_TIMEOUT": REDIS_SOCKET_TIMEOUT,
        },
    }


CACHES = {
    "default": redis_cache(REDIS_URL, "cache"),
    "session": redis_cache(REDIS_SESSION_URL, "session"),
    # Raw keys (img_<uuid>, sms_<mobile>, ...) through get_redis_connection("verify_code").
    "verify_code": redis_cache(REDIS_CODES_URL),
    # Raw keys (rl:<action>:...) through get_redis_connection("ratelimit").
    "ratelimit": redis_cache(REDIS_RATELIMIT_URL),
}
CSRF_FAILURE_VIEW = "core.views.csrf_failure"
SESSION_ENGINE = "django.contrib.sessions.backends.cache"
SESSION_CACHE_ALIAS = "session"
SESSION_COOKIE_AGE = 14 * 24 * 3600  # "remember me": two weeks, as the notes say
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_COOKIES = env.bool("DJANGO_SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
if env.bool("DJANGO_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Off by default: the proxy in front usually redirects, and HSTS is hard to take back.
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", 0)

# --- Celery: the broker is the same Redis unless CELERY_BROKER_URL says otherwise. The SMS
# themselves wait in an outbox on the codes' Redis (celery_tasks/sms/outbox.py), added by
# the script that issues the code; the broker carries the worker's wake-ups.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", "") or REDIS_URL
# The queue the web sends to and the worker reads (`-Q`): two sites on one broker each
# name their own.
CELERY_QUEUE = env.str("CELERY_QUEUE", "celery")
# The outbox's stream on the codes' Redis: like the queue, one per site.
SMS_OUTBOX_KEY = env.str("SMS_OUTBOX_KEY", "sms_outbox")

# --- Abuse limits. A limit is "AMOUNT/PERIOD/KEY[,...]", PERIOD like 60s, 5m, 1h, 1d
# (see core/ratelimit.py); an empty string turns an action's limit off.
SMS_SEND_INTERVAL = env.int("SMS_SEND_INTERVAL", 60)  # seconds per mobile
SMS_CODE_MAX_TRIES = env.int("SMS_CODE_MAX_TRIES", 5)  # wrong guesses per code
SMS_CODE_EXPIRES = 300  # seconds a code lives: the web stores it, the worker quotes it
RATE_LIMITS = {
    "send_sms": env.str("RATE_LIMIT_SEND_SMS", "5/1h/mobile,10/1d/mobile,20/1h/ip"),
    "login_failed": env.str("RATE_LIMIT_LOGIN_FAILED", "5/5m/account,30/1m/ip"),
    "count": env.str("RATE_LIMIT_COUNT", "30/1m/ip"),
    "image_code": env.str("RATE_LIMIT_IMAGE_CODE", "60/1m/ip"),
}
# How many proxies in front of us append to X-Forwarded-For. 0: the client is
# REMOTE_ADDR and X-Forwarded-For is ignored, since anyone can send one.
TRUSTED_PROXY_COUNT = env.int("DJANGO_TRUSTED_PROXY_COUNT", 0)

# --- SMS: "console" logs the code, "yuntongxun" sends through the vendor.
SMS_BACKEND = env.str("SMS_BACKEND", "console")
YUNTONGXUN_ACCOUNT_SID = env.str("YUNTONGXUN_ACCOUNT_SID", "")
YUNTONGXUN_AUTH_TOKEN = env.str("YUNTONGXUN_AUTH_TOKEN", "")
YUNTONGXUN_APP_ID = env.str("YUNTONGXUN_APP_ID", "")
YUNTONGXUN_BASE_URL = env.str("YUNTONGXUN_BASE_URL", "https://app.cloopen.com:8883")
YUNTONGXUN_TEMPLATE_ID = env.str("YUNTONGXUN_TEMPLATE_ID", "1")
YUNTONGXUN_TIMEOUT = env.float("YUNTONGXUN_TIMEOUT", 5.0)

# Argon2 first: memory-hard, so stronger against GPU guessing than PBKDF2, and cheaper
# per login here (bench/site.py: login beside the hasher alone). The others check the
# hashes already stored; Django rewrites each as Argon2 at its owner's next login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Chinese first: the messages' msgids are the Chinese texts themselves, so zh-hans needs no
# catalogue; English is locale/en/LC_MESSAGES/django.po, compiled to .mo at set-up
# (scripts/compile_messages.py). LocaleMiddleware picks by Accept-Language.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Vue from the npm registry (package.json), installed by ./run and ./test.
    ("vendor/vue", BASE_DIR / "node_modules" / "vue" / "dist"),
    ("vendor/swagger-ui", BASE_DIR / "node_modules" / "swagger-ui-dist"),
]
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Logs: LOG_FORMAT=json gives one JSON object per line (the default when DJANGO_DEBUG
# is off), plain lines otherwise (./run). Every line carries the request id; mobiles are
# masked (core/logs.py). The worker's lines follow the same (celery_tasks/logs.py).
LOG_FORMAT = log_format()
LOG_CLIENT_IP = env.str("LOG_CLIENT_IP", "masked")  # in the request line: masked, full, none
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {
            "()": "core.logs.MaskedFormatter",
            "fmt": "[%(asctime)s: %(levelname)s/%(name)s] %(message)s",
        },
        "json": {"()": "core.logs.JsonLogFormatter"},
    },
    "filters": {"context": {"()": "core.logs.RequestContextFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's default "django" logger has a console handler of its own and propagates
        # to the root: each of its lines came out twice. The root (or Celery's) prints them.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        # One line per request (core.middleware.RequestLogMiddleware). Plain lines leave it
        # to runserver's and gunicorn's own access lines rather than print each twice.
        "core.access": {"level": "INFO" if LOG_FORMAT == "json" else "WARNING"},
    },
}

# --- Metrics at /metrics (core/metrics.py): readable from these addresses (or networks,
# e.g. 10.0.0.0/8; empty for none), or by anyone sending "Authorization: Bearer
# <METRICS_TOKEN>" when it is set. Anyone else gets a 404 (a wrong token: 403).
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=["127.0.0.1", "::1"])
METRICS_TOKEN = env.str("METRICS_TOKEN", "")

# --- E-mail: Django's own EMAIL_* names. SMTP when EMAIL_HOST is set; otherwise the
# console backend, so that `./run` prints the verification mail (and its link) in the
# worker's log, as it prints SMS codes.
EMAIL_HOST = env.str("EMAIL_HOST", "")
EMAIL_PORT = env.int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    # Django would refuse only when the first mail is sent, in the worker.
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL are exclusive: set one")
# Django waits forever by default; a stuck server must end in a retry, inside the task's
# time limit (celery_tasks/config.py).
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", 10.0)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", "美多商城 <noreply@localhost>")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
# The site the mailed links point to: never the request's Host header, which a client
# chooses. ./run serves http://127.0.0.1:8000 (devtools/devstack.py, PORT).
SITE_URL = env.str("DJANGO_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
EMAIL_VERIFY_EXPIRES = env.int("EMAIL_VERIFY_EXPIRES", 24 * 3600)  # seconds a link works
# Per account, per address (a stranger's inbox is not ours to fill), per IP.
RATE_LIMITS["send_email"] = env.str(
    "RATE_LIMIT_SEND_EMAIL", "3/10m/user,10/1d/user,5/1d/email,20/1h/ip"
)
