"""The records of international legal cooperation.

Reference records (organizations, people, places, topics, sources) are shared by many
events and are identified across installations by their slug (or, for a source, its URL):
that is their natural key, so fixtures name them instead of numbering them.

Programmes and delegations are the published records. Activities (meetings, workshops,
site visits) and the through-records (signatories, members, participants, citations)
belong to one of them and are identified by their owner's natural key plus their own.

Every record keeps its change history (`history`, see cooperation/history/records.py).
"""

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector, SearchVectorField
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connections, models
from django.db.models import Exists, F, Func, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from . import involvement
from .addresses import address
from .history.records import RecordHistory
from .involvement import TREE_DEPTH
from .languages import DEFAULT, codes, every_language, fold, in_every_language, order_by_shown

# Control characters a record's text may hold: tab, line feed and carriage return. Any other
# (U+0000-U+001F, U+007F-U+009F) is refused: XML (the Atom feed, the sitemap) cannot carry
# them, they are invisible on a page, and what they stood for cannot be known for sure. The
# admin's forms turn the two that word processors paste as breaks (U+000B, U+000C) into line
# feeds before this check (cooperation/admin.py), so a records officer never meets it.
ALLOWED_CONTROLS = {"\t", "\n", "\r"}
# The longest text a record's long fields accept: a summary of several pages, far beyond what
# a page of the registry shows well, and far below what would slow it down.
LONG_TEXT_LIMIT = 20_000
# Web addresses are of the web: no javascript:, data:, ftp: or file: address is ever linked.
WEB_SCHEMES = ("http", "https")


def control_character(text):
    """The first control character `text` may not hold, or None."""
    for position, character in enumerate(text, start=1):
        code = ord(character)
        if (code < 0x20 or 0x7F <= code <= 0x9F) and character not in ALLOWED_CONTROLS:
            return position, code
    return None


def text_problems(record, exclude=()):
    """{field name: message} for the text fields of `record` that break the text rules."""
    problems = {}
    names = {field.name for field in record._meta.concrete_fields}
    for field in record._meta.concrete_fields:
        if field.name in exclude or not isinstance(field, (models.CharField, models.TextField)):
            continue
        if f"{field.name}_{DEFAULT}" in names:
            # A translated field: its language columns are checked, each named.
            continue
        value = getattr(record, field.attname)
        if not isinstance(value, str):
            continue
        found = control_character(value)
        if found:
            problems[field.name] = _(
                "Contains an invisible control character (U+%(code)04X) at character "
                "%(position)s; remove it."
            ) % {"code": found[1], "position": found[0]}
        elif isinstance(field, models.TextField) and len(value) > LONG_TEXT_LIMIT:
            problems[field.name] = _(
                "Keep this text to %(limit)s characters (it has %(length)s)."
            ) % {"limit": f"{LONG_TEXT_LIMIT:,}", "length": f"{len(value):,}"}
        elif isinstance(field, models.URLField) and value:
            scheme = value.split(":", 1)[0].lower() if ":" in value else ""
            if scheme not in WEB_SCHEMES:
                problems[field.name] = _("Enter a web address starting with http:// or https://.")
    return problems


class TimeStampedModel(models.Model):
    """created_at/updated_at on every record.

    Both are plain fields rather than auto_now ones so that `loaddata` keeps the values a
    fixture carries (it saves with ``save_base(raw=True)`` and never calls ``save()``):
    loading the same fixture twice then changes nothing, not even a timestamp.
    """

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.updated_at = timezone.now()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "updated_at"}
        super().save(*args, **kwargs)

    def clean_fields(self, exclude=None):
        """The fields' own validation, and the text rules every record's text obeys."""
        exclude = set(exclude or ())
        errors = {}
        try:
            super().clean_fields(exclude)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        for name, message in text_problems(self, exclude | errors.keys()).items():
            errors[name] = [message]
        if errors:
            raise ValidationError(errors)


class SlugQuerySet(models.QuerySet):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


# Long enough for a programme's full title with its years (cooperation/slugs.py cuts a
# longer one at a word and keeps a trailing year range).
SLUG_LENGTH = 200


class SluggedModel(TimeStampedModel):
    slug = models.SlugField(max_length=SLUG_LENGTH, unique=True)

    objects = SlugQuerySet.as_manager()

    class Meta:
        abstract = True

    def natural_key(self):
        return (self.slug,)


# PostgreSQL text-search configuration (migration 0011): "simple" (lowercase, no stemming,
# so names in any language and script match as written) after "unaccent" (é → e, ё → е).
SEARCH_CONFIG = "registry_search"


# Derived search data: large, and never shown, so lists leave it in the database.
SEARCH_FIELDS = ("search_text", "search_vector")


def search_query(text):
    # Folded as the search text is (languages.fold): "Əliyev" finds what "Eliyev" does.
    return SearchQuery(fold(text), config=SEARCH_CONFIG, search_type="websearch")


def search_title():
    """A visit's titles in every language, as the weighted part of its search vector reads
    them: ə is written e here, as languages.fold() writes it (unaccent leaves it alone)."""
    titles = Func(
        Value(" "),
        *(F(f"title_{language}") for language in codes()),
        function="concat_ws",
        output_field=models.TextField(),
    )
    return Func(
        titles, Value("əƏ"), Value("ee"), function="translate", output_field=models.TextField()
    )


def search_vector_of(text=None):
    """A visit's PostgreSQL search vector: its titles in every language, weighted, and
    `text`, an expression of its search text (by default the stored one)."""
    text = F("search_text") if text is None else text
    return SearchVector(search_title(), weight="A", config=SEARCH_CONFIG) + SearchVector(
        text, weight="B", config=SEARCH_CONFIG
    )


def texts(record, *fields):
    """Every language's text of each of `record`'s `fields`, field by field."""
    return [text for field in fields for text in every_language(record, field)]


# --- Publication --------------------------------------------------------------------------


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    PUBLISHED = "published", _("Published")


class PublishableQuerySet(SlugQuerySet):
    def published(self):
        return self.filter(status=Status.PUBLISHED)


# Whether and since when a record is public, and who decided it: fields the workflow's steps
# set, never a revert or a change waiting for review.
PUBLICATION_FIELDS = ("status", "published_at", "published_by")


class PublishableModel(SluggedModel):
    # No index of its own: the visits table's composite indexes start with status, and
    # programmes are few.
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    # Who last published the record; kept (empty) when that account is deleted, and empty
    # for records published before this was recorded or loaded from a fixture.
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        abstract = True

    @property
    def is_published(self):
        return self.status == Status.PUBLISHED

    # The workflow: draft -> in review -> published, and back to draft. Each step only sets
    # the fields; the caller saves, so the admin can check permissions and rebuild search
    # around it. Who may take which step is the admin's business (the "publish" permission).

    def has_sources(self):
        """A record is published only once it cites at least one source."""
        return self.sources.exists()

    def submit_for_review(self):
        self.status = Status.IN_REVIEW

    def publish(self, user, when=None):
        self.status = Status.PUBLISHED
        self.published_at = when or publication_time()
        self.published_by = user

    def return_to_draft(self):
        # A draft is not published: it keeps no publication date or publisher.
        self.status = Status.DRAFT
        self.published_at = None
        self.published_by = None


