"""Answers to a version: parse them from a form, validate them, before anything is stored.

The public answer page and the API both call :func:`clean_answers` (the page after
:func:`answers_from_form`). The answer shapes, keyed by item code:

* scale, nps: ``int``; number: ``int`` or ``float``; yes/no: ``True`` / ``False``;
* single choice: the option's ``value``; multiple choice: a list of option values;
* audit: ``"met"``, ``"partly"`` or ``"not_met"``; free text: ``str``;
* ``"na"`` for "not applicable" where the item allows it (audit items always do);
* no answer: the key left out (``None`` and ``""`` are read the same way).

Answers to hidden items (display condition false) are dropped, not refused: a client may have
answered before changing the answer the condition reads.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

from manyi.errors import InvalidInput, interpolate
from manyi.instruments.definition import AUDIT_SCORES, MAX_TEXT_ANSWER, NA, Definition, ItemDef
from manyi.instruments.models import ItemType
from manyi.instruments.scoring import condition_holds, is_missing


def _named(item: ItemDef, message: Any) -> Any:
    """``message`` prefixed with the question's number and the start of its text."""
    text = item.text if len(item.text) <= 20 else item.text[:20] + "…"
    return interpolate(
        _("Question %(number)d (%(text)s): %(message)s"),
        {"number": item.number, "text": text, "message": message},
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _clean_one(item: ItemDef, value: Any) -> Any:
    """The answer in its canonical shape, or a message saying what is wrong."""
    if value == NA:
        if item.allow_na or item.type == ItemType.AUDIT:
            return NA
        return _ValueError(_("“Not applicable” is not allowed here."))
    kind = item.type
    if kind in (ItemType.SCALE, ItemType.NPS):
        values = item.values
        if not _is_int(value) or value not in values:
            return _ValueError(
                interpolate(
                    _("choose a value from %(low)d to %(high)d."),
                    {"low": values[0], "high": values[-1]},
                )
            )
        return value
    if kind == ItemType.NUMBER:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or abs(value) >= 1e12
        ):
            return _ValueError(_("enter a number."))
        if item.min_value is not None and value < item.min_value:
            return _ValueError(interpolate(_("at least %(n)s."), {"n": _fmt(item.min_value)}))
        if item.max_value is not None and value > item.max_value:
            return _ValueError(interpolate(_("at most %(n)s."), {"n": _fmt(item.max_value)}))
        return value
    if kind == ItemType.YES_NO:
        if not isinstance(value, bool):
            return _ValueError(_("answer yes or no."))
        return value
    if kind == ItemType.AUDIT:
        if value not in AUDIT_SCORES:
            return _ValueError(_("choose met, partly met, not met or not applicable."))
        return value
    if kind == ItemType.SINGLE:
        if not isinstance(value, str) or item.option(value) is None:
            return _ValueError(_("choose one of the options."))
        return value
    if kind == ItemType.MULTIPLE:
        if isinstance(value, str):
            value = [value]
        if (
            not isinstance(value, list | tuple)
            or not all(isinstance(v, str) and item.option(v) for v in value)
            or len(set(value)) != len(value)
        ):
            return _ValueError(_("choose among the options, each at most once."))
        # The options' order, whatever order they were sent in.
        chosen = set(value)
        return [o.value for o in item.options if o.value in chosen]
    if not isinstance(value, str):
        return _ValueError(_("enter text."))
    value = value.strip().replace("\r\n", "\n")
    if len(value) > MAX_TEXT_ANSWER:
        return _ValueError(interpolate(_("at most %(n)d characters."), {"n": MAX_TEXT_ANSWER}))
    return value


class _ValueError:
    def __init__(self, message: Any) -> None:
        self.message = message


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def clean_answers(definition: Definition, answers: Any, *, partial: bool = False) -> dict[str, Any]:
    """Validated answers in canonical shape, or InvalidInput naming every bad item.

    ``partial`` (a resumable page saving as it goes) skips the "required" check only.
    """
    if not isinstance(answers, Mapping):
        raise InvalidInput(_("The answers must be an object keyed by question code."))
    errors: list[tuple[str, Any]] = []
    for code in answers:
        if definition.item(code) is None:
            errors.append((str(code)[:40], _("There is no such question.")))
    cleaned: dict[str, Any] = {}
    # Conditions refer only to earlier items: one pass in order settles every chain.
    shown: set[str] = set()
    for item in definition.items:
        cond = item.show_if
        if cond is not None and (
            cond.item not in shown or not condition_holds(cond, cleaned.get(cond.item))
        ):
            continue
        shown.add(item.code)
        value = answers.get(item.code)
        if isinstance(value, str) and item.type != ItemType.TEXT:
            value = value.strip()
        if is_missing(value) or (item.type == ItemType.TEXT and not str(value).strip()):
            if item.required and not partial:
                errors.append((item.code, _named(item, _("please answer this question."))))
            continue
        result = _clean_one(item, value)
        if isinstance(result, _ValueError):
            errors.append((item.code, _named(item, result.message)))
            continue
        cleaned[item.code] = result
    if errors:
        first = errors[0][1]
        raise InvalidInput(first, errors=errors)
    return cleaned


def answers_from_form(definition: Definition, data: Any) -> dict[str, Any]:
    """Typed answers from a form post (a QueryDict: field name = item code), not yet validated.

    Strings that do not parse are kept as they are, so :func:`clean_answers` names the item.
    """
    answers: dict[str, Any] = {}
    for item in definition.items:
        if item.type == ItemType.MULTIPLE:
            values = [v for v in data.getlist(item.code) if v]
            if values == [NA]:
                answers[item.code] = NA
            elif values:
                answers[item.code] = values
            continue
        raw = data.get(item.code)
        if raw is None or raw.strip() == "":
            continue
        raw = raw.strip()
        if raw == NA:
            answers[item.code] = NA
        elif item.type in (ItemType.SCALE, ItemType.NPS):
            answers[item.code] = int(raw) if raw.lstrip("-").isdigit() else raw
        elif item.type == ItemType.NUMBER:
            answers[item.code] = _parse_number(raw)
        elif item.type == ItemType.YES_NO:
            answers[item.code] = {"yes": True, "no": False}.get(raw, raw)
        else:
            answers[item.code] = raw
    return answers


def _parse_number(raw: str) -> Any:
    try:
        number = float(raw)
    except ValueError:
        return raw
    if not math.isfinite(number):
        return raw
    return int(number) if number.is_integer() and abs(number) < 1e15 else number
