"""The team (003 stages 3–5, 002 第七章, 000): assessments, training, certification, appraisal,
scoreboards.

The scored forms — CSAS, the training evaluation, the leadership questionnaire, the five-star
self-assessment — are instruments (``manyi.instruments``); the responses here subclass its
abstract :class:`ScoredResponse`, :class:`FactorScoreBase` and :class:`AnswerBase`, so results
are SQL aggregates over their columns.

**Anonymity** (CSAS, the others' side of a leadership review): an answer set carries no person
and no time. Who has answered is kept apart, as a flag on the member row
(:class:`RoundMember`, :class:`LeadershipRater`), so the two can never be joined; no audit line
is written per answer (its time would order them). Results show only from
:data:`MIN_ANSWERS` answers, and only once no further answer can come (the round is closed or
everyone has answered), so that a result seen before and after one more answer cannot be
subtracted to reveal that answer.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from manyi import clock
from manyi.instruments.models import AnswerBase, ScoredResponse

# Fewer answers than this and a result could point at a person (issue 7).
MIN_ANSWERS = 3


class RoundStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


# -- CSAS: team assessment rounds (003 P-092..096) ---------------------------------------------


class AssessmentRound(models.Model):
    """One team's CSAS round: its members rate the team, anonymously (003 P-092..096).

    The team is a unit (an outlet, usually) and the members chosen when the round opens
    (default: the active staff of that unit). ``answer_count`` is kept by the answer action, so
    the progress needs no count of the responses.
    """

    company = models.ForeignKey(
        "org.Unit", verbose_name=_("company"), on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("team"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=100)
    version = models.ForeignKey(
        "instruments.InstrumentVersion",
        verbose_name=_("instrument version"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=8, choices=RoundStatus.choices, default=RoundStatus.OPEN
    )
    # Answers are taken until the end of this day (local time); empty: until closed by hand.
    closes_on = models.DateField(_("answers until"), null=True, blank=True)
    member_count = models.PositiveIntegerField(_("members"), default=0)
    answer_count = models.PositiveIntegerField(_("answers"), default=0)
    opened_at = models.DateTimeField(_("opened at"), default=clock.now)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("team assessment round")
        verbose_name_plural = _("team assessment rounds")
        ordering = ["-id"]
        indexes = [
            # The round list of a company, newest first.
            models.Index(fields=["company", "-id"], name="team_round_company_idx"),
            # A team's rounds in order (the trend across rounds).
            models.Index(fields=["unit", "opened_at"], name="team_round_unit_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        """Whether answers are still taken: not closed, and its last day not past."""
        if self.status != RoundStatus.OPEN:
            return False
        return self.closes_on is None or self.closes_on >= timezone.localdate(clock.now())

    @property
    def results_visible(self) -> bool:
        """Enough answers, and no more to come (see the module docstring)."""
        finished = not self.is_open or self.answer_count >= self.member_count
        return finished and self.answer_count >= MIN_ANSWERS


class RoundMember(models.Model):
    """A member asked in a round, and whether they have answered — never which answer is theirs.

    No time is stored: the order of answering would match the order of the answer rows.
    """

    round = models.ForeignKey(
        AssessmentRound, verbose_name=_("round"), on_delete=models.CASCADE, related_name="members"
    )
    staff = models.ForeignKey(
        "org.Staff", verbose_name=_("member"), on_delete=models.CASCADE, related_name="+"
    )
    has_answered = models.BooleanField(_("has answered"), default=False)

    class Meta:
        verbose_name = _("round member")
        verbose_name_plural = _("round members")
        constraints = [
            models.UniqueConstraint(fields=["round", "staff"], name="team_round_member_unique")
        ]
        indexes = [
            # "Answer now": a person's rounds still waiting for their answer.
            models.Index(fields=["staff", "has_answered"], name="team_member_staff_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.round_id} {self.staff_id}"


class AssessmentResponse(ScoredResponse):
    """One anonymous CSAS answer set: the round and the scores — no person, no time."""

    round = models.ForeignKey(
        AssessmentRound,
        verbose_name=_("round"),
        on_delete=models.CASCADE,
        related_name="responses",
    )

    class Meta:
        verbose_name = _("team assessment answer")
        verbose_name_plural = _("team assessment answers")

    def __str__(self) -> str:
        return f"{self.round_id}/{self.pk}"


class AssessmentAnswer(AnswerBase):
    """One item of one anonymous CSAS answer set; the round is copied so a round's per-item
    means and spreads are one GROUP BY on one table."""

    response = models.ForeignKey(
        AssessmentResponse,
        verbose_name=_("answer set"),
        on_delete=models.CASCADE,
        related_name="answer_rows",
    )
    round = models.ForeignKey(
        AssessmentRound,
        verbose_name=_("round"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )

    class Meta:
        verbose_name = _("team assessment item answer")
        verbose_name_plural = _("team assessment item answers")
        indexes = [
            # Per-item mean and spread of one round.
            models.Index(fields=["round", "item"], name="team_answer_round_item_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.response_id} {self.item_id}"
