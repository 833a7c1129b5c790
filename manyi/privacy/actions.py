"""A customer's personal data (PIPL): export everything about one customer, erase it by
anonymising, and anonymise customers whose records are closed and older than the retention.

Erasure keeps every row and every number — ids, dates, stages, scores, quantities — so case
counts, SLA figures, survey rollups and complaint analytics stay as they were; it blanks what
identifies a person: name, phone, address, free text, signatures and photos.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from manyi import clock
from manyi.cases.models import Attachment, Case, CaseEvent
from manyi.complaints.models import Complaint
from manyi.customers.actions import refresh_search_text
from manyi.customers.models import Customer, Purchase
from manyi.errors import InvalidInput, NotFound
from manyi.org.actions import audit
from manyi.org.models import AuditAction
from manyi.org.scopes import Perm, scope_for
from manyi.surveys.models import Invitation, SurveyAnswer, SurveyResponse
from manyi.workorders.models import WorkOrder

# Free-text and contact fields blanked on erasure (every TextField of these models, too).
_BLANK = {
    WorkOrder: ["site_address", "installer_name", "installer_phone", "signed_by"],
    Complaint: [
        "contact_name",
        "contact_phone",
        "site_address",
        "installer_name",
        "installer_phone",
        "visit_place",
    ],
}


def _value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(value)
    if hasattr(value, "quantize"):  # Decimal
        return str(value)
    if isinstance(value, models.fields.files.FieldFile):
        return value.name
    return value


def _row(obj: models.Model, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """The concrete fields of ``obj`` as JSON-safe values (foreign keys by their text)."""
    out: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.name in exclude or field.name.endswith(("_hash", "search_text")):
            continue
        if field.is_relation:
            related = getattr(obj, field.name, None)
            out[field.name] = str(related) if related is not None else None
        else:
            out[field.name] = _value(getattr(obj, field.attname))
    return out


def customer_for(actor, customer_id: int, perm: Perm) -> Customer:
    """One customer the actor may handle with ``perm``, or NotFound (outside: unseen)."""
    scope = scope_for(actor)
    scope.require(perm)
    try:
        customer = Customer.objects.select_related("home_outlet").get(pk=customer_id)
    except (Customer.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc
    if not scope.covers(customer.home_outlet):  # outside the subtree (or company): unseen
        raise NotFound()
    return customer


def customer_data(customer: Customer) -> dict[str, list[dict[str, Any]]]:
    """Everything the company holds about one customer, section by section."""
    cases = list(
        Case.objects.filter(customer=customer).select_related("unit", "assignee").order_by("id")
    )
    case_ids = [c.pk for c in cases]
    responses = list(
        SurveyResponse.objects.filter(customer=customer).select_related("unit").order_by("id")
    )
    answers = (
        SurveyAnswer.objects.filter(response__in=responses)
        .select_related("item")
        .order_by("response_id", "id")
    )
    customer_row = _row(customer, exclude=("version",))
    customer_row["tags"] = ", ".join(customer.tags.values_list("name", flat=True))
    return {
        "customer": [customer_row],
        "purchases": [
            _row(p, exclude=("customer",))
            for p in Purchase.objects.filter(customer=customer).select_related("outlet")
        ],
        "cases": [_row(c, exclude=("customer", "company")) for c in cases],
        "case_events": [
            _row(e)
            for e in CaseEvent.objects.filter(case_id__in=case_ids)
            .select_related("case", "actor")
            .order_by("case_id", "id")
        ],
        "work_orders": [
            _row(w, exclude=("signoff_code_attempts", "signoff_code_sent_at"))
            for w in WorkOrder.objects.filter(case_id__in=case_ids).select_related("case")
        ],
        "complaints": [
            _row(c) for c in Complaint.objects.filter(case_id__in=case_ids).select_related("case")
        ],
        "survey_invitations": [
            _row(i, exclude=("token", "customer", "company"))
            for i in Invitation.objects.filter(customer=customer)
            .select_related("campaign", "unit")
            .order_by("id")
        ],
        "survey_responses": [
            _row(r, exclude=("customer", "company", "answers")) for r in responses
        ],
        "survey_answers": [
            {
                "response": a.response_id,
                "question": a.item.text if hasattr(a.item, "text") else str(a.item),
                "number": a.number,
                "choice": a.choice,
                "text": a.text,
            }
            for a in answers
        ],
    }


@transaction.atomic
def export_customer_data(*, actor, customer_id: int, fmt: str) -> dict:
    """A customer's data for their access request (PIPL art. 45); the export is logged."""
    customer = customer_for(actor, customer_id, Perm.EXPORT_CUSTOMERS)
    data = customer_data(customer)
    audit(
        actor=actor,
        action=AuditAction.EXPORT,
        obj=customer,
        company_id=customer.company_id,
        changes={"personal_data": [None, fmt], "rows": [None, sum(map(len, data.values()))]},
    )
    return data


def _blank_text(qs: models.QuerySet, names: list[str]) -> int:
    model = qs.model
    fields = set(names) | {
        f.name for f in model._meta.concrete_fields if isinstance(f, models.TextField)
    }
    return qs.update(**{name: "" for name in fields})


