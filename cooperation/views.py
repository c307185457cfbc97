"""Public pages. Every view starts from published records only (docs/architecture.md).

The one exception is a preview: staff who may view a programme or visit in the admin see
its page while it is still a draft, marked as such, and never cached (see `preview`).
"""

import functools
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.db import connections, router
from django.db.models import (
    Exists,
    F,
    OuterRef,
    Prefetch,
    Subquery,
    prefetch_related_objects,
)
from django.db.models.expressions import OrderBy
from django.db.models.functions import Coalesce
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseServerError,
)
from django.shortcuts import get_object_or_404, render
from django.template import loader
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.formats import date_format
from django.utils.translation import (
    get_language,
    get_language_from_path,
    gettext_lazy,
    override,
)
from django.utils.translation import gettext as _
from django_countries import countries

from . import citing, eventindex, facets, pictures, registry_version, suggest
from .caching import admin_prefixes
from .filters import EventFilter
from .keptsql import kept
from .languages import current, in_every_language, order_by_shown, person_name, shown
from .models import (
    SEARCH_FIELDS,
    CooperationProgram,
    Delegation,
    DelegationCitation,
    DelegationMember,
    EventTermCount,
    Meeting,
    MeetingCitation,
    MeetingParticipant,
    Occasion,
    Organization,
    Person,
    PersonName,
    Place,
    Position,
    ProgramCitation,
    ProgramSignatory,
    Signing,
    SiteVisit,
    SiteVisitCitation,
    Status,
    Topic,
    Workshop,
    WorkshopCitation,
)
from .pagination import count_results, page_of
from .structured_data import event_json_ld

PAGE_ERROR = gettext_lazy("The page number must be a whole number, 1 or more.")


def parse_page(request):
    """The requested page number, or None when it cannot be understood."""
    raw = request.GET.get("page", "1").strip() or "1"
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        return None
    number = int(raw)
    return number if number >= 1 else None


def bad_page_number(request, title):
    return render(
        request,
        "cooperation/bad_request.html",
        {"message": PAGE_ERROR, "title": title},
        status=400,
    )


def has_public_parent(record):
    """Whether the organization, topic or place a record sits under has a public page."""
    model = type(record)
    return bool(record.parent_id and model.objects.public().filter(pk=record.parent_id).exists())


def without(query, *names):
    """The query string with `names` (and the page number) removed."""
    query = query.copy()
    for name in (*names, "page"):
        query.pop(name, None)
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


def value_links(query, name):
    """A function of a value giving the query string with `name` set to that value, back
    on the first page: the rest of the query encoded once for a facet's many links, rather
    than the query copied and encoded for each. The parameters keep the order that
    QueryDict.urlencode() gives them, `name` where it was (last when it was not there)."""
    pieces, place = [], None
    for key, values in query.lists():
        if key == "page":
            continue
        if key == name:
            place = len(pieces)
            continue
        pieces.extend(urlencode({key: value}) for value in values)
    place = len(pieces) if place is None else place
    before, after = "&".join(pieces[:place]), "&".join(pieces[place:])

    def link(value):
        return "?" + "&".join(part for part in (before, urlencode({name: value}), after) if part)

    return link


def instrument_order():
    """Programmes by their first year, newest first; instruments with no period after them
    (PostgreSQL would put them first), then by title as the page shows it."""
    return (F("start_year").desc(nulls_last=True), order_by_shown("title"), "id")


def published_visit_types():
    """The types of visit with a published visit, in their declared order, each with its
    count: one primary-key read of the event index's counts (terms `v:<type>`)."""
    terms = {
        eventindex.term("visit_type", value): (value, label)
        for value, label in Delegation.VisitType.choices
    }
    counts = dict(
        EventTermCount.objects.filter(term__in=terms, events__gt=0).values_list("term", "events")
    )
    return [(*terms[term], counts[term]) for term in terms if term in counts]


