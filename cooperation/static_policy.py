"""The Content-Security-Policy on every response, built once per process where it can be.

django-csp builds the policy string anew for each response: it reads the settings, copies
every directive and joins them, which costs more than a 304 or a cached page takes to
answer otherwise. Only a response whose page used the request's nonce (an inline script),
or that was given a policy of its own, needs a policy of its own; every other response
(most pages, every 304, every cached copy without an inline script, the 405s and
redirects) carries the same string, built once here and again only when a test changes
the settings.

Two middlewares use it (config/settings.py, MIDDLEWARE):
- PolicyMiddleware takes django-csp's place: the plain policy for plain responses, and
  django-csp's own work for the others.
- StaticFilePolicyMiddleware, just outside whitenoise, gives the plain policy to what
  whitenoise answers: static files, their 304s and its 405s. Whitenoise answers before the
  rest of the middleware runs, so PolicyMiddleware, inside it, never sees those responses;
  and whitenoise's 304s keep only the headers it lists for them, so a header whitenoise is
  told to add to its files would be missing there.
"""

import functools
import http

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from whitenoise.middleware import WhiteNoiseFileResponse

# Per header: the setting that configures it, and the response attribute that exempts one
# response from it (django-csp's decorators set these).
HEADERS = (
    (HEADER, "CONTENT_SECURITY_POLICY", "_csp_exempt", False),
    (HEADER_REPORT_ONLY, "CONTENT_SECURITY_POLICY_REPORT_ONLY", "_csp_exempt_ro", True),
)
# What django-csp's decorators set on a response to give it a policy of its own.
OWN_POLICY = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)
# django-csp leaves the debug pages of these statuses without a policy while DEBUG is on.
DEBUG_PAGES = (http.HTTPStatus.INTERNAL_SERVER_ERROR, http.HTTPStatus.NOT_FOUND)


@functools.cache
def plain_policies():
    """Per header: the policy of a response without a nonce or a policy of its own, or ""
    when that header is not configured."""
    return {header: build_policy(report_only=report_only) for header, _, _, report_only in HEADERS}


@receiver(setting_changed)
def forget_policies(setting, **kwargs):
    if setting in {name for _, name, _, _ in HEADERS}:
        plain_policies.cache_clear()


class PolicyMiddleware(CSPMiddleware):
    def process_response(self, request, response):
        if getattr(request, "_csp_nonce", None) is not None or any(
            hasattr(response, name) for name in OWN_POLICY
        ):
            return super().process_response(request, response)
        # django-csp's steps, with the policies built once.
        if settings.DEBUG and response.status_code in DEBUG_PAGES:
            return response
        for header, setting, exempt, _ in HEADERS:
            policy = plain_policies()[header]
            excluded = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES")
            if (
                policy
                and header not in response
                and not getattr(response, exempt, False)
                and not request.path_info.startswith(tuple(excluded or ()))
            ):
                response[header] = policy
        # As django-csp does: a nonce asked for after the header was written would be in no
        # policy, so asking is an error from here on.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response


class StaticFilePolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if isinstance(response, WhiteNoiseFileResponse) and HEADER not in response:
            policy = plain_policies()[HEADER]
            if policy:
                response[HEADER] = policy
        return response
