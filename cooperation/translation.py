"""Which words of a record are kept in every language (django-modeltranslation).

Each field named here gets a column per language of settings.LANGUAGES (`title_en`,
`title_az`, `title_ru`), edited side by side in the admin; `record.title` reads the active
language's text, or the English one where there is none (cooperation/languages.py).

Translated: what a reader reads as words of the record. Not translated: slugs and other
identifiers, people's names (a person's other spellings are PersonName rows, one per
script, shown in the page's script by languages.person_name), and a source's title,
publisher and quotations (they are quoted as published). A post's title is translated,
though it names the post in fixtures: its natural key reads the English column
(`Position.natural_key`), as a signatory's title is translated and its key is the
programme and the person.

A language with no text yet holds NULL, so that the history shows a change only where a
text changed; pages and searches treat "" the same (cooperation/languages.py).

The original columns (`title`) stay, as modeltranslation keeps them, holding the text in
the language of the record's last save; the project reads and writes the language columns.
"""

from modeltranslation.translator import TranslationOptions, register, translator

from .history.records import follow_translations
from .models import (
    CooperationProgram,
    Delegation,
    DelegationMember,
    Meeting,
    MeetingParticipant,
    Occasion,
    Organization,
    Place,
    Position,
    ProgramSignatory,
    Series,
    SiteVisit,
    Topic,
    Workshop,
)


class RecordTranslation(TranslationOptions):
    # An empty field of any kind (a title's input, a summary's text area) is saved as
    # NULL, the value a record created in code starts with.
    empty_values = None


@register(Organization)
class OrganizationTranslation(RecordTranslation):
    fields = ("name", "short_name")


@register(Place)
class PlaceTranslation(RecordTranslation):
    fields = ("name",)


@register(Topic)
class TopicTranslation(RecordTranslation):
    fields = ("name", "description")


@register(Series)
class SeriesTranslation(RecordTranslation):
    fields = ("name", "description")


@register(Occasion)
class OccasionTranslation(RecordTranslation):
    fields = ("name", "summary")


@register(CooperationProgram)
class CooperationProgramTranslation(RecordTranslation):
    fields = ("title", "summary")


@register(Position)
class PositionTranslation(RecordTranslation):
    # A post a person holds ("Prosecutor General", "Baş prokuror", "Генеральный прокурор").
    fields = ("title",)


@register(ProgramSignatory)
class ProgramSignatoryTranslation(RecordTranslation):
    # The signatory's title at signing ("Prosecutor General").
    fields = ("title",)


@register(Delegation)
class DelegationTranslation(RecordTranslation):
    fields = ("title", "purpose", "summary")


@register(DelegationMember)
class DelegationMemberTranslation(RecordTranslation):
    fields = ("role",)


@register([Meeting, Workshop, SiteVisit])
class ActivityTranslation(RecordTranslation):
    fields = ("title", "summary")


@register(MeetingParticipant)
class MeetingParticipantTranslation(RecordTranslation):
    # What the participant did: "welcomed the guests".
    fields = ("role",)


# The history (built when the models were, before the columns above existed) records and
# restores every language.
for model in translator.get_registered_models(abstract=False):
    follow_translations(model)
