# Azerbaijani dates keep Django's format, "j E Y": "15 dekabr 2023". Inside a date the
# month is written in lower case, where Django's Azerbaijani catalogue capitalises its
# "alt. month" names (the "E" of the format); the project's catalogue, which takes
# precedence (settings.LOCALE_PATHS), gives these. Russian takes Django's own forms.
from django.utils.translation import pgettext_lazy

MONTHS_IN_DATES = (
    pgettext_lazy("alt. month", "January"),
    pgettext_lazy("alt. month", "February"),
    pgettext_lazy("alt. month", "March"),
    pgettext_lazy("alt. month", "April"),
    pgettext_lazy("alt. month", "May"),
    pgettext_lazy("alt. month", "June"),
    pgettext_lazy("alt. month", "July"),
    pgettext_lazy("alt. month", "August"),
    pgettext_lazy("alt. month", "September"),
    pgettext_lazy("alt. month", "October"),
    pgettext_lazy("alt. month", "November"),
    pgettext_lazy("alt. month", "December"),
)
