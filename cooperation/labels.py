"""The names of the records and of their fields, as staff read them in the admin, in the
admin's language.

A field or model declared without a `verbose_name` is named after its attribute
("sending organization"), which no catalogue can translate. Giving each a translatable
name in models.py would change every field's migration state (the name is part of it) for
no change in the database; instead the names are set here, on the classes Django has just
built (`class_prepared`), which migrations never read. They are set before
modeltranslation copies a field's name into its per-language fields ("title [az]").

A name declared in models.py itself (`verbose_name=…`) is left as it is.
"""

from django.db.models.signals import class_prepared
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# model name: (singular, plural)
MODEL_NAMES = {
    "organization": (_("organization"), _("organizations")),
    "person": (_("person"), _("people")),
    "personname": (_("person name"), _("person names")),
    "position": (_("position"), _("positions")),
    "place": (_("place"), _("places")),
    "topic": (_("topic"), _("topics")),
    "source": (_("source"), _("sources")),
    "cooperationprogram": (_("instrument"), _("instruments")),
    "signing": (_("instrument signed during a visit"), _("instruments signed during a visit")),
    "series": (_("series"), _("series")),
    "occasion": (_("occasion"), _("occasions")),
    "programsignatory": (_("program signatory"), _("programme signatories")),
    "programcitation": (_("program citation"), _("program citations")),
    "delegation": (_("delegation"), _("delegations")),
    "delegationmember": (_("delegation member"), _("delegation members")),
    "delegationcitation": (_("delegation citation"), _("delegation citations")),
    "meeting": (_("meeting"), _("meetings")),
    "meetingparticipant": (_("meeting participant"), _("meeting participants")),
    "workshop": (_("workshop"), _("workshops")),
    "sitevisit": (_("site visit"), _("site visits")),
    "meetingcitation": (_("meeting citation"), _("meeting citations")),
    "workshopcitation": (_("workshop citation"), _("workshop citations")),
    "sitevisitcitation": (_("site visit citation"), _("site visit citations")),
}

# field name: its name in every model that has it (a parent's: FIELD_NAMES_IN)
FIELD_NAMES = {
    "activity": _("activity"),
    "address": _("address"),
    "content": _("content"),
    "country": _("country"),
    "created_at": _("created at"),
    "created_by": _("created by"),
    "date": _("date"),
    "date_basis": _("date basis"),
    "decided_at": _("decided at"),
    "decided_by": _("decided by"),
    "delegation": _("delegation"),
    "description": _("description"),
    "end_date": _("end date"),
    "end_year": _("end year"),
    "host_organization": _("host organization"),
    "instrument": _("instrument"),
    "kind": _("kind"),
    "language": _("language"),
    "location": _("location"),
    "meeting": _("meeting"),
    "name": _("name"),
    "number": _("number"),
    "occasion": _("occasion"),
    "order": _("order"),
    "organization": _("organization"),
    "parties": _("parties"),
    "person": _("person"),
    "place": _("place"),
    "program": _("program"),
    "published_at": _("published at"),
    "published_by": _("published by"),
    "published_on": _("published on"),
    "publisher": _("publisher"),
    "purpose": _("purpose"),
    "quotation": _("quotation"),
    "role": _("role"),
    "script": _("script"),
    "sending_organization": _("sending organization"),
    "series": _("series"),
    "short_name": _("short name"),
    "side": _("side"),
    "signed_at": _("signed at"),
    "signed_on": _("signed on"),
    "slug": _("slug"),
    "source": _("source"),
    "sources": _("sources"),
    "start_date": _("start date"),
    "start_year": _("start year"),
    "state": _("state"),
    "status": _("status"),
    "summary": _("summary"),
    "supplied_by": _("supplied by"),
    "title": pgettext_lazy("of a record", "title"),
    "topics": _("topics"),
    "updated_at": _("updated at"),
    "visit_type": _("visit type"),
    "website": _("website"),
}

# (model name, field name): where a field's name means something else in that model
FIELD_NAMES_IN = {
    # A post and a signature name a person's title: "Prosecutor General".
    ("position", "title"): pgettext_lazy("of a person", "title"),
    ("programsignatory", "title"): pgettext_lazy("of a person", "title"),
    ("person", "name"): pgettext_lazy("of a person", "name"),
    ("personname", "name"): pgettext_lazy("of a person", "name"),
    ("place", "parent"): pgettext_lazy("the place another is in", "parent"),
    ("organization", "parent"): pgettext_lazy("the office a unit belongs to", "parent"),
    ("topic", "parent"): pgettext_lazy("a broader topic", "parent"),
}


def name_fields(sender, **kwargs):
    opts = sender._meta
    if opts.app_label != "cooperation":
        return
    names = MODEL_NAMES.get(opts.model_name)
    if names and "verbose_name" not in opts.original_attrs:
        opts.verbose_name = names[0]
    if names and "verbose_name_plural" not in opts.original_attrs:
        opts.verbose_name_plural = names[1]
    for field in opts.local_fields + opts.local_many_to_many:
        if field._verbose_name is not None:
            continue  # named in models.py
        name = FIELD_NAMES_IN.get((opts.model_name, field.name), FIELD_NAMES.get(field.name))
        if name is not None:
            field.verbose_name = name


def connect():
    """Called before the models are imported (cooperation/apps.py)."""
    class_prepared.connect(name_fields, dispatch_uid="cooperation-labels")
