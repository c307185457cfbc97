from django.urls import path

from . import citing, exports, suggest, views
from .countries import country_detail, country_list
from .feeds import RecentEventsFeed

app_name = "cooperation"

urlpatterns = [
    path("", views.home, name="home"),
    path("events/", views.event_list, name="event-list"),
    path("events/export.csv", exports.event_export, {"fmt": "csv"}, name="event-export-csv"),
    path("events/export.json", exports.event_export, {"fmt": "json"}, name="event-export-json"),
    path("events/export.xlsx", exports.event_export, {"fmt": "xlsx"}, name="event-export-xlsx"),
    path("events/facets/<slug:kind>/", views.event_facet, name="event-facet"),
    path("events/suggest/<slug:name>/", suggest.suggest, name="event-suggest"),
    path("events/<slug:slug>/", views.event_detail, name="event-detail"),
    path("events/<slug:slug>/calendar.ics", exports.event_calendar, name="event-calendar"),
    path(
        "events/<slug:slug>/cite.bib",
        citing.event_citation,
        {"fmt": "bib"},
        name="event-cite-bib",
    ),
    path(
        "events/<slug:slug>/cite.ris",
        citing.event_citation,
        {"fmt": "ris"},
        name="event-cite-ris",
    ),
    path(
        "events/<slug:slug>/cite.json",
        citing.event_citation,
        {"fmt": "json"},
        name="event-cite-json",
    ),
    path("feeds/events.atom", RecentEventsFeed(), name="event-feed"),
    path("programs/", views.program_list, name="program-list"),
    path("programs/<slug:slug>/", views.program_detail, name="program-detail"),
    path(
        "programs/<slug:slug>/cite.bib",
        citing.program_citation,
        {"fmt": "bib"},
        name="program-cite-bib",
    ),
    path(
        "programs/<slug:slug>/cite.ris",
        citing.program_citation,
        {"fmt": "ris"},
        name="program-cite-ris",
    ),
    path(
        "programs/<slug:slug>/cite.json",
        citing.program_citation,
        {"fmt": "json"},
        name="program-cite-json",
    ),
    path("organizations/<slug:slug>/", views.organization_detail, name="organization-detail"),
    path("people/<slug:slug>/", views.person_detail, name="person-detail"),
    path("topics/<slug:slug>/", views.topic_detail, name="topic-detail"),
    path("places/<slug:slug>/", views.place_detail, name="place-detail"),
    path("occasions/<slug:slug>/", views.occasion_detail, name="occasion-detail"),
    path("countries/", country_list, name="country-list"),
    path("countries/<str:code>/", country_detail, name="country-detail"),
]
