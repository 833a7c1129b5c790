"""An instrument's content as data: the JSON format, its validation, and the runtime shape.

Three forms of the same content, one format between them:

* rows (:class:`~manyi.instruments.models.Section`, ``Item``, ``Factor``) — what the builder
  edits while a version is a draft;
* the **content dict** — the import/export JSON (``FORMAT``), also what a published version
  freezes into ``InstrumentVersion.definition`` (with the row ids added under ``"ids"``);
* :class:`Definition` — immutable dataclasses that scoring, validation and the answer form read.

:func:`clean_content` validates a content dict (import, built-in templates) and returns it
normalised, or raises :class:`~manyi.errors.InvalidInput` naming each bad field by its path
(``sections[0].items[2].points``). :func:`clean_item` validates one item the same way for the
builder. Example of the format (every key of an item but ``code``, ``type`` and ``text`` may be
left out)::

    {"format": "manyi-instrument/1", "code": "csat", "name": "满意度", "kind": "survey",
     "paging": "page", "missing_rule": "skip", "bands": [], "band_basis": "index",
     "factors": [{"code": "overall", "name": "总体", "weight": 1, "importance_of": null}],
     "sections": [{"title": "", "description": "", "items": [
        {"code": "q1", "type": "scale", "text": "总体满意度", "factor": "overall", "weight": 1,
         "required": true, "points": 5, "start": 1, "label_low": "非常不满意",
         "label_high": "非常满意", "show_if": null}]}]}
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from manyi.errors import InvalidInput, interpolate
from manyi.instruments.models import (
    BandBasis,
    InstrumentKind,
    ItemType,
    MissingRule,
    Paging,
)

FORMAT = "manyi-instrument/1"
NA = "na"
# The audit verdicts and their 0–100 scores ("na" is skipped like any not-applicable answer).
AUDIT_SCORES = {"met": 100.0, "partly": 50.0, "not_met": 0.0}
CONDITION_OPS = ("==", "!=", "<", "<=", ">", ">=", "in", "not_in", "answered")
CHOICE_TYPES = (ItemType.SINGLE, ItemType.MULTIPLE)
# Types scored by default; a number is scored only when declared with a range; text never.
SCORED_TYPES = (
    ItemType.SCALE,
    ItemType.NPS,
    ItemType.SINGLE,
    ItemType.MULTIPLE,
    ItemType.YES_NO,
    ItemType.AUDIT,
    ItemType.NUMBER,
)
# "number / free text unscored unless declared" (issue 5).
_UNSCORED_BY_DEFAULT = (ItemType.NUMBER, ItemType.TEXT)
MAX_SECTIONS = 50
MAX_ITEMS = 300
MAX_FACTORS = 50
MAX_OPTIONS = 50
MAX_TEXT_ANSWER = 2000
_SLUG = re.compile(r"^[A-Za-z0-9_-]{1,20}$")
_OPTION_VALUE = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")


# -- runtime shape ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    score: float | None


@dataclass(frozen=True)
class Condition:
    """Show the item when the answer to ``item`` satisfies ``op`` ``value``."""

    item: str
    op: str
    value: Any = None


@dataclass(frozen=True)
class ItemDef:
    """One item as scoring and the answer form see it."""

    code: str
    type: str
    text: str
    number: int  # 1-based position over the whole instrument ("第 3 题")
    section: int
    help: str = ""
    factor: str | None = None
    weight: float = 1.0
    required: bool = True
    scored: bool = True
    reverse: bool = False
    allow_na: bool = False
    points: int | None = None
    start: int = 1
    label_low: str = ""
    label_high: str = ""
    point_labels: tuple[str, ...] = ()
    options: tuple[Option, ...] = ()
    min_value: float | None = None
    max_value: float | None = None
    show_if: Condition | None = None
    id: int | None = None

    @property
    def is_scored(self) -> bool:
        """Whether the item's answer gives a 0–100 score."""
        if not self.scored or self.type not in SCORED_TYPES:
            return False
        if self.type == ItemType.NUMBER:
            return self.min_value is not None and self.max_value is not None
        if self.type in CHOICE_TYPES:
            return any(o.score is not None for o in self.options)
        return True

    @property
    def values(self) -> list[int]:
        """The values of a scale (``start`` … ``start + points - 1``) or of NPS (0…10)."""
        if self.type == ItemType.NPS:
            return list(range(11))
        if self.type == ItemType.SCALE and self.points:
            return list(range(self.start, self.start + self.points))
        return []

    def option(self, value: str) -> Option | None:
        return next((o for o in self.options if o.value == value), None)


