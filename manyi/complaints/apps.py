from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "manyi.complaints"
    label = "complaints"
    verbose_name = _("Complaints")

    def ready(self) -> None:
        # The import registers the complaint workflow with the case engine; the hook keeps a
        # complaint about one of our staff from ever being assigned to that person, however it
        # is assigned (routing, a page, the API, a bulk hand-over).
        from manyi.cases import hooks
        from manyi.complaints import workflow  # noqa: F401
        from manyi.complaints.routing import not_the_person_complained_about

        hooks.refuse_assignee(not_the_person_complained_about)
