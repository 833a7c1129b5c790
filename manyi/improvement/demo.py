"""The demo company's improvement work, played through the real actions at past moments.

Five problems in every state: one raised from the complaint cause that draws the most
complaints (company-wide, its plan partly overdue), one from a complaint at the Shanghai paint
outlet solved by a finished nominal-group session whose top ideas became actions, one closed with
its measured result, one a technician raised by hand that nobody owns yet, and one being
brainstormed right now in the south region. Fast: a few dozen rows.
"""

from __future__ import annotations

import datetime as dt
import random
import struct
import zlib
from collections.abc import Callable

from django.utils import timezone

from manyi import clock
from manyi.org.models import Role, Staff, Unit


def _photo(width: int = 96, height: int = 64) -> bytes:
    """A small PNG (a blue-green stripe pattern) standing in for the photo of a checklist."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    rows = b"".join(
        b"\x00"
        + b"".join(bytes((30, 110 + (y * 2) % 100, 200 - (x // 8 % 2) * 60)) for x in range(width))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def clear_improvement(company: Unit) -> None:
    """Remove the company's problems (with their plans, measures and sessions) and files."""
    from manyi.improvement.models import ActionItem, Problem

    for action in ActionItem.objects.filter(company=company).exclude(evidence_file=""):
        action.evidence_file.delete(save=False)
    Problem.objects.filter(company=company).delete()


