"""Questionnaires as data (DESIGN "The two engines"): every scored form of the seeds is one.

An :class:`Instrument` (the CSI survey, the feedback form, an audit checklist, CSAS …) has
numbered :class:`InstrumentVersion` rows. A version holds the content — :class:`Section`,
:class:`Item` and :class:`Factor` rows — while it is a draft; publishing freezes it (the actions
refuse every change to a version that is not a draft) and stores the whole content once more as
JSON in ``InstrumentVersion.definition``, so answering and scoring read one row. Responses point
to the version they answered, never to the instrument, so a later edit (a new draft, published as
the next version) never changes the meaning of old answers.

Responses belong to the apps that ask (surveys, audits, assessments): they subclass the abstract
:class:`ScoredResponse`, :class:`FactorScoreBase` and :class:`AnswerBase` below, which give the
columns SQL averages over (the overall index, the total, one row per factor and per item), while
the raw answers stay in one JSON column for display and re-scoring. The arithmetic lives in
:mod:`manyi.instruments.scoring` and nowhere else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from manyi.instruments.scoring import Result


class InstrumentKind(models.TextChoices):
    """What an instrument is for; the apps that use instruments filter on it."""

    SURVEY = "survey", _("Customer survey")
    FEEDBACK = "feedback", _("Feedback form")
    INQUIRY = "inquiry", _("Return-visit inquiry")
    AUDIT = "audit", _("Service audit")
    MYSTERY_SHOPPING = "mystery_shopping", _("Mystery shopping checklist")
    CHECKLIST = "checklist", _("Checklist")
    TEAM_ASSESSMENT = "team_assessment", _("Team assessment")
    TRAINING_EVALUATION = "training_evaluation", _("Training evaluation")
    SELF_ASSESSMENT = "self_assessment", _("Self-assessment")
    QUESTIONNAIRE = "questionnaire", _("Questionnaire")


class Paging(models.TextChoices):
    """How the answer page shows the items (chosen per instrument, issue 5)."""

    ONE_PER_SCREEN = "item", _("One question per screen")
    ONE_PAGE = "page", _("All questions on one page")


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class MissingRule(models.TextChoices):
    """What an unanswered scored item counts for (declared on the version)."""

    # Skip it: the factor's mean is taken over the items answered (their weights re-normalised),
    # and the index over the factors that have a score.
    SKIP = "skip", _("Skip and re-weight")
    # Count it as the lowest score (an audit standard nobody checked is not met).
    ZERO = "zero", _("Count as zero")


class BandBasis(models.TextChoices):
    """Which figure the grade bands read: the 0–100 index or the total of raw points."""

    INDEX = "index", _("Index (0–100)")
    # 003 P-056: "加总所有画圈的得分。你的总分反映了你的顾客服务培训项目的等级。"
    TOTAL = "total", _("Total points")


class ItemType(models.TextChoices):
    """The kinds of question; scoring.py says how each is normalised to 0–100."""

    SCALE = "scale", _("Rating scale")
    NPS = "nps", _("Recommend 0–10 (NPS)")
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    YES_NO = "yes_no", _("Yes / no")
    # Service audits and mystery shopping: met / partly met / not met / not applicable.
    AUDIT = "audit", _("Met / partly / not met")
    NUMBER = "number", _("Number")
    TEXT = "text", _("Free text")


class Instrument(models.Model):
    """A questionnaire or checklist, owned by a company or built in (``company`` empty)."""

    company = models.ForeignKey(
        "org.Unit",
        verbose_name=_("company"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty for the built-in templates every company may use."),
    )
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    # Built-in templates carry an English name for the English UI; content stays in Chinese.
    name_en = models.CharField(_("English name"), max_length=100, blank=True, default="")
    kind = models.CharField(_("purpose"), max_length=24, choices=InstrumentKind.choices)
    description = models.TextField(_("description"), blank=True, default="")
    # Where the content comes from, e.g. "004 §3.1.3" (the seed manuals are named by file).
    source = models.CharField(_("source"), max_length=200, blank=True, default="")
    paging = models.CharField(
        _("paging"), max_length=8, choices=Paging.choices, default=Paging.ONE_PAGE
    )
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("instrument")
        verbose_name_plural = _("instruments")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "code"],
                condition=Q(company__isnull=False),
                name="instrument_company_code_unique",
            ),
            models.UniqueConstraint(
                fields=["code"],
                condition=Q(company__isnull=True),
                name="instrument_builtin_code_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_builtin(self) -> bool:
        """Built-in templates belong to no company and are read-only (copy to change them)."""
        return self.company_id is None


class InstrumentVersion(models.Model):
    """One numbered version of an instrument's content; published versions never change."""

    instrument = models.ForeignKey(
        Instrument, verbose_name=_("instrument"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=10, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    missing_rule = models.CharField(
        _("unanswered items"),
        max_length=8,
        choices=MissingRule.choices,
        default=MissingRule.SKIP,
    )
    # Grade bands: [{"min": 90, "label": "优秀"}, …], highest first; see scoring.band_for.
    bands = models.JSONField(_("grade bands"), default=list, blank=True)
    band_basis = models.CharField(
        _("bands read"), max_length=8, choices=BandBasis.choices, default=BandBasis.INDEX
    )
    # The frozen content (export format plus row ids), written once at publishing.
    definition = models.JSONField(_("frozen content"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)

    class Meta:
        verbose_name = _("instrument version")
        verbose_name_plural = _("instrument versions")
        ordering = ["instrument", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["instrument", "number"], name="instrument_version_number_unique"
            ),
            # At most one draft per instrument: "edit" always means that draft.
            models.UniqueConstraint(
                fields=["instrument"],
                condition=Q(status="draft"),
                name="instrument_one_draft",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument} v{self.number}"

    @property
    def is_draft(self) -> bool:
        return self.status == VersionStatus.DRAFT


class Factor(models.Model):
    """A dimension of the index (CSI: 服务启动 … 服务质量) with its weight."""

    version = models.ForeignKey(
        InstrumentVersion,
        verbose_name=_("version"),
        on_delete=models.CASCADE,
        related_name="factors",
    )
    code = models.SlugField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=100)
    weight = models.FloatField(_("weight"), default=1.0)
    position = models.PositiveIntegerField(_("position"), default=0)
    # Set on a factor that asks how important another factor is (expectation); such a factor
    # does not count in the index, and a gap view compares it with the factor it names.
    importance_of = models.ForeignKey(
        "self",
        verbose_name=_("importance of"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("factor")
        verbose_name_plural = _("factors")
        ordering = ["version", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="factor_version_code_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Section(models.Model):
    """A titled group of items, shown in order."""

    version = models.ForeignKey(
        InstrumentVersion,
        verbose_name=_("version"),
        on_delete=models.CASCADE,
        related_name="sections",
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    title = models.CharField(_("title"), max_length=200, blank=True, default="")
    description = models.TextField(_("description"), blank=True, default="")

    class Meta:
        verbose_name = _("section")
        verbose_name_plural = _("sections")
        ordering = ["version", "position", "id"]

    def __str__(self) -> str:
        return self.title or f"#{self.position + 1}"


class Item(models.Model):
    """One question or checklist line; scoring.py reads it through the version's definition."""

    version = models.ForeignKey(
        InstrumentVersion, verbose_name=_("version"), on_delete=models.CASCADE, related_name="items"
    )
    section = models.ForeignKey(
        Section, verbose_name=_("section"), on_delete=models.CASCADE, related_name="items"
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    # Stable within a version and across the versions copied from it: answers are keyed by it.
    code = models.SlugField(_("code"), max_length=20)
    type = models.CharField(_("type"), max_length=10, choices=ItemType.choices)
    text = models.CharField(_("question"), max_length=500)
    help = models.CharField(_("help text"), max_length=500, blank=True, default="")
    factor = models.ForeignKey(
        Factor,
        verbose_name=_("factor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="items",
    )
    weight = models.FloatField(_("weight"), default=1.0)
    required = models.BooleanField(_("required"), default=True)
    # Numbers and free text count only when declared; the others are scored unless switched off.
    scored = models.BooleanField(_("scored"), default=True)
    # Higher is worse ("how long did you wait?"): the 0–100 score is turned round.
    reverse = models.BooleanField(_("reverse scored"), default=False)
    allow_na = models.BooleanField(_("allow “not applicable”"), default=False)
    # Scale: ``points`` values from ``start`` (5 points from 1: 1…5; CSAS 6 points from 0: 0…5).
    points = models.PositiveSmallIntegerField(_("points"), null=True, blank=True)
    start = models.SmallIntegerField(_("first value"), default=1)
    label_low = models.CharField(_("label of the lowest"), max_length=30, blank=True, default="")
    label_high = models.CharField(_("label of the highest"), max_length=30, blank=True, default="")
    point_labels = models.JSONField(_("labels of each point"), default=list, blank=True)
    # Choices: [{"value": "a", "label": "…", "score": 5}, …]; a score of null is not scored.
    options = models.JSONField(_("options"), default=list, blank=True)
    min_value = models.FloatField(_("minimum"), null=True, blank=True)
    max_value = models.FloatField(_("maximum"), null=True, blank=True)
    # Display condition: {"item": "q3", "op": "<=", "value": 2}; empty: always shown.
    show_if = models.JSONField(_("show when"), default=dict, blank=True)

    class Meta:
        verbose_name = _("item")
        verbose_name_plural = _("items")
        ordering = ["version", "section__position", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="item_version_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.text[:40]}"


# -- responses: abstract bases for the apps that ask ---------------------------------------------


class ScoredResponse(models.Model):
    """Answers to one version plus their scores; surveys, audits … subclass it.

    ``answers`` keeps what was answered ({item code: value}, the shapes of scoring.py) for
    display and re-scoring; ``index`` and ``total`` are columns so that results are SQL
    averages. Per-factor and per-item scores go to subclasses of :class:`FactorScoreBase` and
    :class:`AnswerBase` (rows, so one GROUP BY gives every factor's mean).
    """

    version = models.ForeignKey(
        InstrumentVersion,
        verbose_name=_("instrument version"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    index = models.FloatField(_("index (0–100)"), null=True, blank=True)
    total = models.FloatField(_("total points"), null=True, blank=True)
    max_total = models.FloatField(_("maximum points"), null=True, blank=True)
    band = models.CharField(_("grade"), max_length=50, blank=True, default="")

    class Meta:
        abstract = True

    def apply_result(self, result: Result) -> None:
        """Copy the overall figures of a scoring result onto this row (not saved)."""
        self.index = result.index
        self.total = result.total
        self.max_total = result.max_total
        self.band = result.band or ""


class FactorScoreBase(models.Model):
    """One factor's 0–100 score in one response (subclass adds the ``response`` key)."""

    factor = models.ForeignKey(
        Factor, verbose_name=_("factor"), on_delete=models.PROTECT, related_name="+"
    )
    score = models.FloatField(_("score"))

    class Meta:
        abstract = True


class AnswerBase(models.Model):
    """One item's answer and 0–100 score in one response (subclass adds ``response``).

    ``number`` holds scales, NPS, numbers and yes/no (1/0); ``choice`` the option value(s)
    (several joined by commas) or the audit verdict; ``score`` is empty for unscored items and
    "not applicable" answers.
    """

    item = models.ForeignKey(
        Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="+"
    )
    number = models.FloatField(_("number"), null=True, blank=True)
    choice = models.CharField(_("choice"), max_length=200, blank=True, default="")
    text = models.TextField(_("text"), blank=True, default="")
    is_na = models.BooleanField(_("not applicable"), default=False)
    score = models.FloatField(_("score"), null=True, blank=True)

    class Meta:
        abstract = True