def home(request):
    events = Delegation.objects.published().as_listed().order_by("-start_date", "-id")[:6]
    programs = CooperationProgram.objects.published().order_by(*instrument_order())[:6]
    return render(
        request,
        "cooperation/home.html",
        {"events": events, "programs": programs, "visit_types": published_visit_types()},
    )


# --- The event list ---------------------------------------------------------------------


def active_filters(filterset):
    """Chips for the filters in use: a label, the value as people read it, a removal URL."""
    data = filterset.form.cleaned_data
    query = filterset.data
    chips = []
    for name, field in filterset.form.fields.items():
        value = data.get(name)
        if name == "sort" or value in (None, ""):
            continue
        if name in ("country", "from_country", "to_country"):
            shown = countries.name(value)
        elif name == "visit_type":
            shown = Delegation.VisitType(value).label
        elif isinstance(value, Person):
            shown = person_name(value)
        elif hasattr(value, "strftime"):
            shown = date_format(value)
        else:
            shown = str(value)
        chips.append({"label": field.label, "value": shown, "remove_url": without(query, name)})
    return chips


# The facets of the event list, in the order the page shows them; each is a filter of
# cooperation/filters.py (its label heads the facet) counted by cooperation/facets.py.
FACETS = (
    "year",
    "country",
    "from_country",
    "to_country",
    "organization",
    "person",
    "program",
    "instrument",
    "topic",
    "place",
    "occasion",
    "visit_type",
)
# Values shown per facet on the list; "show all" leads to every one.
FACET_TOP = 6
# Values per page of a facet's own page.
FACET_PAGE = 100


# The records a facet names, read by id for the values shown: public ones only (a visit's
# programme may not be published; everything else a published visit involves is public).
# Only the columns a facet shows (facet_items): a facet page names a hundred records.
def _published_programmes():
    return CooperationProgram.objects.published().only("slug", *in_every_language("title"))


FACET_RECORDS = {
    "program": _published_programmes,
    "instrument": _published_programmes,
    "organization": lambda: Organization.objects.only("slug", *in_every_language("name")),
    "person": lambda: Person.objects.only("slug", "name").prefetch_related("other_names"),
    "topic": lambda: Topic.objects.only("slug", *in_every_language("name")),
    "place": lambda: Place.objects.only("slug", *in_every_language("name")),
    "occasion": lambda: Occasion.objects.only("slug", *in_every_language("name")),
}


# The records the facets name, kept per registry version: the list's facets name much the
# same records on page after page (the busiest offices, people and places), and reading
# them took a query per model, about 1 ms each at a million visits, most of it Django
# writing the SQL.
_facet_records = registry_version.KeptRecords(limit=5_000)


def facet_records(wanted):
    """{kind: {id: record}} for `wanted`, {kind: (value, count) pairs}: records kept for
    the registry's version, the rest read in one query per model (programmes and
    instruments are one model)."""
    ids = {}
    for kind, pairs in wanted.items():
        if kind in FACET_RECORDS:
            model_kind = "program" if kind == "instrument" else kind
            ids.setdefault(model_kind, set()).update(int(value) for value, _count in pairs)
    found = {}
    if any(ids.values()):
        # Every kind's model is read from the same database (cooperation/routers.py).
        using = router.db_for_read(Organization)
        version = registry_version.current(using)
        for kind, keys in ids.items():
            if keys:
                read = functools.partial(_in_bulk, FACET_RECORDS[kind], using)
                found[kind] = _facet_records.get(kind, keys, read, using, version)
    return {kind: found.get("program" if kind == "instrument" else kind, {}) for kind in wanted}


def _in_bulk(records, using, ids):
    return records().using(using).in_bulk(ids)


