"""Settings for Cooperation Registry.

Every value that differs between a laptop and a server comes from the environment.
The defaults make a fresh clone run locally; with DJANGO_DEBUG=false anything a
production site must set is required, and a malformed value stops start-up with
ImproperlyConfigured rather than being guessed at.
"""

import os
import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_bool(name, default):
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")


def env_list(name, default):
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    items = [item.strip() for item in raw.split(",")]
    if any(item == "" for item in items):
        raise ImproperlyConfigured(f"{name} is a comma-separated list with an empty item: {raw!r}.")
    return items


def env_int(name, default):
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None


DEBUG = env_bool("DJANGO_DEBUG", True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is false; "
            "there is no fallback key in production."
        )
    # Local development only: a key that is never valid on a production site.
    SECRET_KEY = "django-insecure-local-development-only"

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must be set when DJANGO_DEBUG is false.")

# Keeps derived data (the event index) out of dumpdata, and sends anonymous public reads to
# a read replica when one is configured (DATABASE_REPLICA_URLS): cooperation/routers.py.
DATABASE_ROUTERS = ["cooperation.routers.ReplicaRouter", "cooperation.routers.DerivedDataRouter"]

INSTALLED_APPS = [
    # First: of two apps with a management command of the same name, the one listed first
    # wins, and the project's loaddata (history, search) must win over modeltranslation's.
    "cooperation",
    # Record fields in every language (cooperation/translation.py); before the admin, as
    # its documentation asks.
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.syndication",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_filters",
    "django_countries",
    # Inline rows inside inline rows on the visit's page (a meeting's participants and
    # sources): its templates and scripts.
    "nested_admin",
    # Locks out password guessing on the admin login: see AXES_* below.
    "axes",
    # The change history of every record, in tables of its own: cooperation/history/.
    "simple_history",
    "cooperation.history",
]
# Development tools stay out of the production app: the synthetic-archive generator
# (`manage.py generate_records`, bench/synthetic/) that `make bench` and the tests use is
# installed only when DEBUG is on, never on a production site (DJANGO_DEBUG=false).
if DEBUG:
    INSTALLED_APPS.append("bench.synthetic")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outside everything that answers early (a static file or its 304, the request line's
    # 405, the page cache's 304 and cached copy), so every response carries it.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Static files, their 304s and whitenoise's 405s get the policy a page without an inline
    # script gets, built once rather than per file.
    "cooperation.static_policy.StaticFilePolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside the page cache, so a cached page is sent with a policy and a nonce of its own.
    "cooperation.static_policy.PolicyMiddleware",
    # Methods other than GET and HEAD, and paths beginning `//`, answered before the page
    # cache and the CSRF check: cooperation/request_line.py.
    "cooperation.request_line.RequestLineMiddleware",
    # Before sessions and users: a conditional or cached anonymous request stops here.
    "cooperation.caching.PublicPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language comes from the address alone (/az/…, /ru/…, English unprefixed), never
    # from a cookie or Accept-Language: the page cache above keys pages by their address.
    "cooperation.locale.URLLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Lets the history name the signed-in user behind each change.
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# django-axes first: it refuses a locked-out username-and-address pair before the password
# is checked at all.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "config.urls"

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
                "cooperation.context_processors.site",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

_conn_max_age = env_int("DATABASE_CONN_MAX_AGE", 0 if DEBUG else 60)
try:
    DATABASES = {
        "default": dj_database_url.config(
            default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
            conn_max_age=_conn_max_age,
            conn_health_checks=True,
        )
    }
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL cannot be understood: {exc}") from None

# DATABASE_REPLICA_URLS: read replicas of that database, separated by commas or spaces,
# each read like DATABASE_URL, as the aliases replica_1, replica_2, … Only anonymous public
# pages read from them, and only from one as new as the primary (cooperation/replicas.py,
# cooperation/routers.py); empty or unset, everything reads the primary.
DATABASE_REPLICAS = []
_replica_urls = [
    url for url in re.split(r"[\s,]+", os.environ.get("DATABASE_REPLICA_URLS", "")) if url
]
for number, url in enumerate(_replica_urls, 1):
    try:
        replica = dj_database_url.parse(url, conn_max_age=_conn_max_age, conn_health_checks=True)
    except ValueError as exc:
        # Not the URL itself in the message: it may hold a password.
        raise ImproperlyConfigured(
            f"DATABASE_REPLICA_URLS: replica {number} cannot be understood: {exc}"
        ) from None
    if replica["ENGINE"] != DATABASES["default"]["ENGINE"]:
        raise ImproperlyConfigured(
            f"DATABASE_REPLICA_URLS: replica {number} is {replica['ENGINE']}, but DATABASE_URL "
            f"is {DATABASES['default']['ENGINE']}: a replica is a copy of the primary database."
        )
    # Under test, a replica reads the test database itself.
    replica["TEST"] = {"MIRROR": "default"}
    DATABASES[f"replica_{number}"] = replica
    DATABASE_REPLICAS.append(f"replica_{number}")

# A replica that does not answer within DATABASE_REPLICA_CONNECT_TIMEOUT seconds is left
# alone for DATABASE_REPLICA_RETRY_SECONDS, so that requests do not each wait on it.
REPLICA_CONNECT_TIMEOUT = env_int("DATABASE_REPLICA_CONNECT_TIMEOUT", 2)
REPLICA_RETRY_SECONDS = env_int("DATABASE_REPLICA_RETRY_SECONDS", 5)
if REPLICA_CONNECT_TIMEOUT < 1 or REPLICA_RETRY_SECONDS < 0:
    raise ImproperlyConfigured(
        "DATABASE_REPLICA_CONNECT_TIMEOUT must be 1 or more, DATABASE_REPLICA_RETRY_SECONDS "
        "0 or more."
    )
for alias in DATABASE_REPLICAS:
    if DATABASES[alias]["ENGINE"].endswith(("postgresql", "mysql")):
        DATABASES[alias].setdefault("OPTIONS", {})["connect_timeout"] = REPLICA_CONNECT_TIMEOUT

# DATABASE_STATEMENT_TIMEOUT (seconds, PostgreSQL): a query running longer is cancelled, so
# one runaway request cannot hold a core and its locks for minutes. Off by default:
# `generate_records` and the event index's rebuild run single statements of minutes.
STATEMENT_TIMEOUT = env_int("DATABASE_STATEMENT_TIMEOUT", 0)
# DATABASE_PREPARED_STATEMENTS (PostgreSQL, on by default): the version read that begins
# every public request (cooperation/registry_version.py) is prepared on each connection at
# its first run, the kept reads of records (cooperation/keptsql.py) after a few runs, so
# the server no longer parses and plans them. Django's other queries bind on the client and
# are never prepared, whatever this says. Turn it off behind a pooler in transaction mode
# that cannot carry prepared statements (PgBouncer before 1.21).
PREPARED_STATEMENTS = env_bool("DATABASE_PREPARED_STATEMENTS", True)
for database in DATABASES.values():
    if database["ENGINE"].endswith("postgresql"):
        # psycopg's own threshold; None prepares nothing.
        database.setdefault("OPTIONS", {})["prepare_threshold"] = 5 if PREPARED_STATEMENTS else None
    if STATEMENT_TIMEOUT and database["ENGINE"].endswith("postgresql"):
        database.setdefault("OPTIONS", {})["options"] = (
            f"-c statement_timeout={STATEMENT_TIMEOUT * 1000}"
        )


def cache_from_url(url):
    """CACHE_URL: locmem:// (default), redis://host:port/db, memcached://host:port."""
    scheme = url.split("://", 1)[0]
    if scheme == "locmem":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    if scheme in {"redis", "rediss"}:
        # Shared by every app server; a Redis that is down or hangs serves pages uncached.
        return {"BACKEND": "cooperation.redis_cache.RedisPageCache", "LOCATION": url}
    if scheme == "memcached":
        return {
            "BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
            "LOCATION": url.split("://", 1)[1],
        }
    if scheme == "dummy":
        return {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    raise ImproperlyConfigured(
        f"CACHE_URL must start with locmem://, redis://, rediss://, memcached:// or dummy://, "
        f"not {url!r}."
    )


CACHES = {"default": cache_from_url(os.environ.get("CACHE_URL", "locmem://"))}
# How long an anonymous page is kept; any change to a record makes it stale at once anyway.
PUBLIC_PAGE_CACHE_SECONDS = env_int("PUBLIC_PAGE_CACHE_SECONDS", 600)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The interface in English (at /…, unprefixed), Azerbaijani (/az/…) and Russian (/ru/…);
# each language's name as its readers write it, for the language switcher.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("az", "Azərbaycan dili"), ("ru", "Русский")]
# The project's catalogue (`makemessages`), then Azerbaijani for the libraries that ship
# none: django-countries' country names, django-simple-history's pages (kept by hand).
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale" / "libraries"]
# English dates as the registry writes them ("15 December 2023"); az and ru use Django's.
FORMAT_MODULE_PATH = ["config.formats"]

# The records' own words (titles, summaries, names of bodies, places, topics, programmes)
# are kept in each of LANGUAGES (cooperation/translation.py). English is the record's
# language of reference: required wherever the field is, the one slugs are made from, and
# what a page shows, marked as English, where a translation is missing.
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_REQUIRED_LANGUAGES = ("en",)
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)
MODELTRANSLATION_PREPOPULATE_LANGUAGE = "en"


def language_field_label(name, language):
    """The admin's label of a field's column in one language: "title [az]", with the
    field's name in the admin's language."""
    return format_lazy("{} [{}]", name, language)


MODELTRANSLATION_BUILD_LOCALIZED_VERBOSE_NAME = language_field_label
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Where collectstatic writes the files whitenoise serves (hashed and compressed in production).
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT") or BASE_DIR / "staticfiles")
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
FIXTURE_DIRS = [BASE_DIR / "fixtures"]

# A name set here is shown as it is in every language; the default is translated.
SITE_NAME = os.environ.get("SITE_NAME") or _("Cooperation Registry")

# Public lists page through records; the size is fixed so that cited page URLs stay stable.
EVENTS_PER_PAGE = 20

# Behind a TLS proxy: DJANGO_SECURE_PROXY_SSL_HEADER=true trusts its X-Forwarded-Proto, and
# DJANGO_TRUSTED_PROXY_COUNT (default 0: no proxy) says how many proxies append to
# X-Forwarded-For, so the lockout below counts the real client's address
# (config/client_ip.py) and not one a client wrote into the header itself.
TRUSTED_PROXY_COUNT = env_int("DJANGO_TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("DJANGO_TRUSTED_PROXY_COUNT must be 0 or more.")

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = (
        ("HTTP_X_FORWARDED_PROTO", "https")
        if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER", False)
        else None
    )
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # "__Host-": the browser keeps these cookies only when they were set over HTTPS for this
    # exact host with Path=/, so neither a subdomain nor a plain-HTTP page can plant one.
    # Without HTTPS (local development) a browser would refuse them, hence production only.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

# A form refused for a missing or stale CSRF token gets the site's own 403 page.
CSRF_FAILURE_VIEW = "cooperation.views.csrf_failure"
# Only the server reads the CSRF cookie: the admin's own scripts never need it.
CSRF_COOKIE_HTTPONLY = True
# Staff sessions end when the browser closes, and after DJANGO_SESSION_HOURS (default 8)
# in any case; signing out (a POST, as the admin does it) deletes the session.
SESSION_COOKIE_AGE = env_int("DJANGO_SESSION_HOURS", 8) * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content-Security-Policy (django-csp): nothing loads unless named here. Scripts and styles
# come from this site only; an inline script (the event page's JSON-LD) runs only with the
# request's nonce; no page may be framed, change its base URL or post elsewhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "manifest-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
    }
}

