from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HistoryConfig(AppConfig):
    name = "cooperation.history"
    label = "cooperation_history"
    verbose_name = _("Change history")
