"""Settings for Meiduo accounts, read once from the environment.

Every value an operator may change is an environment variable; the defaults
are safe for a developer's machine (SQLite, console SMS). REDIS_URL has no
default here: the run and test commands start a private Redis and set it
(see meiduo_mall/embedded.py).
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG=0")
    SECRET_KEY = "django-insecure-meiduo-development-only"  # noqa: S105 (dev default)

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "users",
    "verifications",
    "contents",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "meiduo_mall.middleware.MethodNotAllowedMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "users.middleware.UsernameCookieMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "meiduo_mall.middleware.ServiceUnavailableMiddleware",
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
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.mysql":
    # PyMySQL is pure Python: no client headers to install on the machine.
    import pymysql

    pymysql.install_as_MySQLdb()
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("charset", "utf8mb4")
    DATABASES["default"]["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "users.User"
AUTHENTICATION_BACKENDS = ["users.backends.UsernameMobileAuthBackend"]
LOGIN_URL = "/login/"

# --- Redis: one server, two logical clients (sessions, verification codes).
REDIS_URL = os.environ.get("REDIS_URL", "")
if not REDIS_URL:
    raise ImproperlyConfigured(
        "REDIS_URL is not set. Start the site with ./run (it starts a private Redis) "
        "or point REDIS_URL at a Redis server, e.g. redis://127.0.0.1:6379/0"
    )
REDIS_SOCKET_TIMEOUT = float(os.environ.get("REDIS_SOCKET_TIMEOUT", "2"))
_redis_options = {
    "CLIENT_CLASS": "django_redis.client.DefaultClient",
    "SOCKET_CONNECT_TIMEOUT": REDIS_SOCKET_TIMEOUT,
    "SOCKET_TIMEOUT": REDIS_SOCKET_TIMEOUT,
}
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "cache",
        "OPTIONS": _redis_options,
    },
    "session": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "session",
        "OPTIONS": _redis_options,
    },
    # Raw keys (img_<uuid>, sms_<mobile>, ...) through get_redis_connection("verify_code").
    "verify_code": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "OPTIONS": _redis_options,
    },
}
CSRF_FAILURE_VIEW = "meiduo_mall.views.csrf_failure"
SESSION_ENGINE = "django.contrib.sessions.backends.cache"
SESSION_CACHE_ALIAS = "session"
SESSION_COOKIE_AGE = 14 * 24 * 3600  # "remember me": two weeks, as the notes say
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_COOKIES = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
if env_bool("DJANGO_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Off by default: the proxy in front usually redirects, and HSTS is hard to take back.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS", "0"))

# --- Celery: the broker is the same Redis unless CELERY_BROKER_URL says otherwise.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or REDIS_URL

# --- Abuse limits. A limit is "AMOUNT/PERIOD/KEY[,...]", PERIOD like 60s, 5m, 1h, 1d
# (see meiduo_mall/ratelimit.py); an empty string turns an action's limit off.
SMS_SEND_INTERVAL = int(os.environ.get("SMS_SEND_INTERVAL", "60"))  # seconds per mobile
SMS_CODE_MAX_TRIES = int(os.environ.get("SMS_CODE_MAX_TRIES", "5"))  # wrong guesses per code
RATE_LIMITS = {
    "send_sms": os.environ.get("RATE_LIMIT_SEND_SMS", "5/1h/mobile,10/1d/mobile,20/1h/ip"),
    "login_failed": os.environ.get("RATE_LIMIT_LOGIN_FAILED", "5/5m/account,30/1m/ip"),
    "count": os.environ.get("RATE_LIMIT_COUNT", "30/1m/ip"),
    "image_code": os.environ.get("RATE_LIMIT_IMAGE_CODE", "60/1m/ip"),
}
# How many proxies in front of us append to X-Forwarded-For. 0: the client is
# REMOTE_ADDR and X-Forwarded-For is ignored, since anyone can send one.
TRUSTED_PROXY_COUNT = int(os.environ.get("DJANGO_TRUSTED_PROXY_COUNT", "0"))

# --- SMS: "console" logs the code, "yuntongxun" sends through the vendor.
SMS_BACKEND = os.environ.get("SMS_BACKEND", "console")
YUNTONGXUN_ACCOUNT_SID = os.environ.get("YUNTONGXUN_ACCOUNT_SID", "")
YUNTONGXUN_AUTH_TOKEN = os.environ.get("YUNTONGXUN_AUTH_TOKEN", "")
YUNTONGXUN_APP_ID = os.environ.get("YUNTONGXUN_APP_ID", "")
YUNTONGXUN_BASE_URL = os.environ.get("YUNTONGXUN_BASE_URL", "https://app.cloopen.com:8883")
YUNTONGXUN_TEMPLATE_ID = os.environ.get("YUNTONGXUN_TEMPLATE_ID", "1")
YUNTONGXUN_TIMEOUT = float(os.environ.get("YUNTONGXUN_TIMEOUT", "5"))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
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
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "[%(asctime)s: %(levelname)s/%(name)s] %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
