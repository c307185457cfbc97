"""The rules that span several records, checked when a write ends (cooperation/records/
__init__.py) and by fixture validation (cooperation/records/fixtures.py) alike.

A record's own rules (its fields, their formats and lengths, what its `clean()` and its
constraints say) are the model's, in cooperation/models.py. The rules here need more than
one row: a published record cites a source; a record goes public only from review, by the
decision of someone who may publish; a programme is agreed by two or more parties and
signed for them; an activity happens within its visit's dates.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cooperation.models import (
    CooperationProgram,
    Delegation,
    Organization,
    Person,
    PersonName,
    Place,
    Position,
    Source,
    Status,
    Topic,
    activity_date_problem,
)

from . import derived
from .owners import load

# Marked here, translated where they are said (tests compare them as they are written).
NO_SOURCE = gettext_noop(
    "A record is published only once it cites at least one source: add a source, "
    "or keep the record as a draft or in review."
)
ONLY_PUBLISHERS = gettext_noop(
    "Only a publisher can publish a record or take it off the public site."
)
FROM_REVIEW = gettext_noop(
    "A record is published only from review: submit it for review first, then a "
    "publisher publishes it."
)
DELETE_PUBLISHED = gettext_noop("Only a publisher can delete a published record.")
TWO_PARTIES = gettext_noop("A programme is agreed between two or more parties.")

REFERENCE_MODELS = (Organization, Person, PersonName, Position, Place, Topic, Source)


def is_reference(record):
    return isinstance(record, REFERENCE_MODELS)


def public_reference(record, using="default"):
    """Whether a published page shows `record` (an organization, person, place…)."""
    if isinstance(record, Position):
        record = record.person
    visits = derived.visits_reached_by(record, using)
    if visits.filter(status=Status.PUBLISHED).exists():
        return True
    programs = derived.programs_reached_by(record, using)
    return programs.filter(status=Status.PUBLISHED).exists()


def named(record):
    return f"{record._meta.verbose_name} “{record}”"


def check_change(block, owners):
    """Every rule the programmes and visits a write reached must hold once it is made."""
    problems = []
    for key in sorted(owners, key=lambda key: (key[0].__name__, key[1])):
        owner = load(key, block.using)
        if owner is None:
            continue
        before = block.status_before.get(key)
        problems += status_problems(owner, before, block)
        problems += owner_problems(owner, block.using)
    if problems:
        raise ValidationError(problems)


def status_problems(owner, before, block):
    """A change of status is a step of the workflow, taken by someone who may take it: a
    record goes public from review only, by a publisher's decision; an import never takes a
    published record off the site unless told to."""
    from cooperation.records import may_publish

    after = owner.status
    if after == before:
        return []
    name = named(owner)
    if block.importing:
        if before == Status.PUBLISHED and not block.allow_unpublish:
            return [
                _("%(record)s is published here; the import would take it off the site.")
                % {"record": name}
            ]
        return []
    if block.user is None:
        # A command or script, run by whoever runs the site: its steps are its own.
        return []
    problems = []
    turns_public = Status.PUBLISHED in (before, after)
    if turns_public and not may_publish(block.user, type(owner)):
        problems.append(f"{name}: {_(ONLY_PUBLISHERS)}")
    elif after == Status.PUBLISHED and before != Status.IN_REVIEW:
        problems.append(f"{name}: {_(FROM_REVIEW)}")
    return problems


def owner_problems(owner, using="default"):
    """What must hold of a stored programme or visit with its parts, whatever door wrote it."""
    problems = []
    name = named(owner)
    if owner.status == Status.PUBLISHED and not owner.sources.using(using).exists():
        problems.append(f"{name}: {_(NO_SOURCE)}")
    if isinstance(owner, CooperationProgram):
        problems += program_problems(owner, name, using)
    if isinstance(owner, Delegation):
        problems += visit_problems(owner, name, using)
    return problems


def program_problems(program, name, using):
    problems = []
    parties = set(program.parties.using(using).values_list("pk", flat=True))
    if len(parties) < 2:
        problems.append(f"{name}: {_(TWO_PARTIES)}")
    for signatory in program.signatories.using(using).select_related("organization"):
        if signatory.organization_id not in parties:
            problems.append(
                _(
                    "%(record)s: %(organization)s is not a party to it; a signatory signs "
                    "for one of its parties."
                )
                % {"record": name, "organization": signatory.organization}
            )
    return problems


def visit_problems(visit, name, using):
    """Its activities happen within its dates (each activity's `clean()` says the same of
    one activity; a visit whose dates change must not leave one outside)."""
    problems = []
    for activity in visit_activities(visit, using):
        problem = activity_date_problem(activity.date, visit)
        if problem:
            problems.append(f"{name}, {activity._meta.verbose_name} “{activity}”: {problem}")
    return problems


def visit_activities(visit, using):
    return [
        *visit.meetings.using(using).all(),
        *visit.workshops.using(using).all(),
        *visit.site_visits.using(using).all(),
    ]


def check_may_delete(record, user):
    from cooperation.records import may_publish

    owner = isinstance(record, (Delegation, CooperationProgram))
    if owner and record.is_published and not may_publish(user, type(record)):
        raise ValidationError(f"{named(record)}: {_(DELETE_PUBLISHED)}")
