"""The team's built-in instruments, each naming the seed it comes from.

Four templates in the instruments' content format (``manyi.instruments.definition``), in
Chinese — they are data, not UI strings:

* ``csas`` — the Customer Service Assessment Scale, 顾客服务评估表 (003 P-093/094): 20 items
  about a team, each 5 (一直 always) … 0 (从不 never);
* ``training-evaluation`` — 顾客服务项目培训评价表 (003 P-055/056): 20 items, 5 (极好) … 1
  (从不); the total of the circled points gives the grade;
* ``leadership`` — 顾客服务领导力问卷 (003 P-059/060): the five principles of the leadership
  pyramid, rated by the leader and by people who know their work;
* ``five-star`` — 五星级服务 (000): a self-assessment of an outlet or the company against the
  five star levels.

:func:`load_team_templates` creates each missing one as a global template (``company`` empty,
version 1 published) exactly as the instruments' own loader does, with the instruments'
functions (``clean_content``, ``write_content``, ``read_content``); the data migration
``0002_builtin_templates`` runs it with the historical models. A company changes a template by
copying it in the instrument builder; item codes stay the same in a copy, so the phrases below
(keyed by item code) still apply to it.
"""

from __future__ import annotations

from typing import Any

from manyi import clock
from manyi.instruments.definition import FORMAT, clean_content
from manyi.instruments.rows import read_content, write_content

CSAS_CODE = "csas"
TRAINING_CODE = "training-evaluation"
LEADERSHIP_CODE = "leadership"
FIVE_STAR_CODE = "five-star"

# -- CSAS (003 P-093/094) ---------------------------------------------------------------------

# 一直 通常 经常 偶尔 很少 从不 = 5 4 3 2 1 0; the form lists the values from 0 up.
CSAS_POINTS = ["从不", "很少", "偶尔", "经常", "通常", "一直"]

# (question, strength, weakness): the question as the seed prints it after "该小组是否："; the
# two statements for the P-096 table of strengths and weaknesses, written as the seed's sample
# writes them ("我们有组织地、系统地工作。" / "我们不能叫出顾客的名字"), the sample's own
# wording where it has one (items 1, 6, 7, 9, 11, 13, 15, 17).
CSAS_ITEMS = [
    (
        "有组织地、系统地工作？",
        "我们有组织地、系统地工作。",
        "我们需要更有组织、更系统地工作。",
    ),
    (
        "用得体的语言接待顾客？",
        "我们用得体的语言接待顾客。",
        "我们接待顾客的语言需要更得体。",
    ),
    (
        "灵活对待不同顾客的要求？",
        "我们灵活对待不同顾客的要求。",
        "我们对待不同顾客的要求不够灵活。",
    ),
    ("工作态度积极？", "我们的工作态度积极。", "我们的工作态度需要更积极。"),
    (
        "遵从尽量使顾客感到方便的工作程序？",
        "我们遵从尽量方便顾客的工作程序。",
        "我们的工作程序需要更方便顾客。",
    ),
    ("能叫出顾客的名字？", "我们能叫出顾客的名字。", "我们不能叫出顾客的名字。"),
    (
        "十分了解所销售的所有产品和服务？",
        "我们十分了解提供给顾客的所有产品和服务。",
        "我们不完全了解所有提供给顾客的产品和服务。",
    ),
    ("笑脸相送？", "我们笑脸相送。", "我们需要做到笑脸相送。"),
    (
        "与上下级之间保持有建设性的工作关系？",
        "团队成员与上级保持有建设性的工作关系。",
        "我们需要与上下级建立更有建设性的工作关系。",
    ),
    (
        "向顾客提供有益的建议？",
        "我们向顾客提供有益的建议。",
        "我们需要向顾客提供更多有益的建议。",
    ),
    (
        "与同事之间保持良好的沟通？",
        "我们与同事之间保持良好的沟通。",
        "需要同团队成员加强沟通。",
    ),
    ("销售能力优异？", "我们的销售能力优异。", "我们的销售能力需要提高。"),
    (
        "及时提供服务？",
        "我们及时提供满足顾客需求的服务。",
        "我们需要更及时地提供服务。",
    ),
    (
        "不因其他事务而使顾客感到被冷落？",
        "我们不会因其他事务而冷落顾客。",
        "我们有时因其他事务而冷落了顾客。",
    ),
    (
        "向顾客征询反馈意见？",
        "我们主动向顾客征询反馈意见。",
        "我们需要从顾客那里获得更多的反馈。",
    ),
    (
        "提供超出顾客期望的服务？",
        "我们提供超出顾客期望的服务。",
        "我们需要提供超出顾客期望的服务。",
    ),
    (
        "与顾客保持良好的沟通？",
        "我们与顾客保持良好的沟通。",
        "我们需要与顾客加强沟通。",
    ),
    (
        "拒绝对顾客采取冷淡或是过于谦恭的态度？",
        "我们对顾客既不冷淡，也不过于谦恭。",
        "我们对顾客有时冷淡或过于谦恭。",
    ),
    ("正确地预见和计划？", "我们能正确地预见和计划。", "我们需要更好地预见和计划。"),
    (
        "服务直至顾客满意为止？",
        "我们服务直至顾客满意为止。",
        "我们需要坚持服务直至顾客满意为止。",
    ),
]
# Item code → (strength, weakness) for the P-096 table.
CSAS_STATEMENTS = {
    f"q{n}": (strength, weakness)
    for n, (_question, strength, weakness) in enumerate(CSAS_ITEMS, start=1)
}


