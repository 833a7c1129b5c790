from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "manyi.surveys"
    label = "surveys"
    verbose_name = _("Surveys")

    def ready(self) -> None:
        # The follow-up workflow joins the case engine; closing a case may send its survey.
        from manyi.cases import hooks
        from manyi.surveys import views, workflow  # noqa: F401 (registers the case-page panel)
        from manyi.surveys.actions import on_case_closed

        hooks.on_closed(on_case_closed)