def facet_items(kind, pairs, counts, query, records=None):
    """What a facet lists for (value, count) `pairs`: a label in the page's language, the
    value its link puts in the URL, the count as the page shows it (an estimate says so).
    `records`, the records the values name, by id (facet_records())."""
    if records is None:
        records = facet_records({kind: pairs})[kind]
    current_value = query.get(kind, "").strip().lower()
    link = value_links(query, kind)
    # The facets' estimates are rounded already (facets.py).
    count_text = pictures.count_shower(counts.exact, rounding=None)
    items = []
    for value, number in pairs:
        lang = None
        if kind in FACET_RECORDS:
            record = records.get(int(value))
            if record is None:
                continue
            if kind == "person":
                label = person_name(record)
            else:
                field = "title" if kind in ("program", "instrument") else "name"
                label, lang = shown_label(record, field)
            value = record.slug
        elif kind in ("country", "from_country", "to_country"):
            label = countries.name(value)
        elif kind == "visit_type":
            label = Delegation.VisitType(value).label
        else:
            label = value
        items.append(
            {
                "value": value,
                "label": label,
                "lang": lang,
                "count": number,
                "count_text": count_text(number),
                "selected": value.lower() == current_value,
                "url": link(value),
            }
        )
    return items


def shown_label(record, field):
    """A record's `field` as the page shows it, and "en" when that is a fallback."""
    text, language = shown(record, field)
    return text, (language if language not in (None, current()) else None)


def facet_groups(filterset, results, total=None):
    """The facets of the event list over `results`: each with its top values and whether
    there are more (then its own page lists them all)."""
    query = filterset.data
    # With what the pictures beside them count (cooperation/templatetags/pictures.py), in the
    # same reading of the index.
    counted = facets.count_many(results, (*FACETS, "month", "direction"), total)
    shown_pairs = {}
    for kind in FACETS:
        counts = counted[kind]
        if kind == "year":
            shown_pairs[kind] = sorted(counts.values.items(), reverse=True)[:FACET_TOP]
        else:
            shown_pairs[kind] = counts.top(FACET_TOP)
    records = facet_records(shown_pairs)
    groups = []
    for kind in FACETS:
        counts = counted[kind]
        items = facet_items(kind, shown_pairs[kind], counts, query, records.get(kind))
        if not items:
            continue
        groups.append(
            {
                "name": kind,
                "heading": filterset.form.fields[kind].label,
                "items": items,
                "exact": counts.exact,
                "values": len(counts.values),
                "more": len(counts.values) > FACET_TOP,
                "all_url": reverse("cooperation:event-facet", args=[kind])
                + without(query, kind).rstrip("?"),
            }
        )
    return groups


def filter_events(request):
    """The filter set over published events, and the page number (None when not understood)."""
    filterset = EventFilter(
        request.GET,
        queryset=Delegation.objects.published().with_listing(),
        request=request,
    )
    return filterset, parse_page(request)


def listed_events(ids):
    """The published events `ids`, as a list shows them, in the order of `ids`: one kept
    read (cooperation/keptsql.py) for every list and entity page."""
    found = kept(Delegation.objects.published().as_listed().order_by()).in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


def result_ids(filterset):
    """The ids of a valid filter set's results, in order: from the event index when it
    answers every filter, else from the filtered visits.

    Ids first, then their rows: a deep page skips index entries rather than whole rows,
    and an export holds a cursor over ids rather than over every joined row.
    """
    ids = filterset.indexed_ids()
    return filterset.qs.values_list("pk", flat=True) if ids is None else ids


