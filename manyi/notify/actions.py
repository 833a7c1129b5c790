"""Sending and reading notifications: the one way anything in manyi tells a person.

:func:`notify` is the entry point: called inside the caller's transaction, it writes the inbox
row of each recipient and one logged :class:`~manyi.notify.models.Message` per outside delivery
their preferences ask for (e-mail, SMS, WeCom), and enqueues the delivery task after commit — a
rolled-back action tells nobody. :func:`send_sms` and :func:`send_email` are the same log for
customers (a phone or an address, no preferences).

Delivery (:func:`deliver_message`) claims the message with a conditional update (``queued`` →
``sending``), so two workers — or a task and the sweep — never send one twice, on SQLite as on
PostgreSQL, and no database lock is held while a provider answers. A failure is retried with
exponential backoff (1, 5, 25, 125 minutes) by enqueueing the task with ``run_after``; after
:data:`MAX_ATTEMPTS` it is failed for good and shows in the delivery log. :func:`sweep_messages`
(every minute, ``manyi/periodic.py``) re-enqueues any message whose time passed without a task
running it — a worker crash, a backend without ``run_after``, a lost queue — and releases
those held through the quiet hours: nothing is ever lost.

Quiet hours (company policy, 21:00–08:00 by default): a non-urgent e-mail, SMS or WeCom message
to a person who keeps quiet hours is held until they end; the inbox row appears at once; an
urgent one (a breach of a major complaint) goes at once. A customer's SMS (an acknowledgement, a
sign-off code) answers something the customer just did and is never held; survey invitations
keep their campaign's own quiet hours in ``surveys``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from manyi import clock
from manyi.errors import InvalidInput, NotFound
from manyi.notify import backends
from manyi.notify.kinds import KINDS, kind_for
from manyi.notify.models import (
    QUIET_END,
    QUIET_START,
    Channel,
    Message,
    MessageStatus,
    Notification,
    Policy,
    Preference,
    Robot,
    Template,
)
from manyi.org.models import Staff, Unit

logger = logging.getLogger("manyi.notify")

# Minutes to wait after the n-th failed attempt; after MAX_ATTEMPTS the message is failed.
BACKOFF_MINUTES = (1, 5, 25, 125)
MAX_ATTEMPTS = len(BACKOFF_MINUTES) + 1
# A due message still waiting this long after its time has lost its task: the sweep re-enqueues.
SWEEP_GRACE = dt.timedelta(minutes=5)
# A message claimed this long ago and still "sending": its worker died mid-send.
SENDING_TIMEOUT = dt.timedelta(minutes=15)
SWEEP_LIMIT = 500
PERSON_CHANNELS = (Channel.EMAIL.value, Channel.SMS.value, Channel.WECOM.value)


class _Values(dict):
    """Template variables; one the template names but the caller did not give renders empty."""

    def __missing__(self, key: str) -> str:
        return ""


def _render(text: Any, context: Mapping[str, Any] | None) -> str:
    """``text`` (a msgid, lazy string or plain text) in the active language, variables filled."""
    value = str(text)
    if not context:
        return value
    try:
        return value % _Values({k: str(v) for k, v in context.items()})
    except (TypeError, ValueError):  # a stray % in a company's own wording
        return value


def default_policy(company_id: int | None) -> Policy:
    """The company's quiet hours (an unsaved default row when it has not set any)."""
    policy = Policy.objects.filter(company_id=company_id).first() if company_id else None
    return policy or Policy(company_id=company_id, quiet_start=QUIET_START, quiet_end=QUIET_END)


def _nearest_robot(robots: list[Robot], unit: Unit | None) -> Robot | None:
    """The robot of ``unit`` or of the nearest unit above it."""
    if unit is None:
        return None
    best = None
    for robot in robots:
        if unit.path.startswith(robot.unit.path) and (
            best is None or len(robot.unit.path) > len(best.unit.path)
        ):
            best = robot
    return best