def publication_time():
    """Now, in whole seconds: the admin's date-time inputs keep no fractions, so a stamp
    with microseconds would change (and enter the history) at the record's next save."""
    return timezone.now().replace(microsecond=0)


def published_needs_date(name):
    # A published record says when it was published; loaddata skips validation, so the
    # database holds the rule.
    return models.CheckConstraint(
        condition=~Q(status=Status.PUBLISHED) | Q(published_at__isnull=False),
        name=f"{name}_published_has_date",
        violation_error_message=_("A published record needs a publication date."),
    )


# --- Reference records --------------------------------------------------------------------


class TreeNode(models.Model):
    """A record that sits inside another of its kind (`parent`): never inside itself,
    directly or further up."""

    class Meta:
        abstract = True

    def clean(self):
        super().clean()
        # Followed by id: a parent that names no record is its field's error, not this one.
        records = type(self)._base_manager
        parents = records.values_list("parent_id", flat=True)
        parent_id = self.parent_id
        above = []
        while parent_id is not None and parent_id not in above:
            if self.pk is not None and parent_id == self.pk:
                raise ValidationError(
                    {"parent": _("%(record)s cannot be inside itself.") % {"record": self}}
                )
            above.append(parent_id)
            parent_id = parents.filter(pk=parent_id).first()
        # Searches and filters follow a fixed number of parents (involvement.TREE_DEPTH).
        below = 0
        level = [self.pk] if self.pk is not None else []
        while level and below <= TREE_DEPTH:
            level = list(records.filter(parent__in=level).values_list("pk", flat=True))
            below += bool(level)
        if len(above) + below > TREE_DEPTH:
            raise ValidationError(
                {
                    "parent": _(
                        "Records nest at most %(levels)d levels deep; here they would nest "
                        "%(depth)d."
                    )
                    % {"levels": TREE_DEPTH + 1, "depth": len(above) + below + 1}
                }
            )


def involved_in_published(kind):
    """Q for records that a published visit involves as `kind` (involvement.py).

    Read from the event index's counts (cooperation/eventindex.py), which the write path
    keeps for exactly that: one primary-key probe per record. Asking the visits themselves
    walked every published visit along each path (25 of them for places, with the places
    above), over a second at a million visits."""
    prefix = involvement.KINDS[kind][0]
    term = Concat(Value(f"{prefix}:"), Cast(OuterRef("pk"), models.CharField()))
    return Q(Exists(EventTermCount.objects.filter(term=term, events__gt=0)))


class OrganizationQuerySet(SlugQuerySet):
    def public(self):
        """Bodies that take part in a published programme or visit."""
        ref = OuterRef("pk")
        return self.filter(
            involved_in_published("organization")
            | Exists(CooperationProgram.objects.published().filter(parties=ref))
            | Exists(CooperationProgram.objects.published().filter(signatories__organization=ref))
        )


class PersonQuerySet(SlugQuerySet):
    def public(self):
        """People named in a published programme or visit."""
        ref = OuterRef("pk")
        return self.filter(
            involved_in_published("person")
            | Exists(CooperationProgram.objects.published().filter(signatories__person=ref))
        )


def used_or_above(used):
    """Q for records in `used` (a queryset of a tree) or above one of them.

    Broader records follow from the parents of the used ones, so the tree is never joined
    into the (per-record) question of use.
    """
    condition = Q(pk__in=used.values("pk"))
    for depth in range(1, TREE_DEPTH + 1):
        condition |= Q(pk__in=used.values("__".join(["parent"] * depth)))
    return condition


class PlaceQuerySet(SlugQuerySet):
    def public(self):
        """Places where a published visit or something in it happened, and places holding them."""
        signed_at = Place.objects.filter(
            Exists(CooperationProgram.objects.published().filter(signed_at=OuterRef("pk")))
        )
        return self.filter(involved_in_published("place") | used_or_above(signed_at))


class TopicQuerySet(SlugQuerySet):
    def public(self):
        """Topics of a published visit or of anything during one, or of a published
        instrument, and the broader topics above them."""
        of_instruments = Topic.objects.filter(
            Exists(CooperationProgram.objects.published().filter(topics=OuterRef("pk")))
        )
        return self.filter(involved_in_published("topic") | used_or_above(of_instruments))


