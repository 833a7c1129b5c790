"""Work-order writes that are not stage moves: intake, the first visit, visits, sign-off."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from manyi import clock
from manyi.cases import actions as cases
from manyi.cases.models import Case, CaseEvent, EventKind
from manyi.customers.actions import normalize_phone
from manyi.errors import Conflict, InvalidInput
from manyi.org.actions import audit
from manyi.org.models import AuditAction
from manyi.org.scopes import Perm
from manyi.workorders.models import Evaluation, WorkOrder
from manyi.workorders.workflow import KIND


def _default_title(customer) -> str:
    """A title is data: written in the site's language, whatever the clerk's UI language."""
    from django.conf import settings
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        return str(_("Technical service for %(customer)s") % {"customer": customer.name})


@transaction.atomic
def take_order(
    *,
    actor,
    customer,
    site_address: str = "",
    installer_name: str = "",
    installer_phone: str = "",
    planned_start: dt.date | None = None,
    products: str = "",
    priority: str = "normal",
    title: str = "",
) -> Case:
    """Intake (接单): the front line files the construction contact form at the sale."""
    errors = []
    site_address = (site_address or customer.full_address or "").strip()
    if not site_address or len(site_address) > 200:
        errors.append(("site_address", _("Enter the site address (at most 200 characters).")))
    installer_name = (installer_name or "").strip()
    if len(installer_name) > 50:
        errors.append(("installer_name", _("Too long (at most 50 characters).")))
    if installer_phone:
        try:
            installer_phone = normalize_phone(installer_phone)
        except InvalidInput as exc:
            errors.append(("installer_phone", exc.message))
    today = timezone.localtime(clock.now()).date()
    if planned_start is not None and planned_start < today - dt.timedelta(days=365):
        errors.append(("planned_start", _("The planned start is too far in the past.")))
    if errors:
        raise InvalidInput(errors=errors)
    case = cases.open_case(
        actor=actor,
        kind=KIND,
        customer=customer,
        title=(title or "").strip() or _default_title(customer),
        description=(products or "").strip(),
        priority=priority,
    )
    WorkOrder.objects.create(
        case=case,
        site_address=site_address,
        installer_name=installer_name,
        installer_phone=installer_phone or "",
        planned_start=planned_start,
        products=(products or "").strip(),
    )
    return case


@transaction.atomic
def set_first_visit(*, actor, case: Case, at: dt.datetime) -> WorkOrder:
    """Record the first visit agreed with the customer (联系)."""
    _scope, case = cases.locked_case(actor, case, Perm.WORK_CASES)
    if case.stage not in ("contact", "service"):
        raise Conflict(_("The first visit is agreed while contacting the customer."))
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    order = case.workorder
    order.first_visit_at = at
    order.save(update_fields=["first_visit_at"])
    cases.record_event(
        case,
        EventKind.NOTE,
        actor,
        text=str(_("First visit agreed")),
        first_visit_at=at.isoformat(),
    )
    return order


@transaction.atomic
def log_visit(
    *,
    actor,
    case: Case,
    step: str,
    products: str = "",
    mix_ratio: str = "",
    notes: str = "",
    customer_informed: bool = False,
) -> CaseEvent:
    """One line of the tracking card (客户服务跟踪卡): the process step served on a visit."""
    _scope, case = cases.locked_case(actor, case, Perm.WORK_CASES)
    if case.stage != "service":
        raise Conflict(_("Visits are logged while the case is in service."))
    step = (step or "").strip()
    if not step or len(step) > 100:
        raise InvalidInput(
            _("Name the process step served (at most 100 characters)."), field="step"
        )
    return cases.record_event(
        case,
        EventKind.VISIT,
        actor,
        text=(notes or "").strip()[:2000],
        step=step,
        products=(products or "").strip()[:200],
        mix_ratio=(mix_ratio or "").strip()[:100],
        customer_informed=bool(customer_informed),
    )


def record_content(case: Case, order: WorkOrder) -> str:
    """The service record as signed: what the content hash covers (stable field order)."""
    import json

    visits = [
        [e.at.isoformat(), e.data.get("step", ""), e.data.get("mix_ratio", ""), e.text]
        for e in case.events.filter(kind=EventKind.VISIT).order_by("at", "id")
    ]
    return json.dumps(
        {
            "number": case.number,
            "customer": case.customer.name,
            "site": order.site_address,
            "installer": [order.installer_name, order.installer_phone],
            "products": order.products,
            "visits": visits,
            "evaluation": order.evaluation,
            "signer": order.signed_by,
        },
        ensure_ascii=False,
        sort_keys=True,
    )


def _decode_signature(signature: bytes | str) -> bytes:
    """PNG bytes from raw bytes or a data URL (what a canvas's toDataURL gives)."""
    import base64
    import binascii

    if isinstance(signature, bytes):
        return signature
    text = (signature or "").strip()
    prefix = "data:image/png;base64,"
    if text.startswith(prefix):
        text = text[len(prefix) :]
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput(
            _("The signature could not be read; please sign again."), field="signature"
        ) from exc


# The one-time sign-off code: six digits, valid ten minutes, five tries, one code a minute.
CODE_VALID_FOR = dt.timedelta(minutes=10)
CODE_RESEND_AFTER = dt.timedelta(minutes=1)
CODE_MAX_ATTEMPTS = 5


def _code_digest(case: Case, code: str) -> str:
    from django.utils.crypto import salted_hmac

    return salted_hmac("manyi.workorders.signoff-code", f"{case.pk}:{code}").hexdigest()


def _signable(actor, case: Case | int) -> tuple[Case, WorkOrder]:
    _scope, case = cases.locked_case(actor, case, Perm.WORK_CASES)
    if case.stage != "record":
        raise Conflict(_("The record is signed when the service is finished."))
    order = WorkOrder.objects.select_for_update().get(case=case)
    if order.signed_at is not None:
        raise Conflict(_("The record is already signed and cannot change."))
    return case, order


@transaction.atomic
def send_signoff_code(*, actor, case: Case | int) -> str:
    """Text a one-time code to the customer's phone to confirm the record (instead of a drawn
    signature); returns the masked number it went to."""
    import secrets

    from manyi.customers.models import mask_phone
    from manyi.notify.actions import send_sms

    case, order = _signable(actor, case)
    phone = case.customer.phone
    if not phone:
        raise Conflict(_("The customer has no phone number to send a code to."))
    now = clock.now()
    if order.signoff_code_sent_at and now - order.signoff_code_sent_at < CODE_RESEND_AFTER:
        raise Conflict(_("A code was just sent; wait a minute before sending another."))
    code = f"{secrets.randbelow(10**6):06d}"
    order.signoff_code_hash = _code_digest(case, code)
    order.signoff_code_sent_at = now
    order.signoff_code_attempts = 0
    order.save(update_fields=["signoff_code_hash", "signoff_code_sent_at", "signoff_code_attempts"])
    from django.conf import settings
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):  # the customer reads Chinese
        body = str(
            _(
                "Your code to confirm service record %(number)s is %(code)s "
                "(valid for 10 minutes). Tell it only to our technician on site."
            )
            % {"number": case.number, "code": code}
        )
    send_sms(to=phone, body=body, ref=case.number, company_id=case.company_id)
    masked = mask_phone(phone)
    cases.record_event(
        case,
        EventKind.NOTE,
        actor,
        text=str(_("Sign-off code sent to %(phone)s") % {"phone": masked}),
        signoff_code_to=masked,
    )
    return masked


