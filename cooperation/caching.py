"""Conditional requests and a shared cache for the public pages.

Every public page depends on the records only, so one counter (registry_version) that
changes with any record is a sound validator for all of them: the ETag is the page's
address plus that version, Last-Modified is when it last changed. A request whose
validator still matches gets 304 without rendering; an anonymous request for a page
rendered since the last change gets the cached copy. Signed-in staff (any request with a
session) always get a fresh page: they may be previewing drafts.

Writes through the records' write path (cooperation/records/) move the counter themselves,
and only when something the public can see changed: a draft's edits move nothing. A save
made outside that path (a shell, a one-off script) still moves it, from the model signals
below, since nothing else would say whether the pages changed.
"""

import datetime as dt
import functools
import hashlib
import math
import time

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.core.signals import setting_changed
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from django.http import HttpResponseNotModified
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import http_date, parse_etags, parse_http_date_safe

from . import registry_version, replicas

CACHEABLE_METHODS = {"GET", "HEAD"}
# What patch_cache_control(public=True, no_cache=True) writes on a response without the
# header: most of what this middleware answers, so written directly.
REVALIDATED = "public, no-cache"


def bump_version(sender, using=None, **kwargs):
    from .records import current

    if current() is None:
        registry_version.bump(using or "default")


def connect_signals():
    from .models import Revision

    for model in apps.get_app_config("cooperation").get_models():
        # The event index: written in bulk by SQL that bumps the counter itself (a receiver
        # here would also stop Django deleting a visit's rows in one query). A change
        # waiting for review is not public.
        if not model._meta.managed or model is Revision:
            continue
        post_save.connect(bump_version, sender=model, dispatch_uid=f"bump-save-{model.__name__}")
        post_delete.connect(bump_version, sender=model, dispatch_uid=f"bump-del-{model.__name__}")
    m2m_changed.connect(bump_version, dispatch_uid="bump-m2m")


@functools.cache
def admin_prefixes():
    """The admin's address in every language: /admin/ (English), /az/admin/, /ru/admin/."""
    others = (code for code, _ in settings.LANGUAGES if code != settings.LANGUAGE_CODE)
    return ("/admin/", *(f"/{code}/admin/" for code in others))


@receiver(setting_changed)
def forget_languages(setting, **kwargs):
    if setting in {"LANGUAGES", "LANGUAGE_CODE"}:
        admin_prefixes.cache_clear()


def is_public_path(path):
    static = "/" + settings.STATIC_URL.lstrip("/")
    # /healthz reports on the database now; a cached or 304 answer would say nothing.
    return not (path.startswith(admin_prefixes()) or path.startswith(static) or path == "/healthz")


def last_modified(changed_at):
    """The Last-Modified second for a page whose records last changed at `changed_at`.

    HTTP dates have whole seconds; changes do not. Once the second of the last change has
    passed, the page says the next whole second: any later change is later than that, so
    modified_since() answers 304 only for a copy that is current. Within that second another
    change may still come, so the page says the second itself, which modified_since() never
    takes as fresh: such a copy is revalidated in full (its ETag still gives a 304).
    """
    stamp = changed_at.timestamp()
    after = math.ceil(stamp)
    return after if after <= time.time() else math.floor(stamp)


def today():
    """The day a page is read: the "accessed" date of its citation (cooperation/citing.py).
    Worked out once a second: every request asks, a 304 first of all."""
    return _day_at(int(time.time()), timezone.get_current_timezone())


@functools.lru_cache(maxsize=2)
def _day_at(second, zone):
    # A day begins on a whole second in every time zone.
    return dt.datetime.fromtimestamp(second, zone).date()


@functools.lru_cache(maxsize=4)
def validated(changed_at, day, zone):
    """When a page read on `day` in `zone` last changed, and the words the ETag says of
    that time and the day: the same for every request until the registry or the day
    changes, so worked out once.

    The page last changed at the last change, or at the start of the day, since the page
    gives the day (its citation's accessed date). Just before midnight rather than on it,
    so that a copy validated by a Last-Modified of midnight is fresh (modified_since()
    takes only a date strictly after the change)."""
    midnight = timezone.make_aware(dt.datetime.combine(day, dt.time.min), zone)
    day_began = midnight - dt.timedelta(microseconds=1)
    since = max(changed_at, day_began) if changed_at else day_began
    return since, f"{since.isoformat()}|{day.isoformat()}"


@functools.lru_cache(maxsize=4)
def _http_date(seconds):
    return http_date(seconds)