# django-axes: after AXES_FAILURE_LIMIT failed sign-ins for one username from one address,
# that pair (and only that pair: a real user elsewhere can still sign in) is refused for
# AXES_COOLOFF_TIME, counted from the last failure. A successful sign-in clears the count.
AXES_FAILURE_LIMIT = env_int("DJANGO_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("DJANGO_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "config.client_ip.client_ip"
AXES_LOCKOUT_CALLABLE = "cooperation.signin.lockout"
# axes logs every sign-in, sign-out, failure and lockout with the username and the client's
# address (masked by default): unmasked, the log says who used a staff account, from where.
# Passwords are never logged.
AXES_SENSITIVE_PARAMETERS = []
# The log above is the record of sign-ins; axes need not keep a row for every success too.
AXES_DISABLE_ACCESS_LOG = True

# A probe on the server's own port speaks plain HTTP: a redirect to HTTPS would fail it.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

LOG_LEVEL = os.environ.get("DJANGO_LOG_LEVEL", "INFO").strip().upper() or "INFO"
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(
        "DJANGO_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, "
        f"not {os.environ['DJANGO_LOG_LEVEL']!r}."
    )

# One JSON object per line on stdout (config/logging.py). Django's own loggers get the
# same handler instead of their defaults (the console only when DEBUG, mail to ADMINS).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "config.logging.JsonFormatter"}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "json",
        }
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        name: {"handlers": ["stdout"], "level": LOG_LEVEL, "propagate": False}
        for name in ("django", "django.request", "django.security")
    },
}
