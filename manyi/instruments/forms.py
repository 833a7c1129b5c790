"""Builder forms: they parse input into the dicts the actions validate (rules live there)."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from manyi.errors import DomainError
from manyi.instruments.definition import CONDITION_OPS
from manyi.instruments.models import BandBasis, InstrumentKind, ItemType, MissingRule, Paging


class InstrumentForm(forms.Form):
    code = forms.CharField(
        label=_("code"),
        max_length=40,
        help_text=_("Letters, digits, - or _; used in exported files and the API."),
    )
    name = forms.CharField(label=_("name"), max_length=100)
    kind = forms.ChoiceField(label=_("purpose"), choices=InstrumentKind.choices)
    paging = forms.ChoiceField(label=_("paging"), choices=Paging.choices, initial=Paging.ONE_PAGE)
    source = forms.CharField(
        label=_("source"),
        max_length=200,
        required=False,
        help_text=_("Where the content comes from, e.g. a manual's chapter."),
    )
    description = forms.CharField(
        label=_("description"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ImportForm(forms.Form):
    file = forms.FileField(label=_("JSON file"), required=False)
    text = forms.CharField(
        label=_("or paste the JSON"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("file") and not (data.get("text") or "").strip():
            raise forms.ValidationError(_("Choose a file or paste the JSON."))
        return data

    def payload(self) -> bytes | str:
        upload = self.cleaned_data.get("file")
        if upload:
            # One byte past the limit is enough for the action to refuse it.
            return upload.read(1_000_001)
        return self.cleaned_data["text"]


class CopyForm(forms.Form):
    code = forms.CharField(label=_("code of the copy"), max_length=40)
    name = forms.CharField(label=_("name of the copy"), max_length=100)


class SectionForm(forms.Form):
    title = forms.CharField(label=_("title"), max_length=200, required=False)
    description = forms.CharField(
        label=_("description"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class FactorForm(forms.Form):
    code = forms.CharField(label=_("code"), max_length=20)
    name = forms.CharField(label=_("name"), max_length=100)
    weight = forms.FloatField(label=_("weight"), min_value=0, max_value=1000, initial=1)
    importance_of = forms.ChoiceField(
        label=_("rates the importance of"),
        required=False,
        help_text=_("For expectation questions: they do not count in the index."),
    )

    def __init__(self, *args: Any, factor_codes: list[tuple[str, str]] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["importance_of"].choices = [("", "—"), *factor_codes]

    def data_dict(self) -> dict[str, Any]:
        return {**self.cleaned_data, "importance_of": self.cleaned_data["importance_of"] or None}


class ScoringForm(forms.Form):
    missing_rule = forms.ChoiceField(label=_("unanswered items"), choices=MissingRule.choices)
    band_basis = forms.ChoiceField(label=_("bands read"), choices=BandBasis.choices)
    bands = forms.CharField(
        label=_("grade bands"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line: minimum, then the label. Example: 90 优秀"),
    )

    def bands_list(self) -> list[dict[str, Any]]:
        """The bands as the action expects them; a bad line becomes a form error."""
        bands = []
        for line in (self.cleaned_data.get("bands") or "").splitlines():
            if not line.strip():
                continue
            minimum, _sep, label = line.strip().partition(" ")
            try:
                value = float(minimum)
            except ValueError:
                value = minimum
            bands.append({"min": value, "label": label.strip()})
        return bands


def bands_text(bands: list[dict[str, Any]]) -> str:
    return "\n".join(f"{_number(b['min'])} {b['label']}" for b in bands)


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


CONDITION_CHOICES = [("", "—")] + [(op, op) for op in CONDITION_OPS]


class ItemForm(forms.Form):
    """One item. Options are one per line: ``value | label | score`` (score may be empty)."""

    code = forms.CharField(label=_("code"), max_length=20)
    type = forms.ChoiceField(label=_("type"), choices=ItemType.choices)
    text = forms.CharField(
        label=_("question"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    help = forms.CharField(label=_("help text"), max_length=500, required=False)
    section = forms.TypedChoiceField(label=_("section"), coerce=int)
    factor = forms.ChoiceField(label=_("factor"), required=False)
    weight = forms.FloatField(label=_("weight"), min_value=0, max_value=1000, initial=1)
    required = forms.BooleanField(label=_("required"), required=False, initial=True)
    points = forms.IntegerField(
        label=_("points"), required=False, min_value=2, max_value=11, initial=5
    )
    start = forms.TypedChoiceField(
        label=_("first value"), choices=[(1, "1"), (0, "0")], coerce=int, initial=1
    )
    label_low = forms.CharField(label=_("label of the lowest"), max_length=30, required=False)
    label_high = forms.CharField(label=_("label of the highest"), max_length=30, required=False)
    point_labels = forms.CharField(
        label=_("labels of each point"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line, lowest first; or leave empty."),
    )
    options = forms.CharField(
        label=_("options"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text=_("One per line: value | label | score (an empty score is not scored)."),
    )
    min_value = forms.FloatField(label=_("minimum"), required=False)
    max_value = forms.FloatField(label=_("maximum"), required=False)
    scored = forms.BooleanField(
        label=_("scored"),
        required=False,
        initial=True,
        help_text=_("A number counts only with a minimum and a maximum; free text never."),
    )
    reverse = forms.BooleanField(label=_("reverse scored"), required=False)
    allow_na = forms.BooleanField(label=_("allow “not applicable”"), required=False)
    show_if_item = forms.ChoiceField(label=_("show only when question"), required=False)
    show_if_op = forms.ChoiceField(label=_("is"), choices=CONDITION_CHOICES, required=False)
    show_if_value = forms.CharField(
        label=_("value"),
        max_length=200,
        required=False,
        help_text=_(
            "A number, an option's value, true/false; for “in”, values separated by commas."
        ),
    )

    OWN_SCORED = (ItemType.SINGLE, ItemType.MULTIPLE, ItemType.NUMBER)
    FOR_TYPES = {
        "points": "scale",
        "start": "scale",
        "label_low": "scale nps",
        "label_high": "scale nps",
        "point_labels": "scale",
        "options": "single multiple",
        "min_value": "number",
        "max_value": "number",
        "reverse": "scale nps single multiple yes_no number",
        "scored": "single multiple number",
    }

    def __init__(
        self,
        *args: Any,
        sections: list[tuple[int, str]] = (),
        factors: list[tuple[str, str]] = (),
        earlier: list[tuple[str, str]] = (),
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        # Which item types each field concerns; the page hides the others (builder.js).
        for name, types in self.FOR_TYPES.items():
            self.fields[name].for_types = types
        self.fields["section"].choices = list(sections)
        self.fields["factor"].choices = [("", "—"), *factors]
        self.fields["show_if_item"].choices = [("", "—"), *earlier]

    def item_dict(self) -> dict[str, Any]:
        """The cleaned form as an item dict of the content format."""
        d = self.cleaned_data
        item: dict[str, Any] = {
            "code": d["code"].strip(),
            "type": d["type"],
            "text": d["text"],
            "help": d["help"],
            "factor": d["factor"] or None,
            "weight": d["weight"] if d["weight"] is not None else 1,
            "required": d["required"],
            # The box shows only for choices and numbers; text is never scored, the rest always.
            "scored": d["scored"] if d["type"] in self.OWN_SCORED else d["type"] != ItemType.TEXT,
            "reverse": d["reverse"],
            "allow_na": d["allow_na"],
        }
        if d["type"] == ItemType.SCALE:
            item["points"] = d["points"]
            item["start"] = d["start"]
            item["point_labels"] = [x.strip() for x in d["point_labels"].splitlines() if x.strip()]
        if d["type"] in (ItemType.SCALE, ItemType.NPS):
            item["label_low"], item["label_high"] = d["label_low"], d["label_high"]
        if d["type"] in (ItemType.SINGLE, ItemType.MULTIPLE):
            item["options"] = parse_options(d["options"])
        if d["type"] == ItemType.NUMBER:
            item["min"], item["max"] = d["min_value"], d["max_value"]
        if d["show_if_item"]:
            item["show_if"] = {
                "item": d["show_if_item"],
                "op": d["show_if_op"] or "==",
                "value": parse_condition_value(d["show_if_op"], d["show_if_value"]),
            }
        return item


def parse_options(text: str) -> list[dict[str, Any]]:
    """``value | label | score`` lines as option dicts (the action validates them)."""
    options = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        value = parts[0]
        label = parts[1] if len(parts) > 1 else value
        score: Any = parts[2] if len(parts) > 2 else ""
        if score == "":
            score = None
        else:
            try:
                score = float(score)
            except ValueError:
                pass  # left as text: the action says it is not a number
        options.append({"value": value, "label": label, "score": score})
    return options


def options_text(options: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{o['value']} | {o['label']} | {'' if o.get('score') is None else _number(o['score'])}"
        for o in options
    )


def parse_condition_value(op: str, raw: str) -> Any:
    """A condition's value typed as JSON would carry it (number, true/false, text, list)."""
    raw = (raw or "").strip()
    if op in ("in", "not_in"):
        return [_typed(part.strip()) for part in raw.split(",") if part.strip()]
    return _typed(raw)