class Organization(TreeNode, SluggedModel):
    """A body that takes part in cooperation: an office, one of its departments, a court…"""

    class Kind(models.TextChoices):
        PROSECUTION_SERVICE = "prosecution_service", _("Prosecution service")
        MINISTRY = "ministry", _("Ministry")
        COURT = "court", _("Court")
        INVESTIGATIVE_BODY = "investigative_body", _("Investigative body")
        INTERNATIONAL_ORGANIZATION = "international_organization", _("International organization")
        COUNCIL = "council", _("Council")
        DEPARTMENT = "department", _("Department")
        CULTURAL_INSTITUTION = "cultural_institution", _("Cultural institution")
        OTHER = "other", _("Other")

    name = models.CharField(max_length=255)
    short_name = models.CharField(max_length=100, blank=True)
    kind = models.CharField(max_length=40, choices=Kind.choices, default=Kind.OTHER)
    country = CountryField(blank=True, help_text=_("Leave empty for international bodies."))
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="units",
        help_text=_("The office a department or council belongs to."),
    )
    website = models.URLField(blank=True)

    objects = OrganizationQuerySet.as_manager()
    history = RecordHistory()

    class Meta:
        ordering = ("name", "id")
        constraints = [
            models.CheckConstraint(
                condition=~Q(parent=F("id")),
                name="organization_not_own_parent",
                violation_error_message=_("An organization cannot be part of itself."),
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return address("cooperation:organization-detail", self.slug)


class Person(SluggedModel):
    """Someone who takes part in cooperation, named as commonly written in English."""

    name = models.CharField(max_length=255)

    objects = PersonQuerySet.as_manager()
    history = RecordHistory()

    class Meta:
        ordering = ("name", "id")
        verbose_name_plural = _("people")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return address("cooperation:person-detail", self.slug)


class PersonNameManager(models.Manager):
    def get_by_natural_key(self, person_slug, name):
        return self.get(person__slug=person_slug, name=name)


class PersonName(TimeStampedModel):
    """Another way a person's name is written: native script or another transliteration."""

    class Script(models.TextChoices):
        LATIN = "Latn", _("Latin")
        CYRILLIC = "Cyrl", _("Cyrillic")
        ARABIC = "Arab", _("Arabic")
        OTHER = "Zyyy", _("Other")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="other_names")
    name = models.CharField(max_length=255)
    language = models.CharField(
        max_length=10, blank=True, help_text=_("Language code, e.g. az, ru, en.")
    )
    script = models.CharField(max_length=4, choices=Script.choices, default=Script.LATIN)

    objects = PersonNameManager()
    history = RecordHistory()

    class Meta:
        # By the person's id, not by the person (whose own order would join its table to
        # every query for these rows): they are read and shown one person at a time.
        ordering = ("person_id", "language", "name")
        constraints = [
            models.UniqueConstraint(fields=("person", "name"), name="person_name_unique"),
        ]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (*self.person.natural_key(), self.name)

    natural_key.dependencies = ["cooperation.person"]


class PositionManager(models.Manager):
    def get_by_natural_key(self, person_slug, organization_slug, title):
        return self.get(
            person__slug=person_slug, organization__slug=organization_slug, title_en=title
        )


class Position(TimeStampedModel):
    """A post a person holds in an organization, dated because office holders change."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="positions")
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="positions"
    )
    title = models.CharField(max_length=255)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)

    objects = PositionManager()
    history = RecordHistory()

    class Meta:
        ordering = ("person", "-start_date", "id")
        constraints = [
            # The post's English title names it (natural_key), whatever the language of
            # the page it was last saved from (cooperation/translation.py).
            models.UniqueConstraint(
                fields=("person", "organization", "title_en"), name="position_unique"
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=F("start_date")),
                name="position_ends_after_start",
                violation_error_message=_("A post cannot end before it starts."),
            ),
        ]

    def __str__(self):
        return f"{self.title}, {self.organization}"

    def natural_key(self):
        # The English title, which every post has (translation.py), read the same whatever
        # language is active: fixtures name the post by it and reload it unchanged.
        return (self.person.slug, self.organization.slug, self.title_en)

    natural_key.dependencies = ["cooperation.person", "cooperation.organization"]


class Place(TreeNode, SluggedModel):
    """Where something happened: a country, a city, a building, a museum…

    Places form one tree rooted in countries (Baku inside Azerbaijan): a place with no
    parent is a country, so "in Azerbaijan", where the sources say no more, is a real place
    that holds its cities, and filtering on it finds what happened in them."""

    class Kind(models.TextChoices):
        COUNTRY = "country", _("Country")
        CITY = "city", _("City")
        BUILDING = "building", _("Building")
        MUSEUM = "museum", _("Museum")
        MEMORIAL = "memorial", _("Memorial")
        LANDMARK = "landmark", _("Landmark")
        OTHER = "other", _("Other")

    name = models.CharField(max_length=255)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER)
    country = CountryField()
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text=_("The place this one is in (a building is in a city)."),
    )
    address = models.CharField(max_length=255, blank=True)
    # Where the place is on the map (WGS 84, decimal degrees), for the map of where visits
    # took place; both or neither. A country needs none: the map knows its outline.
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=8,
        decimal_places=5,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
        help_text=_("Decimal degrees north (negative: south), such as 40.40930 for Baku."),
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=8,
        decimal_places=5,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
        help_text=_("Decimal degrees east (negative: west), such as 49.86710 for Baku."),
    )

    objects = PlaceQuerySet.as_manager()
    history = RecordHistory()

    class Meta:
        ordering = ("name", "id")
        constraints = [
            models.CheckConstraint(
                condition=~Q(parent=F("id")),
                name="place_not_own_parent",
                violation_error_message=_("A place cannot be inside itself."),
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return address("cooperation:place-detail", self.slug)

    def clean(self):
        problems = {}
        if self.kind == self.Kind.COUNTRY:
            if self.parent_id is not None:
                problems["parent"] = _("A country is not inside another place.")
        elif self.parent_id is None:
            problems["parent"] = _(
                "Choose the place this one is in: at least its country (places are rooted "
                "in countries)."
            )
        else:
            parent = Place._base_manager.filter(pk=self.parent_id).values("country").first()
            if parent and self.country and parent["country"] != self.country:
                problems["country"] = _("A place is in the country of the place holding it.")
        if (self.latitude is None) != (self.longitude is None):
            missing = "longitude" if self.longitude is None else "latitude"
            problems[missing] = _("Give both the latitude and the longitude, or neither.")
        if problems:
            raise ValidationError(problems)
        super().clean()


class Topic(TreeNode, SluggedModel):
    """A subject a visit, a meeting, a workshop or a site visit concerned; topics nest
    (asset recovery under legal cooperation)."""

    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    objects = TopicQuerySet.as_manager()
    history = RecordHistory()

    class Meta:
        ordering = ("name", "id")
        constraints = [
            models.CheckConstraint(
                condition=~Q(parent=F("id")),
                name="topic_not_own_parent",
                violation_error_message=_("A topic cannot be narrower than itself."),
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return address("cooperation:topic-detail", self.slug)


class OccasionQuerySet(SlugQuerySet):
    def public(self):
        """Occasions that a published visit, or something during one, was part of."""
        return self.filter(involved_in_published("occasion"))


class Series(SluggedModel):
    """A recurring format whose meetings are numbered: the sessions of a council, the
    meetings of a regional group of prosecutors."""

    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)

    history = RecordHistory()

    class Meta:
        ordering = ("name", "id")
        verbose_name_plural = _("series")

    def __str__(self):
        return self.name


class Occasion(SluggedModel):
    """A wider happening that a visit or an activity was part of: a forum, a conference, a
    council's session, an anniversary meeting; perhaps one numbered meeting of a series."""

    class Kind(models.TextChoices):
        SESSION = "session", _("Session of a council or body")
        MEETING = "meeting", _("Meeting of a recurring format")
        CONFERENCE = "conference", _("Conference")
        FORUM = "forum", _("Forum")
        ANNIVERSARY = "anniversary", _("Anniversary event")
        OTHER = "other", _("Other")

    name = models.CharField(max_length=255)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER)
    series = models.ForeignKey(
        Series,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="occasions",
        help_text=_("The recurring format this is one meeting of, if any."),
    )
    number = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text=_(
            "Its number in the series (15 for the 15th meeting), where the sources give it."
        ),
    )
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    place = models.ForeignKey(
        Place, null=True, blank=True, on_delete=models.PROTECT, related_name="occasions"
    )
    online = models.BooleanField(default=False, verbose_name=_("held online"))
    summary = models.TextField(blank=True)

    objects = OccasionQuerySet.as_manager()
    history = RecordHistory()

    class Meta:
        ordering = ("-start_date", "name", "id")
        constraints = [
            models.UniqueConstraint(
                fields=("series", "number"),
                name="occasion_number_unique",
                violation_error_message=_("The series already has a meeting with this number."),
            ),
            models.CheckConstraint(
                condition=Q(number__isnull=True) | Q(series__isnull=False),
                name="occasion_number_in_series",
                violation_error_message=_("A number counts the meetings of a series: choose it."),
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=False, end_date__gte=F("start_date")),
                name="occasion_ends_after_start",
                violation_error_message=_("An occasion cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=Q(online=False) | Q(place__isnull=True),
                name="occasion_online_has_no_place",
                violation_error_message=_("An occasion held online has no place."),
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return address("cooperation:occasion-detail", self.slug)

    def neighbours(self):
        """The public meetings of its series just before and after it, by number."""
        if self.series_id is None or self.number is None:
            return None, None
        others = Occasion.objects.public().filter(series_id=self.series_id)
        before = others.filter(number__lt=self.number).order_by("-number").first()
        after = others.filter(number__gt=self.number).order_by("number").first()
        return before, after


class SourceManager(models.Manager):
    def get_by_natural_key(self, url):
        return self.get(url=url)


class Source(TimeStampedModel):
    """A published document that records are built from, identified by its URL."""

    title = models.CharField(
        max_length=500,
        help_text=_("The headline as published, or a description where it is not known."),
    )
    title_is_descriptive = models.BooleanField(
        default=False,
        verbose_name=_("descriptive title"),
        help_text=_("The title describes the source; its headline is not known."),
    )
    publisher = models.CharField(
        max_length=255, help_text=_("Who published it, e.g. a news agency.")
    )
    url = models.URLField(max_length=500, unique=True, verbose_name=_("URL"))
    published_on = models.DateField(null=True, blank=True)
    language = models.CharField(
        max_length=10,
        blank=True,
        help_text=_("Language code, e.g. en, az, ru; empty when not stated."),
    )
    supplied_by = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supplied_sources",
        help_text=_("The body that gave the publisher the information, where the source says so."),
    )

    objects = SourceManager()
    history = RecordHistory()

    class Meta:
        ordering = ("-published_on", "title", "id")

    def __str__(self):
        return f"{self.publisher}: {self.title}"

    def natural_key(self):
        return (self.url,)


class Citation(TimeStampedModel):
    """That a record rests on a source, with an optional short quotation from it."""

    source = models.ForeignKey(Source, on_delete=models.PROTECT)
    quotation = models.TextField(
        blank=True, help_text=_("A short verbatim passage of the source that supports the record.")
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ("order", "id")


# --- Programmes ---------------------------------------------------------------------------


class CooperationProgram(PublishableModel):
    """An instrument of cooperation between two or more bodies: a programme for a period of
    years, a memorandum of understanding, an agreement, a protocol or a joint declaration;
    perhaps signed during a visit, or adopted at one of its meetings.

    (The model keeps its first name, and its pages their /programs/ addresses, so that
    every link ever given to a programme still works.)"""

    class Kind(models.TextChoices):
        PROGRAMME = "programme", _("Cooperation programme")
        MEMORANDUM = "memorandum", _("Memorandum of understanding")
        AGREEMENT = "agreement", _("Agreement")
        PROTOCOL = "protocol", _("Protocol")
        JOINT_DECLARATION = "joint_declaration", _("Joint declaration")

    kind = models.CharField(
        max_length=20, choices=Kind.choices, default=Kind.PROGRAMME, verbose_name=_("type")
    )
    title = models.CharField(max_length=255)
    title_is_descriptive = models.BooleanField(
        default=False,
        verbose_name=_("descriptive title"),
        help_text=_("The title describes the instrument; its official title is not known."),
    )
    parties = models.ManyToManyField(Organization, related_name="programs")
    start_year = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text=_("A programme's first year; empty for a term not given.")
    )
    end_year = models.PositiveSmallIntegerField(null=True, blank=True)
    signed_on = models.DateField(null=True, blank=True)
    signed_at = models.ForeignKey(
        Place, null=True, blank=True, on_delete=models.PROTECT, related_name="programs_signed"
    )
    summary = models.TextField(blank=True)
    sources = models.ManyToManyField(Source, through="ProgramCitation", related_name="programs")
    # Where it was signed during a visit: its Signing (below), entered with the visit.
    topics = models.ManyToManyField(
        Topic, blank=True, related_name="instruments", help_text=_("What it is about.")
    )

    objects = PublishableQuerySet.as_manager()
    # Each version keeps the parties and topics the instrument had then.
    history = RecordHistory(m2m_fields=["parties", "topics"])

    class Meta:
        ordering = ("-start_year", "title", "id")
        verbose_name = _("instrument")
        verbose_name_plural = _("instruments")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_year__isnull=True)
                | Q(start_year__isnull=False, end_year__gte=F("start_year")),
                name="program_ends_after_start",
                violation_error_message=_("A programme cannot end before the year it starts."),
            ),
            models.CheckConstraint(
                condition=Q(start_year__isnull=True)
                | Q(start_year__gte=1900, start_year__lte=2200),
                name="program_start_year_plausible",
                violation_error_message=_("Enter a start year between 1900 and 2200."),
            ),
            published_needs_date("program"),
        ]
        permissions = [("publish_cooperationprogram", "Can publish and unpublish programmes")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return address("cooperation:program-detail", self.slug)

    @property
    def period(self):
        if self.start_year is None:
            return ""
        if self.start_year == self.end_year or self.end_year is None:
            return str(self.start_year)
        return f"{self.start_year}–{self.end_year}"

    @property
    def is_programme(self):
        return self.kind == self.Kind.PROGRAMME

    def clean(self):
        super().clean()
        if self.kind == self.Kind.PROGRAMME and self.start_year is None:
            raise ValidationError(
                {"start_year": _("A programme runs for a period: enter its first year.")}
            )


class ProgramSignatoryManager(models.Manager):
    def get_by_natural_key(self, program_slug, person_slug):
        return self.get(program__slug=program_slug, person__slug=person_slug)


class ProgramSignatory(TimeStampedModel):
    """Who signed a programme, for which party, and under which title at the time."""

    program = models.ForeignKey(
        CooperationProgram, on_delete=models.CASCADE, related_name="signatories"
    )
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="signatures")
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="signatures"
    )
    title = models.CharField(max_length=255, help_text=_("The signatory's title at signing."))
    order = models.PositiveSmallIntegerField(default=0)

    objects = ProgramSignatoryManager()
    history = RecordHistory()

    class Meta:
        # By the programme's id, not by the programme (whose own order would join its table to
        # every query for these rows): they are read and shown one programme at a time.
        ordering = ("program_id", "order", "id")
        verbose_name_plural = _("programme signatories")
        constraints = [
            models.UniqueConstraint(fields=("program", "person"), name="program_signatory_unique"),
        ]

    def __str__(self):
        return f"{self.person}, {self.title}"

    def natural_key(self):
        return (self.program.slug, self.person.slug)

    natural_key.dependencies = ["cooperation.cooperationprogram", "cooperation.person"]


