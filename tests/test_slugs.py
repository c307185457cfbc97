"""The registry's slug rule (cooperation/slugs.py): cut at a word, keeping trailing years."""

import pytest

from cooperation.slugs import SLUG_MAX_LENGTH, shorten, slug_for
from tests.slug_cases import CASES, PROGRAMME


@pytest.mark.parametrize(("text", "max_length", "slug"), CASES)
def test_slug_for(text, max_length, slug):
    assert slug_for(text, max_length) == slug
    assert len(slug) <= max_length


def test_a_long_programme_title_keeps_its_years_not_a_piece_of_them():
    slug = slug_for(PROGRAMME)
    assert len(slug) <= SLUG_MAX_LENGTH
    assert slug.endswith("-of-experience-in-2021-2023")
    # Django's own cut would have ended mid-word, mid-range.
    assert not slug.endswith("-for-2")


def test_a_slug_that_fits_is_left_as_it_is():
    assert shorten("for-2021-2023", 13) == "for-2021-2023"


def test_every_slug_fits_its_field_at_any_length():
    for max_length in range(1, len(PROGRAMME) + 5):
        slug = slug_for(PROGRAMME, max_length)
        assert len(slug) <= max_length
        assert not slug.startswith("-") and not slug.endswith("-")
        assert "--" not in slug
