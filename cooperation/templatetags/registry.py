"""Template helpers for dates as people read them, the page in other languages, and
structured data for machines."""

import functools
import json

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, translate_url
from django.utils import translation
from django.utils.encoding import escape_uri_path, iri_to_uri
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import pgettext_lazy

register = template.Library()

# Characters that could close the <script> element or start markup inside JSON.
_JSON_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


@register.simple_tag
def show_date(value):
    """<time datetime="2023-12-15">15 December 2023</time> (in Azerbaijani "15 dekabr
    2023", in Russian "15 декабря 2023 г."), or nothing for no date."""
    if not value:
        return ""
    return _written_date(value, translation.get_language())


@functools.lru_cache(maxsize=20_000)
def _written_date(value, language):
    """show_date's element, written once per date and language in a process: Django's
    date formatting looks up the format and each word of it anew (0.05 ms a date, and a
    list of events writes 20 to 80 dates). Forgotten when a setting changes (a test's)."""
    return format_html('<time datetime="{}">{}</time>', value.isoformat(), date_format(value))


@receiver(setting_changed)
def forget_written_dates(**kwargs):
    _written_date.cache_clear()


@register.simple_tag
def show_dates(start, end=None):
    """A date or a date range: "15 December 2023", "15–17 December 2023"."""
    if not end or end == start:
        return show_date(start)
    return format_html("{} – {}", show_date(start), show_date(end))


@register.filter
def json_ld(data):
    """Serialise structured data for a <script type="application/ld+json"> element."""
    text = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=False)
    return mark_safe(text.translate(_JSON_ESCAPES))


@register.filter
def language_name(code):
    """A language's name in the page's language ("English", "İngiliscə", "Английский"), or
    the code itself for a language Django does not know."""
    try:
        return translation.get_language_info(code)["name_translated"]
    except KeyError:
        return code


# The kinds of activity in a visit's timeline, by model. An activity's `kind_label` stays
# the English name: the templates and the stylesheet key on it.
ACTIVITY_KINDS = {
    "meeting": pgettext_lazy("activity kind", "Meeting"),
    "workshop": pgettext_lazy("activity kind", "Workshop"),
    "sitevisit": pgettext_lazy("activity kind", "Site visit"),
}


@register.filter
def activity_kind(activity):
    """The kind of an activity (a meeting, a workshop, a site visit) in the page's language."""
    return ACTIVITY_KINDS.get(activity._meta.model_name, activity.kind_label)


def page_path(request):
    """The address of the request's page, its query string kept."""
    query = request.META.get("QUERY_STRING", "")
    return escape_uri_path(request.path_info) + (f"?{iri_to_uri(query)}" if query else "")


def in_language(request, code, path=None):
    """The address of this page (or of `path`, with its query string) in language `code`.

    The patterns are the same in every language, so when an address resolves to no page (a
    404's), swapping its language prefix gives the same answer `translate_url` would.
    """
    if path is None:
        path = page_path(request)
    translated = translate_url(path, code)
    if translated != path or code == translation.get_language():
        return translated
    current = translation.get_language()
    rest = path
    if current != settings.LANGUAGE_CODE and (
        path.startswith(f"/{current}/") or path.split("?")[0] == f"/{current}"
    ):
        rest = path[len(current) + 1 :] or "/"
    if code == settings.LANGUAGE_CODE:
        return get_script_prefix() + rest.lstrip("/")
    return f"{get_script_prefix()}{code}{rest}"


@register.simple_tag(takes_context=True)
def page_languages(context, path=None):
    """This page in every language of the site: code, name (as its readers write it),
    address, and whether it is the language shown."""
    request = context.get("request")
    if request is None:
        return []
    current = translation.get_language()
    # Asked twice by every page (its alternate links and its language menu, the one for
    # its own address, the other, on a record's page, for the record's): worked out once
    # per request and address.
    path = page_path(request) if path is None else path
    found = request.__dict__.setdefault("_page_languages", {})
    if (path, current) not in found:
        found[path, current] = [
            {
                "code": code,
                "name": name,
                "url": in_language(request, code, path),
                "current": code == current,
            }
            for code, name in settings.LANGUAGES
        ]
    return found[path, current]


@register.simple_tag(takes_context=True)
def alternate_links(context, path=None):
    """<link rel="alternate" hreflang="…"> for this page (or `path`) in every language, and
    the English page as x-default: absolute addresses, query string kept."""
    request = context.get("request")
    if request is None:
        return ""
    links = [
        (language["code"], request.build_absolute_uri(language["url"]))
        for language in page_languages(context, path)
    ]
    default = dict(links)[settings.LANGUAGE_CODE]
    links.append(("x-default", default))
    return format_html_join("\n  ", '<link rel="alternate" hreflang="{}" href="{}">', links)