def _absolute(url: str) -> str:
    return f"{settings.MANYI_PUBLIC_URL}{url}" if url.startswith("/") else url


def notify(
    *,
    kind: str,
    users: Iterable = (),
    unit: Unit | None = None,
    context: Mapping[str, Any] | None = None,
    title: str | Promise | None = None,
    body: str | Promise | None = None,
    url: str = "",
    urgent: bool = False,
    ref: str = "",
) -> int:
    """Tell ``users`` (and the WeCom group of ``unit`` for group kinds) about something.

    Inside the caller's transaction. Each active user gets an inbox row at once and one logged
    message per channel their preferences choose for ``kind`` (the kind's defaults otherwise);
    texts render in each recipient's language from the company's template, else ``title`` /
    ``body`` (lazy strings render per recipient), else the kind's template, with ``context``
    filling the ``%(name)s`` variables. ``urgent`` skips the quiet hours. Returns how many
    people were told.
    """
    spec = kind_for(kind)
    people = list({u.pk: u for u in users if u is not None and u.is_active}.values())
    staff = {
        s.user_id: s
        for s in Staff.objects.filter(user__in=[u.pk for u in people]).select_related("unit")
    }
    prefs = {p.user_id: p for p in Preference.objects.filter(user__in=[u.pk for u in people])}
    company_id = unit.company_id if unit is not None else None
    if company_id is None and staff:
        company_id = next(iter(staff.values())).company_id
    templates = {t.language: t for t in Template.objects.filter(company_id=company_id, kind=kind)}
    robots = list(
        Robot.objects.filter(company_id=company_id, is_active=True).select_related("unit")
        if company_id
        else []
    )
    now = clock.now()
    policy = default_policy(company_id)
    quiet_end = None if urgent else policy.quiet_until(now)
    link = _absolute(url) if url else ""

    def texts(language: str) -> tuple[str, str]:
        with translation.override(language):
            own = templates.get(language)
            if own is not None:
                return _render(own.subject, context), _render(own.body, context)
            subject = _render(title if title is not None else spec.subject, context)
            text = _render(body if body is not None else spec.body, context)
            return subject, text

    def message(channel: str, *, to: str, subject: str, text: str, **extra: Any) -> Message:
        keeps_quiet = extra.pop("quiet", True)
        held = quiet_end is not None and keeps_quiet
        return Message(
            company_id=company_id,
            channel=channel,
            kind=kind,
            to=to[:254],
            subject=subject[:200],
            body=text,
            ref=ref[:60],
            urgent=urgent,
            status=MessageStatus.HELD if held else MessageStatus.QUEUED,
            next_attempt_at=quiet_end if held else now,
            **extra,
        )

    notes: list[Notification] = []
    messages: list[Message] = []
    group_robot = _nearest_robot(robots, unit) if spec.group else None
    mentions: list[str] = []
    for user in people:
        pref = prefs.get(user.pk)
        language = (pref.language if pref else "") or settings.LANGUAGE_CODE
        subject, text = texts(language)
        notes.append(
            Notification(user=user, kind=kind, title=subject[:200], body=text, url=url[:300])
        )
        chosen = pref.channels.get(kind) if pref and kind in pref.channels else spec.channels
        keeps_quiet = pref.quiet_hours if pref else True
        person = staff.get(user.pk)
        phone = person.phone if person else ""
        full = "\n".join(part for part in (subject, text, link) if part)
        if Channel.EMAIL in chosen and user.email:
            messages.append(
                message(
                    Channel.EMAIL,
                    to=user.email,
                    subject=subject,
                    text="\n\n".join(p for p in (text, link) if p) or subject,
                    user=user,
                    quiet=keeps_quiet,
                )
            )
        if Channel.SMS in chosen and phone:
            short = " ".join(part for part in (subject, link) if part)
            messages.append(
                message(Channel.SMS, to=phone, subject="", text=short, user=user, quiet=keeps_quiet)
            )
        if Channel.WECOM in chosen and person is not None:
            robot = _nearest_robot(robots, person.unit)
            if robot is not None and robot == group_robot:
                if phone:
                    mentions.append(phone)  # one group post, mentioning them
            elif robot is not None:
                messages.append(
                    message(
                        Channel.WECOM,
                        to=phone,
                        subject=subject,
                        text=full,
                        user=user,
                        robot=robot,
                        quiet=keeps_quiet,
                    )
                )
    if group_robot is not None:
        subject, text = texts(settings.LANGUAGE_CODE)
        full = "\n".join(part for part in (subject, text, link) if part)
        messages.append(
            message(
                Channel.WECOM, to=",".join(mentions), subject=subject, text=full, robot=group_robot
            )
        )
    Notification.objects.bulk_create(notes)
    if messages:
        created = Message.objects.bulk_create(messages)
        _enqueue_after_commit(created)
    return len(people)