@transaction.atomic
def _try_signoff_code(*, actor, case: Case | int, code: str) -> bool:
    """Count one attempt at the code (committed even when it is wrong); whether it matches."""
    import hmac

    case, order = _signable(actor, case)
    if not order.signoff_code_hash:
        raise InvalidInput(_("Send a code to the customer first."), field="code")
    if clock.now() - order.signoff_code_sent_at > CODE_VALID_FOR:
        raise InvalidInput(_("The code has expired; send a new one."), field="code")
    if order.signoff_code_attempts >= CODE_MAX_ATTEMPTS:
        raise InvalidInput(_("Too many wrong codes; send a new one."), field="code")
    order.signoff_code_attempts += 1
    order.save(update_fields=["signoff_code_attempts"])
    return hmac.compare_digest(order.signoff_code_hash, _code_digest(case, code))


def sign_record(
    *,
    actor,
    case: Case | int,
    signer_name: str,
    evaluation: str,
    signature: bytes | str | None = None,
    code: str | None = None,
) -> WorkOrder:
    """The customer signs the service record form with an overall evaluation; then it is frozen.

    Either the signature drawn with a finger on the phone (PNG), or the one-time code texted to
    the customer's phone (``send_signoff_code``). The record keeps the time, the signer's name
    and the SHA-256 of its content. A wrong code counts as an attempt even though nothing is
    signed (that count is its own transaction; the signing is another).
    """
    code = (code or "").strip()
    no_signature = signature is None or signature == "" or signature == b""
    if no_signature and code:
        if not code.isdigit() or len(code) != 6:
            raise InvalidInput(_("Enter the six-digit code."), field="code")
        if not _try_signoff_code(actor=actor, case=case, code=code):
            raise InvalidInput(_("The code is not right."), field="code")
    return _sign(
        actor=actor,
        case=case,
        signer_name=signer_name,
        evaluation=evaluation,
        signature=None if no_signature else signature,
        by_code=no_signature and bool(code),
    )


