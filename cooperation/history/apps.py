from django.apps import AppConfig


class HistoryConfig(AppConfig):
    name = "cooperation.history"
    label = "cooperation_history"
    verbose_name = "Change history"
