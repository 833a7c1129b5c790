"""Satisfaction surveys (DOMAIN §5, issue 5): who is asked, how, and what they answered.

The questions and their scoring belong to :mod:`manyi.instruments`; this app says who answers
which published instrument version, about which outlet, technician and case, and when:

* a :class:`Campaign` asks a target group of customers (those with survey consent only) by
  SMS or e-mail, on a schedule, with at most one reminder, never in the quiet hours
  (21:00–08:00 by default), until a response deadline;
* a :class:`TriggerSetting` makes closing a work order or a complaint invite its customer after
  a delay (car service: within three days, 004 §3.2 item 19); one survey per case;
* a :class:`WalkInPoint` is an outlet's QR code for walk-in feedback (anonymous, or with a phone);
* an :class:`Invitation` carries the unguessable, expiring link (``/s/<token>/``) and the
  partial answers of a customer who has not finished (the page is resumable);
* a :class:`SurveyResponse` is one scored answer set (a :class:`ScoredResponse`: the version,
  the raw answers, the index), with :class:`SurveyFactorScore` and :class:`SurveyAnswer` rows
  so that results are SQL aggregates, and with the period keys (``month``, ``day``) stored, since
  date truncation runs in Python per row on SQLite (DESIGN "Rules that keep it fast");
* a :class:`FollowUp` is the closed loop: a detractor, a low index or "not satisfied" opens one
  for the outlet manager (a follow-up case on the case engine, or a complaint, per
  :class:`SurveyPolicy`); a :class:`Praise` keeps a promoter's thanks for the technician.

Results pages read :class:`SurveyResponse` and its rows (company, outlet, region, technician,
version, campaign and month are columns, indexed for those groupings).
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from manyi import clock
from manyi.instruments.models import AnswerBase, FactorScoreBase, ScoredResponse

# 32 random bytes, URL-safe base64: 43 characters, 256 bits (never guessable, DESIGN "safe").
TOKEN_BYTES = 32
QUIET_START = dt.time(21, 0)
QUIET_END = dt.time(8, 0)


def new_token() -> str:
    """A fresh unguessable token for a link or a QR code."""
    return secrets.token_urlsafe(TOKEN_BYTES)


class SurveyChannel(models.TextChoices):
    """How an invitation reaches the customer, or how a response came in."""

    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
    # A walk-in customer scanned the outlet's QR code.
    QR = "qr", _("QR code")
    # The link was handed over another way (read out on a call, shown on a tablet …).
    LINK = "link", _("Link")


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    # Launched; invitations are sent from ``starts_at`` on.
    SCHEDULED = "scheduled", _("Scheduled")
    # The response deadline has passed: links no longer open.
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class TargetSource(models.TextChoices):
    """Whom a campaign asks (issue 5: customers filtered by outlet, purchase date, segment; or
    the customers of closed cases)."""

    CUSTOMERS = "customers", _("Customers of the archive")
    CLOSED_CASES = "closed_cases", _("Customers of closed cases")


class Campaign(models.Model):
    """A survey sent to a target group of customers of one unit's subtree.

    ``target`` holds the filter as cleaned by ``actions.clean_target`` (outlets, purchase dates,
    segment fields, tag, or the kind and closing dates of cases). Invitations are created when
    the campaign is launched; the task sends them from ``starts_at``, outside the quiet hours,
    reminds once after ``reminder_after_hours`` (none when empty), and the links expire at
    ``deadline_at``.
    """

    company = models.ForeignKey(
        "org.Unit", verbose_name=_("company"), on_delete=models.PROTECT, related_name="+"
    )
    # The unit whose customers are asked (the company, a region or an outlet).
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=100)
    version = models.ForeignKey(
        "instruments.InstrumentVersion",
        verbose_name=_("instrument version"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    source = models.CharField(
        _("whom to ask"),
        max_length=16,
        choices=TargetSource.choices,
        default=TargetSource.CUSTOMERS,
    )
    target = models.JSONField(_("target filter"), default=dict, blank=True)
    # ["sms", "email"]: e-mail goes to those who have an address, SMS to the rest.
    channels = models.JSONField(_("channels"), default=list, blank=True)
    starts_at = models.DateTimeField(_("send from"))
    deadline_at = models.DateTimeField(_("response deadline"))
    # One reminder at most (issue 5); empty: no reminder.
    reminder_after_hours = models.PositiveSmallIntegerField(
        _("remind after (hours)"), null=True, blank=True
    )
    # No message between quiet_start and quiet_end, local time (default 21:00–08:00).
    quiet_start = models.TimeField(_("quiet hours from"), default=QUIET_START)
    quiet_end = models.TimeField(_("quiet hours until"), default=QUIET_END)
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    launched_at = models.DateTimeField(_("launched at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("survey campaign")
        verbose_name_plural = _("survey campaigns")
        ordering = ["-id"]
        indexes = [
            # The campaign list: a company's campaigns newest first.
            models.Index(fields=["company", "-id"], name="campaign_company_idx"),
            # The closing sweep: scheduled campaigns past their deadline.
            models.Index(fields=["status", "deadline_at"], name="campaign_status_deadline_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_editable(self) -> bool:
        """Only a draft may still change (its target, version, schedule)."""
        return self.status == CampaignStatus.DRAFT


class CaseKind(models.TextChoices):
    """The kinds of case whose closing may trigger a survey."""

    WORKORDER = "workorder", _("Work order")
    COMPLAINT = "complaint", _("Complaint")


class TriggerSetting(models.Model):
    """Which survey closing a case of a kind sends, after which delay (issue 5).

    One row per company, case kind and industry; an empty industry is the company's default for
    outlets of every other industry. Car service default: within three days of the service (004
    §3.2 item 19, "维修/保养后，服务店在三日内回访顾客"), see ``actions.DEFAULT_DELAY_HOURS``.
    """

    company = models.ForeignKey(
        "org.Unit", verbose_name=_("company"), on_delete=models.CASCADE, related_name="+"
    )
    case_kind = models.CharField(_("when closing"), max_length=20, choices=CaseKind.choices)
    # Blank: every industry without its own row.
    industry = models.CharField(_("industry"), max_length=20, blank=True, default="")
    version = models.ForeignKey(
        "instruments.InstrumentVersion",
        verbose_name=_("instrument version"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    delay_hours = models.PositiveSmallIntegerField(_("send after (hours)"), default=24)
    # How long the link stays valid after it was sent.
    valid_days = models.PositiveSmallIntegerField(_("link valid for (days)"), default=14)
    channels = models.JSONField(_("channels"), default=list, blank=True)
    updated_at = models.DateTimeField(_("updated at"), default=clock.now)

    class Meta:
        verbose_name = _("survey trigger")
        verbose_name_plural = _("survey triggers")
        ordering = ["company", "case_kind", "industry"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "case_kind", "industry"], name="survey_trigger_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_case_kind_display()} {self.industry or '*'}"


class FollowUpAs(models.TextChoices):
    """What an unhappy answer opens (a company rule)."""

    FOLLOW_UP = "follow_up", _("A follow-up task for the outlet manager")
    COMPLAINT = "complaint", _("A complaint")


class SurveyPolicy(models.Model):
    """A company's closed-loop rule: what counts as unhappy, what it opens, how fast.

    A detractor (NPS 0–6), an index below ``low_index`` or "not satisfied" on the inquiry opens a
    follow-up; without a row the defaults of the fields apply (``actions.policy_for``).
    """

    company = models.OneToOneField(
        "org.Unit",
        verbose_name=_("company"),
        on_delete=models.CASCADE,
        related_name="survey_policy",
    )
    low_index = models.FloatField(_("follow up below index"), default=60.0)
    follow_up_as = models.CharField(
        _("an unhappy answer opens"),
        max_length=12,
        choices=FollowUpAs.choices,
        default=FollowUpAs.FOLLOW_UP,
    )
    # The follow-up's SLA: the customer is called back within this many business days.
    follow_up_days = models.PositiveSmallIntegerField(
        _("call back within (business days)"), default=1
    )
    updated_at = models.DateTimeField(_("updated at"), default=clock.now)

    class Meta:
        verbose_name = _("survey policy")
        verbose_name_plural = _("survey policies")

    def __str__(self) -> str:
        return str(self.company)


class WalkInPoint(models.Model):
    """An outlet's QR code for walk-in feedback: the poster's link (``/s/w/<token>/``)."""

    company = models.ForeignKey(
        "org.Unit", verbose_name=_("company"), on_delete=models.CASCADE, related_name="+"
    )
    unit = models.OneToOneField(
        "org.Unit", verbose_name=_("outlet"), on_delete=models.CASCADE, related_name="walk_in"
    )
    version = models.ForeignKey(
        "instruments.InstrumentVersion",
        verbose_name=_("instrument version"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    token = models.CharField(_("token"), max_length=64, unique=True, default=new_token)
    is_active = models.BooleanField(_("active"), default=True)
    # Whether the page offers a phone field (to be called back); answers stay anonymous without.
    ask_phone = models.BooleanField(_("ask for a phone number"), default=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    class Meta:
        verbose_name = _("walk-in QR code")
        verbose_name_plural = _("walk-in QR codes")

    def __str__(self) -> str:
        return str(self.unit)


class Invitation(models.Model):
    """One customer's invitation to answer one survey: from a campaign or a closed case.

    The token is 32 random bytes (URL-safe, unique index); it opens the page from sending until
    ``expires_at`` and until answered. ``partial`` keeps the answers of an unfinished page so the
    customer can come back. A campaign invites a customer once, a case once (constraints).
    """

    # company, campaign, case and token carry no single-column index of their own: the
    # composite indexes and constraints below lead with them, and every index costs each
    # submission's claim (a non-HOT update writes every index of the row).
    company = models.ForeignKey(
        "org.Unit",
        verbose_name=_("company"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="invitations",
        db_index=False,
    )
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    version = models.ForeignKey(
        "instruments.InstrumentVersion",
        verbose_name=_("instrument version"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # What the survey is about: the outlet and (for a case) its technician.
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("outlet"), on_delete=models.PROTECT, related_name="+"
    )
    technician = models.ForeignKey(
        "org.Staff",
        verbose_name=_("technician"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Unique through the constraint below (a field's unique=True adds a second, LIKE index on
    # PostgreSQL that no query uses).
    token = models.CharField(_("token"), max_length=64, default=new_token)
    channel = models.CharField(_("channel"), max_length=8, choices=SurveyChannel.choices)
    # The greeting name copied at invitation: the page shows this and nothing else of the
    # customer (DESIGN: no customer data to anyone holding only a link).
    greeting = models.CharField(_("greeting name"), max_length=20, blank=True, default="")
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    send_at = models.DateTimeField(_("send at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    remind_at = models.DateTimeField(_("remind at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    opened_at = models.DateTimeField(_("first opened at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"))
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    partial = models.JSONField(_("unfinished answers"), default=dict, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-id"]
        constraints = [
            # The link's lookup (find_invitation).
            models.UniqueConstraint(fields=["token"], name="invitation_token_unique"),
            # One invitation per customer per campaign.
            models.UniqueConstraint(
                fields=["campaign", "customer"],
                condition=Q(campaign__isnull=False),
                name="invitation_campaign_customer_unique",
            ),
            # One survey per case.
            models.UniqueConstraint(
                fields=["case"], condition=Q(case__isnull=False), name="invitation_case_unique"
            ),
        ]
        indexes = [
            # The sending sweep: invitations due, not yet sent (a small partial index).
            models.Index(
                fields=["send_at"],
                name="invitation_due_idx",
                condition=Q(sent_at__isnull=True, cancelled_at__isnull=True),
            ),
            # The reminder sweep: sent, unanswered, reminder due.
            models.Index(
                fields=["remind_at"],
                name="invitation_remind_idx",
                condition=Q(
                    reminded_at__isnull=True,
                    answered_at__isnull=True,
                    cancelled_at__isnull=True,
                    remind_at__isnull=False,
                ),
            ),
            # A campaign's invitation list (keyset, newest first) and its counts.
            models.Index(fields=["campaign", "-id"], name="invitation_campaign_idx"),
            # The triggered invitations of a company (list page without a campaign).
            models.Index(fields=["company", "-id"], name="invitation_company_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.pk} {self.customer_id}"

    def state(self, now: dt.datetime | None = None) -> str:
        """What the link does now: answered, cancelled, expired, pending (not yet sent), open."""
        now = now or clock.now()
        if self.answered_at:
            return "answered"
        if self.cancelled_at:
            return "cancelled"
        if self.expires_at <= now:
            return "expired"
        if not self.sent_at:
            return "pending"
        return "open"


class ResponseSource(models.TextChoices):
    CAMPAIGN = "campaign", _("Campaign")
    CASE = "case", _("Closed case")
    WALK_IN = "walk_in", _("Walk-in")


class SurveyResponse(ScoredResponse):
    """One submitted survey, scored, with the keys the results group by stored as columns.

    Keys led by a composite index below carry no index of their own (``db_index=False``):
    submission is the burst path, and every index costs each insert.

    ``nps_value``/``nps_category`` come from the instrument's first 0–10 item, ``csat_value``/
    ``csat_top2`` from its first 5-point item whose code is ``csat`` or, failing that, the first
    5-point scale (see ``actions.key_figures``), so NPS and CSAT are counts over columns.
    """

    company = models.ForeignKey(
        "org.Unit",
        verbose_name=_("company"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("outlet"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    # The outlet's region, copied so "by region" needs no join through the tree.
    region = models.ForeignKey(
        "org.Unit",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    technician = models.ForeignKey(
        "org.Staff",
        verbose_name=_("technician"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    invitation = models.OneToOneField(
        Invitation,
        verbose_name=_("invitation"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="response",
    )
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Empty for an anonymous walk-in (and after the customer's data was erased).
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # A walk-in who left a number to be called back.
    contact_phone = models.CharField(_("phone to call back"), max_length=11, blank=True, default="")
    source = models.CharField(_("source"), max_length=10, choices=ResponseSource.choices)
    channel = models.CharField(_("channel"), max_length=8, choices=SurveyChannel.choices)
    submitted_at = models.DateTimeField(_("submitted at"))
    # Local calendar month (first day) and day of submission: the period keys of the results.
    month = models.DateField(_("month"))
    day = models.DateField(_("day"))
    nps_value = models.PositiveSmallIntegerField(_("recommend (0–10)"), null=True, blank=True)
    nps_category = models.CharField(_("NPS group"), max_length=10, blank=True, default="")
    csat_value = models.PositiveSmallIntegerField(_("satisfaction (1–5)"), null=True, blank=True)
    csat_top2 = models.BooleanField(_("satisfied (top 2)"), null=True, blank=True)
    # Whether the answers call for a follow-up (detractor, low index, "not satisfied").
    unhappy = models.BooleanField(_("unhappy"), default=False)
    # A walk-in page's submission key: the same form posted twice records one response.
    submit_key = models.CharField(_("submission key"), max_length=64, blank=True, default="")
    # The reasons (comma-separated FollowUpReason values) of a follow-up still to be opened:
    # set by the submission, cleared in the transaction that opens the follow-up (the task
    # enqueued on commit, or the sweep if that task was lost) — so exactly one is opened.
    follow_up_pending = models.CharField(
        _("follow-up to open"), max_length=60, blank=True, default=""
    )

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["submit_key"], condition=~Q(submit_key=""), name="response_submit_key"
            ),
        ]
        indexes = [
            # Results of a company by month (trend, figures).
            models.Index(fields=["company", "month"], name="response_company_month_idx"),
            # By outlet and month.
            models.Index(fields=["unit", "month"], name="response_unit_month_idx"),
            # By region and month.
            models.Index(fields=["region", "month"], name="response_region_month_idx"),
            # By technician and month (team scoreboards).
            models.Index(fields=["technician", "month"], name="response_tech_month_idx"),
            # One instrument version's results (item distributions) by month.
            models.Index(fields=["version", "company", "month"], name="response_version_month_idx"),
            # A campaign's results and response list.
            models.Index(fields=["campaign", "-id"], name="response_campaign_idx"),
            # Lists of a company's responses, newest first (keyset).
            models.Index(fields=["company", "-id"], name="response_company_id_idx"),
            # The sweep's search for follow-ups still to open (a tiny partial index).
            models.Index(
                fields=["submitted_at"],
                name="response_follow_up_due_idx",
                condition=~Q(follow_up_pending=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pk} {self.submitted_at:%Y-%m-%d}"


class SurveyFactorScore(FactorScoreBase):
    """One factor's score in one response; company, outlet and month copied for grouping
    without a join (one GROUP BY factor over a company's months)."""

    response = models.ForeignKey(
        SurveyResponse,
        verbose_name=_("response"),
        on_delete=models.CASCADE,
        related_name="factor_scores",
    )
    company = models.ForeignKey(
        "org.Unit",
        verbose_name=_("company"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("outlet"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    month = models.DateField(_("month"))

    class Meta:
        verbose_name = _("factor score")
        verbose_name_plural = _("factor scores")
        indexes = [
            # Factor means of a company over months.
            models.Index(fields=["company", "month", "factor"], name="factorscore_company_idx"),
            # Factor means of an outlet.
            models.Index(fields=["unit", "month"], name="factorscore_unit_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.response_id} {self.factor_id}: {self.score:.1f}"


class SurveyAnswer(AnswerBase):
    """One item's answer in one response; company, outlet and month copied for grouping
    (per-item distributions, open-text themes) without a join."""

    response = models.ForeignKey(
        SurveyResponse,
        verbose_name=_("response"),
        on_delete=models.CASCADE,
        related_name="answer_rows",
    )
    company = models.ForeignKey(
        "org.Unit",
        verbose_name=_("company"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("outlet"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    month = models.DateField(_("month"))

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        indexes = [
            # Per-item distributions of a company over months.
            models.Index(fields=["company", "month", "item"], name="answer_company_idx"),
            # Per-item figures of an outlet.
            models.Index(fields=["unit", "month"], name="answer_unit_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.response_id} {self.item_id}"


class FollowUpReason(models.TextChoices):
    DETRACTOR = "detractor", _("Detractor (0–6)")
    LOW_INDEX = "low_index", _("Index below the threshold")
    NOT_SATISFIED = "not_satisfied", _("Not satisfied")


class FollowUp(models.Model):
    """The closed loop of one unhappy response: who must call the customer back, by when.

    With a known customer it is worked as a case — of kind ``survey_followup`` (surveys/
    workflow.py) or a complaint, per the company's :class:`SurveyPolicy` — whose stage and
    deadline are the follow-up's; ``case`` points to it. An anonymous walk-in has no customer
    and so no case: the follow-up is then reviewed and closed here (``closed_at``).
    """

    response = models.OneToOneField(
        SurveyResponse,
        verbose_name=_("response"),
        on_delete=models.CASCADE,
        related_name="follow_up",
    )
    company = models.ForeignKey(
        "org.Unit", verbose_name=_("company"), on_delete=models.CASCADE, related_name="+"
    )
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("outlet"), on_delete=models.PROTECT, related_name="+"
    )
    reasons = models.JSONField(_("reasons"), default=list)
    opened_as = models.CharField(_("opened as"), max_length=12, choices=FollowUpAs.choices)
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    opened_at = models.DateTimeField(_("opened at"))
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    outcome = models.TextField(_("outcome"), blank=True, default="")

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["-id"]
        indexes = [
            # The follow-up list: a company's, newest first; open ones first on the page.
            models.Index(fields=["company", "closed_at", "-id"], name="followup_company_idx"),
            models.Index(fields=["unit", "-id"], name="followup_unit_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.response_id}: {', '.join(self.reasons)}"


class Praise(models.Model):
    """A customer's thanks for a technician (a promoter's words), for the team scoreboards."""

    company = models.ForeignKey(
        "org.Unit", verbose_name=_("company"), on_delete=models.CASCADE, related_name="+"
    )
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("outlet"), on_delete=models.PROTECT, related_name="+"
    )
    technician = models.ForeignKey(
        "org.Staff", verbose_name=_("technician"), on_delete=models.CASCADE, related_name="praise"
    )
    response = models.OneToOneField(
        SurveyResponse,
        verbose_name=_("response"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="praise",
    )
    text = models.TextField(_("words of praise"), blank=True, default="")
    month = models.DateField(_("month"))
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("praise")
        verbose_name_plural = _("praise")
        ordering = ["-id"]
        indexes = [
            # Scoreboards: a technician's praise by month; a company's by month.
            models.Index(fields=["technician", "month"], name="praise_tech_month_idx"),
            models.Index(fields=["company", "month"], name="praise_company_month_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.technician_id} {self.month:%Y-%m}"


# -- rollups: the results page's sums, kept current on submit (manyi/surveys/rollups.py) -------


class RollupKey(models.Model):
    """What the results filter and group by: one row of a rollup table per distinct key.

    The results page must answer in well under a second at millions of responses (DESIGN
    "Rules that keep it fast"), so it reads these sums instead of the response rows. They are
    maintained by ``rollups.record_response`` in the submitting transaction (and
    ``rollups.record_sent`` when an invitation goes out) with one upsert per table, and can be
    rebuilt from the raw rows (``rollups.rebuild``).

    "None" is stored as 0 in the ``*_key`` columns: a unique key over a nullable column never
    matches a NULL (SQLite, PostgreSQL before 15), so an upsert would not find its row.
    """

    company = models.ForeignKey(
        "org.Unit",
        verbose_name=_("company"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("outlet"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    version = models.ForeignKey(
        "instruments.InstrumentVersion",
        verbose_name=_("instrument version"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    # Local calendar month (first day): of submission for the response sums, of sending for
    # the invitation counters of SurveyRollup.
    month = models.DateField(_("month"))
    region_key = models.PositiveBigIntegerField(_("region (0: none)"), default=0)
    technician_key = models.PositiveBigIntegerField(_("technician (0: none)"), default=0)
    campaign_key = models.PositiveBigIntegerField(_("campaign (0: none)"), default=0)

    # Leading columns of every rollup's unique key: the page filters on the company, the
    # instrument's versions and a range of months, then groups by the rest.
    KEY = ("company", "version", "month", "unit", "technician_key", "campaign_key", "region_key")

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.company_id} v{self.version_id} {self.month:%Y-%m} @{self.unit_id}"


class SurveyRollup(RollupKey):
    """Per key: invitations sent and answered, and the sums of the responses."""

    # Invitations sent in ``month``, and how many of those have been answered (so far).
    sent = models.PositiveIntegerField(_("invitations sent"), default=0)
    answered = models.PositiveIntegerField(_("invitations answered"), default=0)
    # Responses submitted in ``month``.
    responses = models.PositiveIntegerField(_("responses"), default=0)
    indexed = models.PositiveIntegerField(_("responses with an index"), default=0)
    index_sum = models.FloatField(_("sum of the index"), default=0.0)
    promoters = models.PositiveIntegerField(_("promoters"), default=0)
    passives = models.PositiveIntegerField(_("passives"), default=0)
    detractors = models.PositiveIntegerField(_("detractors"), default=0)
    csat_answered = models.PositiveIntegerField(_("satisfaction answers"), default=0)
    csat_top2 = models.PositiveIntegerField(_("satisfied (top 2)"), default=0)
    unhappy = models.PositiveIntegerField(_("unhappy"), default=0)

    class Meta:
        verbose_name = _("survey results rollup")
        verbose_name_plural = _("survey results rollups")
        constraints = [
            # The upsert's conflict target; also the index of every results query.
            models.UniqueConstraint(fields=RollupKey.KEY, name="survey_rollup_key"),
        ]


class SurveyFactorRollup(RollupKey):
    """Per key and factor: how many responses scored it, and the sum of their scores."""

    factor = models.ForeignKey(
        "instruments.Factor",
        verbose_name=_("factor"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    n = models.PositiveIntegerField(_("scores"), default=0)
    score_sum = models.FloatField(_("sum of the scores"), default=0.0)

    class Meta:
        verbose_name = _("survey factor rollup")
        verbose_name_plural = _("survey factor rollups")
        constraints = [
            # The upsert's conflict target; also the index of the factor figures.
            models.UniqueConstraint(
                fields=(*RollupKey.KEY, "factor"), name="survey_factor_rollup_key"
            ),
        ]


class SurveyItemRollup(RollupKey):
    """Per key, item and value: the distribution of the answers and the item's score sums.

    ``value`` is the answer as text ("5" on a scale, an option's value — each chosen option of
    a multiple choice on its own row —, "na" for not applicable) or, for a free-text item,
    one keyword of the answer (jieba, stop words removed; the themes). ``n`` counts the answers
    with that value (or keyword). ``answers``, ``scored`` and ``score_sum`` are added once per
    answer, on its first row, so summing them over an item's rows gives the item's count and
    mean score.
    """

    item = models.ForeignKey(
        "instruments.Item",
        verbose_name=_("item"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    value = models.CharField(_("value"), max_length=40, blank=True, default="")
    n = models.PositiveIntegerField(_("answers with this value"), default=0)
    answers = models.PositiveIntegerField(_("answers"), default=0)
    scored = models.PositiveIntegerField(_("scored answers"), default=0)
    score_sum = models.FloatField(_("sum of the scores"), default=0.0)

    class Meta:
        verbose_name = _("survey item rollup")
        verbose_name_plural = _("survey item rollups")
        constraints = [
            # The upsert's conflict target; also the index of the distributions and themes.
            models.UniqueConstraint(
                fields=(*RollupKey.KEY, "item", "value"), name="survey_item_rollup_key"
            ),
        ]


class SurveyOutletItemRollup(models.Model):
    """:class:`SurveyItemRollup` without the technician, campaign and region: per company,
    version, month, outlet, item and value. The page's distributions read this when no
    technician or campaign is chosen (about a tenth of the rows: at 1,000,000 responses the
    finer table held 164,000 rows for a year of one instrument). Kept in the same upsert
    pass as the others, rebuilt with them.
    """

    company = models.ForeignKey(
        "org.Unit",
        verbose_name=_("company"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("outlet"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    version = models.ForeignKey(
        "instruments.InstrumentVersion",
        verbose_name=_("instrument version"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    month = models.DateField(_("month"))
    item = models.ForeignKey(
        "instruments.Item",
        verbose_name=_("item"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    value = models.CharField(_("value"), max_length=40, blank=True, default="")
    n = models.PositiveIntegerField(_("answers with this value"), default=0)
    answers = models.PositiveIntegerField(_("answers"), default=0)
    scored = models.PositiveIntegerField(_("scored answers"), default=0)
    score_sum = models.FloatField(_("sum of the scores"), default=0.0)

    KEY = ("company", "version", "month", "unit", "item", "value")

    class Meta:
        verbose_name = _("survey item rollup by outlet")
        verbose_name_plural = _("survey item rollups by outlet")
        constraints = [
            # The upsert's conflict target; also the index of the unfiltered distributions.
            models.UniqueConstraint(
                fields=("company", "version", "month", "unit", "item", "value"),
                name="survey_outlet_item_rollup_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company_id} v{self.version_id} {self.month:%Y-%m} @{self.unit_id}"
