"""Between a version's rows and the content dict (the import/export format of definition.py).

:func:`write_content` takes the model classes as arguments so that the data migration of the
built-in templates can pass its historical models (``apps.get_model``) and run the same code.
"""

from __future__ import annotations

from typing import Any

from manyi.instruments.definition import FORMAT


def write_content(version, content: dict[str, Any], *, Section, Item, Factor) -> None:  # noqa: N803
    """Create the sections, items and factors of a cleaned content dict under ``version``."""
    factors = {}
    for position, data in enumerate(content.get("factors", [])):
        factors[data["code"]] = Factor.objects.create(
            version=version,
            code=data["code"],
            name=data["name"],
            weight=data["weight"],
            position=position,
        )
    for data in content.get("factors", []):
        if data.get("importance_of"):
            factor = factors[data["code"]]
            factor.importance_of = factors[data["importance_of"]]
            factor.save(update_fields=["importance_of"])
    items = []
    for s_position, section_data in enumerate(content["sections"]):
        section = Section.objects.create(
            version=version,
            position=s_position,
            title=section_data.get("title", ""),
            description=section_data.get("description", ""),
        )
        for position, data in enumerate(section_data.get("items", [])):
            items.append(
                Item(
                    version=version,
                    section=section,
                    position=position,
                    factor=factors.get(data.get("factor")),
                    **item_fields(data),
                )
            )
    Item.objects.bulk_create(items)


def item_fields(data: dict[str, Any]) -> dict[str, Any]:
    """The Item model fields of a cleaned item dict (all but version, section, position, factor)."""
    return {
        "code": data["code"],
        "type": data["type"],
        "text": data["text"],
        "help": data.get("help", ""),
        "weight": data.get("weight", 1.0),
        "required": data.get("required", True),
        "scored": data.get("scored", True),
        "reverse": data.get("reverse", False),
        "allow_na": data.get("allow_na", False),
        "points": data.get("points"),
        "start": data.get("start", 1) if data.get("start") is not None else 1,
        "label_low": data.get("label_low", ""),
        "label_high": data.get("label_high", ""),
        "point_labels": data.get("point_labels") or [],
        "options": data.get("options") or [],
        "min_value": data.get("min"),
        "max_value": data.get("max"),
        "show_if": data.get("show_if") or {},
    }


def item_dict(item) -> dict[str, Any]:
    """An Item row as a content item dict (the export format)."""
    return {
        "code": item.code,
        "type": item.type,
        "text": item.text,
        "help": item.help,
        "factor": item.factor.code if item.factor_id else None,
        "weight": item.weight,
        "required": item.required,
        "scored": item.scored,
        "reverse": item.reverse,
        "allow_na": item.allow_na,
        "points": item.points,
        "start": item.start,
        "label_low": item.label_low,
        "label_high": item.label_high,
        "point_labels": list(item.point_labels or []),
        "options": [dict(o) for o in item.options or []],
        "min": item.min_value,
        "max": item.max_value,
        "show_if": dict(item.show_if) if item.show_if else None,
    }


def read_content(version, *, with_ids: bool = False) -> dict[str, Any]:
    """The content dict of ``version`` read from its rows (three queries).

    ``with_ids`` adds ``{"ids": {"items": {code: pk}, "factors": {code: pk}}}``: the frozen
    definition of a published version carries them so response rows can point to the rows.
    """
    instrument = version.instrument
    factors = list(version.factors.select_related("importance_of").order_by("position", "id"))
    sections = list(version.sections.order_by("position", "id"))
    items = list(
        version.items.select_related("factor").order_by("section__position", "position", "id")
    )
    by_section: dict[int, list] = {s.pk: [] for s in sections}
    for item in items:
        by_section[item.section_id].append(item)
    content: dict[str, Any] = {
        "format": FORMAT,
        "code": instrument.code,
        "name": instrument.name,
        "name_en": instrument.name_en,
        "kind": instrument.kind,
        "description": instrument.description,
        "source": instrument.source,
        "paging": instrument.paging,
        "missing_rule": version.missing_rule,
        "band_basis": version.band_basis,
        "bands": list(version.bands or []),
        "factors": [
            {
                "code": f.code,
                "name": f.name,
                "weight": f.weight,
                "importance_of": f.importance_of.code if f.importance_of_id else None,
            }
            for f in factors
        ],
        "sections": [
            {
                "title": s.title,
                "description": s.description,
                "items": [item_dict(item) for item in by_section[s.pk]],
            }
            for s in sections
        ],
    }
    if with_ids:
        content["ids"] = {
            "items": {item.code: item.pk for item in items},
            "factors": {f.code: f.pk for f in factors},
        }
    return content
