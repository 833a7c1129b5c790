"""The answer form as the template sees it: one call gives ``instruments/_form.html`` its context.

Used by the builder's phone preview and by the public answer page (surveys)::

    from manyi.instruments.render import answer_form
    context["answer_form"] = answer_form(definition, answers, errors)
    {% include "instruments/_form.html" with form=answer_form %}

The include renders the fields only (no ``<form>`` tag, no submit button), each named by its
item code, so :func:`~manyi.instruments.answers.answers_from_form` reads the post back. Items
whose display condition is false for ``answers`` carry the ``hidden`` attribute; the small
``instruments/form.js`` shows and hides them as the answers change, and without JavaScript
the server decides on the next post. ``only`` limits the form to some items (one question
per screen). Styles: ``instruments/form.css`` (standalone, also for pages without app.css).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

from manyi.instruments.definition import NA, Definition, ItemDef
from manyi.instruments.models import ItemType
from manyi.instruments.scoring import visible_items

AUDIT_CHOICES = (
    ("met", _("Met")),
    ("partly", _("Partly met")),
    ("not_met", _("Not met")),
)


def _choices(item: ItemDef, value: Any) -> list[dict[str, Any]]:
    """The radio or checkbox choices of an item, each with whether it is checked."""
    chosen = set(value) if isinstance(value, list) else {value}
    if item.type in (ItemType.SCALE, ItemType.NPS):
        labels = list(item.point_labels)
        pairs = [
            (str(v), labels[i] if labels else str(v), str(v)) for i, v in enumerate(item.values)
        ]
        chosen = {str(v) for v in chosen}
    elif item.type == ItemType.YES_NO:
        pairs = [("yes", _("Yes"), True), ("no", _("No"), False)]
        return [{"value": v, "label": label, "checked": value is raw} for v, label, raw in pairs]
    elif item.type == ItemType.AUDIT:
        pairs = [(v, label, v) for v, label in AUDIT_CHOICES]
    else:
        pairs = [(o.value, o.label, o.value) for o in item.options]
    return [
        {"value": v, "label": label, "short": v, "checked": raw in chosen}
        for v, label, raw in pairs
    ]


def answer_form(
    definition: Definition,
    answers: Mapping[str, Any] | None = None,
    errors: Mapping[str, Any] | Iterable[tuple[str | None, Any]] | None = None,
    *,
    only: Iterable[str] | None = None,
    numbered: bool = True,
) -> dict[str, Any]:
    """The context of ``instruments/_form.html`` for ``definition`` with ``answers`` filled in
    and ``errors`` ({code: message} or InvalidInput.errors) shown beside their items."""
    answers = answers or {}
    if errors is None:
        errors = {}
    elif not isinstance(errors, Mapping):
        errors = {field: message for field, message in errors if field}
    shown = visible_items(definition, answers)
    wanted = set(only) if only is not None else None
    sections = []
    for index, section in enumerate(definition.sections):
        items = []
        for code in section.items:
            if wanted is not None and code not in wanted:
                continue
            item = definition.item(code)
            value = answers.get(code)
            is_na = value == NA
            items.append(
                {
                    "item": item,
                    "name": code,
                    "widget": _widget(item),
                    "choices": _choices(item, value)
                    if item.type not in (ItemType.NUMBER, ItemType.TEXT)
                    else [],
                    "value": "" if value is None or is_na or isinstance(value, list) else value,
                    "is_na": is_na,
                    "allow_na": item.allow_na or item.type == ItemType.AUDIT,
                    "hidden": code not in shown,
                    "condition": json.dumps(
                        {
                            "item": item.show_if.item,
                            "op": item.show_if.op,
                            "value": item.show_if.value,
                        },
                        ensure_ascii=False,
                    )
                    if item.show_if
                    else "",
                    "error": errors.get(code),
                }
            )
        if items:
            sections.append(
                {
                    "title": section.title,
                    "description": section.description,
                    "items": items,
                    "index": index,
                }
            )
    return {"sections": sections, "numbered": numbered, "paging": definition.paging}


def _widget(item: ItemDef) -> str:
    if item.type == ItemType.MULTIPLE:
        return "checkbox"
    if item.type == ItemType.NUMBER:
        return "number"
    if item.type == ItemType.TEXT:
        return "text"
    if item.type in (ItemType.SCALE, ItemType.NPS):
        return "points"
    return "radio"
