from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImprovementConfig(AppConfig):
    name = "manyi.improvement"
    label = "improvement"
    verbose_name = _("Improvement")

    def ready(self) -> None:
        from manyi.improvement.sources import autodiscover

        autodiscover()