class ProgramCitationManager(models.Manager):
    def get_by_natural_key(self, program_slug, url):
        return self.get(program__slug=program_slug, source__url=url)


class ProgramCitation(Citation):
    program = models.ForeignKey(CooperationProgram, on_delete=models.CASCADE)

    objects = ProgramCitationManager()
    history = RecordHistory()

    class Meta(Citation.Meta):
        constraints = [
            models.UniqueConstraint(fields=("program", "source"), name="program_citation_unique")
        ]

    def __str__(self):
        return str(self.source)

    def natural_key(self):
        return (self.program.slug, self.source.url)

    natural_key.dependencies = ["cooperation.cooperationprogram", "cooperation.source"]


# --- Delegations --------------------------------------------------------------------------


class DelegationQuerySet(PublishableQuerySet):
    # Filters on to-many paths use EXISTS, so an event matching twice is listed once and
    # no join multiplies rows before the page is cut.

    def with_listing(self):
        """What a list of events shows, fetched in a fixed number of queries."""
        return self.select_related(
            "sending_organization", "host_organization", "location", "program"
        ).defer(*SEARCH_FIELDS)

    def as_listed(self):
        """Only what an item of a list of events shows (records.event_items): the
        visit's title, dates and type, and the names of its offices and place. A visit's
        row with its four records' whole rows was 7 kB, most of it texts no list shows."""
        return self.select_related("sending_organization", "host_organization", "location").only(
            "slug",
            "start_date",
            "end_date",
            "date_basis",
            "visit_type",
            "host_absent",
            *in_every_language(
                "title",
                "sending_organization__name",
                "host_organization__name",
                "location__name",
            ),
        )

    def involving(self, kind, value):
        """Visits that involve `value` (a record, or a code for countries and types of
        visit) as `kind`: one of involvement.KINDS, the one definition of what a visit
        involves, which the event index (eventindex.py) holds for published visits."""
        return self.filter(involvement.condition(self, kind, value))

    def search(self, text):
        """Visits whose words, or the names of the people, organizations, places and topics
        they involve, match `text`.

        PostgreSQL matches the maintained search vector with websearch syntax ("quoted
        phrases", -exclusions, or); other databases match every word in the search text.
        """
        return self.filter(self.matching_text(text))

    def matching_text(self, text):
        """The condition behind `search()`, for combining with others in one WHERE."""
        if connections[self.db].vendor == "postgresql":
            return Q(search_vector=search_query(text))
        condition = Q()
        for word in fold(text).split()[:10]:
            condition &= Q(search_text__contains=word.strip('"'))
        return condition

    def by_relevance(self, text):
        """Best matches first (PostgreSQL's ts_rank); newest first where that is all we have."""
        if connections[self.db].vendor == "postgresql":
            rank = SearchRank(F("search_vector"), search_query(text))
            return self.annotate(rank=rank).order_by("-rank", "-start_date", "-id")
        return self.order_by("-start_date", "-id")

    def update_search_vector(self):
        """Recompute the PostgreSQL vector from the stored search text, the titles (in every
        language) weighted."""
        if connections[self.db].vendor != "postgresql":
            return 0
        return self.update(search_vector=search_vector_of())

    def with_term(self, term):
        """Visits with `term` in the event index (eventindex.py): published ones only."""
        return self.filter(pk__in=EventTerm.objects.filter(term=term).values("delegation_id"))

    def in_country(self, country):
        """Visits whose sending or host organization is in the country."""
        # The country's organizations (a few) are read first, so that each side uses its own
        # foreign-key index; joins or subqueries here made PostgreSQL read every visit.
        organizations = list(
            Organization.objects.filter(country=country).values_list("pk", flat=True)
        )
        return self.filter(
            Q(sending_organization__in=organizations) | Q(host_organization__in=organizations)
        )