@transaction.atomic
def _sign(
    *,
    actor,
    case: Case | int,
    signer_name: str,
    evaluation: str,
    signature: bytes | str | None,
    by_code: bool,
) -> WorkOrder:
    import hashlib

    from manyi.workorders.models import SignoffMethod

    case, order = _signable(actor, case)
    signer_name = (signer_name or "").strip()
    if not signer_name or len(signer_name) > 50:
        raise InvalidInput(_("Enter the name of the person signing."), field="signer_name")
    if evaluation not in Evaluation.values:
        raise InvalidInput(_("Not one of the available choices."), field="evaluation")
    if signature is None and not by_code:
        raise InvalidInput(
            _("The customer must sign, or confirm with the code sent to their phone."),
            field="signature",
        )
    order.signed_by = signer_name
    order.signed_at = clock.now()
    order.evaluation = evaluation
    details = {"signer": signer_name, "evaluation": evaluation}
    if by_code:
        # The code was checked by _try_signoff_code; it is used up here.
        from manyi.customers.models import mask_phone

        order.signoff_method = SignoffMethod.SMS_CODE
        order.signoff_code_hash = ""
        details["method"] = SignoffMethod.SMS_CODE
        details["phone"] = mask_phone(case.customer.phone)
    else:
        image = _decode_signature(signature)
        order.signoff_method = SignoffMethod.CANVAS
        details["method"] = SignoffMethod.CANVAS
    event = cases.record_event(case, EventKind.SIGNATURE, actor, **details)
    if not by_code:
        order.signature = cases.store_attachment(
            actor=actor, case=case, data=image, kind="signature", name="signature", event=event
        )
    order.signed_hash = hashlib.sha256(record_content(case, order).encode("utf-8")).hexdigest()
    order.save(
        update_fields=[
            "signed_by",
            "signed_at",
            "evaluation",
            "signature",
            "signed_hash",
            "signoff_method",
            "signoff_code_hash",
        ]
    )
    event.data = {**event.data, "content_sha256": order.signed_hash}
    if order.signature_id:
        event.data["image_sha256"] = order.signature.sha256
    event.save(update_fields=["data"])
    audit(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=case,
        company_id=case.company_id,
        changes={"signed_by": [None, signer_name], "signoff_method": [None, details["method"]]},
    )
    return order
