from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkOrdersConfig(AppConfig):
    name = "manyi.workorders"
    label = "workorders"
    verbose_name = _("Work orders")

    def ready(self) -> None:
        # Registers the work-order workflow with the case engine.
        from manyi.workorders import workflow  # noqa: F401