class HostAbsent(models.TextChoices):
    NOT_STATED = "not_stated", _("The host is not stated")
    NO_SINGLE_HOST = "no_single_host", _("No single host (a multilateral meeting)")


class Delegation(PublishableModel):
    """One visit by a delegation of one body to another: the public "event"."""

    class VisitType(models.TextChoices):
        WORKING = "working", _("Working visit")
        OFFICIAL = "official", _("Official visit")
        STUDY = "study", _("Study visit")
        CONFERENCE = "conference", _("Conference")
        # The sources call it a visit and say no more: no type is guessed.
        NOT_STATED = "not_stated", _("Visit (type not stated)")

    class DateBasis(models.TextChoices):
        # Sources often report a visit while it is under way without saying when it began;
        # the record then keeps the reported date and says so instead of inventing a start.
        VISIT = "visit", _("Dates of the visit")
        REPORTED = "reported", _("Date the visit was reported as under way")

    title = models.CharField(max_length=255)
    sending_organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="delegations_sent"
    )
    host_organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="delegations_hosted",
        help_text=_("Empty only when the host is not stated or there is no single host."),
    )
    # Why there is no host, when there is none: never a guessed body.
    host_absent = models.CharField(
        max_length=20,
        choices=HostAbsent.choices,
        blank=True,
        verbose_name=_("no host because"),
    )
    occasion = models.ForeignKey(
        Occasion,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="delegations",
        help_text=_("The wider occasion (a forum, a council session) the visit was part of."),
    )
    program = models.ForeignKey(
        CooperationProgram,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="delegations",
        # A visit carries out a programme; a memorandum signed during it is a Signing.
        limit_choices_to={"kind": "programme"},
        help_text=_("The programme the visit implements, if any."),
    )
    visit_type = models.CharField(max_length=20, choices=VisitType.choices)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    date_basis = models.CharField(
        max_length=20,
        choices=DateBasis.choices,
        default=DateBasis.VISIT,
        help_text=_("Whether the start date is when the visit began or when it was reported."),
    )
    location = models.ForeignKey(
        Place,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="delegations",
        help_text=_(
            "The most precise place the sources give: a city, or only the country. Empty when "
            "they name none, or the visit went to several countries."
        ),
    )
    purpose = models.TextField(blank=True)
    summary = models.TextField(blank=True)
    sources = models.ManyToManyField(
        Source, through="DelegationCitation", related_name="delegations"
    )
    topics = models.ManyToManyField(
        Topic,
        blank=True,
        related_name="delegations",
        help_text=_("What the visit as a whole was about, as the sources say."),
    )

    # What search matches: the visit's own words and the names of everything it involves,
    # casefolded. Derived data: never serialised, rebuilt by cooperation/records/derived.py.
    search_text = models.TextField(blank=True, editable=False, serialize=False)
    # PostgreSQL only (GIN-indexed there, see migration 0002); empty on other databases.
    search_vector = SearchVectorField(null=True, editable=False, serialize=False)

    objects = DelegationQuerySet.as_manager()
    # The search data is rebuilt from the records, so it is no part of a version; each
    # version keeps the topics the visit had then.
    history = RecordHistory(excluded_fields=SEARCH_FIELDS, m2m_fields=["topics"])

    class Meta:
        ordering = ("-start_date", "-id")
        indexes = [
            # /events/ lists published visits newest first.
            models.Index(fields=("status", "-start_date", "-id"), name="delegation_public_order"),
            # /events/?program=…: a programme's visits newest first, without walking the
            # whole archive's date order to find them.
            models.Index(fields=("program", "-start_date", "-id"), name="delegation_program_order"),
            # The Atom feed: recently published visits.
            models.Index(fields=("status", "-published_at", "-id"), name="delegation_recent"),
            # /events/?sort=title, one per language: the titles as a page in that language
            # shows them, English where there is no translation (languages.order_by_shown).
            *(
                models.Index(
                    F("status"),
                    order_by_shown("title", language),
                    F("id"),
                    name=f"delegation_title_{language}",
                )
                for language in codes()
            ),
            # The admin's list, every status newest first (and MIN/MAX for its years).
            models.Index(fields=("-start_date", "-id"), name="delegation_date_order"),
            # The admin's visit-type filter, every status: its count (to 10,001, an
            # index-only scan rather than a walk of the table past every other type) and
            # its page newest first.
            models.Index(fields=("visit_type", "-start_date", "-id"), name="delegation_type_order"),
            # The sitemap index (cooperation/sitemaps.py): which sections of 2,000 ids
            # (sitemaps.SECTION_SIZE, the same number) hold published visits, and each
            # one's latest change, at one probe per section whatever the archive's size.
            models.Index(
                F("id") / 2000,
                F("updated_at"),
                condition=Q(status="published"),
                name="delegation_sitemap_section",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="delegation_ends_after_start",
                violation_error_message=_("A visit cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=Q(host_organization__isnull=True)
                | ~Q(sending_organization=F("host_organization")),
                name="delegation_visits_another_body",
                violation_error_message=_("The host must be another body than the sending one."),
            ),
            models.CheckConstraint(
                condition=Q(host_organization__isnull=True, host_absent__in=HostAbsent.values)
                | Q(host_organization__isnull=False, host_absent=""),
                name="delegation_host_or_why_not",
                violation_error_message=_(
                    "Choose the host, or say why there is none (not stated, or no single host)."
                ),
            ),
            published_needs_date("delegation"),
        ]
        permissions = [("publish_delegation", "Can publish and unpublish visits")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return address("cooperation:event-detail", self.slug)

    def clean(self):
        super().clean()
        if self.host_organization_id is None and not self.host_absent:
            raise ValidationError(
                {
                    "host_organization": _(
                        "Choose the host, or say why there is none: not stated, or no single host."
                    )
                }
            )
        if self.host_organization_id is not None and self.host_absent:
            raise ValidationError({"host_absent": _("The host is chosen: leave this empty.")})

    @property
    def public_program(self):
        """The programme, only when the public may see it; a draft is never linked."""
        if self.program_id and self.program.is_published:
            return self.program
        return None

    def activities(self):
        """Meetings, workshops and site visits in timeline order.

        Undated activities come first, in their recorded order: a date the sources do not
        give is never guessed. Uses prefetched rows when the view prefetched them.
        """
        items = [*self.meetings.all(), *self.workshops.all(), *self.site_visits.all()]
        return sorted(items, key=lambda a: (a.date is not None, a.date or self.start_date, a.order))


class DelegationMemberManager(models.Manager):
    def get_by_natural_key(self, delegation_slug, person_slug):
        return self.get(delegation__slug=delegation_slug, person__slug=person_slug)


class DelegationMember(TimeStampedModel):
    """A person in a delegation, with their role in it; one member may head it."""

    delegation = models.ForeignKey(Delegation, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="delegation_memberships"
    )
    role = models.CharField(
        max_length=255, blank=True, help_text=_("e.g. Deputy Prosecutor General")
    )
    is_head = models.BooleanField(default=False, verbose_name=_("head of delegation"))
    order = models.PositiveSmallIntegerField(default=0)

    objects = DelegationMemberManager()
    history = RecordHistory()

    class Meta:
        # By the visit's id, not by the visit (whose own order would join its table to
        # every query for these rows): they are read and shown one visit at a time.
        ordering = ("delegation_id", "-is_head", "order", "id")
        constraints = [
            models.UniqueConstraint(
                fields=("delegation", "person"), name="delegation_member_unique"
            ),
            models.UniqueConstraint(
                fields=("delegation",),
                condition=Q(is_head=True),
                name="delegation_one_head",
                violation_error_message=_("A delegation has one head."),
            ),
        ]

    def __str__(self):
        return str(self.person)

    def natural_key(self):
        return (self.delegation.slug, self.person.slug)

    natural_key.dependencies = ["cooperation.delegation", "cooperation.person"]


class DelegationCitationManager(models.Manager):
    def get_by_natural_key(self, delegation_slug, url):
        return self.get(delegation__slug=delegation_slug, source__url=url)


class DelegationCitation(Citation):
    delegation = models.ForeignKey(Delegation, on_delete=models.CASCADE)

    objects = DelegationCitationManager()
    history = RecordHistory()

    class Meta(Citation.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=("delegation", "source"), name="delegation_citation_unique"
            )
        ]

    def __str__(self):
        return str(self.source)

    def natural_key(self):
        return (self.delegation.slug, self.source.url)

    natural_key.dependencies = ["cooperation.delegation", "cooperation.source"]


# --- Activities ---------------------------------------------------------------------------


class ActivityManager(models.Manager):
    def get_by_natural_key(self, delegation_slug, slug):
        return self.get(delegation__slug=delegation_slug, slug=slug)


class Activity(TimeStampedModel):
    """Something that happened during a visit. Concrete kinds add what is theirs."""

    kind_label = "Activity"

    # Each concrete kind declares `delegation` (with its own related_name) and `place`.
    # Indexed by the (delegation, slug) unique constraint.
    slug = models.SlugField(
        max_length=SLUG_LENGTH, db_index=False, help_text=_("Unique within the visit.")
    )
    title = models.CharField(max_length=255)
    date = models.DateField(
        null=True,
        blank=True,
        help_text=_("The day it took place, or began. Empty when the sources do not say."),
    )
    end_date = models.DateField(
        null=True,
        blank=True,
        help_text=_("The last day, for an activity of more than one day."),
    )
    order = models.PositiveSmallIntegerField(
        default=0,
        help_text=_("Position in the visit's timeline among activities of the same date."),
    )
    summary = models.TextField(blank=True)
    occasion = models.ForeignKey(
        Occasion,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="%(class)ss",
        help_text=_("The wider occasion it was part of, where the visit as a whole was not."),
    )

    objects = ActivityManager()

    class Meta:
        abstract = True
        ordering = ("delegation", "date", "order", "id")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return f"{self.delegation.get_absolute_url()}#{self.anchor}"

    def natural_key(self):
        return (self.delegation.slug, self.slug)

    natural_key.dependencies = ["cooperation.delegation"]

    def clean(self):
        super().clean()
        # The visit as given (on the visit's page, with the dates just entered); one that
        # names no record is its field's error, not this one.
        field = self._meta.get_field("delegation")
        try:
            if field.is_cached(self):
                visit = field.get_cached_value(self)
            else:
                visit = self.delegation if self.delegation_id else None
        except ObjectDoesNotExist:
            visit = None
        problems = {}
        if self.end_date is not None:
            if self.date is None:
                problems["end_date"] = _("An activity with a last day needs its first day.")
            elif self.end_date < self.date:
                problems["end_date"] = _("An activity cannot end before it starts.")
        for field in ("date", "end_date"):
            problem = field not in problems and activity_date_problem(getattr(self, field), visit)
            if problem:
                problems[field] = problem
        if getattr(self, "online", False) and getattr(self, "place_id", None):
            problems["place"] = _("An activity held online has no place.")
        if problems:
            raise ValidationError(problems)

    @property
    def anchor(self):
        return f"{self._meta.model_name}-{self.slug}"

    @property
    def citations(self):
        """Its citations, in order (prefetched ones where the view prefetched them)."""
        return getattr(self, f"{self._meta.model_name}citation_set").all()


def activity_date_problem(date, visit):
    """Why `date` cannot be an activity's date during `visit`, or None. An unknown date is
    left unknown; a known one falls within the visit's dates."""
    if date is None or visit is None or visit.start_date is None:
        return None
    if date < visit.start_date:
        return _("The visit starts on %(date)s; an activity cannot be dated before it.") % {
            "date": date_format(visit.start_date)
        }
    if visit.end_date is not None and date > visit.end_date:
        return _("The visit ends on %(date)s; an activity cannot be dated after it.") % {
            "date": date_format(visit.end_date)
        }
    return None


def activity_constraints(name, online=False):
    constraints = [
        models.UniqueConstraint(fields=("delegation", "slug"), name=f"{name}_slug_unique"),
        models.CheckConstraint(
            condition=Q(end_date__isnull=True) | Q(date__isnull=False, end_date__gte=F("date")),
            name=f"{name}_ends_after_start",
            violation_error_message=_("An activity cannot end before it starts."),
        ),
    ]
    if online:
        constraints.append(
            models.CheckConstraint(
                condition=Q(online=False) | Q(place__isnull=True),
                name=f"{name}_online_has_no_place",
                violation_error_message=_("An activity held online has no place."),
            )
        )
    return constraints


class Meeting(Activity):
    """A welcome, talks, or a session of a body that the guests attend."""

    kind_label = "Meeting"

    delegation = models.ForeignKey(Delegation, on_delete=models.CASCADE, related_name="meetings")
    place = models.ForeignKey(
        Place, null=True, blank=True, on_delete=models.PROTECT, related_name="meetings"
    )
    online = models.BooleanField(
        default=False, verbose_name=_("held online"), help_text=_("Held online: it has no place.")
    )
    host_organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="meetings_hosted",
    )
    sources = models.ManyToManyField(Source, through="MeetingCitation", related_name="meetings")
    topics = models.ManyToManyField(Topic, blank=True, related_name="meetings")
    history = RecordHistory(m2m_fields=["topics"])

    class Meta(Activity.Meta):
        constraints = activity_constraints("meeting", online=True)


