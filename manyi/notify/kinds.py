"""The kinds of notification: what each says, and where it goes unless a person chooses.

Each kind's subject and body are translatable msgids with ``%(name)s`` variables, rendered in
the recipient's language (their preference, else the site's: Chinese) from the ``context`` the
caller passes. A company may word a kind its own way (:class:`~manyi.notify.models.Template`);
a caller with a one-off text passes ``title=`` (a lazy string, so it too renders per recipient).

``channels`` are the defaults beyond the inbox (which every notification gets); a person's
preferences replace them kind by kind. ``group`` kinds also post to the WeCom group robot of the
unit they are about.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from manyi.notify.models import Channel

EMAIL, SMS, WECOM = Channel.EMAIL.value, Channel.SMS.value, Channel.WECOM.value


@dataclass(frozen=True)
class Kind:
    code: str
    label: Promise
    subject: Promise
    body: Promise | str = ""
    channels: frozenset[str] = field(default_factory=frozenset)
    group: bool = False
    # The variables its texts use, for the template editor and the docs.
    variables: tuple[str, ...] = ()


KINDS: dict[str, Kind] = {
    k.code: k
    for k in [
        Kind(
            "case_breach",
            _("Deadline missed"),
            _("%(number)s missed its deadline at stage %(stage)s"),
            channels=frozenset({EMAIL, WECOM}),
            group=True,
            variables=("number", "stage"),
        ),
        Kind(
            "case_assigned",
            _("Case assigned to you"),
            _("%(number)s is now yours: %(title)s"),
            variables=("number", "title"),
        ),
        Kind(
            "complaint_new",
            _("New complaint"),
            _("New complaint %(number)s: call the customer now"),
            channels=frozenset({SMS, WECOM}),
            variables=("number",),
        ),
        Kind(
            "complaint_major",
            _("Major complaint"),
            _("Major complaint %(number)s: now at %(stage)s"),
            channels=frozenset({SMS, EMAIL, WECOM}),
            group=True,
            variables=("number", "stage", "outlet", "reasons"),
        ),
        Kind(
            "complaint_approval",
            _("Resolution to approve"),
            _("%(number)s: %(kind)s of %(amount)s yuan waits for your approval"),
            channels=frozenset({EMAIL}),
            variables=("number", "kind", "amount"),
        ),
        Kind(
            "complaint_approved",
            _("Resolution approved"),
            _("%(number)s: the resolution was approved"),
            variables=("number",),
        ),
        Kind(
            "survey_follow_up",
            _("Unhappy survey answer"),
            _("Unhappy survey answer at %(outlet)s: %(reasons)s"),
            body="%(details)s",
            channels=frozenset({EMAIL}),
            variables=("outlet", "reasons", "details"),
        ),
        Kind(
            "problem_raised",
            _("New problem"),
            _("New problem to solve: %(title)s"),
            variables=("title",),
        ),
        Kind(
            "problem_owner",
            _("Problem to own"),
            _("You own the problem: %(title)s"),
            variables=("title",),
        ),
        Kind(
            "action_assigned",
            _("Improvement action assigned"),
            _("New action for you, due %(due)s: %(title)s"),
            channels=frozenset({EMAIL}),
            variables=("due", "title"),
        ),
        Kind(
            "action_done",
            _("Improvement action done"),
            _("Action done: %(title)s"),
            variables=("title",),
        ),
        Kind(
            "action_overdue",
            _("Improvement action overdue"),
            _("Action overdue since %(due)s: %(title)s (%(owner)s)"),
            channels=frozenset({EMAIL}),
            variables=("due", "title", "owner"),
        ),
        Kind(
            "licence_expiring",
            _("Work licence expiring"),
            _("Work licence of %(name)s ends on %(day)s"),
            _("Certificate %(number)s (%(course)s). Book a retake in time."),
            channels=frozenset({EMAIL}),
            variables=("name", "day", "number", "course"),
        ),
        Kind(
            "weekly_report",
            _("Weekly report"),
            _("Weekly report of %(unit)s, week of %(week)s"),
            "%(summary)s",
            channels=frozenset({EMAIL}),
            group=True,
            variables=("unit", "week", "summary"),
        ),
    ]
}


def kind_for(code: str) -> Kind:
    """The registered kind, or an inbox-only stand-in named by its code (callers may add kinds
    before they are registered here)."""
    return KINDS.get(code) or Kind(code, code, "%(title)s")  # type: ignore[arg-type]


def choices() -> list[tuple[str, Promise]]:
    """Kinds a person can set channels for, in the order above."""
    return [(k.code, k.label) for k in KINDS.values()]
