"""How the registry makes a slug from a title or a name.

A long title is cut at a word, never inside one, and a year or a range of years at its end
is kept: the years are what tell "…-programme-2021-2023" from "…-programme-2024-2026", so
"…-for-2021-2023" never becomes "…-for-2". The admin's slug fields follow the same rule as
they are typed (cooperation/static/cooperation/admin/slugs.js, tested against the same
cases as this module).
"""

import re

from django.utils.text import slugify

SLUG_MAX_LENGTH = 200

# Letters that Unicode does not decompose into a Latin letter and a mark, which slugify()
# would otherwise drop: "Gəncə" is "gence", not "gnc". The JavaScript rule has the same table.
LETTERS = str.maketrans(
    {
        "ə": "e",
        "Ə": "E",
        "ı": "i",
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ø": "o",
        "Ø": "O",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "Ð": "D",
        "ł": "l",
        "Ł": "L",
        "þ": "th",
        "Þ": "TH",
    }
)

# A year, or a range of years, at the end of a slug: "-2023", "-2021-2023".
TRAILING_YEARS = re.compile(r"-\d{4}(?:-\d{4})?$")


def slug_for(text, max_length=SLUG_MAX_LENGTH):
    """The slug of `text`, at most `max_length` characters long (see shorten)."""
    return shorten(slugify(str(text).translate(LETTERS)), max_length)


def shorten(slug, max_length=SLUG_MAX_LENGTH):
    """`slug` cut to `max_length` at a hyphen, keeping a trailing year or range of years.

    A single word longer than the room left is cut where the room ends: there is no
    boundary to cut at.
    """
    if len(slug) <= max_length:
        return slug
    years = TRAILING_YEARS.search(slug)
    tail = ""
    # The years fit, at least on their own (without their leading hyphen).
    if years and len(years.group()) - 1 <= max_length:
        tail = years.group()
        slug = slug[: years.start()]
    room = max(max_length - len(tail), 0)
    head = slug[:room]
    if len(slug) > room and slug[room] != "-" and "-" in head:
        head = head[: head.rindex("-")]
    head = head.strip("-")
    return head + tail if head else tail.lstrip("-")
