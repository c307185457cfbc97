"""Which published record a record belongs to: a visit's members, citations, activities
(and their participants and citations) and signings belong to the visit; a programme's
signatories and citations to the programme. The owner's status decides whether a change is
public, and who may make it without review."""

from cooperation.models import (
    CooperationProgram,
    Delegation,
    DelegationCitation,
    DelegationMember,
    Meeting,
    MeetingCitation,
    MeetingParticipant,
    ProgramCitation,
    ProgramSignatory,
    Signing,
    SiteVisit,
    SiteVisitCitation,
    Status,
    Workshop,
    WorkshopCitation,
)

OWNER_MODELS = (Delegation, CooperationProgram)
ACTIVITY_MODELS = (Meeting, Workshop, SiteVisit)
ACTIVITY_CITATIONS = (MeetingCitation, WorkshopCitation, SiteVisitCitation)


def owners_of(record, using="default"):
    """The programmes and visits whose public page shows `record` as part of them."""
    visits = Delegation.objects.using(using)
    if isinstance(record, OWNER_MODELS):
        return [record] if record.pk is not None else []
    # A signing is entered with the visit it happened during.
    if isinstance(record, (*ACTIVITY_MODELS, DelegationMember, DelegationCitation, Signing)):
        return list(visits.filter(pk=record.delegation_id))
    if isinstance(record, MeetingParticipant):
        return list(visits.filter(meetings=record.meeting_id))
    if isinstance(record, ACTIVITY_CITATIONS):
        activity = type(record)._meta.get_field("activity").related_model
        owner = activity._default_manager.using(using).filter(pk=record.activity_id)
        return list(visits.filter(pk__in=owner.values("delegation")))
    if isinstance(record, (ProgramSignatory, ProgramCitation)):
        return list(CooperationProgram.objects.using(using).filter(pk=record.program_id))
    return []


def public_owner_ids(owners, using="default"):
    """The (model, pk) of `owners` that are published now."""
    public = set()
    for model in OWNER_MODELS:
        pks = [pk for owner_model, pk in owners if owner_model is model]
        if pks:
            published = model.objects.using(using).filter(pk__in=pks, status=Status.PUBLISHED)
            public |= {(model, pk) for pk in published.values_list("pk", flat=True)}
    return public


def load(key, using="default"):
    model, pk = key
    return model._base_manager.using(using).filter(pk=pk).first()
