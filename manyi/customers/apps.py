from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_search_index(sender, using, **kwargs) -> None:
    from django.db import connections

    from manyi.customers.search_index import ensure_search_index

    ensure_search_index(connections[using])


class CustomersConfig(AppConfig):
    name = "manyi.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        # Keep the search index whole after every migrate (see search_index.py).
        post_migrate.connect(_ensure_search_index, sender=self)
