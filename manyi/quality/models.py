"""Service quality (003 stages 1, 2 and 4): standards, priorities, audits, mystery shopping.

* **Standards** (003 P-028..046): a :class:`Standard` is one written service standard — its
  statement, the measurable criterion that makes it observable, one of the 14 areas of the seed
  (7 procedural, 7 personal), an owner, effective and review dates. Its content is versioned:
  every approval freezes a :class:`StandardVersion` (append-only), and editing an approved
  standard starts the next version, which must be approved again.
* **Priorities** (P-045): a :class:`PriorityExercise` per company (or per outlet) splits 100
  between the procedural and the personal side and ranks the standards of each side
  (:class:`PriorityRank`); :mod:`manyi.quality.weights` turns ranks into audit weights.
* **Audits** (P-063..068): an :class:`AuditTemplate` is an instrument (kind audit) generated from
  chosen standards, one item per standard. :class:`AuditPlan` says which outlets are audited how
  often and by whom. An :class:`Audit` is a scored response (met / partly / not met / not
  applicable per standard, a note and photos); submitting it records an :class:`AuditFinding`
  per gap (not met, partly met) and per confirmed good practice (met): audits confirm good
  behaviour, they do not police. A gap may become an :class:`ActionItem`.
* **Mystery shopping** (P-015/016): a :class:`ShoppingProgram` walks the seed's 15 steps as the
  stages of :class:`ProgramStage`; its targets are own outlets or :class:`CompetitorOutlet` rows
  (no staff, no customers); each :class:`Visit` is assigned to one external shopper
  (Role.SHOPPER), who sees nothing but their own visits.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from manyi import clock
from manyi.instruments.models import AnswerBase, FactorScoreBase, ScoredResponse


class Side(models.TextChoices):
    """The two sides of quality service (003 P-036): procedures and people."""

    PROCEDURAL = "procedural", _("Procedural")
    PERSONAL = "personal", _("Personal")


class Area(models.TextChoices):
    """The 14 standard areas: 7 procedural (P-038/039) and 7 personal (P-046)."""

    TIMELINESS = "timeliness", _("Timeliness")
    FLOW = "flow", _("Flow")
    ADAPTABILITY = "adaptability", _("Adaptability")
    ANTICIPATION = "anticipation", _("Anticipation")
    COMMUNICATION = "communication", _("Communication")
    CUSTOMER_FEEDBACK = "customer_feedback", _("Customer feedback")
    ORGANISATION = "organisation", _("Organisation and supervision")
    APPEARANCE = "appearance", _("Appearance")
    BODY_LANGUAGE = "body_language", _("Attitude: body language")
    TONE_OF_VOICE = "tone_of_voice", _("Attitude: tone of voice")
    ATTENTIVENESS = "attentiveness", _("Attentiveness")
    GUIDANCE = "guidance", _("Guidance")
    SELLING_SKILL = "selling_skill", _("Selling skill")
    PROBLEM_SOLVING = "problem_solving", _("Tactful problem solving")


PROCEDURAL_AREAS = (
    Area.TIMELINESS,
    Area.FLOW,
    Area.ADAPTABILITY,
    Area.ANTICIPATION,
    Area.COMMUNICATION,
    Area.CUSTOMER_FEEDBACK,
    Area.ORGANISATION,
)
PERSONAL_AREAS = (
    Area.APPEARANCE,
    Area.BODY_LANGUAGE,
    Area.TONE_OF_VOICE,
    Area.ATTENTIVENESS,
    Area.GUIDANCE,
    Area.SELLING_SKILL,
    Area.PROBLEM_SOLVING,
)
AREA_SIDE = {
    **dict.fromkeys(PROCEDURAL_AREAS, Side.PROCEDURAL),
    **dict.fromkeys(PERSONAL_AREAS, Side.PERSONAL),
}


class StandardStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", _("Approved")
    RETIRED = "retired", _("Retired")


# The four tests of a quality standard (003 P-040), ticked by the approver.
WRITING_TESTS = (
    ("clear", _("Clear — the meaning is precise")),
    ("concise", _("Concise — said in few words")),
    ("observable", _("Observable — can be seen or measured")),
    ("realistic", _("Realistic — can be done and achieved")),
)


class Standard(models.Model):
    """One written service standard of a company (the working copy of its latest version).

    ``industry`` empty: the standard applies in every outlet; otherwise it belongs to that
    industry's library (pharmacy, car dealer, paint dealer …). A standard without a measurable
    criterion is *not observable* (P-040): it cannot be approved until one is written.
    """

    company = models.ForeignKey(
        "org.Unit", verbose_name=_("company"), on_delete=models.PROTECT, related_name="+"
    )
    code = models.CharField(_("code"), max_length=20)
    industry = models.CharField(_("industry"), max_length=20, blank=True, default="")
    area = models.CharField(_("area"), max_length=20, choices=Area.choices)
    side = models.CharField(_("side"), max_length=12, choices=Side.choices, editable=False)
    statement = models.CharField(_("standard"), max_length=300)
    criterion = models.CharField(_("measurable criterion"), max_length=300, blank=True, default="")
    criterion_value = models.DecimalField(
        _("criterion value"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    criterion_unit = models.CharField(_("unit"), max_length=20, blank=True, default="")
    owner = models.ForeignKey(
        "org.Staff",
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    effective_on = models.DateField(_("effective from"), null=True, blank=True)
    review_on = models.DateField(_("review by"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=StandardStatus.choices, default=StandardStatus.DRAFT
    )
    # The number of the version this working copy is (the latest StandardVersion).
    version = models.PositiveIntegerField(_("version"), default=1)
    source = models.CharField(_("source"), max_length=100, blank=True, default="")
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    updated_at = models.DateTimeField(_("updated at"), default=clock.now)

    class Meta:
        verbose_name = _("service standard")
        verbose_name_plural = _("service standards")
        ordering = ["code", "id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="standard_code_unique"),
        ]
        indexes = [
            # The library page filters a company's standards by status and side.
            models.Index(fields=["company", "status", "side"], name="standard_list_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.statement[:40]}"

    @property
    def is_observable(self) -> bool:
        """Whether the standard names a measurable criterion (003 P-040 "可观测")."""
        return bool(self.criterion.strip())

    def review_due(self, today=None) -> bool:
        """Whether the review date has come (the standard should be looked at again)."""
        if self.review_on is None or self.status == StandardStatus.RETIRED:
            return False
        return self.review_on <= (today or timezone.localdate(clock.now()))

    def applies_to(self, industry: str) -> bool:
        """Whether the standard belongs in an outlet of ``industry``."""
        return not self.industry or self.industry == industry


class StandardVersion(models.Model):
    """One version of a standard's content; frozen once approved (never edited after)."""

    standard = models.ForeignKey(
        Standard, verbose_name=_("standard"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    area = models.CharField(_("area"), max_length=20, choices=Area.choices)
    statement = models.CharField(_("standard"), max_length=300)
    criterion = models.CharField(_("measurable criterion"), max_length=300, blank=True, default="")
    criterion_value = models.DecimalField(
        _("criterion value"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    criterion_unit = models.CharField(_("unit"), max_length=20, blank=True, default="")
    # Why this version was written ("客户反馈等待太久，改为30秒").
    change_note = models.CharField(_("reason for the change"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    # The approver's checklist: the four tests, each ticked ({"clear": true, …}).
    checks = models.JSONField(_("tests ticked"), default=dict, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("standard version")
        verbose_name_plural = _("standard versions")
        ordering = ["standard", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["standard", "number"], name="standard_version_number_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.standard.code} v{self.number}"


class PriorityExercise(models.Model):
    """The ranking exercise of 003 P-045 for the company (``unit`` empty) or one outlet.

    ``procedural_share`` + personal share = 100 (e.g. 20 / 80); the ranks of the standards
    within each side are :class:`PriorityRank` rows. See :mod:`manyi.quality.weights`.
    """

    company = models.ForeignKey(
        "org.Unit", verbose_name=_("company"), on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("outlet"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: the company's own ranking, used where an outlet has none."),
    )
    procedural_share = models.PositiveSmallIntegerField(_("procedural share (%)"), default=50)
    updated_at = models.DateTimeField(_("updated at"), default=clock.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("priority exercise")
        verbose_name_plural = _("priority exercises")
        constraints = [
            models.UniqueConstraint(
                fields=["company"], condition=Q(unit__isnull=True), name="priority_company_unique"
            ),
            models.UniqueConstraint(
                fields=["company", "unit"],
                condition=Q(unit__isnull=False),
                name="priority_unit_unique",
            ),
            models.CheckConstraint(
                condition=Q(procedural_share__lte=100), name="priority_share_at_most_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.procedural_share}/{self.personal_share}"

    @property
    def personal_share(self) -> int:
        return 100 - self.procedural_share


class PriorityRank(models.Model):
    """The rank of one standard within its side (1 = most important)."""

    exercise = models.ForeignKey(
        PriorityExercise, verbose_name=_("exercise"), on_delete=models.CASCADE, related_name="ranks"
    )
    standard = models.ForeignKey(
        Standard, verbose_name=_("standard"), on_delete=models.CASCADE, related_name="+"
    )
    side = models.CharField(_("side"), max_length=12, choices=Side.choices)
    rank = models.PositiveSmallIntegerField(_("rank"))

    class Meta:
        verbose_name = _("priority rank")
        verbose_name_plural = _("priority ranks")
        ordering = ["exercise", "side", "rank"]
        constraints = [
            models.UniqueConstraint(
                fields=["exercise", "standard"], name="priority_rank_standard_unique"
            ),
            models.UniqueConstraint(
                fields=["exercise", "side", "rank"], name="priority_rank_place_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.side} #{self.rank}"


# -- audits ---------------------------------------------------------------------------------------


class AuditTemplate(models.Model):
    """An audit form generated from chosen standards: its content is an instrument (kind audit);
    generating it again publishes the instrument's next version (old audits keep theirs)."""

    company = models.ForeignKey(
        "org.Unit", verbose_name=_("company"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=100)
    instrument = models.OneToOneField(
        "instruments.Instrument",
        verbose_name=_("instrument"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    # Walk-around (边走边管, P-068): a quick audit of 5–10 standards.
    is_walkaround = models.BooleanField(_("walk-around"), default=False)
    # The ranking the weights came from (empty: equal weights, 50/50).
    exercise = models.ForeignKey(
        PriorityExercise,
        verbose_name=_("priority exercise"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    standards = models.ManyToManyField(Standard, verbose_name=_("standards"), related_name="+")
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("audit template")
        verbose_name_plural = _("audit templates")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Period(models.TextChoices):
    WEEK = "week", _("week(s)")
    MONTH = "month", _("month(s)")


class AuditPlan(models.Model):
    """Which outlets are audited with which template, how often and by whom.

    Due dates roll: an outlet's next audit is due ``every`` weeks or months after its last
    submitted audit under this plan, or on ``starts_on`` when it has none (see queries.due_audits).
    """

    company = models.ForeignKey(
        "org.Unit", verbose_name=_("company"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=100)
    template = models.ForeignKey(
        AuditTemplate, verbose_name=_("audit template"), on_delete=models.PROTECT, related_name="+"
    )
    outlets = models.ManyToManyField("org.Unit", verbose_name=_("outlets"), related_name="+")
    every = models.PositiveSmallIntegerField(_("every"), default=1)
    period = models.CharField(_("period"), max_length=8, choices=Period.choices)
    auditor = models.ForeignKey(
        "org.Staff",
        verbose_name=_("auditor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: any auditor who covers the outlet."),
    )
    starts_on = models.DateField(_("first audit due"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("audit plan")
        verbose_name_plural = _("audit plans")
        ordering = ["name", "id"]
        indexes = [
            # An auditor's due list reads their active plans.
            models.Index(fields=["company", "is_active", "auditor"], name="auditplan_due_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class AuditStatus(models.TextChoices):
    DRAFT = "draft", _("In progress")
    SUBMITTED = "submitted", _("Submitted")


def _photo_path(instance, filename: str) -> str:
    stamp = timezone.localtime(clock.now())
    return f"quality/{stamp:%Y/%m}/{uuid.uuid4().hex}-{filename}"


class Audit(ScoredResponse):
    """One audit of one outlet with a template version: answers per standard and the scores.

    ``day`` and ``month`` (first day) are the period keys trend charts group by, set on submit.
    """

    company = models.ForeignKey(
        "org.Unit", verbose_name=_("company"), on_delete=models.PROTECT, related_name="+"
    )
    outlet = models.ForeignKey(
        "org.Unit", verbose_name=_("outlet"), on_delete=models.PROTECT, related_name="+"
    )
    template = models.ForeignKey(
        AuditTemplate, verbose_name=_("audit template"), on_delete=models.PROTECT, related_name="+"
    )
    plan = models.ForeignKey(
        AuditPlan,
        verbose_name=_("audit plan"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    is_walkaround = models.BooleanField(_("walk-around"), default=False)
    auditor = models.ForeignKey(
        "org.Staff", verbose_name=_("auditor"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=AuditStatus.choices, default=AuditStatus.DRAFT
    )
    # Notes and photos per standard while the audit is in progress: {item code: note}.
    notes = models.JSONField(_("notes"), default=dict, blank=True)
    note = models.TextField(_("overall note"), blank=True, default="")
    started_at = models.DateTimeField(_("started at"), default=clock.now)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    day = models.DateField(_("day"), null=True, blank=True)
    month = models.DateField(_("month"), null=True, blank=True)

    class Meta:
        verbose_name = _("service audit")
        verbose_name_plural = _("service audits")
        ordering = ["-submitted_at", "-id"]
        indexes = [
            # Outlet history (newest first) and the due-date computation (last audit per plan).
            models.Index(fields=["outlet", "status", "-day"], name="audit_outlet_idx"),
            # Trend and comparison: a company's submitted audits by month.
            models.Index(fields=["company", "status", "month"], name="audit_month_idx"),
            # An auditor's audits in progress.
            models.Index(fields=["auditor", "status"], name="audit_auditor_idx"),
            models.Index(fields=["plan", "outlet", "status"], name="audit_plan_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.outlet}"

    @property
    def is_draft(self) -> bool:
        return self.status == AuditStatus.DRAFT


class AuditFactorScore(FactorScoreBase):
    """An audit's score on one side (the template's factors are the two sides)."""

    audit = models.ForeignKey(
        Audit, verbose_name=_("audit"), on_delete=models.CASCADE, related_name="factor_scores"
    )

    class Meta:
        verbose_name = _("audit side score")
        verbose_name_plural = _("audit side scores")


class AuditAnswer(AnswerBase):
    """One standard's verdict in one submitted audit (its area kept for per-area averages)."""

    audit = models.ForeignKey(
        Audit, verbose_name=_("audit"), on_delete=models.CASCADE, related_name="answer_rows"
    )
    standard = models.ForeignKey(
        Standard, verbose_name=_("standard"), on_delete=models.PROTECT, related_name="+"
    )
    area = models.CharField(_("area"), max_length=20, choices=Area.choices)
    side = models.CharField(_("side"), max_length=12, choices=Side.choices)
    note = models.TextField(_("note"), blank=True, default="")

    class Meta:
        verbose_name = _("audit answer")
        verbose_name_plural = _("audit answers")
        indexes = [
            # Per-standard and per-area averages over a period.
            models.Index(fields=["standard", "audit"], name="auditanswer_standard_idx"),
        ]


class AuditPhoto(models.Model):
    """A photo taken during an audit, for one standard (stored through Django's storage)."""

    audit = models.ForeignKey(
        Audit, verbose_name=_("audit"), on_delete=models.CASCADE, related_name="photos"
    )
    item_code = models.CharField(_("standard"), max_length=20)
    file = models.FileField(_("file"), upload_to=_photo_path, max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    class Meta:
        verbose_name = _("audit photo")
        verbose_name_plural = _("audit photos")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.file.name


class FindingKind(models.TextChoices):
    GAP = "gap", _("Gap")
    RECOGNITION = "recognition", _("Good practice confirmed")


class FindingStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACTED = "acted", _("Action planned")
    RECOGNISED = "recognised", _("Praise passed on")
    CLOSED = "closed", _("Closed")


class AuditFinding(models.Model):
    """What a submitted audit found about one standard: a gap (not met, partly met) or a
    confirmed good practice (met) to be praised (P-068: confirm good behaviour, don't police).

    ``uid`` is the stable reference other apps link to (an improvement problem raised from
    this finding); ``reference`` holds the link back ("improvement.problem:12").
    """

    uid = models.UUIDField(_("reference id"), default=uuid.uuid4, unique=True, editable=False)
    company = models.ForeignKey(
        "org.Unit", verbose_name=_("company"), on_delete=models.PROTECT, related_name="+"
    )
    outlet = models.ForeignKey(
        "org.Unit", verbose_name=_("outlet"), on_delete=models.PROTECT, related_name="+"
    )
    audit = models.ForeignKey(
        Audit, verbose_name=_("audit"), on_delete=models.CASCADE, related_name="findings"
    )
    standard = models.ForeignKey(
        Standard, verbose_name=_("standard"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=FindingKind.choices)
    verdict = models.CharField(_("verdict"), max_length=10)
    note = models.TextField(_("note"), blank=True, default="")
    status = models.CharField(
        _("status"), max_length=12, choices=FindingStatus.choices, default=FindingStatus.OPEN
    )
    reference = models.CharField(_("linked record"), max_length=100, blank=True, default="")
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    recognised_at = models.DateTimeField(_("praised at"), null=True, blank=True)
    recognised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("praised by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    recognition_note = models.CharField(_("praise"), max_length=300, blank=True, default="")

    class Meta:
        verbose_name = _("audit finding")
        verbose_name_plural = _("audit findings")
        ordering = ["audit", "id"]
        indexes = [
            # An outlet's open gaps and praise still to pass on.
            models.Index(fields=["outlet", "kind", "status"], name="finding_outlet_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.standard.code}"


class ActionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class ActionItem(models.Model):
    """An improvement action with an owner and a due date, from an audit finding or from a
    mystery-shopping debrief (P-016 step 15 "汇报和行动")."""

    company = models.ForeignKey(
        "org.Unit", verbose_name=_("company"), on_delete=models.PROTECT, related_name="+"
    )
    outlet = models.ForeignKey(
        "org.Unit",
        verbose_name=_("outlet"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    finding = models.ForeignKey(
        AuditFinding,
        verbose_name=_("finding"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="actions",
    )
    program = models.ForeignKey(
        "ShoppingProgram",
        verbose_name=_("mystery-shopping programme"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="actions",
    )
    description = models.CharField(_("action"), max_length=300)
    owner = models.ForeignKey(
        "org.Staff", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+"
    )
    due_on = models.DateField(_("due on"))
    status = models.CharField(
        _("status"), max_length=10, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_note = models.CharField(_("what was done"), max_length=300, blank=True, default="")

    class Meta:
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        ordering = ["due_on", "id"]
        indexes = [
            # "My actions" and the company's open actions, soonest due first.
            models.Index(fields=["owner", "status", "due_on"], name="actionitem_owner_idx"),
            models.Index(fields=["company", "status", "due_on"], name="actionitem_company_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(finding__isnull=True) | Q(program__isnull=True),
                name="actionitem_one_source",
            ),
        ]

    def __str__(self) -> str:
        return self.description[:60]


# -- mystery shopping -----------------------------------------------------------------------------


class CompetitorOutlet(models.Model):
    """A competitor's shop visited by mystery shoppers: no staff, no customers, only visits."""

    company = models.ForeignKey(
        "org.Unit", verbose_name=_("company"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=100)
    brand = models.CharField(_("brand"), max_length=100, blank=True, default="")
    industry = models.CharField(_("industry"), max_length=20, blank=True, default="")
    address = models.CharField(_("address"), max_length=200, blank=True, default="")
    note = models.CharField(_("note"), max_length=300, blank=True, default="")
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    class Meta:
        verbose_name = _("competitor outlet")
        verbose_name_plural = _("competitor outlets")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "name"], name="competitor_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class ProgramStage(models.TextChoices):
    """The seed's 15 steps (P-015/016) grouped into the stages of a programme, in order."""

    OBJECTIVES = "objectives", _("Objectives")
    OUTLETS = "outlets", _("Outlets")
    SCENARIOS = "scenarios", _("Scenarios and script")
    CHECKLIST = "checklist", _("Checklist")
    SHOPPERS = "shoppers", _("Shoppers")
    SCHEDULE = "schedule", _("Schedule")
    BRIEFING = "briefing", _("Briefing")
    VISITS = "visits", _("Visits")
    REPORT = "report", _("Report")
    DEBRIEF = "debrief", _("Debrief and actions")
    CLOSED = "closed", _("Closed")


STAGE_ORDER = list(ProgramStage.values)


class LearnArea(models.TextChoices):
    """What a programme sets out to learn (P-015 step 1, "了解到5个方面的情况")."""

    RECEPTION = "reception", _("How customers are received")
    ATTITUDE = "attitude", _("Staff attitude and manners")
    FACILITIES = "facilities", _("Facilities and environment")
    KEY_SERVICES = "key_services", _("Key services and advice")
    COMPETITORS = "competitors", _("How competitors serve")


class ShoppingProgram(models.Model):
    """A mystery-shopping programme: its stage, what it wants to learn, its checklist."""

    company = models.ForeignKey(
        "org.Unit", verbose_name=_("company"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=100)
    stage = models.CharField(
        _("stage"), max_length=12, choices=ProgramStage.choices, default=ProgramStage.OBJECTIVES
    )
    objectives = models.TextField(_("objectives"), blank=True, default="")
    learn_areas = models.JSONField(_("what to learn"), default=list, blank=True)
    # Steps 7–9: facilities to look at, key services to stress, variables (time, day, staff).
    focus = models.TextField(_("facilities, key services and variables"), blank=True, default="")
    checklist = models.ForeignKey(
        "instruments.InstrumentVersion",
        verbose_name=_("checklist"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Step 11 "与员工核对": staff were told that mystery shopping will take place (not when).
    staff_informed_at = models.DateTimeField(_("staff informed at"), null=True, blank=True)
    briefing = models.TextField(_("briefing for shoppers"), blank=True, default="")
    briefed_at = models.DateTimeField(_("shoppers briefed at"), null=True, blank=True)
    debrief = models.TextField(_("debrief"), blank=True, default="")
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("mystery-shopping programme")
        verbose_name_plural = _("mystery-shopping programmes")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name

    def reached(self, stage: str) -> bool:
        """Whether the programme is at ``stage`` or later."""
        return STAGE_ORDER.index(self.stage) >= STAGE_ORDER.index(stage)


class ProgramTarget(models.Model):
    """An outlet a programme visits: one of the company's own, or a competitor's."""

    program = models.ForeignKey(
        ShoppingProgram,
        verbose_name=_("programme"),
        on_delete=models.CASCADE,
        related_name="targets",
    )
    outlet = models.ForeignKey(
        "org.Unit",
        verbose_name=_("own outlet"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    competitor = models.ForeignKey(
        CompetitorOutlet,
        verbose_name=_("competitor outlet"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("programme outlet")
        verbose_name_plural = _("programme outlets")
        ordering = ["program", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(outlet__isnull=False) & Q(competitor__isnull=True))
                | (Q(outlet__isnull=True) & Q(competitor__isnull=False)),
                name="target_outlet_or_competitor",
            ),
            models.UniqueConstraint(
                fields=["program", "outlet"],
                condition=Q(outlet__isnull=False),
                name="target_outlet_unique",
            ),
            models.UniqueConstraint(
                fields=["program", "competitor"],
                condition=Q(competitor__isnull=False),
                name="target_competitor_unique",
            ),
        ]

    def __str__(self) -> str:
        return str(self.outlet or self.competitor)

    @property
    def is_competitor(self) -> bool:
        return self.competitor_id is not None

    @property
    def name(self) -> str:
        return (self.outlet or self.competitor).name


class Scenario(models.Model):
    """What the shopper acts out (P-015 step 2 and 6–9): the situation and the script."""

    program = models.ForeignKey(
        ShoppingProgram,
        verbose_name=_("programme"),
        on_delete=models.CASCADE,
        related_name="scenarios",
    )
    title = models.CharField(_("title"), max_length=100)
    script = models.TextField(_("shopper's script"))

    class Meta:
        verbose_name = _("scenario")
        verbose_name_plural = _("scenarios")
        ordering = ["program", "id"]

    def __str__(self) -> str:
        return self.title


class ProgramShopper(models.Model):
    """A shopper (Role.SHOPPER) taking part in a programme."""

    program = models.ForeignKey(
        ShoppingProgram,
        verbose_name=_("programme"),
        on_delete=models.CASCADE,
        related_name="shoppers",
    )
    shopper = models.ForeignKey(
        "org.Staff", verbose_name=_("shopper"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("programme shopper")
        verbose_name_plural = _("programme shoppers")
        constraints = [
            models.UniqueConstraint(fields=["program", "shopper"], name="program_shopper_unique"),
        ]

    def __str__(self) -> str:
        return str(self.shopper)


class VisitStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    SUBMITTED = "submitted", _("Submitted")
    CANCELLED = "cancelled", _("Cancelled")


class Visit(ScoredResponse):
    """One mystery-shopping visit: assigned to one shopper, answered with the checklist.

    The shopper records when they went, how long it took, the checklist, a narrative and
    receipts or photos; nothing else of the company is visible to them.
    """

    program = models.ForeignKey(
        ShoppingProgram,
        verbose_name=_("programme"),
        on_delete=models.CASCADE,
        related_name="visits",
    )
    target = models.ForeignKey(
        ProgramTarget, verbose_name=_("outlet"), on_delete=models.PROTECT, related_name="visits"
    )
    shopper = models.ForeignKey(
        "org.Staff", verbose_name=_("shopper"), on_delete=models.PROTECT, related_name="+"
    )
    scenario = models.ForeignKey(
        Scenario, verbose_name=_("scenario"), on_delete=models.PROTECT, related_name="+"
    )
    planned_on = models.DateField(_("planned for"))
    planned_window = models.CharField(_("time of day"), max_length=40, blank=True, default="")
    status = models.CharField(
        _("status"), max_length=10, choices=VisitStatus.choices, default=VisitStatus.PLANNED
    )
    visited_at = models.DateTimeField(_("visited at"), null=True, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"), null=True)
    narrative = models.TextField(_("what happened"), blank=True, default="")
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("mystery-shopping visit")
        verbose_name_plural = _("mystery-shopping visits")
        ordering = ["planned_on", "id"]
        indexes = [
            # A shopper's own list of visits.
            models.Index(fields=["shopper", "status", "planned_on"], name="visit_shopper_idx"),
            # The programme's report: submitted visits by target.
            models.Index(fields=["program", "status", "target"], name="visit_program_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.planned_on}"


class VisitFactorScore(FactorScoreBase):
    """A visit's score on one checklist area (factor)."""

    visit = models.ForeignKey(
        Visit, verbose_name=_("visit"), on_delete=models.CASCADE, related_name="factor_scores"
    )

    class Meta:
        verbose_name = _("visit area score")
        verbose_name_plural = _("visit area scores")


class VisitAnswer(AnswerBase):
    """One checklist answer of a submitted visit."""

    visit = models.ForeignKey(
        Visit, verbose_name=_("visit"), on_delete=models.CASCADE, related_name="answer_rows"
    )

    class Meta:
        verbose_name = _("visit answer")
        verbose_name_plural = _("visit answers")


class VisitPhotoKind(models.TextChoices):
    RECEIPT = "receipt", _("Receipt")
    PHOTO = "photo", _("Photo")


class VisitPhoto(models.Model):
    """A receipt or photo the shopper kept from a visit."""

    visit = models.ForeignKey(
        Visit, verbose_name=_("visit"), on_delete=models.CASCADE, related_name="photos"
    )
    kind = models.CharField(_("kind"), max_length=8, choices=VisitPhotoKind.choices)
    file = models.FileField(_("file"), upload_to=_photo_path, max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    class Meta:
        verbose_name = _("visit photo")
        verbose_name_plural = _("visit photos")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.file.name