class MeetingParticipantManager(models.Manager):
    def get_by_natural_key(self, delegation_slug, meeting_slug, order):
        return self.get(
            meeting__delegation__slug=delegation_slug, meeting__slug=meeting_slug, order=order
        )


class MeetingParticipant(TimeStampedModel):
    """A person or body at a meeting, on the visiting or the host side, and what they did."""

    class Side(models.TextChoices):
        VISITING = "visiting", _("Visiting side")
        HOST = "host", _("Host side")
        OTHER = "other", _("Other party")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="participants")
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="participations"
    )
    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="participations",
    )
    side = models.CharField(max_length=20, choices=Side.choices)
    role = models.CharField(max_length=255, blank=True, help_text=_('e.g. "welcomed the guests"'))
    order = models.PositiveSmallIntegerField(default=0)

    objects = MeetingParticipantManager()
    history = RecordHistory()

    class Meta:
        # By the meeting's id, not by the meeting (whose own order would join its table to
        # every query for these rows): they are read and shown one meeting at a time.
        ordering = ("meeting_id", "order", "id")
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=False) | Q(organization__isnull=False),
                name="participant_is_someone",
                violation_error_message=_("A participant is a person, an organization or both."),
            ),
            models.UniqueConstraint(fields=("meeting", "order"), name="participant_order_unique"),
        ]

    def __str__(self):
        return str(self.person or self.organization)

    def natural_key(self):
        return (*self.meeting.natural_key(), self.order)

    natural_key.dependencies = ["cooperation.meeting"]


