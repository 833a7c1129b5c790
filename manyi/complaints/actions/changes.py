"""Change of person, place or time (004), merge of duplicates, early close."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from manyi.cases import actions as cases
from manyi.cases.models import Case
from manyi.complaints.actions.common import (
    _audit,
    _check_version,
    _in_site_language,
    _locked,
    _note,
    _require_role,
    _require_stage,
    _text,
    _touch,
)
from manyi.complaints.models import Complaint, ResolutionStatus
from manyi.complaints.workflow import DISPATCH, OPEN_STAGES
from manyi.errors import Conflict, InvalidInput, NotFound
from manyi.insights import rollups
from manyi.org.models import Staff
from manyi.org.scopes import Perm

# -- change person / place / time, merge, close -------------------------------------------------


@transaction.atomic
def reassign(*, actor, case: Case | int, assignee: Staff, reason: str, version: int | None) -> Case:
    """Change the person (004: 视情况换人) with a reason kept on the timeline. A complaint about
    one of our staff never goes to that person."""
    scope, case, complaint = _locked(actor, case, Perm.ASSIGN_CASES)
    _check_version(case, version)
    _require_stage(case, OPEN_STAGES, _("This complaint is finished."))
    reason = _text(reason, "reason", 200, required=True, message=_("Give a reason for the change."))
    if complaint.about_staff_id is not None and assignee.pk == complaint.about_staff_id:
        raise InvalidInput(
            _("The complaint is about this person: give it to someone else."), field="assignee"
        )
    previous = case.assignee.name if case.assignee_id else "—"
    case = cases.assign(actor=actor, case=case, assignee=assignee, version=case.version)
    _note(
        case,
        actor,
        _("Changed person: %(previous)s → %(name)s. %(reason)s")
        % {"previous": previous, "name": assignee.name, "reason": reason},
        reassigned=True,
    )
    return case


_SAME_CUSTOMER = _("Choose an open complaint of the same customer.")


@transaction.atomic
def merge(
    *, actor, case: Case | int, into: Case | int, reason: str = "", version: int | None
) -> Case:
    """A duplicate merges into the complaint kept: it closes pointing to it; both timelines stay,
    and each names the other."""
    scope, case, complaint = _locked(actor, case)
    _require_role(scope, case, DISPATCH, assignee_only=False)
    _check_version(case, version)
    survivor_pk = into.pk if isinstance(into, Case) else into
    if survivor_pk == case.pk:
        raise InvalidInput(_("A complaint cannot be merged into itself."), field="into")
    try:
        _s, survivor_case, survivor = _locked(actor, survivor_pk)
    except NotFound as exc:
        raise InvalidInput(_SAME_CUSTOMER, field="into") from exc
    if survivor_case.closed_at is not None or survivor_case.customer_id != case.customer_id:
        raise InvalidInput(_SAME_CUSTOMER, field="into")
    _require_stage(case, OPEN_STAGES, _("This complaint is finished."))
    if complaint.resolutions.exclude(status=ResolutionStatus.REJECTED).exists():
        raise Conflict(_("This complaint has resolutions of its own: settle it instead."))
    reason = _text(reason, "reason", 500)
    complaint.merged_into = survivor
    complaint.save(update_fields=["merged_into"])
    # Complaints merged into the duplicate before now point to the one kept.
    Complaint.objects.filter(merged_into=complaint).update(merged_into=survivor)
    # The cockpit counts complaints by the day received: that day's count changed.
    rollups.touch(case.unit_id, case.opened_at)
    case = cases.move(
        actor=actor,
        case=case,
        move="merge",
        version=case.version,
        payload={"into": survivor_case.number},
        note=_in_site_language(
            _("Merged into %(number)s. %(reason)s")
            % {"number": survivor_case.number, "reason": reason}
        ),
    )
    _note(
        survivor_case,
        actor,
        _("%(number)s merged into this complaint. %(reason)s")
        % {"number": case.number, "reason": reason},
        merged=case.pk,
    )
    _touch(survivor_case)
    _audit(actor, complaint, {"merged_into": [None, survivor_case.number]})
    return case


@transaction.atomic
def close(*, actor, case: Case | int, reason: str, version: int | None) -> Case:
    """Close a complaint without a resolution (withdrawn, not a complaint), with the reason."""
    return cases.move(
        actor=actor,
        case=case if isinstance(case, Case) else int(case),
        move="close",
        version=version,
        payload={"reason": reason},
        note=reason,
    )