def build_improvement(
    company: Unit,
    rng: random.Random,
    *,
    progress: Callable[[str, int, int], None] | None = None,
) -> None:
    """Problems, one finished nominal-group session with votes, one live brainstorm, and
    action plans in every state (overdue ones included)."""
    from manyi.improvement import actions
    from manyi.improvement import session_actions as sessions
    from manyi.improvement.sources import SourceRef

    staff = list(Staff.objects.filter(company=company).select_related("unit", "user"))
    by_name = {s.user.username: s for s in staff}
    head = by_name["admin"]
    manager, tech, sales = by_name["manager"], by_name["tech"], by_name["sales"]
    units = {u.code: u for u in Unit.objects.filter(company=company)}
    now = timezone.localtime(clock.now()).replace(second=0, microsecond=0)
    today = now.date()

    def days_ago(n: float, hour: int = 10) -> dt.datetime:
        return (now - dt.timedelta(days=n)).replace(hour=hour, minute=0)

    def people(code: str, *roles: str) -> list[Staff]:
        return [s for s in staff if s.unit.code == code and (not roles or s.role in roles)]

    # 1. The complaint cause with the most complaints, company-wide (004: product problems).
    from manyi.complaints.models import CauseCategory, Complaint

    cause = CauseCategory.objects.filter(company=company, code="product").first()
    cause_count = Complaint.objects.filter(company=company, cause=cause).count() if cause else 0
    with clock.travel(days_ago(30)):
        source = SourceRef("complaint_cause", str(cause.pk)) if cause else None
        batch = actions.raise_problem(
            actor=head.user,
            title="产品问题投诉集中在少数批次",
            description=(
                f"过去一年产品问题类投诉 {cause_count} 起，多集中在同一批次的墙面漆；"
                "需要从生产、出厂检验到门店储存逐环节查找原因。"
            ),
            unit=company,
            source=source,
        )
        plan = [
            ("对问题批次做实验室复检", tech, 20, "done"),
            ("门店库存按批次清点并隔离可疑批次", manager, 25, "in_progress"),
            ("与生产部确认出厂检验标准", head, 25, "open"),
            ("向受影响顾客逐一回访致歉", sales, 27, "open"),
        ]
        batch_actions = [
            actions.add_action(
                actor=head.user,
                problem=batch,
                title=title,
                owner=owner,
                due_on=(days_ago(30) + dt.timedelta(days=due)).date(),
            )
            for title, owner, due, _state in plan
        ]
        actions.add_measure(
            actor=head.user,
            problem=batch,
            kind="complaint_count",
            description="下一季度产品问题类投诉数",
            baseline=max(cause_count // 4, 1),
            target=max(cause_count // 12, 1),
        )
    with clock.travel(days_ago(18)):
        actions.complete_action(
            actor=tech.user,
            action=batch_actions[0],
            evidence_text="复检报告：该批次基料含水率偏高，已报生产部。",
        )
        actions.start_action(actor=manager.user, action=batch_actions[1])

    # 2. A complaint at the Shanghai outlet, solved by a nominal-group session.
    complaint = (
        Complaint.objects.filter(company=company, case__unit__code="SH-PAINT-01")
        .select_related("case")
        .order_by("-id")
        .first()
    )
    with clock.travel(days_ago(21, 9)):
        waiting = actions.raise_problem(
            actor=manager.user,
            title="施工前未与油工确认基层处理",
            description="多起起泡投诉：施工前技术员没有和油工一起检查基层含水率。",
            source=SourceRef("complaint", str(complaint.pk)) if complaint else None,
            unit=units["SH-PAINT-01"],
        )
        session = sessions.start_session(actor=manager.user, problem=waiting, method="ngt", top_n=3)
    team = [tech, sales, *people("SH-PAINT-01", Role.FRONTLINE, Role.TECHNICIAN)]
    members = [manager]
    for person in team:
        if person not in members and len(members) < 5:
            members.append(person)
    ideas = {
        manager.pk: ["首次上门前电话约油工同到现场", "把含水率检测写进首访检查表"],
        tech.pk: ["每位技术员配一台含水率检测仪", "首访时拍照记录基层状况"],
        sales.pk: ["销售时提醒顾客基层要干透", "给油工发放基层处理要点卡"],
    }
    extra = ["门店每月组织一次油工交流会", "首访后当天把基层状况告诉顾客"]
    moment = days_ago(14, 14)

    def step() -> dt.datetime:
        nonlocal moment
        moment = moment + dt.timedelta(minutes=4)
        return moment

    with clock.travel(step()):
        for person in members[1:]:
            sessions.join_session(actor=person.user, session=session)
    with clock.travel(step()):
        sessions.advance_session(actor=manager.user, session=session, from_phase="state")
    for index, person in enumerate(members):
        for text in ideas.get(person.pk, extra[index % 2 : index % 2 + 1]):
            with clock.travel(step()):
                sessions.add_idea(actor=person.user, session=session, text=text)
    with clock.travel(step()):
        sessions.advance_session(actor=manager.user, session=session, from_phase="silent")
    with clock.travel(step()):
        sessions.record_all_ideas(actor=manager.user, session=session)
        sessions.advance_session(actor=manager.user, session=session, from_phase="recording")
        sessions.advance_session(actor=manager.user, session=session, from_phase="clarify")
    board = list(session.ideas.filter(number__isnull=False).order_by("number"))
    # Everyone ranks three; the checklist, the joint first visit and the photos are the team's
    # favourites, in an order that varies from member to member.
    liked = ["把含水率检测写进首访检查表", "首次上门前电话约油工同到现场", "首访时拍照记录基层状况"]
    favourites = [next(i for i in board if i.text == text) for text in liked]
    for round_, phase in ((1, "vote1"), (2, "vote2")):
        for person in members:
            picks = list(favourites)
            if rng.random() < 0.5 or round_ == 1:
                rng.shuffle(picks)
            if round_ == 1 and rng.random() < 0.4:
                picks[2] = rng.choice([i for i in board if i not in picks])
            with clock.travel(step()):
                sessions.submit_ranking(
                    actor=person.user, session=session, idea_ids=[i.pk for i in picks]
                )
        with clock.travel(step()):
            sessions.advance_session(actor=manager.user, session=session, from_phase=phase)
            if phase == "vote1":
                sessions.advance_session(actor=manager.user, session=session, from_phase="discuss")
    from manyi.improvement.queries import session_tally

    top = session_tally(session, 2).rows[:3]
    owners = [tech, manager, sales]
    with clock.travel(days_ago(13, 9)):
        from_session = [
            actions.add_action(
                actor=manager.user,
                problem=waiting,
                title=row.text,
                owner=owner,
                due_on=today + dt.timedelta(days=due),
                idea=row.idea_id,
            )
            for row, owner, due in zip(top, owners, (-6, -2, 12), strict=True)
        ]
        actions.add_measure(
            actor=manager.user,
            problem=waiting,
            kind="survey_score",
            description="本门店下月施工服务满意度（CSI）",
            baseline="78",
            target="85",
        )
    with clock.travel(days_ago(8)):
        actions.complete_action(
            actor=tech.user,
            action=from_session[0],
            evidence_text="首访检查表已增加“基层含水率”一栏，技术员已培训。",
            file=("checklist.png", _photo()),
        )
        actions.start_action(actor=manager.user, action=from_session[1])

    # 3. A closed problem at the Nanjing pharmacy, with its measured result.
    nanjing = people("NJ-PHARM-03", Role.OUTLET_MANAGER)
    nj_manager = nanjing[0] if nanjing else head
    nj_staff = people("NJ-PHARM-03", Role.FRONTLINE, Role.TECHNICIAN) or [nj_manager]
    with clock.travel(days_ago(60)):
        phone = actions.raise_problem(
            actor=nj_manager.user,
            title="电话响铃超过三声才接听",
            description="神秘顾客电话测试：10次中4次响铃超过三声。",
            unit=units["NJ-PHARM-03"],
        )
        answered = actions.add_action(
            actor=nj_manager.user,
            problem=phone,
            title="柜台排班表注明接听电话的责任人",
            owner=nj_staff[0],
            due_on=(days_ago(60) + dt.timedelta(days=7)).date(),
        )
        measure = actions.add_measure(
            actor=nj_manager.user,
            problem=phone,
            kind="audit_score",
            description="下次服务审核“电话接听”项得分",
            baseline="60",
            target="90",
        )
    with clock.travel(days_ago(55)):
        actions.complete_action(
            actor=nj_staff[0].user, action=answered, evidence_text="排班表已张贴在柜台后。"
        )
    with clock.travel(days_ago(20)):
        actions.record_measure_result(actor=nj_manager.user, measure=measure, result="95")
        actions.close_problem(
            actor=nj_manager.user, problem=phone, note="审核得分从60提高到95，保持观察。"
        )

    # 4. Raised by hand by a technician; no owner yet.
    with clock.travel(days_ago(2, 16)):
        actions.raise_problem(
            actor=tech.user,
            title="色卡样板不全，顾客无法现场比色",
            description="新出的12个颜色门店还没有色卡。",
        )

    # 5. A brainstorm under way in the south region (the car dealers' hand-over).
    south = units["R-SOUTH"]
    south_people = [s for s in staff if s.unit.path.startswith(south.path)]
    with clock.travel(days_ago(0.2, 9)):
        handover = actions.raise_problem(
            actor=head.user,
            title="交车时车辆清洁不到位",
            description="CSI调查“交车”因素得分在片区内最低。",
            unit=south,
            source=SourceRef("survey_factor", "CSI/交车", "CSI 调查 · 交车 因素偏低"),
        )
        live = sessions.start_session(actor=head.user, problem=handover, method="brainstorm")
        for person in south_people[:5]:
            sessions.join_session(actor=person.user, session=live)
        sessions.advance_session(actor=head.user, session=live, from_phase="state")
        sessions.form_subgroups(actor=head.user, session=live, count=2)
        sessions.advance_session(actor=head.user, session=live, from_phase="groups")
        for person, text in zip(
            south_people[:4],
            ["交车前增加一次内饰吸尘", "洗车工位挂检查表", "交车时请顾客一起验车", "脚垫换新"],
            strict=False,
        ):
            sessions.add_idea(actor=person.user, session=live, text=text)
    if progress:
        progress("improvement", 5, 5)
    # The overdue actions are reported as the hourly sweep would.
    actions.sweep_overdue_actions()