class Workshop(Activity):
    """A working session on one or more topics."""

    kind_label = "Workshop"

    delegation = models.ForeignKey(Delegation, on_delete=models.CASCADE, related_name="workshops")
    place = models.ForeignKey(
        Place, null=True, blank=True, on_delete=models.PROTECT, related_name="workshops"
    )
    online = models.BooleanField(
        default=False, verbose_name=_("held online"), help_text=_("Held online: it has no place.")
    )
    topics = models.ManyToManyField(Topic, blank=True, related_name="workshops")
    sources = models.ManyToManyField(Source, through="WorkshopCitation", related_name="workshops")
    # Each version keeps the topics the workshop had then.
    history = RecordHistory(m2m_fields=["topics"])

    class Meta(Activity.Meta):
        constraints = activity_constraints("workshop", online=True)


class SiteVisit(Activity):
    """A visit the delegation paid to a place: a building, a museum, a memorial."""

    kind_label = "Site visit"

    delegation = models.ForeignKey(Delegation, on_delete=models.CASCADE, related_name="site_visits")
    place = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="site_visits")
    sources = models.ManyToManyField(
        Source, through="SiteVisitCitation", related_name="site_visits"
    )
    topics = models.ManyToManyField(Topic, blank=True, related_name="site_visits")
    history = RecordHistory(m2m_fields=["topics"])

    class Meta(Activity.Meta):
        constraints = activity_constraints("site_visit")


class ActivityCitationManager(models.Manager):
    def get_by_natural_key(self, delegation_slug, activity_slug, url):
        return self.get(
            activity__delegation__slug=delegation_slug,
            activity__slug=activity_slug,
            source__url=url,
        )


class ActivityCitation(Citation):
    objects = ActivityCitationManager()

    class Meta(Citation.Meta):
        abstract = True

    def __str__(self):
        return str(self.source)

    def natural_key(self):
        return (*self.activity.natural_key(), self.source.url)

    natural_key.dependencies = [
        "cooperation.meeting",
        "cooperation.workshop",
        "cooperation.sitevisit",
        "cooperation.source",
    ]


class MeetingCitation(ActivityCitation):
    activity = models.ForeignKey(Meeting, on_delete=models.CASCADE)
    history = RecordHistory()

    class Meta(ActivityCitation.Meta):
        constraints = [
            models.UniqueConstraint(fields=("activity", "source"), name="meeting_citation_unique")
        ]


