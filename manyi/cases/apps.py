from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "manyi.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from manyi.cases.timeline import case_events_for_customer
        from manyi.customers.queries import register_timeline_source

        register_timeline_source(case_events_for_customer)
