"""The language of a page, taken from its address alone.

English is at the unprefixed addresses (`/events/`), Azerbaijani and Russian under their
prefixes (`/az/events/`, `/ru/events/`): config/urls.py puts every page in
`i18n_patterns(..., prefix_default_language=False)`. With that, Django's LocaleMiddleware
already activates LANGUAGE_CODE for an unprefixed address, whatever the browser's
Accept-Language or a language cookie say; each address therefore has one page, which is
what the page cache (cooperation/caching.py, keyed by host and full path) relies on.
"""

from django.middleware.locale import LocaleMiddleware
from django.utils.cache import cc_delim_re


class URLLocaleMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware, without the `Vary: Accept-Language` it adds to unprefixed
    pages.

    Django adds it because an unprefixed address may be answered in the browser's language
    in general; here it never is. Left in, it would be untrue, and would make every shared
    cache in front of the site (a CDN, a proxy) keep a copy of each English page per
    Accept-Language value a browser sends, for identical pages.
    """

    def process_response(self, request, response):
        varied_before = response.has_header("Vary") and any(
            value.strip().lower() == "accept-language"
            for value in cc_delim_re.split(response["Vary"])
        )
        response = super().process_response(request, response)
        if varied_before or not response.has_header("Vary"):
            return response
        kept = [
            value
            for value in cc_delim_re.split(response["Vary"])
            if value.strip() and value.strip().lower() != "accept-language"
        ]
        if kept:
            response["Vary"] = ", ".join(kept)
        else:
            del response["Vary"]
        return response
