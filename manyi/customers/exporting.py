"""Customer export to .xlsx or .csv, in the import's column layout (so it re-imports)."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from manyi.customers.importing import EXPORT_COLUMNS
from manyi.customers.models import mask_phone
from manyi.customers.queries import CustomerFilters, customer_list
from manyi.errors import InvalidInput
from manyi.org.actions import audit
from manyi.org.models import AuditAction, Unit
from manyi.org.scopes import Perm, scope_for


def _rows(customers, show_phone: bool):
    with translation.override("zh-hans"):
        for c in customers:
            yield [
                c.name,
                c.phone if show_phone else mask_phone(c.phone),
                c.province,
                c.city,
                c.district,
                c.address_detail,
                c.home_outlet.code,
                c.get_age_band_display() if c.age_band else "",
                c.get_income_band_display() if c.income_band else "",
                c.get_education_display() if c.education else "",
                c.get_social_class_display() if c.social_class else "",
                c.get_relationship_level_display(),
                "、".join(t.name for t in c.tags.all()),
                "是" if c.contact_consent else "否",
                "是" if c.survey_consent else "否",
                c.notes,
            ]


# A CSV cell starting with one of these is a formula to Excel/WPS ("=cmd|' /C calc'!A0"):
# such text is written behind an apostrophe, which the import takes off again.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value):
    """``value`` for a CSV cell that a spreadsheet can never run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _text_cell(sheet, value):
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # typed text, never a live formula (formula injection)
    return cell


def export_customers(
    *,
    actor,
    path: Path,
    filters: CustomerFilters | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the customers the actor may export to ``path`` (.xlsx or .csv); returns the count."""
    scope = scope_for(actor)
    scope.require(Perm.EXPORT_CUSTOMERS)
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise InvalidInput(_("Export to an .xlsx or a .csv file."), field="file")
    qs = customer_list(scope, filters or CustomerFilters()).prefetch_related("tags")
    customers = qs.iterator(chunk_size=2000)
    header = [title for _field, title in EXPORT_COLUMNS]
    count = 0
    show_phone = scope.can(Perm.VIEW_PHONE)
    if suffix == ".csv":
        # UTF-8 with a BOM: Excel on Chinese Windows opens it without garbling.
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            for row in _rows(customers, show_phone):
                writer.writerow([csv_safe(value) for value in row])
                count += 1
                if progress and count % 1000 == 0:
                    progress(count)
    else:
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("客户")
        sheet.append(header)
        for row in _rows(customers, show_phone):
            sheet.append([_text_cell(sheet, value) for value in row])
            count += 1
            if progress and count % 1000 == 0:
                progress(count)
        workbook.save(path)
    company_id = scope.company_id
    if company_id is not None:
        audit(
            actor=actor,
            action=AuditAction.EXPORT,
            obj=Unit.objects.get(pk=company_id),
            company_id=company_id,
            changes={"rows": [None, count]},
        )
    if progress:
        progress(count)
    return count
