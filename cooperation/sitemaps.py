"""sitemap.xml: every public page a search engine should know, and nothing of a draft.

Each page is listed in each language (English unprefixed, /az/…, /ru/…), with the other
languages' addresses as hreflang alternates and the English one as x-default.
"""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse
from django_countries import countries

from . import facets
from .models import (
    CooperationProgram,
    Delegation,
    Occasion,
    Organization,
    Person,
    Place,
    Topic,
)


class MultilingualSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True


class EventSitemap(MultilingualSitemap):
    changefreq = "monthly"
    priority = 0.8

    def items(self):
        return Delegation.objects.published().only("slug", "updated_at").order_by("id")

    def lastmod(self, item):
        return item.updated_at


class ProgramSitemap(EventSitemap):
    def items(self):
        return CooperationProgram.objects.published().only("slug", "updated_at").order_by("id")


class EntitySitemap(MultilingualSitemap):
    changefreq = "monthly"
    priority = 0.5

    def __init__(self, model):
        self.model = model

    def items(self):
        return self.model.objects.public().only("slug").order_by("id")


class PageSitemap(MultilingualSitemap):
    priority = 0.6
    changefreq = "daily"

    def items(self):
        return [
            "cooperation:home",
            "cooperation:event-list",
            "cooperation:program-list",
            "cooperation:country-list",
        ]

    def location(self, item):
        return reverse(item)


class CountrySitemap(MultilingualSitemap):
    """The page of each country some published visit involves (cooperation/countries.py)."""

    changefreq = "monthly"
    priority = 0.5

    def items(self):
        counted = facets.count(facets.everything(), "country").values
        return sorted(code for code, count in counted.items() if count > 0 and code in countries)

    def location(self, item):
        return reverse("cooperation:country-detail", args=[item.lower()])


SITEMAPS = {
    "pages": PageSitemap,
    "events": EventSitemap,
    "programs": ProgramSitemap,
    "organizations": EntitySitemap(Organization),
    "people": EntitySitemap(Person),
    "places": EntitySitemap(Place),
    "topics": EntitySitemap(Topic),
    "occasions": EntitySitemap(Occasion),
    "countries": CountrySitemap,
}