def _csas() -> dict[str, Any]:
    return {
        "format": FORMAT,
        "code": CSAS_CODE,
        "name": "顾客服务评估表（CSAS）",
        "name_en": "Customer Service Assessment Scale (CSAS)",
        "kind": "team_assessment",
        "source": "003 P-093/094",
        "paging": "page",
        "description": (
            "团队成员匿名评估本小组的顾客服务（003 P-092—096）：每项 一直 5、通常 4、经常 3、"
            "偶尔 2、很少 1、从不 0。结果给出每项的平均分和离散程度，以及团队的服务强项与弱项"
            "（P-096 样例的格式）。题目按种子原文，第14、20项按原意略作通顺。"
        ),
        "missing_rule": "skip",
        "factors": [],
        "sections": [
            {
                "title": "",
                "description": "该小组是否：",
                "items": [
                    {
                        "code": f"q{n}",
                        "type": "scale",
                        "text": question,
                        "points": 6,
                        "start": 0,
                        "label_low": "从不",
                        "label_high": "一直",
                        "point_labels": CSAS_POINTS,
                    }
                    for n, (question, _strength, _weakness) in enumerate(CSAS_ITEMS, start=1)
                ],
            }
        ],
    }


# -- training evaluation (003 P-055/056) ------------------------------------------------------

TRAINING_POINTS = ["从不", "勉强", "一般", "相当好", "极好"]
TRAINING_ITEMS = [
    "学员在培训结束时将要用到的技巧描述得相当清楚。",
    "学员在培训结束时将要用到的知识描述得相当清楚。",
    "在培训中学到的顾客服务方面的知识和技能与服务工作要求相符。",
    "顾客服务培训项目是有组织的、系统的。",
    "把顾客服务培训项目分成一系列课程或培训单元。",
    "每项培训单元的完成标准都是清楚、明确的。",
    "培训项目提供工作外的实践顾客服务技能的时间。",
    "学员得到一份培训项目的书面复印资料。",
    "培训者有培训项目的书面复印资料。",
    "每一种要学的顾客服务技能在如何做（How to）的操作步骤里都有说明。",
    "与学员培养一种支持和关心的氛围。",
    "为掌握每一项顾客服务的任务和技巧，构成一项优秀工作的标准逐字逐句地加以了解释。",
    "对学员要求达到的岗位知识进行过测试。",
    "对学员所要求的工作行为技能进行过测试。",
    "在培训过程中，学员进步得到不断地反馈。",
    "在那些关键的学习阶段，学员成绩得到认同。",
    "使用一个跟踪记录学员进步的系统。",
    "管理者和监管者参与顾客服务培训项目。",
    "培训者也接受培训，以懂得如何培训。",
    "有具体的顾客服务培训辅导材料和/或顾客服务培训手册提供给培训者。",
]
# 003 P-056: "加总所有画圈的得分。你的总分反映了你的顾客服务培训项目的等级。" The seed prints
# no bands; these split the 20–100 points the way the five answers read (≥ 4.5 per item on
# average: excellent; ≥ 3.75: good; ≥ 3: fair; below: needs work). An assumption.
TRAINING_BANDS = [
    {"min": 90, "label": "优秀"},
    {"min": 75, "label": "良好"},
    {"min": 60, "label": "一般"},
    {"min": 0, "label": "需要改进"},
]
# P-054: "得分很低的条目应该立即改善。" An item answered 2 (勉强) or 1 (从不) on average.
TRAINING_LOW_ITEM = 2.0


