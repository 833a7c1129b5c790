"""N synthetic survey responses for the benchmark company, inserted fast and deterministically.

The organisation is real: the company, regions and outlets of ``bench.generate`` (with its
customers), and per outlet a crew of technicians and an outlet manager created through
``manyi.org.actions.create_staff``; the history's campaigns are created through
``surveys.actions.create_campaign`` (then dated into the past). The responses are not: at a
million responses (with ~14 million factor and answer rows) the ORM and the closed loop would
take hours, so the rows of ``surveys_invitation``, ``surveys_surveyresponse``,
``surveys_surveyfactorscore`` and ``surveys_surveyanswer`` are streamed straight in — ``COPY …
FROM STDIN`` on PostgreSQL, ``manyi.bulk.insert_rows`` batches on SQLite — and the rollups are
then rebuilt from them by the app's own ``surveys.rollups.rebuild``.

What the rows look like (every value from ``random.Random`` seeded by the row's ordinal):

- Submitted evenly over the :data:`SPAN_MONTHS` months up to the moment of generation, ids in
  that order, at one of the outlets; the built-in instruments CSI (60 %), NPS (25 %) and CSAT
  (15 %), version 1.
- 55 % triggered by a closed case (an invitation with the outlet's technician; no case row is
  generated, ``case`` stays empty), 30 % from the quarter's campaign (an invitation, no
  technician), 15 % walk-ins at the outlet's QR code (no invitation, anonymous).
- Each answered invitation has, on average, 1.2 unanswered ones sent in the same month (a
  response rate of about 45 %).
- Answers: CSI items around a per-response mood (most 4–5, one response in ten unhappy), NPS and
  CSAT with typical skews; comments from a phrase bank on 25 % of the CSI and 35 % of the NPS
  answers, and on most CSAT answers of 3 or less. Scores, NPS/CSAT columns, factor and answer rows
  come from the app's own scoring (``instruments.scoring``, ``answering.key_figures``), computed
  once per distinct answer pattern.
- Unhappy responses are flagged as the app would (detractor, index below 60), but no follow-up
  rows or cases are generated: nothing on the results page reads them.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import random
import secrets
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Count
from django.test import override_settings
from django.utils import timezone

from bench import generate as customers_generate
from bench.generate_cases import _insert
from manyi import clock
from manyi.customers.models import Customer
from manyi.instruments.models import InstrumentVersion, ItemType
from manyi.instruments.queries import definition_for
from manyi.instruments.scoring import DETRACTOR, answer_rows, factor_rows, score
from manyi.org import actions as org_actions
from manyi.org.models import Role, Staff
from manyi.surveys import actions as survey_actions
from manyi.surveys import rollups
from manyi.surveys.answering import key_figures
from manyi.surveys.models import (
    Campaign,
    CampaignStatus,
    Invitation,
    RollupKey,
    SurveyAnswer,
    SurveyChannel,
    SurveyFactorScore,
    SurveyResponse,
    SurveyRollup,
)

DEFAULT_SEED = 20261122
SPAN_MONTHS = 24
TECHNICIANS_PER_OUTLET = 12
# Of the responses to cases and QR codes (a campaign asks the CSI survey).
INSTRUMENTS = (("csi", 45), ("nps", 35), ("csat", 20))
SOURCES = (("case", 55), ("campaign", 30), ("walk_in", 15))
UNANSWERED_PER_ANSWERED = 1.2
LOW_INDEX = 60.0
CSI_PATTERNS = 4000
BATCH = 20_000
NPS_WEIGHTS = (2, 2, 2, 4, 4, 6, 8, 10, 15, 22, 25)  # 0 … 10
CSAT_WEIGHTS = (5, 7, 13, 35, 40)  # 1 … 5
PHRASES = (
    "交车时间太长", "等待时间太长了", "师傅很专业，态度好", "价格有点贵", "收费不透明",
    "休息区干净舒适", "休息区太吵", "预约很方便", "电话一直打不通", "服务顾问解释得很详细",
    "维修质量不错，一次修好", "车子洗得很干净", "配件要等好几天", "停车不方便", "前台接待热情",
    "技师技术好", "没有提前告知费用", "回访很及时", "希望能延长营业时间", "环境整洁",
    "安装师傅准时到达", "施工后没有清理现场", "油漆味道很小", "墙面有一处没刷匀", "售后响应快",
)  # fmt: skip

INVITATION_FIELDS = (
    "id", "company", "campaign", "case", "customer", "version", "unit", "technician", "token",
    "channel", "greeting", "created_at", "send_at", "sent_at", "remind_at", "reminded_at",
    "opened_at", "answered_at", "expires_at", "cancelled_at", "partial",
)  # fmt: skip
RESPONSE_FIELDS = (
    "id", "version", "answers", "index", "total", "max_total", "band", "company", "unit",
    "region", "technician", "campaign", "invitation", "case", "customer", "contact_phone",
    "source", "channel", "submitted_at", "month", "day", "nps_value", "nps_category",
    "csat_value", "csat_top2", "unhappy", "submit_key", "follow_up_pending",
)  # fmt: skip
FACTOR_FIELDS = ("response", "factor", "score", "company", "unit", "month")
ANSWER_FIELDS = (
    "response", "item", "number", "choice", "text", "is_na", "score", "company", "unit", "month",
)  # fmt: skip


# -- the organisation -------------------------------------------------------------------------


@dataclass
class SurveyOrg:
    """The benchmark company with the people the survey measures act as."""

    company: Any
    head: Any  # department head, company-wide
    outlets: list[Any]
    technicians: dict[int, list[int]]  # outlet id -> technician staff ids
    managers: dict[int, Any]  # outlet id -> outlet manager (Staff)
    versions: dict[str, InstrumentVersion] = field(default_factory=dict)


def _password() -> str:
    return "Bx7!" + secrets.token_urlsafe(18)


def ensure_survey_org() -> SurveyOrg:
    """The bench company (bench.generate) plus technicians and a manager per outlet."""
    org = customers_generate.ensure_org()
    # Never used to sign in (API tokens and a session made by the bench): a fast hasher keeps
    # creating a hundred logins to seconds instead of minutes of Argon2.
    with (
        override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
        transaction.atomic(),
    ):
        existing = set(
            Staff.objects.filter(company=org.company).values_list("user__username", flat=True)
        )
        for outlet in org.outlets:
            code = outlet.code.lower()
            if f"bench_smgr_{code}" not in existing:
                org_actions.create_staff(
                    actor=org.head,
                    unit=outlet,
                    username=f"bench_smgr_{code}",
                    name=f"店长{outlet.code[-3:]}",
                    role=Role.OUTLET_MANAGER,
                    password=_password(),
                )
            for k in range(TECHNICIANS_PER_OUTLET):
                username = f"bench_stech_{code}_{k:02d}"
                if username not in existing:
                    org_actions.create_staff(
                        actor=org.head,
                        unit=outlet,
                        username=username,
                        name=f"技师{outlet.code[-3:]}-{k:02d}",
                        role=Role.TECHNICIAN,
                        password=_password(),
                    )
    technicians: dict[int, list[int]] = {o.pk: [] for o in org.outlets}
    managers: dict[int, Any] = {}
    staff = Staff.objects.filter(company=org.company).select_related("user").order_by("pk")
    for member in staff:
        name = member.user.username
        if name.startswith("bench_stech_"):
            technicians[member.unit_id].append(member.pk)
        elif name.startswith("bench_smgr_"):
            managers[member.unit_id] = member
    versions = {
        v.instrument.code: v
        for v in InstrumentVersion.objects.filter(
            instrument__company__isnull=True,
            instrument__code__in=[c for c, _w in INSTRUMENTS],
            number=1,
        ).select_related("instrument")
    }
    return SurveyOrg(org.company, org.head, org.outlets, technicians, managers, versions)


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def ensure_campaigns(org: SurveyOrg, now: dt.datetime) -> dict[dt.date, int]:
    """One closed campaign per quarter of the history (created through the action, then dated
    into the past); returns quarter's first month -> campaign id."""
    tz = timezone.get_current_timezone()
    first = _add_months(_month_start(timezone.localtime(now).date()), 1 - SPAN_MONTHS)
    quarters = [_add_months(first, 3 * q) for q in range(SPAN_MONTHS // 3 + 1)]
    found = {
        c.starts_at.astimezone(tz).date().replace(day=1): c.pk
        for c in Campaign.objects.filter(company=org.company, name__startswith="基准季度调查")
    }
    for quarter in quarters:
        if quarter in found:
            continue
        campaign = survey_actions.create_campaign(
            actor=org.head,
            data={
                "name": f"基准季度调查 {quarter:%Y-%m}",
                "unit": org.company.pk,
                "version": org.versions["csi"].pk,
                "channels": ["sms"],
                "starts_at": now,
                "deadline_at": now + dt.timedelta(days=30),
            },
        )
        starts = dt.datetime.combine(quarter, dt.time(9), tzinfo=tz)
        Campaign.objects.filter(pk=campaign.pk).update(
            status=CampaignStatus.CLOSED,
            starts_at=starts,
            launched_at=starts,
            deadline_at=dt.datetime.combine(_add_months(quarter, 3), dt.time(9), tzinfo=tz),
            closed_at=dt.datetime.combine(_add_months(quarter, 3), dt.time(9), tzinfo=tz),
        )
        found[quarter] = campaign.pk
    return found


def count_sent(invitations) -> int:
    """Add invitations marked sent in bulk (the bench's shortcut for the sweep) to the rollups,
    exactly as ``rollups.record_sent`` would one by one; returns how many."""
    groups = (
        invitations.values_list(
            "company_id",
            "version_id",
            "unit_id",
            "technician_id",
            "campaign_id",
            "unit__parent_id",
            "sent_at",
        )
        .annotate(n=Count("pk"))
        .order_by()
    )
    rows: dict[tuple, int] = {}
    for company, version, unit, tech, campaign, region, sent_at, n in groups:
        month = timezone.localtime(sent_at).date().replace(day=1)
        key = (company, version, month, unit, tech or 0, campaign or 0, region or 0)
        rows[key] = rows.get(key, 0) + n
    zeros = [0] * (len(rollups.RESPONSE_SUMS) - 1)
    rollups.upsert(
        SurveyRollup,
        RollupKey.KEY,
        rollups.RESPONSE_SUMS,
        [(*k, n, *zeros) for k, n in rows.items()],
    )
    return sum(rows.values())


# -- answers ------------------------------------------------------------------------------------


@dataclass
class Scored:
    """One distinct answer pattern of a version, scored once."""

    answers: dict[str, Any]
    index: float | None
    total: float | None
    max_total: float | None
    figures: dict[str, Any]
    factors: list[tuple[int, float]]
    rows: list[tuple[Any, ...]]  # answer rows without the comment
    unhappy: bool


class Answers:
    """Draws answers per instrument and scores each distinct pattern once."""

    def __init__(self, versions: dict[str, InstrumentVersion], seed: int):
        self.definitions = {code: definition_for(v) for code, v in versions.items()}
        self.comment_item = {}
        for code, definition in self.definitions.items():
            text = [i for i in definition.items if i.type == ItemType.TEXT]
            self.comment_item[code] = text[0] if text else None
        self.cache: dict[tuple, Scored] = {}
        rng = random.Random(seed)
        csi_items = [i.code for i in self.definitions["csi"].items if i.type == ItemType.SCALE]
        self.csi_patterns = []
        for _ in range(CSI_PATTERNS):
            mood = rng.gauss(2.6, 0.7) if rng.random() < 0.1 else rng.gauss(4.3, 0.5)
            self.csi_patterns.append(
                tuple(max(1, min(5, round(mood + rng.gauss(0, 0.6)))) for _code in csi_items)
            )
        self.csi_items = csi_items

    def _scored(self, code: str, key: tuple, answers: dict[str, Any]) -> Scored:
        found = self.cache.get((code, key))
        if found is not None:
            return found
        definition = self.definitions[code]
        result = score(definition, answers)
        figures = key_figures(definition, answers)
        not_satisfied = figures.pop("not_satisfied")
        rows = [
            (r["item_id"], r["number"], r["choice"], r["text"], r["is_na"], r["score"])
            for r in answer_rows(definition, answers, result)
        ]
        unhappy = (
            figures["nps_category"] == DETRACTOR
            or (result.index is not None and result.index < LOW_INDEX)
            or not_satisfied
        )
        found = self.cache[(code, key)] = Scored(
            answers, result.index, result.total, result.max_total, figures,
            factor_rows(definition, result), rows, unhappy,
        )  # fmt: skip
        return found

    def draw(self, code: str, rng: random.Random) -> tuple[Scored, str]:
        """A scored pattern and the comment given with it ("" for none)."""
        if code == "csi":
            pattern = self.csi_patterns[rng.randrange(CSI_PATTERNS)]
            scored = self._scored(code, pattern, dict(zip(self.csi_items, pattern, strict=True)))
            comment = self._comment(rng) if rng.random() < 0.25 else ""
        elif code == "nps":
            value = rng.choices(range(11), weights=NPS_WEIGHTS)[0]
            scored = self._scored(code, (value,), {"recommend": value})
            comment = self._comment(rng) if rng.random() < 0.35 else ""
        else:
            value = rng.choices(range(1, 6), weights=CSAT_WEIGHTS)[0]
            scored = self._scored(code, (value,), {"overall": value})
            # The improvement question shows only for 3 or less.
            comment = self._comment(rng) if value <= 3 and rng.random() < 0.6 else ""
        return scored, comment

    @staticmethod
    def _comment(rng: random.Random) -> str:
        if rng.random() < 0.3:
            return "，".join(rng.sample(PHRASES, 2))
        return rng.choice(PHRASES)


def submission_answers(answers: Answers, rng: random.Random) -> dict[str, Any]:
    """A CSI answer set as a customer submits it (the benchmark's POST body)."""
    scored, comment = answers.draw("csi", rng)
    body = dict(scored.answers)
    if comment:
        body["comment"] = comment
    return body


# -- the rows -----------------------------------------------------------------------------------


@dataclass
class SurveyGenerateResult:
    responses: int
    invitations: int
    answer_rows: int
    factor_rows: int
    seconds: float
    rebuild_seconds: float = 0.0
    analyze_seconds: float = 0.0
    rollup_rows: dict[str, int] = field(default_factory=dict)
    instruments: dict[str, int] = field(default_factory=dict)

    @property
    def rows_per_second(self) -> float:
        total = self.responses + self.invitations + self.answer_rows + self.factor_rows
        return total / self.seconds if self.seconds else 0.0


def _token(rng: random.Random) -> str:
    return f"{rng.getrandbits(256):064x}"[:43]


def generate_responses(
    count: int,
    *,
    seed: int = DEFAULT_SEED,
    progress: bool = False,
    stride: int = 1,
    customer_pool: int | None = None,
    rebuild: bool = True,
) -> SurveyGenerateResult:
    """Add ``count`` responses of the last :data:`SPAN_MONTHS` months to the bench company,
    with their invitations, factor and answer rows, then rebuild its rollups. One transaction
    for the rows; the bench company must have customers (``bench.generate``).

    ``stride`` > 1 leaves room between the response and invitation ids for copies of each
    (filled in SQL by :mod:`bench.generate_scale`), ``customer_pool`` invites only the first N
    customers (each copy takes its own range), and ``rebuild=False`` leaves the rollups to the
    caller (rebuilt once after the copies)."""
    org = ensure_survey_org()
    now = clock.now()
    campaigns = ensure_campaigns(org, now)
    tz = timezone.get_current_timezone()
    local_now = timezone.localtime(now)
    first_month = _add_months(_month_start(local_now.date()), 1 - SPAN_MONTHS)
    start = dt.datetime.combine(first_month, dt.time(8), tzinfo=tz)
    step = (now - dt.timedelta(hours=1) - start) / count
    answers = Answers(org.versions, seed)
    customers: dict[int, list[tuple[int, str]]] = {o.pk: [] for o in org.outlets}
    pool = Customer.objects.filter(company=org.company).order_by("pk")
    for pk, outlet, name in pool.values_list("pk", "home_outlet_id", "name")[:customer_pool]:
        customers[outlet].append((pk, name))
    regions = {o.pk: o.parent_id for o in org.outlets}
    outlet_ids = [o.pk for o in org.outlets]
    codes = [c for c, _w in INSTRUMENTS]
    code_cum = list(itertools.accumulate(w for _c, w in INSTRUMENTS))
    sources = [s for s, _w in SOURCES]
    source_cum = list(itertools.accumulate(w for _s, w in SOURCES))
    comment_ids = {c: (i.id if i else None) for c, i in answers.comment_item.items()}

    next_response = (SurveyResponse.objects.order_by("-pk").values_list("pk", flat=True).first()
                     or 0) + 1  # fmt: skip
    next_invitation = (Invitation.objects.order_by("-pk").values_list("pk", flat=True).first()
                       or 0) + 1  # fmt: skip
    walkers: dict[tuple[int, int], Any] = {}
    started = time.perf_counter()
    totals = {"invitations": 0, "answers": 0, "factors": 0}
    by_code = dict.fromkeys(codes, 0)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for batch_start in range(0, count, BATCH):
            invitations, responses, factors, rows = [], [], [], []
            for ordinal in range(batch_start, min(batch_start + BATCH, count)):
                rng = random.Random(seed * 1_000_003 + ordinal)
                submitted = start + step * ordinal + dt.timedelta(seconds=rng.uniform(0, 30))
                local = submitted.astimezone(tz)
                month, day = local.date().replace(day=1), local.date()
                outlet = outlet_ids[ordinal % len(outlet_ids)]
                source = rng.choices(sources, cum_weights=source_cum)[0]
                # A campaign asks the CSI survey; cases and QR codes any of the three.
                code = (
                    "csi" if source == "campaign" else rng.choices(codes, cum_weights=code_cum)[0]
                )
                by_code[code] += 1
                version = org.versions[code]
                scored, comment = answers.draw(code, rng)
                technician = campaign = invitation_id = customer_id = None
                channel = SurveyChannel.QR
                if source != "walk_in":
                    channel = SurveyChannel.SMS
                    pick = functools.partial(rng.choice, customers[outlet])
                    if source == "case":
                        technician = rng.choice(org.technicians[outlet])
                    else:
                        quarter = _add_months(first_month, (_months_between(first_month, month)
                                                            // 3) * 3)  # fmt: skip
                        campaign = campaigns[quarter]
                        # A campaign invites each customer once: walk the outlet's customers.
                        pick = _walker(walkers, campaign, outlet, customers[outlet])
                    customer_id, name = pick()
                    # The answered invitation, and the unanswered ones sent in the same month.
                    unanswered = int(UNANSWERED_PER_ANSWERED) + (
                        rng.random() < UNANSWERED_PER_ANSWERED % 1
                    )
                    for k in range(unanswered + 1):
                        sent = submitted - dt.timedelta(hours=rng.uniform(1, 70))
                        if sent < start:
                            sent = submitted
                        answered = k == 0
                        pk = next_invitation
                        next_invitation += stride
                        if answered:
                            invitation_id = pk
                        invitations.append((
                            pk, org.company.pk, campaign, None,
                            customer_id if answered else pick()[0],
                            version.pk, outlet, technician, _token(rng), SurveyChannel.SMS,
                            name[:20] if answered else "", sent, sent, sent, None, None,
                            submitted if answered else None, submitted if answered else None,
                            sent + dt.timedelta(days=14), None, {},
                        ))  # fmt: skip
                response_id = next_response
                next_response += stride
                body = dict(scored.answers)
                if comment:
                    body[answers.comment_item[code].code] = comment
                figures = scored.figures
                responses.append((
                    response_id, version.pk, body, scored.index, scored.total, scored.max_total,
                    "", org.company.pk, outlet, regions[outlet], technician, campaign,
                    invitation_id, None, customer_id, "",
                    {"case": "case", "campaign": "campaign", "walk_in": "walk_in"}[source],
                    channel, submitted, month, day, figures["nps_value"], figures["nps_category"],
                    figures["csat_value"], figures["csat_top2"], scored.unhappy, "",
                    "",  # no follow-up pending: the generator opens none (nothing reads them)
                ))  # fmt: skip
                for factor_id, value in scored.factors:
                    factors.append((response_id, factor_id, value, org.company.pk, outlet, month))
                for item_id, number, choice, text, is_na, item_score in scored.rows:
                    rows.append((response_id, item_id, number, choice, text, is_na, item_score,
                                 org.company.pk, outlet, month))  # fmt: skip
                if comment:
                    rows.append((response_id, comment_ids[code], None, "", comment, False, None,
                                 org.company.pk, outlet, month))  # fmt: skip
            _insert(Invitation, INVITATION_FIELDS, invitations)
            _insert(SurveyResponse, RESPONSE_FIELDS, responses)
            _insert(SurveyFactorScore, FACTOR_FIELDS, factors)
            _insert(SurveyAnswer, ANSWER_FIELDS, rows)
            totals["invitations"] += len(invitations)
            totals["answers"] += len(rows)
            totals["factors"] += len(factors)
            done = min(batch_start + BATCH, count)
            if progress and (done % 100_000 == 0 or done == count):
                rate = done / (time.perf_counter() - started)
                print(f"  responses: {done:,} ({rate:,.0f}/s)", file=sys.stderr, flush=True)
        _reset_sequences()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    seconds = time.perf_counter() - started
    analyze = _analyze()
    counts: dict[str, int] = {}
    rebuild_seconds = 0.0
    if rebuild:
        t = time.perf_counter()
        counts = rollups.rebuild(org.company.pk)
        rebuild_seconds = time.perf_counter() - t
        analyze += _analyze(("surveys_surveyrollup", "surveys_surveyfactorrollup",
                             "surveys_surveyitemrollup"))  # fmt: skip
    return SurveyGenerateResult(
        responses=count,
        invitations=totals["invitations"],
        answer_rows=totals["answers"],
        factor_rows=totals["factors"],
        seconds=seconds,
        rebuild_seconds=rebuild_seconds,
        analyze_seconds=analyze,
        rollup_rows=counts,
        instruments=by_code,
    )


def _walker(walkers: dict, campaign: int, outlet: int, people: list[tuple[int, str]]):
    """The next customer of the outlet not yet invited by the campaign (in a shuffled order;
    customers an earlier load invited are skipped)."""
    key = (campaign, outlet)
    if key not in walkers:
        invited = set(
            Invitation.objects.filter(campaign_id=campaign, unit_id=outlet).values_list(
                "customer_id", flat=True
            )
        )
        order = [p for p in people if p[0] not in invited]
        random.Random(campaign * 7_919 + outlet).shuffle(order)
        walkers[key] = iter(order)
    walk = walkers[key]

    def pick() -> tuple[int, str]:
        try:
            return next(walk)
        except StopIteration:
            raise ValueError(
                "a campaign ran out of customers to invite: generate more customers"
            ) from None

    return pick


def _months_between(a: dt.date, b: dt.date) -> int:
    return (b.year - a.year) * 12 + b.month - a.month


def _reset_sequences() -> None:
    if connection.vendor != "postgresql":
        return  # SQLite's AUTOINCREMENT follows explicit ids by itself (sqlite_sequence).
    with connection.cursor() as cursor:
        for table in ("surveys_invitation", "surveys_surveyresponse"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )


SURVEY_TABLES = (
    "surveys_invitation",
    "surveys_surveyresponse",
    "surveys_surveyfactorscore",
    "surveys_surveyanswer",
)


def _analyze(tables: Sequence[str] = SURVEY_TABLES) -> float:
    """Fresh planner statistics on PostgreSQL, as autovacuum would have them (SQLite: none, as
    the app runs no ANALYZE)."""
    if connection.vendor != "postgresql":
        return 0.0
    started = time.perf_counter()
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"{command} {table}")
    return time.perf_counter() - started