def _anonymise(customer: Customer, now: dt.datetime) -> dict[str, int]:
    case_ids = list(Case.objects.filter(customer=customer).values_list("pk", flat=True))
    counts = {"cases": len(case_ids)}
    # Case titles default to the customer's name: the number stands in.
    for pk, number in Case.objects.filter(pk__in=case_ids).values_list("pk", "number"):
        Case.objects.filter(pk=pk).update(title=number, description="")
    counts["case_events"] = CaseEvent.objects.filter(case_id__in=case_ids).update(text="")
    WorkOrder.objects.filter(case_id__in=case_ids).update(signature=None)
    _blank_text(WorkOrder.objects.filter(case_id__in=case_ids), _BLANK[WorkOrder])
    counts["complaints"] = _blank_text(
        Complaint.objects.filter(case_id__in=case_ids), _BLANK[Complaint]
    )
    Complaint.objects.filter(case_id__in=case_ids).update(present=[])
    attachments = list(Attachment.objects.filter(case_id__in=case_ids))
    for attachment in attachments:
        # The file goes after the commit: a rolled-back erasure must not lose it.
        name, storage = attachment.file.name, attachment.file.storage
        transaction.on_commit(lambda n=name, s=storage: s.delete(n))
    Attachment.objects.filter(pk__in=[a.pk for a in attachments]).delete()
    counts["attachments"] = len(attachments)
    responses = SurveyResponse.objects.filter(customer=customer)
    counts["survey_responses"] = responses.count()
    texts = SurveyAnswer.objects.filter(response__customer=customer).exclude(text="")
    for response_id, code in texts.values_list("response_id", "item__code"):
        response = SurveyResponse.objects.only("answers").get(pk=response_id)
        if isinstance(response.answers, dict) and isinstance(response.answers.get(code), str):
            response.answers[code] = ""
            SurveyResponse.objects.filter(pk=response_id).update(answers=response.answers)
    texts.update(text="")
    responses.update(contact_phone="")
    Invitation.objects.filter(customer=customer).update(greeting="")
    # The customer row: identifying fields blank; segment bands, level and outlet stay for
    # the aggregates. The phone must stay unique per company: a value no mobile number has.
    customer.tags.clear()
    customer.name = f"#{customer.pk}"
    customer.phone = f"0{customer.pk:010d}"[-11:]
    for name in ("province", "city", "district", "address_detail", "notes"):
        setattr(customer, name, "")
    customer.contact_consent = customer.survey_consent = False
    customer.contact_consent_at = customer.survey_consent_at = None
    customer.erased_at = now
    customer.updated_at = now
    customer.version += 1
    refresh_search_text(customer)
    customer.save()
    return counts


@transaction.atomic
def erase_customer(*, actor, customer_id: int, confirm: str = "") -> Customer:
    """Erase a customer's personal data on their request (PIPL art. 47), keeping the numbers.

    ``confirm`` must repeat the customer's phone number's last four digits: the page asks for
    them so that nobody erases the wrong customer by a slip.
    """
    customer = customer_for(actor, customer_id, Perm.ERASE_CUSTOMERS)
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.erased_at is not None:
        raise InvalidInput(_("This customer's personal data was already erased."))
    if (confirm or "").strip() != customer.phone[-4:]:
        raise InvalidInput(
            _("Type the last four digits of the customer's mobile number to confirm."),
            field="confirm",
        )
    return _erase(actor, customer, reason="request")


def _erase(actor, customer: Customer, *, reason: str) -> Customer:
    counts = _anonymise(customer, clock.now())
    audit(
        actor=actor,
        action=AuditAction.DELETE,
        obj=customer,
        company_id=customer.company_id,
        changes={"personal_data": ["kept", f"erased ({reason})"], "anonymised": [None, counts]},
    )
    return customer


def retention_candidates(now: dt.datetime, years: int) -> models.QuerySet[Customer]:
    """Customers with nothing open and nothing newer than ``years``: no open case, no case,
    purchase or survey answer since the cut-off, not changed since."""
    cutoff = now - dt.timedelta(days=365 * years)
    recent_cases = Case.objects.filter(Q(closed_at=None) | Q(closed_at__gte=cutoff))
    return (
        Customer.objects.filter(erased_at=None, updated_at__lt=cutoff)
        .exclude(pk__in=recent_cases.values("customer_id"))
        .exclude(pk__in=Purchase.objects.filter(created_at__gte=cutoff).values("customer_id"))
        .exclude(
            pk__in=SurveyResponse.objects.filter(submitted_at__gte=cutoff)
            .exclude(customer=None)
            .values("customer_id")
        )
    )


def apply_retention(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Anonymise up to ``limit`` customers past the retention (``MANYI_RETENTION_YEARS``;
    0 keeps everything). Each customer is one transaction; returns how many were erased."""
    years = settings.MANYI_RETENTION_YEARS
    if years <= 0:
        return 0
    now = now or clock.now()
    done = 0
    for pk in retention_candidates(now, years).values_list("pk", flat=True)[:limit]:
        with transaction.atomic():
            customer = Customer.objects.select_for_update().filter(pk=pk, erased_at=None).first()
            if customer is None:  # erased meanwhile
                continue
            _erase(None, customer, reason=f"retention {years} years")
            done += 1
    return done