@dataclass(frozen=True)
class FactorDef:
    code: str
    name: str
    weight: float = 1.0
    importance_of: str | None = None
    id: int | None = None


@dataclass(frozen=True)
class SectionDef:
    title: str
    description: str
    items: tuple[str, ...]


@dataclass(frozen=True)
class Definition:
    """A version's content, ready for scoring, validation and rendering."""

    items: tuple[ItemDef, ...]
    factors: tuple[FactorDef, ...] = ()
    sections: tuple[SectionDef, ...] = ()
    missing_rule: str = MissingRule.SKIP
    bands: tuple[tuple[float, str], ...] = ()
    band_basis: str = BandBasis.INDEX
    paging: str = Paging.ONE_PAGE
    version_id: int | None = None
    _by_code: dict[str, ItemDef] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_code.update({item.code: item for item in self.items})

    def item(self, code: str) -> ItemDef | None:
        return self._by_code.get(code)

    def factor(self, code: str) -> FactorDef | None:
        return next((f for f in self.factors if f.code == code), None)

    @classmethod
    def from_content(cls, content: Mapping[str, Any], *, version_id: int | None = None):
        """Build from a (cleaned) content dict; row ids are read from ``content["ids"]``."""
        ids = content.get("ids") or {}
        item_ids = ids.get("items", {})
        factor_ids = ids.get("factors", {})
        items: list[ItemDef] = []
        sections: list[SectionDef] = []
        for s_index, section in enumerate(content.get("sections", [])):
            codes = []
            for raw in section.get("items", []):
                items.append(_item_def(raw, len(items) + 1, s_index, item_ids.get(raw["code"])))
                codes.append(raw["code"])
            sections.append(
                SectionDef(section.get("title", ""), section.get("description", ""), tuple(codes))
            )
        factors = tuple(
            FactorDef(
                code=f["code"],
                name=f["name"],
                weight=float(f.get("weight", 1.0)),
                importance_of=f.get("importance_of"),
                id=factor_ids.get(f["code"]),
            )
            for f in content.get("factors", [])
        )
        bands = tuple(
            sorted(((float(b["min"]), b["label"]) for b in content.get("bands", [])), reverse=True)
        )
        return cls(
            items=tuple(items),
            factors=factors,
            sections=tuple(sections),
            missing_rule=content.get("missing_rule", MissingRule.SKIP),
            bands=bands,
            band_basis=content.get("band_basis", BandBasis.INDEX),
            paging=content.get("paging", Paging.ONE_PAGE),
            version_id=version_id,
        )


