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
from django.utils.translation import pgettext_lazy

from manyi import clock
from manyi.instruments.models import AnswerBase, FactorScoreBase, ScoredResponse

# Fewer answers than this and a result could point at a person (issue 7).
MIN_ANSWERS = 3


class RoundStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("round status", "Open")
    CLOSED = "closed", pgettext_lazy("round status", "Closed")


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
    answer_count = models.PositiveIntegerField(pgettext_lazy("count", "answers"), default=0)
    opened_at = models.DateTimeField(pgettext_lazy("round", "opened at"), default=clock.now)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    closed_at = models.DateTimeField(pgettext_lazy("round", "closed at"), null=True, blank=True)

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


# -- training and certification (002 第七章; 003 P-054..056) ----------------------------------


class Course(models.Model):
    """A training programme (培训项目) of the company, with its exam and pass rules.

    002 第七章: theory (涂料基础知识、产品体系、产品特性) and practice (实际操作、涂装弊病的判断
    及解决); "培训以实际操作为主、理论讲解为辅", the exam "重点考察实际操作" — so the practical
    score weighs more by default. Passing grants a technical star grade certificate and, when
    ``grants_licence``, the work licence (持证上岗).
    """

    company = models.ForeignKey(
        "org.Unit", verbose_name=_("company"), on_delete=models.PROTECT, related_name="+"
    )
    code = models.SlugField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("content"), blank=True, default="")
    # Weight of the theory score in the overall score, in %; practice has the rest.
    theory_weight = models.PositiveSmallIntegerField(_("theory weight (%)"), default=30)
    theory_pass = models.PositiveSmallIntegerField(_("theory pass mark"), default=60)
    practical_pass = models.PositiveSmallIntegerField(_("practical pass mark"), default=60)
    # The overall score a star grade needs, for 2, 3, 4 and 5 stars; a pass is 1 star.
    star_minimums = models.JSONField(_("overall score for 2–5 stars"), default=list)
    grants_licence = models.BooleanField(_("grants the work licence"), default=True)
    valid_months = models.PositiveSmallIntegerField(_("certificate valid for (months)"), default=24)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["company", "name"]
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="team_course_code_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def practical_weight(self) -> int:
        return 100 - self.theory_weight