def event_list(request):
    # Names typed in place of slugs, and empty parameters, are settled first (a redirect,
    # or the form saying which records a name could mean).
    settled = suggest.resolve_names(request)
    if settled is not None:
        return settled
    filterset, page_number = filter_events(request)
    context = {"filter": filterset, "form": filterset.form, "page_error": None}
    if not filterset.is_valid() or page_number is None:
        if page_number is None:
            context["page_error"] = PAGE_ERROR
        return render(request, "cooperation/event_list.html", context, status=400)

    ids = result_ids(filterset)
    results = facets.for_filterset(filterset)
    if filterset.form.cleaned_data.get("q"):
        count = count_results(ids, estimate_first=True)
        if count.exact:
            ids = in_order_without_index(ids)
    else:
        count = facets.kept_count(results)
    page = page_of(ids, page_number, rows=listed_events, count=count)
    chips = active_filters(filterset)
    context.update(
        page=page,
        events=page.object_list,
        chips=chips,
        facets=facet_groups(
            filterset,
            results,
            page.count.value if page.count.exact or page.count.estimated else None,
        ),
        results=results,
        active_count=len(chips),
        query=filterset.data,
        export_query=without(filterset.data),
    )
    return render(request, "cooperation/event_list.html", context)


def event_facet(request, kind):
    """Every value of one facet of the event list, with its count, for the current filters:
    what the list's facet shows its top values of."""
    if kind not in FACETS:
        raise Http404
    filterset, page_number = filter_events(request)
    heading = filterset.form.fields[kind].label
    context = {"form": filterset.form, "heading": heading, "page_error": None}
    if not filterset.is_valid() or page_number is None:
        if page_number is None:
            context["page_error"] = PAGE_ERROR
        return render(request, "cooperation/event_facet.html", context, status=400)
    counts = facets.count(facets.for_filterset(filterset), kind)
    list_url = reverse("cooperation:event-list")
    ranked = sorted(counts.values.items(), reverse=True) if kind == "year" else counts.ranked
    paginator = Paginator(ranked, FACET_PAGE)
    if page_number > max(paginator.num_pages, 1):
        raise Http404
    page = paginator.page(page_number)
    query = filterset.data
    context.update(
        kind=kind,
        page=page,
        items=[
            # Links into the list, not into this page.
            {**item, "url": list_url + item["url"]}
            for item in facet_items(kind, page.object_list, counts, query)
        ],
        exact=counts.exact,
        values=len(ranked),
        chips=active_filters(filterset),
        list_url=list_url + without(query).rstrip("?"),
    )
    return render(request, "cooperation/event_facet.html", context)


def in_order_without_index(queryset):
    """`queryset` in the same order, spelled so that no index can serve it.

    A search that matches few visits (a rare or misspelt word) must be read through the
    full-text index and then sorted. Offered an ORDER BY that an index matches, PostgreSQL
    may instead walk that index newest first, testing each visit's search vector until it
    finds a page of matches: for a word that matches nothing, every vector of the archive
    (16 s at a million visits). The columns are NOT NULL (English titles are required), so
    stating the other placement of nulls changes nothing but the plan.
    """
    order = []
    for field in queryset.query.order_by:
        if isinstance(field, OrderBy):
            return queryset  # an ordering spelled out already: no index serves it
        if not isinstance(field, str):
            # The titles as the page's language shows them (filters.SORTS).
            order.append(field.asc(nulls_first=True))
            continue
        name = field.lstrip("-")
        if field.startswith("-"):
            order.append(F(name).desc(nulls_last=True))
        else:
            order.append(F(name).asc(nulls_first=True))
    return queryset.order_by(*order)


# --- Previews of drafts -----------------------------------------------------------------


def visible_to(request, model):
    """The records of `model` whose page the request may see: published ones, and every
    one for signed-in staff who may view them in the admin (a draft is then a preview)."""
    user = request.user
    opts = model._meta
    if user.is_staff and user.has_perm(f"{opts.app_label}.view_{opts.model_name}"):
        return model.objects.all()
    return model.objects.published()


def admin_change_url(record):
    opts = record._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[record.pk])


def preview(response):
    """A draft's page as its staff reader sees it: kept by no cache, shared or private, so
    it can never be served to anyone else or after the reader signs out."""
    patch_cache_control(response, private=True, no_store=True)
    return response


# --- One event --------------------------------------------------------------------------


# The order of a visit's meetings, workshops or site visits among themselves (the models'
# own order, after the visit they belong to).
IN_VISIT = ("date", "order", "id")