def _training() -> dict[str, Any]:
    return {
        "format": FORMAT,
        "code": TRAINING_CODE,
        "name": "顾客服务项目培训评价表",
        "name_en": "Customer service training evaluation",
        "kind": "training_evaluation",
        "source": "003 P-055/056",
        "paging": "page",
        "description": (
            "根据出色培训项目的标准，为目前的顾客服务培训项目打分（003 P-055/056）：极好 5、"
            "相当好 4、一般 3、勉强 2、从不 1。加总所有得分，总分（20—100）反映培训项目的等级。"
            "种子未给出等级的分数段，此处假设：90 分及以上 优秀，75—89 良好，60—74 一般，"
            "60 分以下 需要改进。平均得分在 2 分及以下的条目应立即改善（P-054）。"
        ),
        "missing_rule": "zero",
        "band_basis": "total",
        "bands": TRAINING_BANDS,
        "factors": [],
        "sections": [
            {
                "title": "",
                "description": "圈出每个条目的相应选择。",
                "items": [
                    {
                        "code": f"q{n}",
                        "type": "scale",
                        "text": text,
                        "points": 5,
                        "start": 1,
                        "label_low": "从不",
                        "label_high": "极好",
                        "point_labels": TRAINING_POINTS,
                    }
                    for n, text in enumerate(TRAINING_ITEMS, start=1)
                ],
            }
        ],
    }


# -- leadership (003 P-059/060) -----------------------------------------------------------------

LEADERSHIP_POINTS = ["从不", "很少", "有时", "经常", "总是"]
# The pyramid of P-059, from its base: 良好的沟通 → 到位的激励回报体系 → 权力的合理利用 → 成功的
# 决策 → (产生积极力量的) 成功. The seed names the principles but prints no questionnaire: the
# items below are written for each principle (an assumption).
LEADERSHIP_PRINCIPLES = [
    (
        "communication",
        "良好的沟通",
        [
            "清楚地向员工传达顾客服务的标准和期望",
            "认真倾听员工的意见和建议",
            "及时与员工分享顾客的反馈和经营信息",
        ],
    ),
    (
        "motivation",
        "到位的激励回报体系",
        [
            "及时对员工的优质服务行为给予认可和表扬",
            "奖励与员工的服务表现挂钩，公平合理",
            "帮助员工看到个人成长和发展的机会",
        ],
    ),
    (
        "power",
        "权力的合理利用",
        [
            "在员工的职责范围内充分授权",
            "以理服人，不以职位压人",
            "对事不对人，公正地对待每一位员工",
        ],
    ),
    (
        "decisions",
        "成功的决策",
        [
            "做决策前收集事实并听取相关人员的意见",
            "决策及时、明确，并说明理由",
            "决策以顾客的利益为出发点",
        ],
    ),
    (
        "success",
        "成功：产生积极力量",
        [
            "为团队设定清晰、可实现的服务目标",
            "与团队一起庆祝取得的成绩",
            "面对困难保持积极，带领团队解决问题",
        ],
    ),
]


