"""Addresses of the site's pages, kept per process: `address(viewname, *args)` is
`reverse(viewname, args=args)`.

A page links dozens of records (a list, its twenty visits and their offices; a visit, its
people, places and topics) and draws a filter form whose name boxes each carry the address
of their suggestions; reverse() walks the URL patterns for each, about 30 us. Its answer
depends, besides its arguments, on the script prefix the site is served under, the
request's URLconf and the language (the language prefix): kept under all of them, it is the
same answer.
"""

import functools

from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language


def address(viewname, *args):
    return _address(viewname, args, get_script_prefix(), get_urlconf(), get_language())


@functools.lru_cache(maxsize=8192)
def _address(viewname, args, prefix, urlconf, language):
    return reverse(viewname, args=args)
