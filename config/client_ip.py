"""The address a request came from, for the sign-in lockout (django-axes).

X-Forwarded-For is written by whoever sends the request: a client can put any address
first. Only the entries appended by this site's own proxies can be trusted, and a proxy
appends the address it received the request from. So with DJANGO_TRUSTED_PROXY_COUNT = n,
the client is the n-th entry from the right; with no proxy, it is REMOTE_ADDR. A header too
short for n proxies (a request that bypassed them) or an entry that is not an address falls
back to REMOTE_ADDR, never to a value the client chose.
"""

import ipaddress

from django.conf import settings


def valid_address(value):
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request):
    remote = request.META.get("REMOTE_ADDR", "")
    count = settings.TRUSTED_PROXY_COUNT
    if count:
        forwarded = [
            part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part
        ]
        if len(forwarded) >= count:
            address = valid_address(forwarded[-count])
            if address:
                return address
    return valid_address(remote) or remote
