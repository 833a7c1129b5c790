"""Delivery of one logged message on its channel: SMS, e-mail or a WeCom group robot.

Each raises :class:`DeliveryError` when the message did not get through; the caller
(:func:`manyi.notify.actions.deliver_message`) records it and schedules the retry.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage

from manyi.notify import sms
from manyi.notify.http import HttpFailure, post_json
from manyi.notify.models import Channel, Message

# WeCom refuses text content longer than 2048 bytes (UTF-8).
WECOM_MAX_BYTES = 2048


class DeliveryError(Exception):
    """The channel did not take the message."""


def deliver(message: Message) -> None:
    """Send ``message`` on its channel once."""
    if message.channel == Channel.SMS:
        try:
            sms.deliver(message.to, message.body)
        except sms.SmsError as exc:
            raise DeliveryError(str(exc)) from exc
    elif message.channel == Channel.EMAIL:
        send_email(message.to, message.subject, message.body)
    elif message.channel == Channel.WECOM:
        if message.robot is None or not message.robot.is_active:
            raise DeliveryError("the WeCom group robot was removed")
        mobiles = [m for m in message.to.split(",") if m]
        post_wecom(message.robot.webhook_url, message.body, mobiles)
    else:
        raise DeliveryError(f"unknown channel {message.channel!r}")


def send_email(to: str, subject: str, body: str) -> None:
    """One plain-text e-mail through Django's mail (``EMAIL_BACKEND``)."""
    try:
        EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [to]).send()
    except Exception as exc:  # SMTP and socket errors alike: retried by the delivery
        raise DeliveryError(f"e-mail: {exc}") from exc


def wecom_text(content: str) -> str:
    """``content`` cut to what a robot accepts."""
    data = content.encode("utf-8")
    if len(data) <= WECOM_MAX_BYTES:
        return content
    return data[: WECOM_MAX_BYTES - 3].decode("utf-8", errors="ignore") + "…"


def post_wecom(url: str, content: str, mobiles: list[str]) -> None:
    """Post a text message to a group robot, mentioning people by mobile number.

    The robot answers HTTP 200 with ``{"errcode": 0, "errmsg": "ok"}``; any other errcode
    (e.g. 45009, over the 20-a-minute limit) is a failure to retry.
    """
    text: dict = {"content": wecom_text(content)}
    if mobiles:
        text["mentioned_mobile_list"] = mobiles
    try:
        answer = post_json(url, {"msgtype": "text", "text": text})
    except HttpFailure as exc:
        raise DeliveryError(f"WeCom: {exc}") from exc
    code = answer.get("errcode") if isinstance(answer, dict) else None
    if code != 0:
        detail = answer.get("errmsg", "") if isinstance(answer, dict) else "no JSON answer"
        raise DeliveryError(f"WeCom errcode {code}: {detail}")