def send(*, users: Iterable, kind: str, title: Any, body: Any = "", url: str = "") -> int:
    """Notify each user once with a ready text (the first API; :func:`notify` does the work)."""
    return notify(kind=kind, users=users, title=title, body=body, url=url)


def send_sms(*, to: str, body: str, ref: str = "", company_id: int | None = None) -> Message:
    """Queue a text message to a customer's phone (inside the caller's transaction).

    Sent after commit, never held: it answers something the customer just did. ``company_id``
    puts it in that company's delivery log."""
    message = Message.objects.create(
        company_id=company_id,
        channel=Channel.SMS,
        to=to.strip()[:100],
        body=body,
        ref=ref[:60],
        urgent=True,
        next_attempt_at=clock.now(),
    )
    _enqueue_after_commit([message])
    return message


def send_email(
    *, to: str, subject: str, body: str, ref: str = "", company_id: int | None = None
) -> Message:
    """Queue an e-mail to a customer's address (inside the caller's transaction)."""
    message = Message.objects.create(
        company_id=company_id,
        channel=Channel.EMAIL,
        to=to.strip()[:254],
        subject=str(subject)[:200],
        body=body,
        ref=ref[:60],
        urgent=True,
        next_attempt_at=clock.now(),
    )
    _enqueue_after_commit([message])
    return message


def _enqueue_after_commit(messages: list[Message]) -> None:
    due = [m.pk for m in messages if m.status == MessageStatus.QUEUED]
    held = [(m.pk, m.next_attempt_at) for m in messages if m.status == MessageStatus.HELD]

    def enqueue() -> None:
        for pk in due:
            _enqueue(pk)
        for pk, at in held:
            _enqueue(pk, at)

    transaction.on_commit(enqueue)


def _enqueue(message_id: int, run_after: dt.datetime | None = None) -> None:
    """Enqueue the delivery task, at ``run_after`` when the backend can defer.

    A backend that cannot defer (the immediate one of the tests) or a queue that is down gets
    nothing: the sweep enqueues the message once it is due. Never raises — the caller's work is
    committed already and the message row is the promise to deliver.
    """
    from manyi.notify.tasks import deliver_message as task

    try:
        if run_after is not None and run_after > clock.now():
            if not task.get_backend().supports_defer:
                return
            task = task.using(run_after=run_after)
        task.enqueue(message_id)
    except Exception:  # the sweep picks it up
        logger.exception("could not enqueue message %s", message_id)


