"""API of notifications: a person's inbox and preferences; the company's delivery log.

``GET /notifications`` is the caller's own inbox (with the unread count); anyone logged in has
one. The delivery log (``/notification-messages``) is for those who manage staff, limited to
their company; a failed message may be sent again from it.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema

from manyi.notify import actions, queries
from manyi.notify.models import Message, Notification
from manyi.org.scopes import Perm, scope_for

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    url: str
    created_at: dt.datetime
    read_at: dt.datetime | None


class InboxOut(Schema):
    unread: int
    items: list[NotificationOut]
    next_cursor: int | None


class ReadAllOut(Schema):
    read: int


class KindChannels(Schema):
    kind: str
    label: str
    channels: list[str]
    default_channels: list[str]


class PreferencesOut(Schema):
    language: str = Field(description="empty: the site's language (zh-hans)")
    quiet_hours: bool
    kinds: list[KindChannels]


class PreferencesIn(Schema):
    language: str = Field("", max_length=10, description="zh-hans, en, or empty")
    quiet_hours: bool = True
    channels: dict[str, list[str]] = Field(
        default_factory=dict, description="kind → channels among email, sms, wecom"
    )


class MessageOut(Schema):
    id: int
    channel: str
    kind: str
    to: str
    subject: str
    ref: str
    urgent: bool
    status: str
    attempts: int
    last_error: str
    created_at: dt.datetime
    next_attempt_at: dt.datetime | None
    sent_at: dt.datetime | None


class MessagesOut(Schema):
    items: list[MessageOut]
    next_cursor: int | None


def _notification_out(n: Notification) -> NotificationOut:
    return NotificationOut.from_orm(n)


def _preferences_out(user) -> PreferencesOut:
    pref, rows = queries.preferences_of(user)
    return PreferencesOut(
        language=pref.language,
        quiet_hours=pref.quiet_hours,
        kinds=[KindChannels(**{**row, "label": str(row["label"])}) for row in rows],
    )


@router.get("/notifications", response=InboxOut)
def list_notifications(
    request: HttpRequest,
    after: int | None = Query(None, ge=1, lt=2**63, description="the previous page's cursor"),
    unread: bool = False,
):
    """The caller's notifications, newest first (``after``: the previous page's cursor)."""
    page = queries.inbox(request.user, after=after, unread=unread)
    return InboxOut(
        unread=queries.unread_count(request.user),
        items=[_notification_out(n) for n in page.items],
        next_cursor=page.next_cursor,
    )


@router.post("/notifications/read-all", response=ReadAllOut)
def read_all(request: HttpRequest):
    """Mark every notification of the caller read."""
    return ReadAllOut(read=actions.mark_all_read(actor=request.user))


@router.post("/notifications/{notification_id}/read", response=NotificationOut)
def read_one(request: HttpRequest, notification_id: int = Path(..., ge=1, lt=2**63)):
    """Mark one of the caller's notifications read (someone else's: 404)."""
    return _notification_out(actions.mark_read(actor=request.user, notification_id=notification_id))


@router.get("/notification-preferences", response=PreferencesOut)
def get_preferences(request: HttpRequest):
    """How the caller is told: channels per kind, language, quiet hours."""
    return _preferences_out(request.user)


@router.put("/notification-preferences", response=PreferencesOut)
def put_preferences(request: HttpRequest, payload: PreferencesIn):
    """Set the caller's preferences; kinds left out keep their channels."""
    actions.save_preferences(
        actor=request.user,
        channels=payload.channels,
        language=payload.language,
        quiet_hours=payload.quiet_hours,
    )
    return _preferences_out(request.user)


@router.get("/notification-messages", response=MessagesOut)
def list_messages(
    request: HttpRequest,
    status: str = Query("", max_length=10, description="queued, held, sending, sent or failed"),
    after: int | None = Query(None, ge=1, lt=2**63, description="the previous page's cursor"),
):
    """The company's delivery log (SMS, e-mail, WeCom), newest first; for staff managers."""
    scope_for(request.user).require(Perm.MANAGE_STAFF)
    page = queries.delivery_log(request.user, status=status, after=after)
    return MessagesOut(
        items=[MessageOut.from_orm(m) for m in page.items], next_cursor=page.next_cursor
    )


@router.post("/notification-messages/{message_id}/retry", response=MessageOut)
def retry(request: HttpRequest, message_id: int = Path(..., ge=1, lt=2**63)):
    """Send a failed message again (a fresh round of attempts)."""
    message: Message = actions.retry_message(actor=request.user, message_id=message_id)
    return MessageOut.from_orm(message)
