from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ManyiConfig(AppConfig):
    name = "manyi"
    verbose_name = _("manyi")
