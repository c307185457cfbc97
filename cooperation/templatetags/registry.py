"""Template helpers for dates as people read them and structured data for machines."""

import json

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()

# Characters that could close the <script> element or start markup inside JSON.
_JSON_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


@register.simple_tag
def show_date(value):
    """<time datetime="2023-12-15">15 December 2023</time>, or nothing for no date."""
    if not value:
        return ""
    return format_html(
        '<time datetime="{}">{}</time>', value.isoformat(), f"{value.day} {value:%B %Y}"
    )


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
