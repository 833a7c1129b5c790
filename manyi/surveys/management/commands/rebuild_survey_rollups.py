"""manage.py rebuild_survey_rollups: recompute the survey results' rollups from the raw rows."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from manyi.org.models import Unit, UnitKind
from manyi.surveys.rollups import rebuild


class Command(BaseCommand):
    help = (
        "Recompute the rollup tables the survey results read (response, factor and answer "
        "sums, invitations sent and answered) from the responses and invitations — after a "
        "data repair or an import that bypassed the submit action. One transaction per company."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--company", help="the code of one company (default: all)")

    def handle(self, *args, company=None, **options) -> None:
        companies = Unit.objects.filter(kind=UnitKind.COMPANY).order_by("code")
        if company:
            companies = companies.filter(code=company)
            if not companies:
                raise CommandError(f"No company with the code {company!r}.")
        for unit in companies:
            counts = rebuild(unit.pk)
            self.stdout.write(
                f"{unit.code}: {counts['rollups']} rollup rows, {counts['factor_rollups']} "
                f"factor rows, {counts['item_rollups']} item rows"
            )
