"""manage.py seed_calendar: (re)load years of the business calendar from the holiday libraries."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from manyi.calendars.actions import FIRST_YEAR, LAST_YEAR, seed_from_library
from manyi.org.models import Unit, UnitKind


class Command(BaseCommand):
    help = (
        "Load holidays and make-up workdays from chinese-calendar (or, for a year it does not "
        "know, the statutory days from holidays) into every company's calendar. Days entered "
        "by hand or imported are kept. Default years: this year and the next."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--years", nargs="+", type=int, help="e.g. --years 2026 2027")
        parser.add_argument("--company", help="the code of one company (default: all)")

    def handle(self, *args, years=None, company=None, **options) -> None:
        if not years:
            this_year = timezone.localdate().year
            years = [this_year, this_year + 1]
        bad = [y for y in years if not FIRST_YEAR <= y <= LAST_YEAR]
        if bad:
            raise CommandError(f"Years must lie between {FIRST_YEAR} and {LAST_YEAR}: {bad}")
        companies = Unit.objects.filter(kind=UnitKind.COMPANY).order_by("code")
        if company:
            companies = companies.filter(code=company)
            if not companies:
                raise CommandError(f"No company with the code {company!r}.")
        for unit in companies:
            for row in seed_from_library(unit, years):
                state = (
                    "fully known" if row.fully_known else "NOT fully known (statutory days only)"
                )
                source = row.seeded_with or "no library knows this year"
                self.stdout.write(f"{unit.code} {row.year}: {state}; {source}")