def event_detail(request, slug):
    # The activities are read in their order within the visit (IN_VISIT): their models'
    # default order begins with the visit, whose own order would join its table to each
    # query only to sort by it.
    # Every read is kept (cooperation/keptsql.py): the page runs the same fourteen on every
    # request, and Django writing their SQL anew was a third of its time.
    citations = kept(DelegationCitation.objects.select_related("source__supplied_by"))
    visits = (
        visible_to(request, Delegation)
        .defer(*SEARCH_FIELDS)
        # The organizations come in a query of their own (attach_organizations): joined
        # here as well, the nine tables cost PostgreSQL more to plan (5-8 ms) than the
        # second query costs to run.
        .select_related("location", "program", "occasion")
        .prefetch_related(
            Prefetch("delegationcitation_set", queryset=citations, to_attr="citations"),
            Prefetch(
                "members",
                queryset=kept(DelegationMember.objects.select_related("person")),
            ),
            Prefetch(
                "meetings",
                queryset=kept(
                    Meeting.objects.select_related("place", "host_organization").order_by(*IN_VISIT)
                ),
            ),
            Prefetch(
                "meetings__participants",
                queryset=kept(MeetingParticipant.objects.select_related("person", "organization")),
            ),
            Prefetch(
                "meetings__meetingcitation_set",
                queryset=kept(MeetingCitation.objects.select_related("source")),
            ),
            Prefetch(
                "workshops",
                queryset=kept(Workshop.objects.select_related("place").order_by(*IN_VISIT)),
            ),
            Prefetch(
                "workshops__workshopcitation_set",
                queryset=kept(WorkshopCitation.objects.select_related("source")),
            ),
            Prefetch(
                "site_visits",
                queryset=kept(SiteVisit.objects.select_related("place").order_by(*IN_VISIT)),
            ),
            Prefetch(
                "site_visits__sitevisitcitation_set",
                queryset=kept(SiteVisitCitation.objects.select_related("source")),
            ),
            # The instruments signed during the visit, named with it (their topics are not
            # shown here).
            Prefetch("signings", queryset=kept(Signing.objects.select_related("instrument"))),
        )
    )
    event = get_object_or_404(kept(visits), slug=slug)
    attach_organizations(event)
    # The other spellings of the people it names (members, meetings' participants), for
    # their names in the page's script (languages.person_name): one query for them all.
    people = [member.person for member in event.members.all()]
    people += [
        participant.person
        for meeting in event.meetings.all()
        for participant in meeting.participants.all()
        if participant.person_id
    ]
    prefetch_related_objects(
        people, Prefetch("other_names", queryset=kept(PersonName.objects.all()))
    )
    # The cite block's "last modified", from the parts in hand rather than in the query.
    event.modified_at = citing.latest_change(event)
    activities = event.activities()
    attach_topics([event, *activities])
    attach_other_occasions(event, activities)
    # Instruments signed during the visit, published ones only; those signed at a meeting
    # are named with it too.
    signings = [s for s in event.signings.all() if s.instrument.is_published]
    for meeting in event.meetings.all():
        meeting.signed_here = [s.instrument for s in signings if s.meeting_id == meeting.pk]
    response = render(
        request,
        "cooperation/event_detail.html",
        {
            "event": event,
            "program": event.public_program,
            "signings": signings,
            "activities": activities,
            "json_ld": event_json_ld(request, event, activities),
            "cite": citing.block(event),
            "preview": None if event.is_published else admin_change_url(event),
        },
    )
    return response if event.is_published else preview(response)


def attach_organizations(event):
    """The visit's sending and host organizations, each with its parent, in one query."""
    ids = {event.sending_organization_id, event.host_organization_id} - {None}
    found = kept(Organization.objects.select_related("parent").order_by()).in_bulk(ids)
    event.sending_organization = found[event.sending_organization_id]
    if event.host_organization_id:
        event.host_organization = found[event.host_organization_id]


