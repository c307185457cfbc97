"""What a request's first line may ask for: its method, and an address on this site.

The public pages only ever read: each is a plain function view that reads GET parameters
(cooperation/views.py), so any other method would reach it and be answered as a GET, or be
refused by the CSRF check with a 403 that says nothing true. Only the admin (its sign-in
and sign-out included) takes forms that post. This middleware answers every other method
itself, before the page cache and the CSRF check (config/settings.py, MIDDLEWARE):
OPTIONS with the methods an address allows and no body, the rest with 405 and the same
`Allow`. GET and HEAD go through untouched, so the page cache's 304s cost one comparison
more.

A path that begins with more than one slash or backslash is sent to the same path begun
with one. Pages build links from their own path (the language switch,
cooperation/templatetags/registry.py; the canonical and alternate links, templates/base.html),
and a browser reads a link beginning `//` or `/\\` as the address of another host: left
in, `GET //evil.example/events/` answered a 404 page whose language links led to
evil.example. Further in, a doubled slash is harmless (`/az//x` links to `/x`, `/ru//x`)
and simply matches no page: a 404, as any unknown address.
"""

from django.http import HttpResponse, HttpResponseNotAllowed, HttpResponsePermanentRedirect
from django.urls import get_script_prefix
from django.utils.encoding import escape_uri_path, iri_to_uri

from .caching import admin_prefixes

READING = frozenset({"GET", "HEAD"})
PUBLIC_METHODS = ("GET", "HEAD", "OPTIONS")
FORM_METHODS = ("GET", "HEAD", "OPTIONS", "POST")
PROBE_METHODS = ("GET", "HEAD")
LEADING_SLASHES = "/\\"


def allowed_methods(path_info):
    """The methods an address answers: the admin's forms post (its sign-in and sign-out
    too), the health probe answers GET and HEAD alone, as its view says
    (cooperation/health.py), and every other page only reads."""
    if path_info == "/healthz":
        return PROBE_METHODS
    return FORM_METHODS if path_info.startswith(admin_prefixes()) else PUBLIC_METHODS


def begun_with_one_slash(request):
    """This request's address, its path begun with a single slash, its query kept."""
    path = get_script_prefix() + request.path_info.lstrip(LEADING_SLASHES)
    query = request.META.get("QUERY_STRING", "")
    return escape_uri_path(path) + (f"?{iri_to_uri(query)}" if query else "")


class RequestLineMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path[1:2] in ("/", "\\"):
            return HttpResponsePermanentRedirect(begun_with_one_slash(request))
        if request.method in READING:
            return self.get_response(request)
        allowed = allowed_methods(path)
        if request.method == "OPTIONS" and "OPTIONS" in allowed:
            response = HttpResponse(status=200)
            response["Allow"] = ", ".join(allowed)
            response["Content-Length"] = "0"
            return response
        if request.method not in allowed:
            return HttpResponseNotAllowed(allowed)
        return self.get_response(request)
