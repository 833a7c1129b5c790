"""Reading notifications: a person's inbox and preferences, a company's delivery log."""

from __future__ import annotations

from typing import Any

from manyi.notify.kinds import KINDS
from manyi.notify.models import Message, MessageStatus, Notification, Preference
from manyi.org.scopes import Perm, scope_for
from manyi.pagination import Page, keyset_page


def inbox(user, *, after: Any = None, unread: bool = False) -> Page:
    """A person's notifications, newest first (index notification_user_idx)."""
    qs = Notification.objects.filter(user=user)
    if unread:
        qs = qs.filter(read_at__isnull=True)
    return keyset_page(qs, after=after)


def unread_count(user) -> int:
    """How many notifications the person has not read (the header badge)."""
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def preferences_of(user) -> tuple[Preference, list[dict[str, Any]]]:
    """The person's preference row (unsaved defaults if none) and, per kind, its channels."""
    pref = Preference.objects.filter(user=user).first() or Preference(user=user)
    rows = [
        {
            "kind": kind.code,
            "label": kind.label,
            "channels": sorted(pref.channels.get(kind.code, kind.channels)),
            "default_channels": sorted(kind.channels),
        }
        for kind in KINDS.values()
    ]
    return pref, rows


def delivery_log(user, *, status: str = "", after: Any = None) -> Page:
    """The company's outbound messages, newest first, optionally of one status (index
    message_company_idx); empty for anyone who does not manage staff."""
    scope = scope_for(user)
    qs = Message.objects.all()
    if not scope.can(Perm.MANAGE_STAFF):
        qs = qs.none()
    elif not scope.everything:
        qs = qs.filter(company_id=scope.company_id)
    if status in MessageStatus.values:
        qs = qs.filter(status=status)
    return keyset_page(qs.select_related("user", "robot"), after=after)
