"""The Content-Security-Policy on what whitenoise answers: static files, their 304s and its
405s.

Whitenoise answers a static file before the rest of the middleware runs (config/settings.py,
MIDDLEWARE), so django-csp, inside it, never sees those responses. Placed outside
whitenoise instead, django-csp would build the policy anew for every file, which costs
more than serving a small file does; and whitenoise's 304s keep only the headers it lists
for them, so a header whitenoise is told to add to its files would be missing there.

This middleware, just outside whitenoise, builds the policy once, as django-csp builds it
for a page without an inline script, and gives it to whitenoise's responses. Pages pass
through untouched: each has its own policy, with its nonce.
"""

from csp.constants import HEADER
from csp.utils import build_policy
from whitenoise.middleware import WhiteNoiseFileResponse


class StaticFilePolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = build_policy()

    def __call__(self, request):
        response = self.get_response(request)
        if isinstance(response, WhiteNoiseFileResponse) and HEADER not in response:
            response[HEADER] = self.policy
        return response