class WorkshopCitation(ActivityCitation):
    activity = models.ForeignKey(Workshop, on_delete=models.CASCADE)
    history = RecordHistory()

    class Meta(ActivityCitation.Meta):
        constraints = [
            models.UniqueConstraint(fields=("activity", "source"), name="workshop_citation_unique")
        ]


class SiteVisitCitation(ActivityCitation):
    activity = models.ForeignKey(SiteVisit, on_delete=models.CASCADE)
    history = RecordHistory()

    class Meta(ActivityCitation.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=("activity", "source"), name="site_visit_citation_unique"
            )
        ]


class SigningManager(models.Manager):
    def get_by_natural_key(self, instrument_slug):
        return self.get(instrument__slug=instrument_slug)


class Signing(TimeStampedModel):
    """That an instrument was signed or adopted during a visit, at one of its meetings where
    the sources say which. A part of the visit (entered on its page), so that the visit may
    carry out one programme and be the occasion of signing another."""

    instrument = models.OneToOneField(
        CooperationProgram, on_delete=models.CASCADE, related_name="signing"
    )
    delegation = models.ForeignKey(Delegation, on_delete=models.CASCADE, related_name="signings")
    meeting = models.ForeignKey(
        Meeting,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="signings",
        help_text=_("The meeting at which it was signed, where the sources say."),
    )
    order = models.PositiveSmallIntegerField(default=0)

    objects = SigningManager()
    history = RecordHistory()

    class Meta:
        # By the visit's id, not by the visit (whose own order would join its table to
        # every query for these rows): they are read and shown one visit at a time.
        ordering = ("delegation_id", "order", "id")
        verbose_name = _("instrument signed during the visit")
        verbose_name_plural = _("instruments signed during the visit")

    def __str__(self):
        return str(self.instrument)

    def natural_key(self):
        return self.instrument.natural_key()

    natural_key.dependencies = [
        "cooperation.cooperationprogram",
        "cooperation.delegation",
        "cooperation.meeting",
    ]

    def clean(self):
        super().clean()
        visit = _cached_or_read(self, "delegation")
        meeting = _cached_or_read(self, "meeting")
        instrument = _cached_or_read(self, "instrument")
        if meeting is not None and visit is not None and meeting.delegation_id != visit.pk:
            raise ValidationError({"meeting": _("Choose a meeting of this visit.")})
        signed_on = instrument.signed_on if instrument is not None else None
        if signed_on is None:
            return
        at_meeting = meeting is not None and meeting.date is not None
        if at_meeting and not meeting.date <= signed_on <= (meeting.end_date or meeting.date):
            raise ValidationError(
                {
                    "meeting": _("It was signed on %(date)s, which is not a day of this meeting.")
                    % {"date": date_format(signed_on)}
                }
            )
        problem = activity_date_problem(signed_on, visit)
        if problem:
            raise ValidationError(
                {
                    "instrument": _("It was signed on %(date)s. %(problem)s")
                    % {"date": date_format(signed_on), "problem": problem}
                }
            )


def _cached_or_read(record, name):
    """The record `name` names, as given (a form's unsaved visit) or read; None for none."""
    field = record._meta.get_field(name)
    try:
        if field.is_cached(record):
            return field.get_cached_value(record)
        return getattr(record, name) if getattr(record, field.attname) is not None else None
    except ObjectDoesNotExist:
        return None


# --- Changes waiting for review ------------------------------------------------------------


class Revision(models.Model):
    """A change to a published programme or visit, or to what its page shows, made by
    someone who may not publish: kept here, as the record and its parts would be, until a
    publisher approves it (cooperation/records/revisions.py). Never public, never in a
    fixture; the records' history begins when it is approved."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    delegation = models.ForeignKey(
        "Delegation", null=True, blank=True, on_delete=models.CASCADE, related_name="revisions"
    )
    program = models.ForeignKey(
        CooperationProgram,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="revisions",
    )
    # The record and its parts, serialised as a fixture with natural keys.
    content = models.TextField()
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-updated_at", "-id")
        verbose_name = _("change waiting for review")
        verbose_name_plural = _("changes waiting for review")
        constraints = [
            models.CheckConstraint(
                condition=Q(delegation__isnull=True, program__isnull=False)
                | Q(delegation__isnull=False, program__isnull=True),
                name="revision_of_one_record",
            ),
            # One pending change per record: an editor's next change builds on it.
            models.UniqueConstraint(
                fields=("delegation",),
                condition=Q(state="pending"),
                name="revision_one_pending_visit",
            ),
            models.UniqueConstraint(
                fields=("program",),
                condition=Q(state="pending"),
                name="revision_one_pending_program",
            ),
        ]

    def __str__(self):
        return str(self.record)

    @property
    def record(self):
        return self.delegation if self.delegation_id else self.program


# --- The event index ----------------------------------------------------------------------


class EventTerm(models.Model):
    """One row of the event index: a published visit concerns `term` (see eventindex.py).

    Derived data in a table of its own, created by migration 0006 rather than by Django
    (`managed = False`), so it never travels in fixtures: cooperation/records/derived.py
    rebuilds it wherever the search text is rebuilt. Read-only through this model.
    """

    pk = models.CompositePrimaryKey("delegation", "term")
    # Deleting a visit deletes its rows (Django's collector does it; the table has no
    # foreign key of its own).
    delegation = models.ForeignKey(
        Delegation, on_delete=models.CASCADE, db_constraint=False, related_name="+"
    )
    term = models.CharField(max_length=40)
    start_date = models.DateField()

    class Meta:
        managed = False
        db_table = "cooperation_event_term"

    def __str__(self):
        return f"{self.term} {self.delegation_id}"


class EventTermList(models.Model):
    """Every term of one published visit's event-index rows, in one text, separated by
    spaces (see eventindex.py): kept with the rows, so that counting the terms of a few
    hundred sampled visits reads a row per visit rather than twenty-five.

    Derived and unmanaged, like `EventTerm`.
    """

    delegation = models.OneToOneField(
        Delegation,
        on_delete=models.CASCADE,
        db_constraint=False,
        primary_key=True,
        related_name="+",
    )
    terms = models.TextField()

    class Meta:
        managed = False
        db_table = "cooperation_event_term_list"

    def __str__(self):
        return f"{self.delegation_id}: {self.terms}"


class EventTermCount(models.Model):
    """How many published visits have `term` (see eventindex.py): one row per term.

    Kept by the event index as its rows change, so that "how many visits under this
    programme" is one primary-key read at any size of archive. Derived and unmanaged, like
    `EventTerm`.
    """

    term = models.CharField(max_length=40, primary_key=True)
    events = models.IntegerField()

    class Meta:
        managed = False
        db_table = "cooperation_event_term_count"

    def __str__(self):
        return f"{self.term}: {self.events}"