def _item_def(raw: Mapping[str, Any], number: int, section: int, item_id: int | None) -> ItemDef:
    cond = raw.get("show_if")
    return ItemDef(
        code=raw["code"],
        type=raw["type"],
        text=raw["text"],
        number=number,
        section=section,
        help=raw.get("help", ""),
        factor=raw.get("factor"),
        weight=float(raw.get("weight", 1.0)),
        required=bool(raw.get("required", True)),
        scored=bool(raw.get("scored", raw["type"] not in _UNSCORED_BY_DEFAULT)),
        reverse=bool(raw.get("reverse", False)),
        allow_na=bool(raw.get("allow_na", False)),
        points=raw.get("points"),
        start=int(raw.get("start", 1) if raw.get("start") is not None else 1),
        label_low=raw.get("label_low", ""),
        label_high=raw.get("label_high", ""),
        point_labels=tuple(raw.get("point_labels") or ()),
        options=tuple(
            Option(
                str(o["value"]), o["label"], None if o.get("score") is None else float(o["score"])
            )
            for o in raw.get("options") or ()
        ),
        min_value=raw.get("min"),
        max_value=raw.get("max"),
        show_if=Condition(cond["item"], cond["op"], cond.get("value")) if cond else None,
        id=item_id,
    )


# -- validation of content ------------------------------------------------------------------------


class ErrorList:
    def __init__(self) -> None:
        self.errors: list[tuple[str, Any]] = []

    def add(self, path: str, message: Any) -> None:
        self.errors.append((path, message))

    def raise_if_any(self) -> None:
        if self.errors:
            raise InvalidInput(
                interpolate(
                    _("The instrument has %(count)d error(s); the first: %(path)s."),
                    {"count": len(self.errors), "path": self.errors[0][0]},
                ),
                errors=self.errors,
            )


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and abs(value) < 1e12
    )


def _text(
    errors: ErrorList, data: Mapping, key: str, path: str, *, max_length: int, required=False
) -> str:
    value = data.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.add(f"{path}{key}", _("Enter text."))
        return ""
    value = value.strip()
    if required and not value:
        errors.add(f"{path}{key}", _("This field is required."))
    elif len(value) > max_length:
        errors.add(
            f"{path}{key}",
            interpolate(_("At most %(n)d characters."), {"n": max_length}),
        )
    return value


def _choice(errors: ErrorList, data: Mapping, key: str, path: str, choices, default: str) -> str:
    value = data.get(key, default)
    if value not in choices.values:
        errors.add(f"{path}{key}", _("Not one of the available choices."))
        return default
    return value