def attach_other_occasions(event, activities):
    """The occasions of the activities that were part of another occasion than the visit
    (the page names those only): none in most visits, so one query at most, and only
    then, where joining the occasion to each kind of activity's query cost every page."""
    others = {
        activity.occasion_id
        for activity in activities
        if activity.occasion_id and activity.occasion_id != event.occasion_id
    }
    if not others:
        return
    found = Occasion.objects.in_bulk(others)
    for activity in activities:
        if activity.occasion_id in found:
            activity.occasion = found[activity.occasion_id]


# The relation from a topic to each kind of record whose page lists its topics on the visit's
# page.
TOPIC_HOLDERS = {
    Delegation: "delegations",
    Meeting: "meetings",
    Workshop: "workshops",
    SiteVisit: "site_visits",
}


def attach_topics(records):
    """Set `topic_list` on each of `records` (a visit and its activities): its topics, by
    name as the page's language shows them.

    Two queries whatever the kinds of record: which topics each record has, read from the
    link tables in one statement (`_topic_links`), then those topics in the order the page
    shows them. A prefetch per kind took a query each (about 1.2 ms apiece at a million
    visits); one union of the topics joined to each kind's links took 5 ms, most of it
    Django writing the four parts' SQL, against 1.7 ms for these two."""
    held = {}
    for record in records:
        record.topic_list = []
        held.setdefault(TOPIC_HOLDERS[type(record)], {})[record.pk] = record
    using = records[0]._state.db
    holders = {}
    for relation, holder, topic in _topic_links(held, using):
        holders.setdefault(topic, []).append(held[relation][holder])
    if not holders:
        return
    topics = kept(Topic.objects.using(using)).filter(pk__in=holders)
    for topic in topics.order_by(order_by_shown("name"), "id"):
        for record in holders[topic.pk]:
            record.topic_list.append(topic)


@functools.cache
def _link_table(relation):
    """The table linking topics to the records of `relation` (a TOPIC_HOLDERS value), and
    its columns of the record and of the topic."""
    link = Topic._meta.get_field(relation)
    through = link.through._meta
    holder = through.get_field(link.field.m2m_field_name()).column
    topic = through.get_field(link.field.m2m_reverse_field_name()).column
    return through.db_table, holder, topic


def _topic_links(held, using):
    """(relation, record id, topic id) for each topic of the records `held` (relation to
    {id: record}): one UNION ALL of the link tables, whose SQL is a few lines of text."""
    connection = connections[using]
    quote = connection.ops.quote_name
    parts, params = [], []
    for relation, by_id in held.items():
        table, holder, topic = _link_table(relation)
        ids = [int(pk) for pk in by_id]
        if connection.vendor == "postgresql":
            among, keys = "= ANY(%s)", [ids]
        else:
            among, keys = f"IN ({', '.join(['%s'] * len(ids))})", ids
        parts.append(
            f"SELECT %s, {quote(holder)}, {quote(topic)} FROM {quote(table)} "
            f"WHERE {quote(holder)} {among}"
        )
        params += [relation, *keys]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        return cursor.fetchall()


def robots_txt(request):
    sitemap = request.build_absolute_uri(reverse("sitemap"))
    disallowed = [f"Disallow: {prefix}" for prefix in admin_prefixes()]
    lines = ["User-agent: *", *disallowed, f"Sitemap: {sitemap}", ""]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


# --- Programmes -------------------------------------------------------------------------


def published_event_count(program):
    """The number of published visits under `program` (an OuterRef to its id): one
    primary-key read of the event index's counts, where counting the visits themselves
    reads thousands of rows per programme in a large archive."""
    counted = EventTermCount.objects.filter(term=eventindex.term_of("program", program))
    counted = counted.values("events")
    return Coalesce(Subquery(counted), 0)