class TrainingSession(models.Model):
    """One run of a course (培训班): when, where, who trains, who takes part."""

    company = models.ForeignKey(
        "org.Unit", verbose_name=_("company"), on_delete=models.PROTECT, related_name="+"
    )
    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.PROTECT, related_name="sessions"
    )
    # The unit whose staff take part (the company, a region or an outlet).
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("for"), on_delete=models.PROTECT, related_name="+"
    )
    starts_on = models.DateField(pgettext_lazy("session", "from"))
    ends_on = models.DateField(pgettext_lazy("session", "until"))
    place = models.CharField(_("place"), max_length=100, blank=True, default="")
    trainer = models.CharField(_("trainer"), max_length=50, blank=True, default="")
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        ordering = ["-starts_on", "-id"]
        indexes = [
            # The session list of a company, latest first.
            models.Index(fields=["company", "-starts_on"], name="team_session_company_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.course} {self.starts_on:%Y-%m-%d}"


class Enrolment(models.Model):
    """A participant of a session (参训) and their exam: attendance, theory and practical scores.

    ``overall``, ``passed`` and ``star_grade`` are computed by the action from the course's
    rules when the result is recorded (see ``actions.training.grade``).
    """

    session = models.ForeignKey(
        TrainingSession,
        verbose_name=_("session"),
        on_delete=models.CASCADE,
        related_name="enrolments",
    )
    staff = models.ForeignKey(
        "org.Staff", verbose_name=_("participant"), on_delete=models.CASCADE, related_name="+"
    )
    attended = models.BooleanField(_("attended"), null=True, blank=True)
    theory_score = models.PositiveSmallIntegerField(_("theory score"), null=True, blank=True)
    practical_score = models.PositiveSmallIntegerField(_("practical score"), null=True, blank=True)
    overall = models.FloatField(_("overall score"), null=True, blank=True)
    passed = models.BooleanField(_("passed"), null=True, blank=True)
    star_grade = models.PositiveSmallIntegerField(_("star grade"), null=True, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        ordering = ["session", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "staff"], name="team_enrolment_unique"),
        ]
        indexes = [
            # A person's training history.
            models.Index(fields=["staff", "session"], name="team_enrolment_staff_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.session_id} {self.staff_id}"


class CertificateCounter(models.Model):
    """The last certificate number given by a company in a year (JS-2026-000123)."""

    company = models.ForeignKey("org.Unit", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "year"], name="team_cert_counter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.company_id} {self.year}: {self.value}"


class Certificate(models.Model):
    """A technical star grade certificate (技术星级证书), and with it the work licence (上岗证).

    The licence fields on ``org.Staff`` (``work_licence``, ``licence_expires_on``) are a
    denormalised copy kept by the certification actions: the case engine's assignment check
    reads the staff row alone.
    """

    company = models.ForeignKey(
        "org.Unit", verbose_name=_("company"), on_delete=models.PROTECT, related_name="+"
    )
    staff = models.ForeignKey(
        "org.Staff",
        verbose_name=_("holder"),
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.PROTECT, related_name="certificates"
    )
    enrolment = models.OneToOneField(
        Enrolment,
        verbose_name=_("exam"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="certificate",
    )
    number = models.CharField(_("certificate number"), max_length=30, unique=True)
    star_grade = models.PositiveSmallIntegerField(_("star grade"))
    grants_licence = models.BooleanField(_("work licence"), default=True)
    issued_on = models.DateField(_("issued on"))
    valid_until = models.DateField(_("valid until"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revoke_reason = models.CharField(_("reason"), max_length=200, blank=True, default="")
    # The day the 30-day expiry notice went out (once per certificate).
    expiry_notified_on = models.DateField(_("expiry notice sent on"), null=True, blank=True)

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-issued_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(star_grade__gte=1, star_grade__lte=5),
                name="team_certificate_star_1_5",
            ),
        ]
        indexes = [
            # Expiring licences (the list and the daily notice): valid ones by end date.
            models.Index(
                fields=["company", "valid_until"],
                name="team_cert_expiry_idx",
                condition=models.Q(revoked_at__isnull=True, grants_licence=True),
            ),
            # A person's certificates, newest first.
            models.Index(fields=["staff", "-issued_on"], name="team_cert_staff_idx"),
            # The certificate list of a company (keyset).
            models.Index(fields=["company", "-id"], name="team_cert_company_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    def is_valid(self, on) -> bool:
        """Whether the certificate stands on the given day."""
        return self.revoked_at is None and self.valid_until >= on


class TrainingEvaluation(ScoredResponse):
    """The 20-item training evaluation (003 P-055/056) of a course or one of its sessions; the
    total of points gives the grade (``band``)."""

    company = models.ForeignKey(
        "org.Unit", verbose_name=_("company"), on_delete=models.PROTECT, related_name="+"
    )
    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.PROTECT, related_name="evaluations"
    )
    session = models.ForeignKey(
        TrainingSession,
        verbose_name=_("session"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="evaluations",
    )
    evaluator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("evaluated by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("evaluated at"), default=clock.now)

    class Meta:
        verbose_name = _("training evaluation")
        verbose_name_plural = _("training evaluations")
        ordering = ["-id"]
        indexes = [
            # A course's evaluations (its summary and list).
            models.Index(fields=["course", "-id"], name="team_evaluation_course_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.course} {self.total}"


class TrainingEvaluationAnswer(AnswerBase):
    """One item of one training evaluation: per-item means show which to improve at once."""

    response = models.ForeignKey(
        TrainingEvaluation,
        verbose_name=_("evaluation"),
        on_delete=models.CASCADE,
        related_name="answer_rows",
    )
    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.CASCADE, related_name="+",
        db_index=False,
    )  # fmt: skip

    class Meta:
        verbose_name = _("training evaluation answer")
        verbose_name_plural = _("training evaluation answers")
        indexes = [
            # Per-item means of a course's evaluations.
            models.Index(fields=["course", "item"], name="team_evalanswer_course_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.response_id} {self.item_id}"


# -- leadership questionnaire (003 P-059/060) --------------------------------------------------


class LeadershipReview(models.Model):
    """A leader's 360° look at the five principles of P-059: they rate themselves, and people
    who know their customer-service work rate them (P-060); the gap shows strengths and
    weaknesses. The others answer anonymously, as in CSAS."""

    company = models.ForeignKey(
        "org.Unit", verbose_name=_("company"), on_delete=models.PROTECT, related_name="+"
    )
    leader = models.ForeignKey(
        "org.Staff", verbose_name=_("leader"), on_delete=models.PROTECT, related_name="+"
    )
    version = models.ForeignKey(
        "instruments.InstrumentVersion",
        verbose_name=_("instrument version"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=8, choices=RoundStatus.choices, default=RoundStatus.OPEN
    )
    # Raters other than the leader, and how many of them have answered.
    rater_count = models.PositiveIntegerField(_("raters"), default=0)
    answer_count = models.PositiveIntegerField(pgettext_lazy("count", "answers"), default=0)
    self_answered = models.BooleanField(_("self-rating done"), default=False)
    opened_at = models.DateTimeField(pgettext_lazy("round", "opened at"), default=clock.now)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    closed_at = models.DateTimeField(pgettext_lazy("round", "closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("leadership review")
        verbose_name_plural = _("leadership reviews")
        ordering = ["-id"]
        indexes = [
            # The review list of a company, newest first.
            models.Index(fields=["company", "-id"], name="team_leadership_company_idx"),
            # A leader's reviews.
            models.Index(fields=["leader", "-id"], name="team_leadership_leader_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.leader} {self.opened_at:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.status == RoundStatus.OPEN

    @property
    def others_visible(self) -> bool:
        """The others' side shows from MIN_ANSWERS answers, once no more can come."""
        finished = not self.is_open or self.answer_count >= self.rater_count
        return finished and self.answer_count >= MIN_ANSWERS


class LeadershipRater(models.Model):
    """Someone asked to rate the leader (or the leader, ``is_self``), and whether they have."""

    review = models.ForeignKey(
        LeadershipReview, verbose_name=_("review"), on_delete=models.CASCADE, related_name="raters"
    )
    staff = models.ForeignKey(
        "org.Staff", verbose_name=_("rater"), on_delete=models.CASCADE, related_name="+"
    )
    is_self = models.BooleanField(_("self-rating"), default=False)
    has_answered = models.BooleanField(_("has answered"), default=False)

    class Meta:
        verbose_name = _("rater")
        verbose_name_plural = _("raters")
        constraints = [
            models.UniqueConstraint(fields=["review", "staff"], name="team_rater_unique")
        ]
        indexes = [
            # "Rate now": the reviews waiting for a person's answer.
            models.Index(fields=["staff", "has_answered"], name="team_rater_staff_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.review_id} {self.staff_id}"


class LeadershipResponse(ScoredResponse):
    """One answer set of a review: the leader's own (``is_self``) or an anonymous other's."""

    review = models.ForeignKey(
        LeadershipReview,
        verbose_name=_("review"),
        on_delete=models.CASCADE,
        related_name="responses",
    )
    is_self = models.BooleanField(_("self-rating"), default=False)

    class Meta:
        verbose_name = _("leadership answer set")
        verbose_name_plural = _("leadership answer sets")

    def __str__(self) -> str:
        return f"{self.review_id}/{self.pk}"


class LeadershipFactorScore(FactorScoreBase):
    """One principle's score in one answer set; review and side copied so the gap chart is one
    GROUP BY (principle, side)."""

    response = models.ForeignKey(
        LeadershipResponse,
        verbose_name=_("answer set"),
        on_delete=models.CASCADE,
        related_name="factor_scores",
    )
    review = models.ForeignKey(
        LeadershipReview,
        verbose_name=_("review"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    is_self = models.BooleanField(_("self-rating"), default=False)

    class Meta:
        verbose_name = _("leadership principle score")
        verbose_name_plural = _("leadership principle scores")
        indexes = [
            # The gap chart of one review.
            models.Index(fields=["review", "is_self", "factor"], name="team_lead_score_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.response_id} {self.factor_id}"


# -- five-star service level (000) ---------------------------------------------------------------


class ServiceLevelAssessment(ScoredResponse):
    """An outlet's or the company's self-assessment against the five star levels of 000
    (规范服务 → 优秀科学 → 优异优质 → 卓越 → 传奇); ``stars`` is the level reached (0–5), see
    ``actions.service_level.stars_for``."""

    company = models.ForeignKey(
        "org.Unit", verbose_name=_("company"), on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    stars = models.PositiveSmallIntegerField(_("stars"))
    assessed_on = models.DateField(_("assessed on"))
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assessed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    notes = models.TextField(_("notes"), blank=True, default="")

    class Meta:
        verbose_name = _("service level assessment")
        verbose_name_plural = _("service level assessments")
        ordering = ["-assessed_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(stars__lte=5), name="team_service_level_stars_0_5"
            ),
        ]
        indexes = [
            # A unit's history, newest first (and its latest level).
            models.Index(fields=["unit", "-assessed_on", "-id"], name="team_level_unit_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.assessed_on:%Y-%m-%d} {self.stars}★"


class ServiceLevelFactorScore(FactorScoreBase):
    """One star level's score (0–100) in one self-assessment."""

    response = models.ForeignKey(
        ServiceLevelAssessment,
        verbose_name=_("assessment"),
        on_delete=models.CASCADE,
        related_name="factor_scores",
    )

    class Meta:
        verbose_name = _("star level score")
        verbose_name_plural = _("star level scores")

    def __str__(self) -> str:
        return f"{self.response_id} {self.factor_id}"


# -- daily verbal recognition (003 P-076) ---------------------------------------------------------


class Recognition(models.Model):
    """A manager's daily word of praise for good service (003 P-076: "每日向顾客服务员工逐一口头
    反馈成功的顾客服务"); counted on the scoreboards. One per manager, person and day."""

    company = models.ForeignKey(
        "org.Unit", verbose_name=_("company"), on_delete=models.CASCADE, related_name="+"
    )
    staff = models.ForeignKey(
        "org.Staff",
        verbose_name=_("recognised"),
        on_delete=models.CASCADE,
        related_name="recognitions",
    )
    # The person's home unit when recognised (the team scoreboard groups by it).
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("team"), on_delete=models.PROTECT, related_name="+"
    )
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recognised by"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    note = models.CharField(_("for what"), max_length=200, blank=True, default="")
    day = models.DateField(_("day"))
    month = models.DateField(_("month"))
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    class Meta:
        verbose_name = _("recognition")
        verbose_name_plural = _("recognitions")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["staff", "given_by", "day"], name="team_recognition_daily_unique"
            ),
        ]
        indexes = [
            # Scoreboards: a person's and a team's recognitions by month.
            models.Index(fields=["staff", "month"], name="team_recognition_staff_idx"),
            models.Index(fields=["unit", "month"], name="team_recognition_unit_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.staff_id} {self.day}"


# -- performance appraisal (003 P-080..084) ------------------------------------------------------


class AppraisalStage(models.TextChoices):
    PREPARING = "preparing", _("Preparing")
    DISCUSSED = "discussed", _("Discussed")
    CLOSED = "closed", _("Followed up")


# P-081 (个人准备), P-082 (展开评价讨论), P-084 (评价后跟踪: the appraiser's review of themselves).
# The seed's sentences break off ("我已经确定员工的业绩以及…"); they are completed in their
# evident sense. Keys are stored, labels shown.
PREPARATION_ITEMS = [
    ("duties", _("I have reviewed the duties of the customer-service job.")),
    ("observed", _("I have observed how they work.")),
    ("background", _("I have considered their background: experience, training, past reviews.")),
    ("results", _("I have settled their results and what needs to improve.")),
    ("focus", _("I have settled what to focus on in the next period.")),
    ("notified", _("I have told them the meeting time in advance, so they can prepare.")),
    ("time", _("I have set aside enough time for an unhurried discussion.")),
]
DISCUSSION_ITEMS = [
    ("open", _("The discussion began in a sincere, open and friendly atmosphere.")),
    ("performance", _("I kept the discussion on the work, not on the person.")),
    ("employee_first", _("Before giving my suggestions, I encouraged them to give their view.")),
    ("next_period", _("We discussed the work plan for the next period.")),
    ("notes", _("I took notes to sum up and follow up.")),
]
SELF_REVIEW_ITEMS = [
    ("went_well", _("What did I do well?")),
    ("could_be_better", _("What could I have done better?")),
    ("learned_from_them", _("What did I learn from them or their work?")),
    ("learned_about_me", _("What did I learn about myself and my own work?")),
]


class Appraisal(models.Model):
    """One performance appraisal cycle of a staff member (003 P-080..084): preparation (the
    P-081 checklist, with the standards and the person's scoreboard at hand), the discussion
    (P-082, its record), commitments with dates, and the follow-up (P-083/084)."""

    company = models.ForeignKey(
        "org.Unit", verbose_name=_("company"), on_delete=models.PROTECT, related_name="+"
    )
    staff = models.ForeignKey(
        "org.Staff",
        verbose_name=_("appraised"),
        on_delete=models.PROTECT,
        related_name="appraisals",
    )
    appraiser = models.ForeignKey(
        "org.Staff", verbose_name=_("appraiser"), on_delete=models.PROTECT, related_name="+"
    )
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period until"))
    meeting_at = models.DateTimeField(_("meeting at"), null=True, blank=True)
    stage = models.CharField(
        _("stage"),
        max_length=10,
        choices=AppraisalStage.choices,
        default=AppraisalStage.PREPARING,
    )
    preparation = models.JSONField(_("preparation checklist"), default=dict, blank=True)
    preparation_notes = models.TextField(_("preparation notes"), blank=True, default="")
    discussion = models.JSONField(_("discussion checklist"), default=dict, blank=True)
    discussion_record = models.TextField(_("discussion record"), blank=True, default="")
    discussed_at = models.DateTimeField(_("discussed at"), null=True, blank=True)
    follow_up_record = models.TextField(_("follow-up record"), blank=True, default="")
    copy_sent_at = models.DateTimeField(_("copy given at"), null=True, blank=True)
    self_review = models.JSONField(_("appraiser's self-review"), default=dict, blank=True)
    closed_at = models.DateTimeField(_("followed up at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    class Meta:
        verbose_name = _("appraisal")
        verbose_name_plural = _("appraisals")
        ordering = ["-id"]
        indexes = [
            # The appraisal list of a company, newest first.
            models.Index(fields=["company", "-id"], name="team_appraisal_company_idx"),
            # A person's appraisals (their own page, the previous commitments).
            models.Index(fields=["staff", "-id"], name="team_appraisal_staff_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.staff} {self.period_start:%Y-%m}–{self.period_end:%Y-%m}"


class CommitmentOwner(models.TextChoices):
    EMPLOYEE = "employee", _("The employee")
    APPRAISER = "appraiser", _("The appraiser")


class Commitment(models.Model):
    """A commitment made in the discussion (P-083 "所作出的承诺"), with its date and whether it
    was kept."""

    appraisal = models.ForeignKey(
        Appraisal,
        verbose_name=_("appraisal"),
        on_delete=models.CASCADE,
        related_name="commitments",
    )
    text = models.CharField(_("commitment"), max_length=300)
    owner = models.CharField(
        _("who"), max_length=10, choices=CommitmentOwner.choices, default=CommitmentOwner.EMPLOYEE
    )
    due_on = models.DateField(pgettext_lazy("deadline", "by"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True, default="")
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    class Meta:
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return self.text
