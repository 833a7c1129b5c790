"""Daily verbal recognition (003 P-076): a manager records a word of praise in one tap."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from manyi import clock
from manyi.errors import Conflict, InvalidInput, NotFound
from manyi.org.models import Staff
from manyi.org.scopes import Perm, scope_for
from manyi.team.actions.common import today
from manyi.team.models import Recognition


@transaction.atomic
def recognise(*, actor, staff: Staff | int, note: str = "") -> Recognition:
    """Record today's recognition of a person of the actor's team (once a day per person).

    Not audited line by line: the row itself says who praised whom, when.
    """
    scope = scope_for(actor)
    scope.require(Perm.MANAGE_TEAM)
    pk = staff.pk if isinstance(staff, Staff) else staff
    try:
        person = scope.filter(Staff.objects.select_related("unit"), unit_field="unit").get(
            pk=pk, user__is_active=True
        )
    except (Staff.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc
    scope.require_unit(person.unit, Perm.MANAGE_TEAM)
    if person.pk == scope.staff_id:
        raise InvalidInput(_("Recognition is for others."), field="staff")
    note = (note or "").strip()
    if len(note) > 200:
        raise InvalidInput(_("At most 200 characters."), field="note")
    day = today()
    try:
        with transaction.atomic():
            return Recognition.objects.create(
                company_id=person.company_id,
                staff=person,
                unit_id=person.unit_id,
                given_by=actor,
                note=note,
                day=day,
                month=day.replace(day=1),
                created_at=clock.now(),
            )
    except IntegrityError as exc:
        raise Conflict(_("You have already recognised this person today.")) from exc