# How many of a programme's events its page lists; the rest are a click away in /events/.
PROGRAM_EVENTS_SHOWN = 50


def program_list(request):
    programs = (
        CooperationProgram.objects.published()
        .annotate(event_count=published_event_count(OuterRef("pk")))
        .prefetch_related(
            Prefetch("parties", queryset=Organization.objects.order_by(order_by_shown("name")))
        )
        .order_by(*instrument_order())
    )
    page_number = parse_page(request)
    if page_number is None:
        return bad_page_number(request, _("the programmes"))
    page = page_of(programs, page_number)
    return render(
        request, "cooperation/program_list.html", {"programs": page.object_list, "page": page}
    )


def program_detail(request, slug):
    program = get_object_or_404(
        visible_to(request, CooperationProgram)
        .annotate(event_count=published_event_count(OuterRef("pk")))
        .select_related("signed_at", "signing__delegation", "signing__meeting")
        .prefetch_related(
            Prefetch("parties", queryset=Organization.objects.order_by(order_by_shown("name"))),
            Prefetch("topics", queryset=Topic.objects.order_by(order_by_shown("name"))),
            Prefetch(
                "signatories",
                queryset=ProgramSignatory.objects.select_related("person", "organization"),
            ),
            # Their names in the page's script (languages.person_name).
            "signatories__person__other_names",
            Prefetch(
                "programcitation_set",
                queryset=ProgramCitation.objects.select_related("source__supplied_by"),
                to_attr="citations",
            ),
        ),
        slug=slug,
    )
    # Not program.delegations: its visits would each be handed the programme, reading the
    # programme's id that as_listed() leaves out (a query per visit).
    events = (
        Delegation.objects.published()
        .as_listed()
        .filter(program=program)
        .order_by("-start_date", "-id")
    )
    signing = getattr(program, "signing", None)
    # The cite block's "last modified", from the parts in hand rather than in the query.
    program.modified_at = citing.latest_change(program)
    response = render(
        request,
        "cooperation/program_detail.html",
        {
            "program": program,
            # The visit it was signed during, when the public may see that visit.
            "signing": signing if signing and signing.delegation.is_published else None,
            "events": list(events[:PROGRAM_EVENTS_SHOWN]),
            "cite": citing.block(program),
            "preview": None if program.is_published else admin_change_url(program),
        },
    )
    return response if program.is_published else preview(response)


# --- Entities and the events they take part in ------------------------------------------


def entity_page(request, template, entity, filter_name, extra=None):
    """An organization's, person's, topic's or place's page: the entity and its events,
    newest first, from the event index (as the list filtered by `filter_name` finds them)."""
    page_number = parse_page(request)
    if page_number is None:
        return bad_page_number(request, str(entity))
    events = eventindex.matching([eventindex.term(filter_name, entity)])
    page = page_of(events, page_number, rows=listed_events)
    context = {
        "entity": entity,
        "page": page,
        "events": page.object_list,
        "filter_url": f"{reverse('cooperation:event-list')}?{filter_name}={entity.slug}",
        **(extra or {}),
    }
    return render(request, template, context)


def organization_detail(request, slug):
    organization = get_object_or_404(
        Organization.objects.public().select_related("parent"), slug=slug
    )
    public_units = (
        Organization.objects.public().filter(parent=organization).order_by(order_by_shown("name"))
    )
    parent_is_public = has_public_parent(organization)
    return entity_page(
        request,
        "cooperation/organization_detail.html",
        organization,
        "organization",
        {"units": public_units, "parent_is_public": parent_is_public},
    )


def person_detail(request, slug):
    public_organizations = Organization.objects.public().filter(pk=OuterRef("organization_id"))
    person = get_object_or_404(
        Person.objects.public().prefetch_related(
            "other_names",
            Prefetch(
                "positions",
                queryset=Position.objects.select_related("organization")
                .annotate(organization_is_public=Exists(public_organizations))
                .order_by("-start_date", order_by_shown("title")),
            ),
        ),
        slug=slug,
    )
    signatures = (
        ProgramSignatory.objects.filter(person=person, program__status=Status.PUBLISHED)
        .select_related("program", "organization")
        .order_by("-program__start_year")
    )
    return entity_page(
        request,
        "cooperation/person_detail.html",
        person,
        "person",
        {"signatures": signatures},
    )