def _flag(errors: ErrorList, data: Mapping, key: str, path: str, default: bool) -> bool:
    value = data.get(key, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        errors.add(f"{path}{key}", _("Enter true or false."))
        return default
    return value


def _weight(errors: ErrorList, data: Mapping, key: str, path: str) -> float:
    value = data.get(key, 1)
    if value is None:
        value = 1
    if not _is_number(value) or not 0 <= value <= 1000:
        errors.add(f"{path}{key}", _("Enter a weight from 0 to 1000."))
        return 1.0
    return float(value)


def clean_factor_list(errors: ErrorList, raw: Any) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_FACTORS:
        errors.add("factors", interpolate(_("Give a list of at most %(n)d."), {"n": MAX_FACTORS}))
        return []
    factors: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, data in enumerate(raw):
        path = f"factors[{i}]."
        if not isinstance(data, Mapping):
            errors.add(f"factors[{i}]", _("Give an object."))
            continue
        code = data.get("code")
        if not isinstance(code, str) or not _SLUG.match(code):
            errors.add(f"{path}code", _("Use 1–20 letters, digits, - or _."))
        elif code in seen:
            errors.add(f"{path}code", _("This code is used twice."))
        seen.add(code if isinstance(code, str) else "")
        factors.append(
            {
                "code": code,
                "name": _text(errors, data, "name", path, max_length=100, required=True),
                "weight": _weight(errors, data, "weight", path),
                "importance_of": data.get("importance_of") or None,
            }
        )
    codes = {f["code"] for f in factors}
    importance = {f["code"] for f in factors if f["importance_of"]}
    for i, factor in enumerate(factors):
        target = factor["importance_of"]
        if target is None:
            continue
        if target not in codes or target == factor["code"] or target in importance:
            errors.add(f"factors[{i}].importance_of", _("Name another, ordinary factor."))
    return factors


def _clean_options(errors: ErrorList, raw: Any, path: str) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not 2 <= len(raw) <= MAX_OPTIONS:
        errors.add(
            f"{path}options", interpolate(_("Give from 2 to %(n)d options."), {"n": MAX_OPTIONS})
        )
        return []
    options = []
    seen: set[str] = set()
    for j, data in enumerate(raw):
        opath = f"{path}options[{j}]."
        if not isinstance(data, Mapping):
            errors.add(f"{path}options[{j}]", _("Give an object."))
            continue
        value = data.get("value")
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not _OPTION_VALUE.match(value) or value == NA:
            errors.add(f"{opath}value", _("Use 1–40 letters, digits, '.', - or _ (not “na”)."))
        elif value in seen:
            errors.add(f"{opath}value", _("This value is used twice."))
        seen.add(value if isinstance(value, str) else "")
        score = data.get("score")
        if score is not None and (not _is_number(score) or abs(score) > 1000):
            errors.add(f"{opath}score", _("Enter a number from -1000 to 1000, or null."))
            score = None
        options.append(
            {
                "value": value,
                "label": _text(errors, data, "label", opath, max_length=200, required=True),
                "score": score,
            }
        )
    return options


def clean_condition(
    raw: Any, earlier: Mapping[str, Mapping[str, Any]], path: str = "show_if"
) -> dict[str, Any] | None:
    """Validate a display condition against the items before it; returns it or raises."""
    errors = ErrorList()
    result = _clean_condition(errors, raw, earlier, path)
    errors.raise_if_any()
    return result


def _clean_condition(
    errors: ErrorList, raw: Any, earlier: Mapping[str, Mapping[str, Any]], path: str
) -> dict[str, Any] | None:
    if raw in (None, {}, ""):
        return None
    if not isinstance(raw, Mapping):
        errors.add(path, _("Give an object with item, op and value."))
        return None
    code, op, value = raw.get("item"), raw.get("op"), raw.get("value")
    target = earlier.get(code) if isinstance(code, str) else None
    if target is None:
        errors.add(f"{path}.item", _("Name a question that comes before this one."))
        return None
    if op not in CONDITION_OPS:
        errors.add(f"{path}.op", _("Not one of the available choices."))
        return None
    if op == "answered":
        return {"item": code, "op": op, "value": None}
    kind = target["type"]
    values = value if op in ("in", "not_in") else [value]
    if op in ("in", "not_in") and (not isinstance(value, list) or not value):
        errors.add(f"{path}.value", _("Give a list of values."))
        return None
    for v in values:
        if kind in (ItemType.SCALE, ItemType.NPS, ItemType.NUMBER):
            ok = _is_number(v)
        elif kind == ItemType.YES_NO:
            ok = isinstance(v, bool) and op in ("==", "!=", "in", "not_in")
        elif kind in CHOICE_TYPES:
            ok = op in ("==", "!=", "in", "not_in") and v in {
                o["value"] for o in target.get("options") or []
            }
        elif kind == ItemType.AUDIT:
            ok = op in ("==", "!=", "in", "not_in") and v in (*AUDIT_SCORES, NA)
        else:
            ok = False
        if not ok:
            errors.add(f"{path}.value", _("The value does not fit the question it refers to."))
            return None
    return {"item": code, "op": op, "value": value}


def clean_item(
    data: Any,
    *,
    factors: set[str],
    earlier: Mapping[str, Mapping[str, Any]],
    path: str = "",
    errors: ErrorList | None = None,
) -> dict[str, Any]:
    """Validate one item dict; ``earlier`` maps the codes of the items before it to their dicts.

    Returns the item normalised (every key present). Raises InvalidInput unless ``errors`` is
    given (then errors are collected there for the caller to raise).
    """
    own = errors is None
    errors = errors or ErrorList()
    if not isinstance(data, Mapping):
        errors.add(path.rstrip(".") or "item", _("Give an object."))
        if own:
            errors.raise_if_any()
        return {}
    code = data.get("code")
    if not isinstance(code, str) or not _SLUG.match(code):
        errors.add(f"{path}code", _("Use 1–20 letters, digits, - or _."))
    elif code in earlier:
        errors.add(f"{path}code", _("This code is used twice."))
    kind = _choice(errors, data, "type", path, ItemType, ItemType.TEXT)
    item: dict[str, Any] = {
        "code": code,
        "type": kind,
        "text": _text(errors, data, "text", path, max_length=500, required=True),
        "help": _text(errors, data, "help", path, max_length=500),
        "factor": data.get("factor") or None,
        "weight": _weight(errors, data, "weight", path),
        "required": _flag(errors, data, "required", path, True),
        "scored": _flag(errors, data, "scored", path, kind not in _UNSCORED_BY_DEFAULT),
        "reverse": _flag(errors, data, "reverse", path, False),
        "allow_na": _flag(errors, data, "allow_na", path, kind == ItemType.AUDIT),
        "points": None,
        "start": 1,
        "label_low": _text(errors, data, "label_low", path, max_length=30),
        "label_high": _text(errors, data, "label_high", path, max_length=30),
        "point_labels": [],
        "options": [],
        "min": None,
        "max": None,
        "show_if": None,
    }
    if item["factor"] is not None and item["factor"] not in factors:
        errors.add(f"{path}factor", _("Name one of the instrument's factors."))
    if kind == ItemType.SCALE:
        points, start = data.get("points"), data.get("start", 1)
        if start is None:
            start = 1
        if not isinstance(points, int) or isinstance(points, bool) or not 2 <= points <= 11:
            errors.add(f"{path}points", _("A scale has from 2 to 11 points."))
            points = 5
        if not isinstance(start, int) or isinstance(start, bool) or not 0 <= start <= 1:
            errors.add(f"{path}start", _("A scale starts at 0 or 1."))
            start = 1
        item["points"], item["start"] = points, start
        labels = data.get("point_labels") or []
        if not isinstance(labels, list) or (labels and len(labels) != points):
            errors.add(f"{path}point_labels", _("Give one label per point, or none."))
        elif any(not isinstance(label, str) or len(label) > 30 for label in labels):
            errors.add(f"{path}point_labels", _("Each label is text of at most 30 characters."))
        else:
            item["point_labels"] = [label.strip() for label in labels]
    elif kind in CHOICE_TYPES:
        item["options"] = _clean_options(errors, data.get("options"), path)
    elif kind == ItemType.NUMBER:
        low, high = data.get("min"), data.get("max")
        for key, value in (("min", low), ("max", high)):
            if value is not None and not _is_number(value):
                errors.add(f"{path}{key}", _("Enter a number."))
        if _is_number(low) and _is_number(high) and low >= high:
            errors.add(f"{path}max", _("The maximum must be above the minimum."))
        item["min"] = low if _is_number(low) else None
        item["max"] = high if _is_number(high) else None
        if item["scored"] and (item["min"] is None or item["max"] is None):
            errors.add(f"{path}scored", _("A scored number needs a minimum and a maximum."))
    elif kind == ItemType.TEXT and item["scored"]:
        errors.add(f"{path}scored", _("Free text cannot be scored."))
    item["show_if"] = _clean_condition(errors, data.get("show_if"), earlier, f"{path}show_if")
    if own:
        errors.raise_if_any()
    return item


def clean_content(data: Any) -> dict[str, Any]:
    """Validate an instrument's content dict (import, built-in templates); normalised copy."""
    errors = ErrorList()
    if not isinstance(data, Mapping):
        errors.add("", _("The file must hold one JSON object."))
        errors.raise_if_any()
    if data.get("format") != FORMAT:
        errors.add(
            "format", interpolate(_("Expected the format “%(format)s”."), {"format": FORMAT})
        )
        errors.raise_if_any()
    code = data.get("code")
    if not isinstance(code, str) or not re.match(r"^[A-Za-z0-9_-]{1,40}$", code):
        errors.add("code", _("Use 1–40 letters, digits, - or _."))
    content: dict[str, Any] = {
        "format": FORMAT,
        "code": code,
        "name": _text(errors, data, "name", "", max_length=100, required=True),
        "name_en": _text(errors, data, "name_en", "", max_length=100),
        "kind": _choice(errors, data, "kind", "", InstrumentKind, InstrumentKind.SURVEY),
        "description": _text(errors, data, "description", "", max_length=5000),
        "source": _text(errors, data, "source", "", max_length=200),
        "paging": _choice(errors, data, "paging", "", Paging, Paging.ONE_PAGE),
        "missing_rule": _choice(errors, data, "missing_rule", "", MissingRule, MissingRule.SKIP),
        "band_basis": _choice(errors, data, "band_basis", "", BandBasis, BandBasis.INDEX),
        "bands": clean_bands(data.get("bands"), errors=errors),
        "factors": clean_factor_list(errors, data.get("factors")),
        "sections": [],
    }
    factor_codes = {f["code"] for f in content["factors"] if isinstance(f["code"], str)}
    sections = data.get("sections")
    if not isinstance(sections, list) or not 1 <= len(sections) <= MAX_SECTIONS:
        errors.add(
            "sections", interpolate(_("Give from 1 to %(n)d sections."), {"n": MAX_SECTIONS})
        )
        errors.raise_if_any()
    earlier: dict[str, dict[str, Any]] = {}
    for i, section in enumerate(sections):
        path = f"sections[{i}]."
        if not isinstance(section, Mapping):
            errors.add(f"sections[{i}]", _("Give an object."))
            continue
        items = section.get("items")
        if not isinstance(items, list):
            errors.add(f"{path}items", _("Give a list."))
            items = []
        cleaned_items = []
        for j, raw in enumerate(items):
            if len(earlier) >= MAX_ITEMS:
                errors.add(f"{path}items", interpolate(_("At most %(n)d items."), {"n": MAX_ITEMS}))
                break
            item = clean_item(
                raw,
                factors=factor_codes,
                earlier=earlier,
                path=f"{path}items[{j}].",
                errors=errors,
            )
            if item and isinstance(item.get("code"), str):
                earlier.setdefault(item["code"], item)
            cleaned_items.append(item)
        content["sections"].append(
            {
                "title": _text(errors, section, "title", path, max_length=200),
                "description": _text(errors, section, "description", path, max_length=2000),
                "items": cleaned_items,
            }
        )
    if not earlier and not errors.errors:
        errors.add("sections", _("The instrument has no items."))
    errors.raise_if_any()
    return content


def clean_bands(raw: Any, *, errors: ErrorList | None = None) -> list[dict[str, Any]]:
    """Grade bands: a list of {"min": number, "label": text}, sorted highest first."""
    own = errors is None
    errors = errors or ErrorList()
    if raw in (None, ""):
        return []
    if not isinstance(raw, list) or len(raw) > 20:
        errors.add("bands", _("Give a list of at most 20 bands."))
        if own:
            errors.raise_if_any()
        return []
    bands = []
    for i, band in enumerate(raw):
        if (
            not isinstance(band, Mapping)
            or not _is_number(band.get("min"))
            or not isinstance(band.get("label"), str)
            or not band["label"].strip()
            or len(band["label"]) > 50
        ):
            errors.add(f"bands[{i}]", _("Give a minimum (a number) and a label (text)."))
            continue
        bands.append({"min": band["min"], "label": band["label"].strip()})
    mins = [b["min"] for b in bands]
    if len(set(mins)) != len(mins):
        errors.add("bands", _("Two bands start at the same figure."))
    if own:
        errors.raise_if_any()
    return sorted(bands, key=lambda b: b["min"], reverse=True)