def _typed(raw: str) -> Any:
    if raw in ("true", "false"):
        return raw == "true"
    try:
        return json.loads(raw) if raw and raw[0] in "-0123456789" else raw
    except ValueError:
        return raw


def condition_value_text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(condition_value_text(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else _number(value)


def item_initial(item) -> dict[str, Any]:
    """An Item row as the form's initial data."""
    cond = item.show_if or {}
    return {
        "code": item.code,
        "type": item.type,
        "text": item.text,
        "help": item.help,
        "section": item.section_id,
        "factor": item.factor.code if item.factor_id else "",
        "weight": item.weight,
        "required": item.required,
        "points": item.points or 5,
        "start": item.start,
        "label_low": item.label_low,
        "label_high": item.label_high,
        "point_labels": "\n".join(item.point_labels or []),
        "options": options_text(item.options or []),
        "min_value": item.min_value,
        "max_value": item.max_value,
        "scored": item.scored,
        "reverse": item.reverse,
        "allow_na": item.allow_na,
        "show_if_item": cond.get("item", ""),
        "show_if_op": cond.get("op", ""),
        "show_if_value": condition_value_text(cond.get("value")),
    }


# Paths of content errors (``options[1].value``, ``show_if.item``, ``min``) → form fields.
_FIELD_OF = {"min": "min_value", "max": "max_value", "show_if": "show_if_value"}


def add_item_errors(form: forms.Form, error: DomainError) -> None:
    """Attach an action's errors to the item form's fields by their path's first part."""
    errors = error.field_errors() or [(None, error.message)]
    for path, message in errors:
        field = None
        if path:
            head = path.split(".")[0].split("[")[0]
            if path.startswith("show_if.item"):
                head = "show_if_item"
            field = _FIELD_OF.get(head, head)
        form.add_error(field if field in form.fields else None, str(message))
