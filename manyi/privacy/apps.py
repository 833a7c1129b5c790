from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    """Personal data (PIPL): a customer's data export and erasure, retention of closed records.

    It sits on top of the apps (like insights): one customer's personal data is spread over
    the archive, cases, work orders, complaints and surveys, and only a module that may import
    them all can gather or anonymise it in one transaction.
    """

    name = "manyi.privacy"
    label = "privacy"
    verbose_name = _("Personal data")
