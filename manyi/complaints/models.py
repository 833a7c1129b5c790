"""Complaints (投诉, DOMAIN §3): what the case engine does not know about a complaint.

A complaint is a case of kind ``complaint`` (stages, deadlines, assignee, timeline live on the
case); this app keeps the complaint's own facts: how it came in, what it is about, the site
investigation, the responsibility ruling, the resolutions and their cost. Nothing is ever
deleted (抱怨信息资源化, 000/004): a complaint is closed or merged into another.

Seeds: 002 第五、六章 (the complaint flow), 000 (处理抱怨与投诉), 001 §5.5–5.6 (emotion then
facts), 004 (顾客抱怨处理的原则, causes of complaints).
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from manyi import clock


class Channel(models.TextChoices):
    """How the complaint reached us."""

    PHONE = "phone", _("Phone")
    STORE = "store", _("In store")
    ONLINE = "online", _("Online")
    RETURN_VISIT = "return_visit", _("Return visit")
    SURVEY = "survey", _("Survey")


class Severity(models.TextChoices):
    NORMAL = "normal", _("Normal")
    # 重大投诉: escalates to the regional supervisor with tighter deadlines.
    MAJOR = "major", _("Major")


class MajorReason(models.TextChoices):
    """Why a complaint is major (stored as a list on the complaint)."""

    SAFETY = "safety", _("Safety")
    MEDIA = "media", _("Media attention")
    AMOUNT = "amount", _("Amount above the threshold")
    REPEATED = "repeated", _("Repeated complaint")


class Responsibility(models.TextChoices):
    """The responsibility ruling after the site investigation (002 第六章)."""

    OURS = "ours", _("Ours")
    INSTALLER = "installer", _("Installer's")
    CUSTOMER = "customer", _("Customer's")
    SHARED = "shared", _("Shared")
    UNDETERMINED = "undetermined", _("Not determined")


class CauseSide(models.TextChoices):
    """004: causes on the company's side and on the customer's side."""

    COMPANY = "company", _("Company side")
    CUSTOMER = "customer", _("Customer side")
    OTHER = "other", _("Other")


class CauseCategory(models.Model):
    """A root-cause category; a per-company taxonomy seeded from DOMAIN §3 (004)."""

    company = models.ForeignKey(
        "org.Unit", verbose_name=_("company"), on_delete=models.CASCADE, related_name="+"
    )
    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=100)
    side = models.CharField(_("side"), max_length=10, choices=CauseSide.choices)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("cause category")
        verbose_name_plural = _("cause categories")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="cause_company_code_uniq")
        ]

    def __str__(self) -> str:
        return self.name


class RoutingRule(models.Model):
    """Who takes the complaints of an outlet or a region (the area technician, 002 第五章).

    Routing looks for a rule on the case's outlet, then on each enclosing region; with none,
    the complaint goes to the department head.
    """

    unit = models.OneToOneField(
        "org.Unit",
        verbose_name=_("outlet or region"),
        on_delete=models.CASCADE,
        related_name="complaint_routing",
    )
    assignee = models.ForeignKey(
        "org.Staff",
        verbose_name=_("responsible technician"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated at"), default=clock.now)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")

    def __str__(self) -> str:
        return f"{self.unit} → {self.assignee}"


class ComplaintPolicy(models.Model):
    """A company's complaint settings: deadlines, limits, and the estimate coefficients.

    The coefficients feed the complaint iceberg (and later the insights estimates); their
    defaults are the seeds' numbers (DOMAIN §4), each cited beside its field.
    """

    company = models.OneToOneField(
        "org.Unit",
        verbose_name=_("company"),
        on_delete=models.CASCADE,
        related_name="complaint_policy",
    )
    first_contact_hours = models.DecimalField(
        _("first contact within (business hours)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(2),
    )
    major_first_contact_hours = models.DecimalField(
        _("first contact of a major complaint within (business hours)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(1),
    )
    # A claim above this amount makes a complaint major.
    major_amount = models.DecimalField(
        _("major above amount (yuan)"), max_digits=12, decimal_places=2, default=Decimal(5000)
    )
    # The same customer complaining this many times within the window makes it major.
    repeat_count = models.PositiveSmallIntegerField(_("repeated after complaints"), default=2)
    repeat_window_days = models.PositiveSmallIntegerField(_("within days"), default=90)
    # Compensation, refund or replacement above the unit's limit needs a manager's approval;
    # this is the company default, an outlet may have its own (CompensationLimit).
    compensation_limit = models.DecimalField(
        _("approval needed above (yuan)"), max_digits=12, decimal_places=2, default=Decimal(1000)
    )
    # -- estimate coefficients (DOMAIN §4) -----------------------------------------------------
    # 000: one complaint stands for 25 unhappy customers (24 of 25 never complain).
    unhappy_per_complaint = models.DecimalField(
        _("unhappy customers per complaint"), max_digits=6, decimal_places=2, default=Decimal(25)
    )
    # 004: an unhappy customer tells 18 people.
    unhappy_tells = models.DecimalField(
        _("people an unhappy customer tells"), max_digits=6, decimal_places=2, default=Decimal(18)
    )
    # 003/004: a satisfied customer tells 8 people.
    satisfied_tells = models.DecimalField(
        _("people a satisfied customer tells"), max_digits=6, decimal_places=2, default=Decimal(8)
    )
    # 000: 60% of complainers whose problem is solved stay.
    kept_when_solved = models.DecimalField(
        _("share kept when solved"), max_digits=4, decimal_places=3, default=Decimal("0.600")
    )
    # 000: 90–95% stay when it is solved quickly (the lower bound).
    kept_when_solved_fast = models.DecimalField(
        _("share kept when solved quickly"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.900"),
    )
    # "Quickly" has no number in the seeds; assumption: closed within this many days.
    fast_days = models.PositiveSmallIntegerField(_("solved quickly within days"), default=3)
    # 000/004: a new customer costs 5× a kept one.
    new_customer_cost_factor = models.DecimalField(
        _("cost of a new customer (× a kept one)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(5),
    )

    class Meta:
        verbose_name = _("complaint policy")
        verbose_name_plural = _("complaint policies")

    def __str__(self) -> str:
        return str(self.company)


class CompensationLimit(models.Model):
    """An outlet's or region's own approval limit (else the company policy's)."""

    unit = models.OneToOneField(
        "org.Unit",
        verbose_name=_("unit"),
        on_delete=models.CASCADE,
        related_name="compensation_limit",
    )
    amount = models.DecimalField(_("approval needed above (yuan)"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("compensation limit")
        verbose_name_plural = _("compensation limits")

    def __str__(self) -> str:
        return f"{self.unit}: {self.amount}"


class Complaint(models.Model):
    """The complaint form (施工投诉单) and what follows it; one per case."""

    case = models.OneToOneField(
        "cases.Case", verbose_name=_("case"), on_delete=models.CASCADE, related_name="complaint"
    )
    # Denormalised from the case for the analytics (one table, indexed by company and month;
    # on SQLite date truncation runs per row in Python, so the month is stored).
    company = models.ForeignKey(
        "org.Unit", verbose_name=_("company"), on_delete=models.CASCADE, related_name="+"
    )
    received_month = models.DateField(_("month received"))
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    # Intake: who, where, contact, what happened; no technical questions (002 第五章).
    contact_name = models.CharField(_("contact name"), max_length=50)
    contact_phone = models.CharField(_("contact phone"), max_length=20)
    site_address = models.CharField(_("site address"), max_length=200, blank=True, default="")
    product = models.CharField(_("product"), max_length=100, blank=True, default="")
    batch_no = models.CharField(_("batch number"), max_length=50, blank=True, default="")
    purchase = models.ForeignKey(
        "customers.Purchase",
        verbose_name=_("purchase"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    installer_name = models.CharField(_("installer"), max_length=50, blank=True, default="")
    installer_phone = models.CharField(
        _("installer's phone"), max_length=20, blank=True, default=""
    )
    # Where it came from when not taken directly: a work order's return visit, a survey answer.
    source_case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("source case"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    source_ref = models.CharField(_("source reference"), max_length=60, blank=True, default="")
    # A complaint about one of our staff goes to that person's manager, not to the person.
    about_staff = models.ForeignKey(
        "org.Staff",
        verbose_name=_("about staff member"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.NORMAL
    )
    major_reasons = models.JSONField(_("why major"), default=list, blank=True)
    amount_claimed = models.DecimalField(
        _("amount claimed (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    acknowledged_at = models.DateTimeField(_("acknowledgement sent at"), null=True, blank=True)
    # A major complaint escalates to the regional supervisors: they are told, and kept informed
    # of every step that follows.
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    watchers = models.ManyToManyField(
        "org.Staff", verbose_name=_("kept informed"), blank=True, related_name="+"
    )
    # First contact (第一时间): kept for "time to first contact" against the SLA.
    first_contact_at = models.DateTimeField(_("first contact at"), null=True, blank=True)
    # The joint site visit booked at first contact (customer, installer and us, 002 第五章).
    visit_at = models.DateTimeField(_("joint site visit at"), null=True, blank=True)
    visit_place = models.CharField(_("place of the visit"), max_length=200, blank=True, default="")
    # Technical preparation.
    likely_cause = models.TextField(_("likely cause"), blank=True, default="")
    tools = models.JSONField(_("tools checklist"), default=list, blank=True)
    # Site investigation with customer, installer and technician present (recorded).
    investigated_at = models.DateTimeField(_("investigated at"), null=True, blank=True)
    present = models.JSONField(_("present at the site"), default=list, blank=True)
    findings = models.TextField(_("findings"), blank=True, default="")
    # Responsibility ruling.
    responsibility = models.CharField(
        _("responsibility"), max_length=20, choices=Responsibility.choices, blank=True, default=""
    )
    cause = models.ForeignKey(
        CauseCategory,
        verbose_name=_("root cause"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
    )
    ruled_at = models.DateTimeField(_("ruled at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    # Closure needs the emotional follow-up call (000, 002 第六章).
    follow_up_at = models.DateTimeField(_("follow-up call at"), null=True, blank=True)
    return_visit_outcome = models.CharField(
        _("return visit outcome"), max_length=20, blank=True, default=""
    )
    # Duplicates merge into one complaint; both timelines are kept.
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged",
    )

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        indexes = [
            # Analytics: a company's complaints by month.
            models.Index(fields=["company", "received_month"], name="complaint_company_month_idx"),
            # Technical preparation: other complaints on the same product batch.
            models.Index(fields=["company", "batch_no"], name="complaint_batch_idx"),
            # The complaint list: a company's complaints newest first (keyset pages).
            models.Index(fields=["company", "-id"], name="complaint_company_id_idx"),
        ]

    def __str__(self) -> str:
        return str(self.case)


class ResolutionKind(models.TextChoices):
    REWORK = "rework", _("Rework")
    REPLACE = "replace", _("Replace")
    REFUND = "refund", _("Refund")
    COMPENSATE = "compensate", _("Compensate")
    EXPLAIN = "explain", _("Explain")


# Money to the customer: not before the site investigation (002 第五章: no word on
# compensation before the site visit).
MONEY_KINDS = frozenset({ResolutionKind.REPLACE, ResolutionKind.REFUND, ResolutionKind.COMPENSATE})


class ResolutionStatus(models.TextChoices):
    PROPOSED = "proposed", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    EXECUTED = "executed", _("Executed")


class Resolution(models.Model):
    """One remedy agreed with the customer, with what it costs us."""

    complaint = models.ForeignKey(
        Complaint, verbose_name=_("complaint"), on_delete=models.CASCADE, related_name="resolutions"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=ResolutionKind.choices)
    # What the customer receives (refund, compensation, value of the replacement).
    amount = models.DecimalField(
        _("amount (yuan)"), max_digits=12, decimal_places=2, default=Decimal(0)
    )
    # What it costs us in total (material, labour, the amount).
    cost = models.DecimalField(
        _("cost (yuan)"), max_digits=12, decimal_places=2, default=Decimal(0)
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ResolutionStatus.choices,
        default=ResolutionStatus.PROPOSED,
    )
    notes = models.TextField(_("notes"), blank=True, default="")
    proposed_by = models.ForeignKey(
        "org.Staff", verbose_name=_("proposed by"), on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(_("proposed at"), default=clock.now)
    approved_by = models.ForeignKey(
        "org.Staff",
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    executed_at = models.DateTimeField(_("executed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("resolution")
        verbose_name_plural = _("resolutions")
        ordering = ["proposed_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"


class Experiment(models.Model):
    """A construction experiment (施工实验): agreed purpose, unopened material, procedure."""

    complaint = models.ForeignKey(
        Complaint, verbose_name=_("complaint"), on_delete=models.CASCADE, related_name="experiments"
    )
    purpose = models.TextField(_("purpose"))
    material = models.CharField(_("material (product and batch)"), max_length=200)
    # The material must come from an unopened can (002 第六章).
    unopened = models.BooleanField(_("from an unopened can"), default=False)
    procedure = models.TextField(_("procedure"))
    result = models.TextField(_("result"), blank=True, default="")
    performed_at = models.DateTimeField(_("performed at"), default=clock.now)
    recorded_by = models.ForeignKey(
        "org.Staff", verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("construction experiment")
        verbose_name_plural = _("construction experiments")
        ordering = ["performed_at", "id"]

    def __str__(self) -> str:
        return self.purpose[:40]