def _leadership() -> dict[str, Any]:
    number = 0
    sections = []
    for code, name, texts in LEADERSHIP_PRINCIPLES:
        items = []
        for text in texts:
            number += 1
            items.append(
                {
                    "code": f"q{number}",
                    "type": "scale",
                    "text": text,
                    "factor": code,
                    "points": 5,
                    "start": 1,
                    "label_low": "从不",
                    "label_high": "总是",
                    "point_labels": LEADERSHIP_POINTS,
                }
            )
        sections.append({"title": name, "description": "", "items": items})
    sections[0]["description"] = "这位领导者（自评时即你自己）在工作中："
    return {
        "format": FORMAT,
        "code": LEADERSHIP_CODE,
        "name": "顾客服务领导力问卷",
        "name_en": "Customer service leadership questionnaire",
        "kind": "questionnaire",
        "source": "003 P-059/060",
        "paging": "page",
        "description": (
            "高品质顾客服务领导方案的五个基本原则（003 P-059）：良好的沟通、到位的激励回报体系、"
            "权力的合理利用、成功的决策，以及由此产生积极力量的成功。先由领导者自评，再邀请了解其"
            "顾客服务工作的人填写（P-060），比较自评与他评，找出强项与弱项，制订改进计划。"
            "种子未印出问卷题目，各原则下的题目为按原则编写的假设；五级：从不 1 … 总是 5。"
        ),
        "missing_rule": "skip",
        "factors": [
            {"code": code, "name": name, "weight": 1} for code, name, _t in LEADERSHIP_PRINCIPLES
        ],
        "sections": sections,
    }


# -- five-star service (000) --------------------------------------------------------------------

FIVE_STAR_POINTS = ["完全不符合", "不太符合", "部分符合", "基本符合", "完全符合"]
# A level counts as reached when its criteria average 4 (基本符合) or better, i.e. a factor
# score of 75; the stars are the levels reached in a row from the first (000: each level is
# built on the one below). An assumption: the seed describes the levels, not a test.
STAR_THRESHOLD = 75.0
# (code, stars, name, the seed's description, criteria).
STAR_LEVELS = [
    (
        "s1",
        1,
        "一星级：规范服务",
        "最基本、最基础的标准服务，服务竞争的起点和准入证：语言、行为、礼仪、仪表、环境、设施、"
        "技能、制度程序、风貌等方面规范化、标准化。",
        [
            "服务语言规范：热情待客，来有应声、走有送声、常有谢声、问有答声",
            "做到“四不讲”：不尊重、不友好、不客气、厌烦的话不讲",
            "行为、礼仪、仪表规范统一",
            "环境、设施整洁，符合标准",
            "服务技能、制度和程序规范化、标准化",
        ],
    ),
    (
        "s2",
        2,
        "二星级：优秀、科学的服务",
        "“令人神往”的服务：相互服务、相互承诺的大服务机制和文化氛围基本形成；服务流程优化，"
        "一站式便捷服务得到认可；“四全”“四零”服务体系初步建立。",
        [
            "人人都是顾客、个个都是服务员，相互服务、相互承诺的大服务机制基本形成",
            "服务流程得到优化，顾客最反感的制度规定已经修改",
            "一站式、便捷、简单化的服务得到顾客认可",
            "全程化、全方位、全员化、全天候和零缺陷、零缝隙、零距离、零服务成本的服务体系初步建立",
        ],
    ),
    (
        "s3",
        3,
        "三星级：优异优质服务（专家顾问服务）",
        "服务卓然不同于其它公司，被客户称赞并持续提升质量：人无我有、人有我优、人有我特、"
        "人特我奇；由提供产品、方案到专家顾问服务，与顾客建立长期合作伙伴关系。",
        [
            "员工敬业精业，熟悉岗位要求和产品功能，服务技能娴熟",
            "洞悉顾客心理，把握和挖掘顾客的需求偏好，随需应变",
            "掌握正确的方法，有一定的服务艺术",
            "提供专家顾问型服务，与顾客建立长期合作伙伴型关系",
        ],
    ),
    (
        "s4",
        4,
        "四星级：卓越的服务",
        "三星级服务的升华：持续提升服务水平，声名远扬，口碑良好，顾客满意度、忠诚度名列前茅，"
        "服务品牌开始建立；从顾客角度至少达到六大标准。",
        [
            "规范化和专业化水平高：规范作业，能解决顾客的疑问",
            "满意的态度和优雅的行为：主动关心照顾顾客，以实际行动排忧解难",
            "可亲性和灵活性：地点、营业时间、人员和营运系统便于服务，并能随时灵活调整",
            "可靠性和忠诚感：守诺，无论发生什么情况顾客都能依赖我们",
            "自我修复能力强：出现意外时迅速有效地采取行动，寻找补救措施",
            "美誉度、知名度高：顾客相信我们物有所值，值得信赖",
        ],
    ),
    (
        "s5",
        5,
        "五星级：传奇服务",
        "服务文化基本形成，一切为了顾客；机制流程优化，成为快速便捷的一站式绿色通道；员工把服务"
        "上升到事业文化层面；有叫得响的服务品牌和广为传播的传奇服务故事，成为行业的服务典范。",
        [
            "一切为了顾客的服务文化基本形成，顾客至上已成为员工的自觉行为",
            "各部门配合默契、目标一致，服务成为快速便捷的一站式绿色通道",
            "员工主动用心快乐服务，创造性地满足顾客的个性化需求",
            "有叫得响的服务品牌，传奇的服务故事广泛传播",
            "顾客忠诚度不断提高，服务特色已形成核心竞争力",
        ],
    ),
]