def deliver_message(message_id: int) -> str:
    """Hand a due message to its channel once; record sent, a retry, or failure. Returns the
    status (or ``missing``)."""
    now = clock.now()
    message = (
        Message.objects.select_related("robot", "user__notify_preference")
        .filter(pk=message_id)
        .first()
    )
    if message is None:
        return "missing"
    if message.status not in (MessageStatus.QUEUED, MessageStatus.HELD):
        return message.status
    if message.next_attempt_at and message.next_attempt_at > now:
        return message.status  # an early or duplicate task: its own run comes later
    # A retry may fall into the quiet hours even if the first try did not.
    if not message.urgent and (message.user_id is None or _keeps_quiet(message.user)):
        until = default_policy(message.company_id).quiet_until(now)
        if until is not None:
            held = Message.objects.filter(pk=message.pk, status=message.status).update(
                status=MessageStatus.HELD, next_attempt_at=until
            )
            if held:
                _enqueue(message.pk, until)
            return MessageStatus.HELD
    claimed = Message.objects.filter(
        pk=message.pk, status=message.status, attempts=message.attempts
    ).update(status=MessageStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return "busy"  # another worker has it
    attempts = message.attempts + 1
    try:
        backends.deliver(message)
    except Exception as exc:  # provider refusal or our own bug alike: logged and retried
        error = str(exc) if isinstance(exc, backends.DeliveryError) else repr(exc)
        if attempts >= MAX_ATTEMPTS:
            status, next_at = MessageStatus.FAILED, None
            logger.warning("message %s failed for good: %s", message.pk, error)
        else:
            status = MessageStatus.QUEUED
            next_at = clock.now() + dt.timedelta(minutes=BACKOFF_MINUTES[attempts - 1])
        Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(
            status=status, next_attempt_at=next_at, last_error=error[:300]
        )
        if next_at is not None:
            _enqueue(message.pk, next_at)
        return status
    Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(
        status=MessageStatus.SENT, sent_at=clock.now(), last_error="", next_attempt_at=None
    )
    return MessageStatus.SENT


def _keeps_quiet(user) -> bool:
    pref = getattr(user, "notify_preference", None) if user is not None else None
    return pref.quiet_hours if pref is not None else True


def sweep_messages(now: dt.datetime | None = None, limit: int = SWEEP_LIMIT) -> int:
    """Re-enqueue messages whose time has passed with no task to run them; returns how many.

    Releases messages held through the quiet hours, retries whose task was lost, and messages
    whose worker died while sending (put back in the queue: the provider may have taken it, so
    at worst such a message arrives twice — never not at all). Each one enqueued gets a fresh
    grace period, so a stopped worker does not find the same message queued once a minute.
    """
    now = now or clock.now()
    due: list[int] = []
    for status, before in (
        (MessageStatus.SENDING, None),
        (MessageStatus.HELD, now),
        (MessageStatus.QUEUED, now - SWEEP_GRACE),
    ):
        qs = Message.objects.filter(status=status)
        if status == MessageStatus.SENDING:
            qs = qs.filter(claimed_at__lt=now - SENDING_TIMEOUT)
        elif status == MessageStatus.QUEUED:
            # (messages logged before next_attempt_at existed have none)
            qs = qs.filter(
                Q(next_attempt_at__lte=before)
                | Q(next_attempt_at__isnull=True, created_at__lte=before)
            )
        else:
            qs = qs.filter(next_attempt_at__lte=before)
        pks = list(qs.order_by("pk").values_list("pk", flat=True)[:limit])
        # conditional: a worker that changed one meanwhile keeps it
        Message.objects.filter(pk__in=pks, status=status).update(
            status=MessageStatus.QUEUED, next_attempt_at=now
        )
        due += pks
    for pk in due:
        _enqueue(pk)
    return len(due)


@transaction.atomic
def retry_message(*, actor, message_id: int) -> Message:
    """Send a failed message again (from the delivery log), with a fresh round of attempts."""
    from manyi.org.scopes import Perm, scope_for

    scope = scope_for(actor)
    scope.require(Perm.MANAGE_STAFF)
    try:
        message = Message.objects.select_for_update().get(
            pk=message_id, **({} if scope.everything else {"company_id": scope.company_id})
        )
    except (Message.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc
    if message.status != MessageStatus.FAILED:
        raise InvalidInput(_("Only a failed message can be sent again."), field="message")
    message.status = MessageStatus.QUEUED
    message.attempts = 0
    message.next_attempt_at = clock.now()
    message.save(update_fields=["status", "attempts", "next_attempt_at"])
    _enqueue_after_commit([message])
    return message


# -- reading ------------------------------------------------------------------------------------


@transaction.atomic
def mark_read(*, actor, notification_id: int) -> Notification:
    """The recipient has read one notification."""
    try:
        notification = Notification.objects.select_for_update().get(pk=notification_id, user=actor)
    except (Notification.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc
    if notification.read_at is None:
        notification.read_at = clock.now()
        notification.save(update_fields=["read_at"])
    return notification


@transaction.atomic
def mark_all_read(*, actor) -> int:
    """The recipient has read everything."""
    return Notification.objects.filter(user=actor, read_at__isnull=True).update(read_at=clock.now())


# -- preferences and company settings -------------------------------------------------------------


@transaction.atomic
def save_preferences(
    *,
    actor,
    channels: Mapping[str, Iterable[str]],
    language: str = "",
    quiet_hours: bool = True,
) -> Preference:
    """A person sets how they are told: channels per kind, language, quiet hours."""
    if actor is None or not actor.is_authenticated:
        raise NotFound()
    if language and language not in dict(settings.LANGUAGES):
        raise InvalidInput(_("Not one of the available choices."), field="language")
    cleaned: dict[str, list[str]] = {}
    for kind, chosen in channels.items():
        if kind not in KINDS:
            raise InvalidInput(_("Unknown kind of notification."), field="channels")
        picked = sorted(set(chosen))
        if any(c not in PERSON_CHANNELS for c in picked):
            raise InvalidInput(_("Not one of the available choices."), field="channels")
        cleaned[kind] = picked
    pref, _created = Preference.objects.select_for_update().get_or_create(user=actor)
    pref.channels = {**pref.channels, **cleaned}
    pref.language = language
    pref.quiet_hours = bool(quiet_hours)
    pref.updated_at = clock.now()
    pref.save()
    return pref


def _company_admin(actor) -> int:
    from manyi.org.scopes import Perm, scope_for

    scope = scope_for(actor)
    scope.require(Perm.MANAGE_STAFF)
    if scope.company_id is None:
        raise NotFound()
    return scope.company_id


@transaction.atomic
def set_quiet_hours(*, actor, start: dt.time | None, end: dt.time | None) -> Policy:
    """A company administrator sets the quiet hours (both empty: none)."""
    company_id = _company_admin(actor)
    if (start is None) != (end is None) or (start is not None and start == end):
        raise InvalidInput(_("Give both ends of the quiet hours, or neither."), field="quiet_end")
    policy, _created = Policy.objects.select_for_update().get_or_create(company_id=company_id)
    policy.quiet_start, policy.quiet_end = start, end
    policy.save(update_fields=["quiet_start", "quiet_end"])
    return policy


@transaction.atomic
def set_robot(*, actor, unit: Unit, name: str, webhook_url: str) -> Robot | None:
    """Give ``unit`` a WeCom group robot (an empty address removes it)."""
    company_id = _company_admin(actor)
    if unit.company_id != company_id:
        raise NotFound()
    webhook_url = (webhook_url or "").strip()
    if not webhook_url:
        Robot.objects.filter(unit=unit).delete()
        return None
    if not webhook_url.startswith(("https://", "http://")) or len(webhook_url) > 300:
        raise InvalidInput(_("Enter the robot's webhook address (https://…)."), field="webhook_url")
    robot, _created = Robot.objects.update_or_create(
        unit=unit,
        defaults={
            "company_id": company_id,
            "name": (name or "").strip()[:50] or unit.name,
            "webhook_url": webhook_url,
            "is_active": True,
        },
    )
    return robot
