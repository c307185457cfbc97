"""Memoranda signed during generated visits: every SIGNING_EVERY-th visit is the occasion of
signing one between its two offices, so that the instrument filter, the instrument's page and
the visit's "signed during this visit" have rows to read at any archive size.

Drawn from the visits' ids alone (no random numbers), after the visits are written and
before their derived data is built, so a visit's index rows name its memorandum's topics and
signatories like any other."""

from django.db import transaction
from django.db.models.functions import Mod

from cooperation.models import (
    CooperationProgram,
    Delegation,
    Organization,
    ProgramCitation,
    Signing,
)

from .world import PREFIX, save_all

SIGNING_EVERY = 100
CHUNK = 2000


def sign_during_visits(after, counts):
    """Add the memoranda of the visits numbered above `after` (an id)."""
    visits = (
        Delegation.objects.filter(pk__gt=after)
        .alias(every=Mod("pk", SIGNING_EVERY))
        .filter(every=0)
        .order_by("pk")
        .values_list(
            "pk",
            "sending_organization_id",
            "host_organization_id",
            "start_date",
            "status",
            "published_at",
            "created_at",
            "updated_at",
            "delegationcitation__source_id",
        )
    )
    names = {}
    last = after
    while True:
        # A generated visit cites one source; keep one row a visit whatever the join gives.
        chunk = list({row[0]: row for row in visits.filter(pk__gt=last)[:CHUNK]}.values())
        if not chunk:
            return
        last = chunk[-1][0]
        wanted = {pk for row in chunk for pk in row[1:3]} - names.keys()
        names.update(Organization.objects.filter(pk__in=wanted).values_list("pk", "name"))
        with transaction.atomic():
            write(chunk, names, counts)


def write(chunk, names, counts):
    instruments = []
    for pk, sending, host, day, status, published_at, created, updated, _ in chunk:
        instruments.append(
            CooperationProgram(
                kind=CooperationProgram.Kind.MEMORANDUM,
                title=f"Memorandum of understanding between {names[sending]} and {names[host]}"[
                    :255
                ],
                slug=f"{PREFIX}memorandum-{pk}",
                signed_on=day,
                status=status,
                published_at=published_at,
                created_at=created,
                updated_at=updated,
            )
        )
    save_all(instruments, counts)
    through = CooperationProgram.parties.through
    parties, citations, signings = [], [], []
    for instrument, (pk, sending, host, *_, source) in zip(instruments, chunk, strict=True):
        stamps = {"created_at": instrument.created_at, "updated_at": instrument.updated_at}
        for party in (sending, host):
            parties.append(through(cooperationprogram=instrument, organization_id=party))
        if source is not None:
            citations.append(ProgramCitation(program=instrument, source_id=source, **stamps))
        signings.append(Signing(instrument=instrument, delegation_id=pk, **stamps))
    for rows in (parties, citations, signings):
        save_all(rows, counts)