def used_nonce(request):
    """The CSP nonce the page was rendered with, or None if it has no inline script."""
    return getattr(request, "_csp_nonce", None)


def with_fresh_nonce(request, response, nonce):
    """A cached page with its inline scripts' nonce replaced by this request's own.

    A nonce proves that a script was written by the server for this one response; sending
    the stored one again would let anyone who saw it once run a script on the page. The
    CSP middleware (outside this one) then names the new nonce in the header.
    """
    if nonce:
        fresh = str(request.csp_nonce)
        response.content = response.content.replace(nonce.encode(), fresh.encode())
        if response.has_header("Content-Length"):
            response["Content-Length"] = str(len(response.content))
    return response


class PublicPageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in CACHEABLE_METHODS or not is_public_path(request.path):
            return self.get_response(request)
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            # Perhaps signed-in staff. This runs before the session and the user are loaded
            # (settings.MIDDLEWARE), so that a 304 or a cached page costs only the
            # middleware above it; a visitor with a session cookie is not told apart from
            # staff, and simply gets a fresh page.
            response = self.get_response(request)
            patch_cache_control(response, private=True, no_cache=True)
            return response

        read = registry_version.current()
        version, changed_at = read
        # A page names the day it was read (its citation's accessed date): a copy, cached or
        # validated, serves that day only.
        changed_at, stamp = validated(changed_at, today(), timezone.get_current_timezone())
        address = f"{request.get_host()}{request.get_full_path()}"
        digest = hashlib.blake2b(
            f"{version}|{stamp}|{address}".encode(), digest_size=16
        ).hexdigest()
        etag = f'"{digest}"'

        # From META rather than request.headers, which would copy every header first.
        if_none_match = request.META.get("HTTP_IF_NONE_MATCH")
        if if_none_match is not None:
            # Only a 200 for this very address, version and day was given this ETag, so a
            # match proves the copy current (not "*": it would answer 304 for an address
            # with no page, a draft's 404). If-Modified-Since is then ignored.
            if if_none_match == etag or etag in parse_etags(if_none_match):
                return self.validate(HttpResponseNotModified(), etag, changed_at)
            modified_since = None
        else:
            modified_since = self.modified_since(request, changed_at)

        key = f"page:{digest}"
        # A date, unlike an ETag, names no page: sent for an address that answers 404 or
        # 400, it must not turn the error into a 304. A copy in the cache was a 200.
        if modified_since and cache.has_key(key):
            return self.validate(HttpResponseNotModified(), etag, changed_at)
        cached = cache.get(key)
        if cached is not None:
            response, nonce = cached
            return with_fresh_nonce(request, response, nonce)
        # Rendered from a read replica as new as `version`, when there is one
        # (cooperation/replicas.py): the page is then exactly the version its ETag names.
        with registry_version.held(read):
            response = self.validate(
                replicas.serve(request, version, self.get_response), etag, changed_at
            )
        if response.status_code == 200 and not response.streaming and not response.cookies:
            cache.set(key, (response, used_nonce(request)), settings.PUBLIC_PAGE_CACHE_SECONDS)
        if modified_since and response.status_code == 200:
            return self.validate(HttpResponseNotModified(), etag, changed_at)
        return response

    def process_exception(self, request, exception):
        # A read replica that failed under the page: handed back to replicas.serve above,
        # which reads the page again from the primary.
        return replicas.failed_read(exception)

    @staticmethod
    def modified_since(request, changed_at):
        """Whether If-Modified-Since says the client's copy is as new as the page.

        A date later than now is ignored, as HTTP asks: no copy can have been made then,
        and honouring it would answer 304 for as long as the date is ahead.
        """
        since = parse_http_date_safe(request.META.get("HTTP_IF_MODIFIED_SINCE", ""))
        if since is None or since > time.time():
            return False
        # Strictly before: a date names a whole second, and a change within the second a
        # client was given may be newer than its copy (last_modified()).
        return bool(changed_at and changed_at.timestamp() < since)

    @staticmethod
    def validate(response, etag, changed_at):
        if response.status_code in (200, 304):
            response["ETag"] = etag
            if changed_at:
                response["Last-Modified"] = _http_date(last_modified(changed_at))
        # Stored, but checked with the server before each reuse: an unpublished record
        # disappears at once.
        if "Cache-Control" in response:
            patch_cache_control(response, public=True, no_cache=True)
        else:
            response["Cache-Control"] = REVALIDATED
        return response