def _five_star() -> dict[str, Any]:
    number = 0
    sections = []
    for code, _stars, name, description, criteria in STAR_LEVELS:
        items = []
        for text in criteria:
            number += 1
            items.append(
                {
                    "code": f"q{number}",
                    "type": "scale",
                    "text": text,
                    "factor": code,
                    "points": 5,
                    "start": 1,
                    "label_low": "完全不符合",
                    "label_high": "完全符合",
                    "point_labels": FIVE_STAR_POINTS,
                }
            )
        sections.append({"title": name, "description": description, "items": items})
    return {
        "format": FORMAT,
        "code": FIVE_STAR_CODE,
        "name": "五星级服务自评",
        "name_en": "Five-star service level self-assessment",
        "kind": "self_assessment",
        "source": "000 五星级服务",
        "paging": "page",
        "description": (
            "服务升级的五个星级梯次（000）：一星级 规范服务，二星级 优秀、科学的服务，三星级 "
            "优异优质服务（专家顾问服务），四星级 卓越的服务，五星级 传奇服务。门店或公司对照每一"
            "级的标准自评；某一级的各项平均达到“基本符合”（4分，即75分）算达到该级，星级为从一星"
            "起连续达到的级数——评定规则为假设，种子只描述了各级的标准。"
        ),
        "missing_rule": "zero",
        "factors": [
            {"code": code, "name": name, "weight": 1} for code, _s, name, _d, _c in STAR_LEVELS
        ],
        "sections": sections,
    }


def templates() -> list[dict[str, Any]]:
    """The team's built-in templates as content dicts (validated by the loader)."""
    return [_csas(), _training(), _leadership(), _five_star()]


def load_team_templates(apps=None) -> int:
    """Create each missing team template as a global instrument, version 1 published (the same
    steps as ``manyi.instruments.builtin.load_builtins``); how many were created."""
    if apps is None:
        from django.apps import apps
    Instrument = apps.get_model("instruments", "Instrument")  # noqa: N806
    Version = apps.get_model("instruments", "InstrumentVersion")  # noqa: N806
    models = {name: apps.get_model("instruments", name) for name in ("Section", "Item", "Factor")}
    existing = set(Instrument.objects.filter(company__isnull=True).values_list("code", flat=True))
    created = 0
    now = clock.now()
    for template in templates():
        content = clean_content(template)
        if content["code"] in existing:
            continue
        instrument = Instrument.objects.create(
            company=None,
            created_at=now,
            updated_at=now,
            **{
                k: content[k]
                for k in ("code", "name", "name_en", "kind", "description", "source", "paging")
            },
        )
        version = Version.objects.create(
            instrument=instrument,
            number=1,
            status="published",
            missing_rule=content["missing_rule"],
            bands=content["bands"],
            band_basis=content["band_basis"],
            created_at=now,
            published_at=now,
        )
        write_content(version, content, **models)
        frozen = read_content(version, with_ids=True)
        ids = frozen.pop("ids")
        version.definition = {**clean_content(frozen), "ids": ids}
        version.save(update_fields=["definition"])
        created += 1
    return created
