"""The country pages: /countries/ (every country with published visits, on any side) and
/countries/<code>/ (one country: its visits over time, whom it visits and who visits it,
where its visits took place).

A country is not a record: it is an ISO 3166-1 code that organizations carry, named in the
page's language by django-countries. Its counts are those the event index keeps for the
country filters (cooperation/facets.py), so every number links to the list it counts.
"""

from django.http import Http404, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django_countries import countries

from . import facets
from .languages import fold


def country_counts():
    """{kind: {code: visits}} over the whole archive, for any side, the sending side and
    the host side: kept counts, read once per version of the registry."""
    results = facets.everything()
    return {kind: facets.count(results, kind) for kind in ("country", "from_country", "to_country")}


def country_list(request):
    counted = country_counts()
    events = reverse("cooperation:event-list")
    rows = [
        {
            "code": code,
            "name": str(countries.name(code)) or code,
            "url": reverse("cooperation:country-detail", args=[code.lower()]),
            "count": count,
            "count_url": f"{events}?country={code}",
            "sent": counted["from_country"].values.get(code, 0),
            "sent_url": f"{events}?from_country={code}",
            "hosted": counted["to_country"].values.get(code, 0),
            "hosted_url": f"{events}?to_country={code}",
        }
        for code, count in counted["country"].values.items()
        if count > 0
    ]
    rows.sort(key=lambda row: fold(row["name"]))
    context = {"rows": rows, "results": facets.everything(), "query": QueryDict()}
    return render(request, "cooperation/country_list.html", context)


def country_detail(request, code):
    code = code.upper()
    counted = country_counts()
    if code not in countries or not counted["country"].values.get(code):
        raise Http404("No published visit involves this country.")
    events = reverse("cooperation:event-list")
    query = QueryDict(mutable=True)
    query["country"] = code
    context = {
        "code": code,
        "name": str(countries.name(code)),
        "results": facets.involving("country", code),
        "query": query,
        "count": counted["country"].values[code],
        "count_url": f"{events}?country={code}",
        "sent": counted["from_country"].values.get(code, 0),
        "sent_url": f"{events}?from_country={code}",
        "hosted": counted["to_country"].values.get(code, 0),
        "hosted_url": f"{events}?to_country={code}",
        "canonical": reverse("cooperation:country-detail", args=[code.lower()]),
    }
    return render(request, "cooperation/country_detail.html", context)