def topic_detail(request, slug):
    topic = get_object_or_404(Topic.objects.public().select_related("parent"), slug=slug)
    parent_is_public = has_public_parent(topic)
    subtopics = Topic.objects.public().filter(parent=topic).order_by(order_by_shown("name"))
    # Published instruments about it (a memorandum on legal assistance), first by date.
    instruments = CooperationProgram.objects.published().filter(topics=topic)
    instruments = instruments.order_by(*instrument_order())[:TOPIC_INSTRUMENTS_SHOWN]
    return entity_page(
        request,
        "cooperation/topic_detail.html",
        topic,
        "topic",
        {"parent_is_public": parent_is_public, "subtopics": subtopics, "instruments": instruments},
    )


TOPIC_INSTRUMENTS_SHOWN = 50


def place_detail(request, slug):
    place = get_object_or_404(Place.objects.public().select_related("parent"), slug=slug)
    parent_is_public = has_public_parent(place)
    inside = Place.objects.public().filter(parent=place).order_by(order_by_shown("name"))
    return entity_page(
        request,
        "cooperation/place_detail.html",
        place,
        "place",
        {"parent_is_public": parent_is_public, "inside": inside},
    )


def occasion_detail(request, slug):
    occasion = get_object_or_404(
        Occasion.objects.public().select_related("series", "place"), slug=slug
    )
    before, after = occasion.neighbours()
    # Its place has a page only while a published record happened there.
    place_is_public = bool(
        occasion.place_id and Place.objects.public().filter(pk=occasion.place_id).exists()
    )
    # Activities that were part of it during visits that, as a whole, were not.
    activities = [
        activity
        for model in (Meeting, Workshop, SiteVisit)
        for activity in model.objects.filter(occasion=occasion, delegation__status=Status.PUBLISHED)
        .exclude(delegation__occasion=occasion)
        .select_related("delegation")
        .order_by("date", "order", "id")[:OCCASION_ACTIVITIES_SHOWN]
    ]
    return entity_page(
        request,
        "cooperation/occasion_detail.html",
        occasion,
        "occasion",
        {
            "before": before,
            "after": after,
            "activities": activities,
            "place_is_public": place_is_public,
        },
    )


# How many activities of each kind an occasion's page lists; its visits are paged.
OCCASION_ACTIVITIES_SHOWN = 100


def server_error(request):
    """handler500: the site's error page, built from the site's name alone, in the language
    of the address (LocaleMiddleware activated it before the view ran).

    Django's own handler gives the template no context at all; the site's name is a
    setting, so reading it cannot fail the way the request's own processing did.
    """
    language = get_language()
    # The home page in the language of the request, spelled out: nothing here may fail.
    home_url = "/" if language == settings.LANGUAGE_CODE else f"/{language}/"
    page = loader.get_template("500.html").render(
        {"site_name": settings.SITE_NAME, "home_url": home_url}
    )
    return HttpResponseServerError(page)


def bad_request(request, exception):
    """handler400: the site's page, in the language of the address.

    A request refused before LocaleMiddleware ran (a Host header that is not allowed is
    refused by the page cache, which runs first) would otherwise get the page in whatever
    language the thread last served. The page never names the request's host.
    """
    language = get_language_from_path(request.path_info) or settings.LANGUAGE_CODE
    with override(language):
        return render(request, "400.html", status=400)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: a refused form post gets the site's 403 page, saying what to do.

    The reason stays in the log (django.security.csrf), not on the page.
    """
    return render(request, "403_csrf.html", status=403)
