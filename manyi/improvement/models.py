"""Improvement (003 第五阶段): problems, problem-solving sessions, action plans and measures.

A **problem** is raised by hand or from a source elsewhere in manyi — a complaint or a complaint
cause, an audit finding, a weak survey factor, a weak CSAS item. The source is a small generic
reference (kind, id, label, link) rather than a foreign key, so this app needs none of those
models to exist; ``sources.py`` says how each kind is described and checked.

A **session** is the team's problem-solving meeting (P-097 nominal group technique, P-098
brainstorming), run live on phones; the phases are data in ``phases.py``. Ideas are written,
recorded and ranked; the tally is a Borda count (``tally.py``).

The **action plan** is the problem's actions, each with an owner, a due date, a status and its
evidence; a **measure** (the next audit score, the next survey score, …) says whether the change
worked. A problem closes only when its actions are done and a measure has a result.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from manyi import clock


class ProblemStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("problem status", "Open")
    IN_PROGRESS = "in_progress", pgettext_lazy("problem status", "Being solved")
    CLOSED = "closed", pgettext_lazy("problem status", "Closed")
    DROPPED = "dropped", pgettext_lazy("problem status", "Dropped")


# A problem that is still being worked on: sessions and actions may be added.
ACTIVE_PROBLEM = (ProblemStatus.OPEN, ProblemStatus.IN_PROGRESS)


class Problem(models.Model):
    """A customer-service problem the team is to solve (003 P-092..101)."""

    company = models.ForeignKey(
        "org.Unit", verbose_name=_("company"), on_delete=models.PROTECT, related_name="+"
    )
    # Where the problem lives: an outlet, a region or the whole company (scoping).
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="problems"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, default="")
    # Where it came from (empty: raised by hand). See sources.py for the kinds.
    source_kind = models.CharField(_("source kind"), max_length=30, blank=True, default="")
    source_id = models.CharField(_("source id"), max_length=64, blank=True, default="")
    source_label = models.CharField(_("source"), max_length=200, blank=True, default="")
    source_url = models.CharField(_("source link"), max_length=300, blank=True, default="")
    status = models.CharField(
        _("status"), max_length=12, choices=ProblemStatus.choices, default=ProblemStatus.OPEN
    )
    owner = models.ForeignKey(
        "org.Staff",
        verbose_name=_("problem owner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_problems",
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("raised by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("raised at"), default=clock.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The summary written when closing, or why the problem was dropped.
    closing_note = models.TextField(_("closing note"), blank=True, default="")

    class Meta:
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(source_kind="", source_id="") | (~Q(source_kind="") & ~Q(source_id="")),
                name="problem_source_kind_and_id",
            ),
        ]
        indexes = [
            # The problem list: a company's problems by status, newest first (keyset pages).
            models.Index(fields=["company", "status", "-id"], name="problem_company_status_idx"),
            # "Problems raised from this complaint / finding": the back-link from a source.
            models.Index(fields=["source_kind", "source_id"], name="problem_source_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_active(self) -> bool:
        """Whether work on the problem goes on (sessions, actions and measures may be added)."""
        return self.status in ACTIVE_PROBLEM


class MeasureKind(models.TextChoices):
    AUDIT_SCORE = "audit_score", _("Next audit score")
    SURVEY_SCORE = "survey_score", _("Next survey score")
    CSAS_SCORE = "csas_score", _("Next team assessment (CSAS) score")
    COMPLAINT_COUNT = "complaint_count", _("Complaints in a period")
    OTHER = "other", _("Other measure")


class Measure(models.Model):
    """How the team will know the change worked: a baseline, a target and, later, the result."""

    problem = models.ForeignKey(
        Problem, verbose_name=_("problem"), on_delete=models.CASCADE, related_name="measures"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=MeasureKind.choices)
    description = models.CharField(_("description"), max_length=200)
    baseline = models.DecimalField(
        _("baseline value"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    target = models.DecimalField(_("target"), max_digits=10, decimal_places=2)
    # Complaints are better when fewer; scores when higher.
    lower_is_better = models.BooleanField(_("lower is better"), default=False)
    result = models.DecimalField(
        _("result value"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    measured_at = models.DateTimeField(_("measured at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    class Meta:
        verbose_name = _("measure")
        verbose_name_plural = _("measures")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(result__isnull=True, measured_at__isnull=True)
                | Q(result__isnull=False, measured_at__isnull=False),
                name="measure_result_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.description

    @property
    def has_result(self) -> bool:
        return self.result is not None

    def target_met(self) -> bool | None:
        """Whether the result reaches the target (None until measured)."""
        if self.result is None:
            return None
        result, target = Decimal(self.result), Decimal(self.target)
        return result <= target if self.lower_is_better else result >= target


class ActionStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("action status", "Open")
    IN_PROGRESS = "in_progress", pgettext_lazy("action status", "In progress")
    DONE = "done", pgettext_lazy("action status", "Done")
    CANCELLED = "cancelled", pgettext_lazy("action status", "Cancelled")


# An action someone still has to carry out; only these can be overdue.
PENDING_ACTION = (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)


def _evidence_path(instance: ActionItem, filename: str) -> str:
    stamp = timezone.localtime(clock.now())
    return f"improvement/{stamp:%Y/%m}/action-{instance.pk or 'new'}/{filename}"


class ActionItem(models.Model):
    """One action of a problem's action plan: who does what by when, and the proof it was done."""

    problem = models.ForeignKey(
        Problem, verbose_name=_("problem"), on_delete=models.CASCADE, related_name="actions"
    )
    # Copied from the problem for scoping the action lists without a join.
    company = models.ForeignKey(
        "org.Unit", verbose_name=_("company"), on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(pgettext_lazy("improvement", "action"), max_length=200)
    description = models.TextField(_("details"), blank=True, default="")
    owner = models.ForeignKey(
        "org.Staff",
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="improvement_actions",
    )
    due_on = models.DateField(_("due on"))
    status = models.CharField(
        _("status"), max_length=12, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    # The idea of a problem-solving session this action carries out, if any.
    idea = models.ForeignKey(
        "Idea",
        verbose_name=_("from the idea"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="actions",
    )
    # The service standard the action changes (quality's Standard), as a generic reference.
    standard_id = models.CharField(_("standard id"), max_length=64, blank=True, default="")
    standard_label = models.CharField(_("standard changed"), max_length=200, blank=True, default="")
    standard_url = models.CharField(_("standard link"), max_length=300, blank=True, default="")
    evidence_text = models.TextField(_("evidence"), blank=True, default="")
    evidence_file = models.FileField(
        _("evidence file"), upload_to=_evidence_path, max_length=255, blank=True
    )
    evidence_name = models.CharField(_("file name"), max_length=120, blank=True, default="")
    evidence_type = models.CharField(_("content type"), max_length=100, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("why cancelled"), max_length=200, blank=True, default="")
    # Set by the overdue sweep when it told the owners; cleared when the due date moves.
    overdue_notified_at = models.DateTimeField(_("overdue notice sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("action")
        verbose_name_plural = _("actions")
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="done") | Q(done_at__isnull=False),
                name="action_done_has_time",
            ),
        ]
        indexes = [
            # "My actions": a person's actions by status, soonest due first.
            models.Index(fields=["owner", "status", "due_on"], name="action_owner_idx"),
            # The overdue sweep: pending actions past their date not yet reported.
            models.Index(
                fields=["due_on"],
                name="action_overdue_sweep_idx",
                condition=Q(status__in=["open", "in_progress"], overdue_notified_at__isnull=True),
            ),
            # Action lists of a company (managers' "all actions"), soonest due first.
            models.Index(fields=["company", "status", "due_on"], name="action_company_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_pending(self) -> bool:
        return self.status in PENDING_ACTION

    def is_overdue(self, today: dt.date | None = None) -> bool:
        """Still to do and past its due date (in the site's time zone)."""
        today = today or timezone.localdate(clock.now())
        return self.is_pending and self.due_on < today

    @property
    def has_evidence(self) -> bool:
        return bool(self.evidence_text.strip() or self.evidence_file)

    @property
    def evidence_is_image(self) -> bool:
        return self.evidence_type in ("image/png", "image/jpeg")


class Method(models.TextChoices):
    NGT = "ngt", _("Nominal group technique")
    BRAINSTORM = "brainstorm", _("Brainstorming")


class Phase(models.TextChoices):
    STATE = "state", _("State the problem")
    SILENT = "silent", _("Write ideas silently")
    RECORDING = "recording", _("Round-robin recording")
    CLARIFY = "clarify", _("Clarification")
    VOTE1 = "vote1", _("First vote")
    DISCUSS = "discuss", _("Discussion")
    VOTE2 = "vote2", _("Final vote")
    GROUPS = "groups", _("Sub-groups and rules")
    IDEAS = "ideas", _("Brainstorm (no criticism)")
    SELECT = "select", _("Selection")
    DONE = "done", _("Results")


class Session(models.Model):
    """A problem-solving meeting of the team, run live by a facilitator (003 P-097/098)."""

    problem = models.ForeignKey(
        Problem, verbose_name=_("problem"), on_delete=models.CASCADE, related_name="sessions"
    )
    company = models.ForeignKey(
        "org.Unit", verbose_name=_("company"), on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    method = models.CharField(_("method"), max_length=12, choices=Method.choices)
    # The problem as the facilitator states it to the team (step 1 of both methods).
    statement = models.TextField(_("problem statement"))
    phase = models.CharField(_("phase"), max_length=12, choices=Phase.choices)
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("facilitator"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    # How many ideas each member ranks in a vote (their top N).
    top_n = models.PositiveSmallIntegerField(_("ideas each member ranks"), default=3)
    # Brainstorming: how many sub-groups the team was split into (0: not yet).
    subgroups = models.PositiveSmallIntegerField(_("sub-groups"), default=0)
    # Round-robin recording: the join position of the member whose turn comes next.
    turn = models.PositiveSmallIntegerField(_("next turn"), default=0)
    # Raised by every change; the live page polls and redraws only when it moved.
    revision = models.PositiveIntegerField(_("revision"), default=0)
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("problem-solving session")
        verbose_name_plural = _("problem-solving sessions")
        ordering = ["-id"]
        indexes = [
            # Sessions still running in a company (the "join a session" list).
            models.Index(fields=["company", "finished_at", "-id"], name="session_live_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_method_display()} · {self.problem}"

    @property
    def is_finished(self) -> bool:
        return self.phase == Phase.DONE


class SessionMember(models.Model):
    """A person taking part in a session (joined with their own login)."""

    session = models.ForeignKey(
        Session,
        verbose_name=pgettext_lazy("improvement", "session"),
        on_delete=models.CASCADE,
        related_name="members",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    # Join order: the order of turns in round-robin recording.
    position = models.PositiveSmallIntegerField(_("position"))
    subgroup = models.PositiveSmallIntegerField(_("sub-group"), null=True, blank=True)
    joined_at = models.DateTimeField(_("joined at"), default=clock.now)

    class Meta:
        verbose_name = _("session member")
        verbose_name_plural = _("session members")
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="session_member_once"),
            models.UniqueConstraint(fields=["session", "position"], name="session_member_position"),
        ]

    def __str__(self) -> str:
        return self.name


class Idea(models.Model):
    """A possible solution written by a member."""

    session = models.ForeignKey(
        Session,
        verbose_name=pgettext_lazy("improvement", "session"),
        on_delete=models.CASCADE,
        related_name="ideas",
    )
    author = models.ForeignKey(
        SessionMember, verbose_name=_("author"), on_delete=models.CASCADE, related_name="ideas"
    )
    text = models.CharField(_("idea"), max_length=300)
    # Brainstorming: the sub-group it came from.
    subgroup = models.PositiveSmallIntegerField(_("sub-group"), null=True, blank=True)
    # Brainstorming: the idea it builds on ("piggy-backing" is encouraged, criticism is not).
    builds_on = models.ForeignKey(
        "self",
        verbose_name=_("builds on"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Shown to the team under this number once recorded (NGT: round-robin; brainstorm: at once).
    number = models.PositiveSmallIntegerField(_("number"), null=True, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), null=True, blank=True)
    # A duplicate or an idea merged into another during clarification: not voted on.
    set_aside = models.BooleanField(_("set aside"), default=False)
    created_at = models.DateTimeField(_("written at"), default=clock.now)

    class Meta:
        verbose_name = _("idea")
        verbose_name_plural = _("ideas")
        ordering = ["number", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "number"], name="idea_number_once"),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def is_recorded(self) -> bool:
        return self.number is not None


class Ranking(models.Model):
    """One member's ranking of their top ideas in one vote round (1: first vote, 2: final)."""

    session = models.ForeignKey(
        Session,
        verbose_name=pgettext_lazy("improvement", "session"),
        on_delete=models.CASCADE,
        related_name="rankings",
    )
    member = models.ForeignKey(
        SessionMember, verbose_name=_("member"), on_delete=models.CASCADE, related_name="rankings"
    )
    round = models.PositiveSmallIntegerField(_("vote round"))
    created_at = models.DateTimeField(_("submitted at"), default=clock.now)

    class Meta:
        verbose_name = _("ranking")
        verbose_name_plural = _("rankings")
        constraints = [
            # One ranking per member per round.
            models.UniqueConstraint(
                fields=["session", "member", "round"], name="ranking_once_per_round"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} · {self.round}"


class RankingEntry(models.Model):
    """One idea's place in a ranking, with its Borda points (N for the first of N, … 1)."""

    ranking = models.ForeignKey(
        Ranking, verbose_name=_("ranking"), on_delete=models.CASCADE, related_name="entries"
    )
    idea = models.ForeignKey(
        Idea, verbose_name=_("idea"), on_delete=models.CASCADE, related_name="ranked"
    )
    rank = models.PositiveSmallIntegerField(_("rank"))
    points = models.PositiveSmallIntegerField(pgettext_lazy("vote", "points"))

    class Meta:
        verbose_name = _("ranking entry")
        verbose_name_plural = _("ranking entries")
        ordering = ["rank"]
        constraints = [
            models.UniqueConstraint(fields=["ranking", "rank"], name="ranking_entry_rank_once"),
            models.UniqueConstraint(fields=["ranking", "idea"], name="ranking_entry_idea_once"),
        ]

    def __str__(self) -> str:
        return f"{self.rank}: {self.idea_id}"
