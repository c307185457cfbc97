"""Drawing words, days and times for the synthetic archive.

The helpers take `rand`, a Random's random(): they run millions of times, and indexing
with rand() costs a fraction of Random.choice()/randint()/choices().
"""

import datetime as dt
from bisect import bisect

from .vocabulary import ADJECTIVE_WEIGHTS, ADJECTIVES, NOUN_WEIGHTS, NOUNS, SUMMARY_SENTENCES

# The archive as it stood at this instant: nothing in it was entered, published or changed
# later. A fixed instant, not "now", so that a seed always gives the same records.
AS_OF = dt.datetime(2026, 9, 30, 12, 0, tzinfo=dt.UTC)
# The world's records say they were entered on this day.
WORLD_ENTERED = dt.datetime(2025, 1, 6, 9, 0, tzinfo=dt.UTC)
# Visits start from FIRST_DAY to LAST_DAY. A visit ends up to 5 days after it starts, its
# record is entered within 30 days after it ends, published within 3 days and last changed
# within 10 more: LAST_DAY leaves room for those 48 days before AS_OF.
FIRST_DAY = dt.date(2000, 1, 1).toordinal()
LAST_DAY = AS_OF.toordinal() - 50


def pick(rand, items):
    return items[int(rand() * len(items))]


def between(rand, low, high):
    """A whole number from low to high, both included."""
    return low + int(rand() * (high - low + 1))


def entered(day, rand):
    """When a record about something on `day` was entered: within a month after it."""
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC) + dt.timedelta(
        seconds=86_400 + int(rand() * 29 * 86_400)
    )


def noun_phrase(rand):
    noun = NOUNS[bisect(NOUN_WEIGHTS, rand() * NOUN_WEIGHTS[-1])]
    if rand() < 0.6:
        return f"{ADJECTIVES[bisect(ADJECTIVE_WEIGHTS, rand() * ADJECTIVE_WEIGHTS[-1])]} {noun}"
    return noun


def fill(rand, template, **names):
    """`template` with each {np} a noun phrase drawn in turn, and the other names put in."""
    while "{np}" in template:
        template = template.replace("{np}", noun_phrase(rand), 1)
    return template.format(**names) if names else template


def summary(rand, sender, host, country, sentences):
    sender, host = the(sender), the(host)
    return " ".join(
        fill(rand, pick(rand, SUMMARY_SENTENCES), sender=sender, host=host, country=country)
        for _ in range(sentences)
    )


def sentence_case(text):
    """A topic's name inside a sentence: "money laundering"; an acronym keeps its capitals."""
    return text if text[:2].isupper() else text[0].lower() + text[1:]


def the(name):
    """An office's name inside a sentence: "the Crown Prosecution Service"."""
    return name if name.startswith("the ") else f"the {name}"
