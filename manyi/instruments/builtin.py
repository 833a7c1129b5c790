"""The built-in templates every company may use, each naming the seed it comes from.

They are content dicts in the import/export format (definition.py), in Chinese: they are data,
not UI strings. :func:`load_builtins` creates each one that is missing as a global instrument
(``company`` empty) with version 1 published; it is idempotent and runs from the data migration
``0002_builtin_templates`` (with the historical models) and may be called again at any time.
A company that wants to change a template copies it (actions.copy_instrument).

Where a seed is silent (a rating scale, a weight) the description says what was assumed.
"""

from __future__ import annotations

from typing import Any

from manyi import clock
from manyi.instruments.definition import FORMAT, clean_content
from manyi.instruments.rows import read_content, write_content

SATISFACTION_5 = ["非常不满意", "不满意", "一般", "满意", "非常满意"]


def _scale(code: str, text: str, factor: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "code": code,
        "type": "scale",
        "text": text,
        "factor": factor,
        "points": 5,
        "label_low": "非常不满意",
        "label_high": "非常满意",
        "point_labels": SATISFACTION_5,
        **extra,
    }


def _comment(code: str, text: str = "您还有什么意见或建议？", **extra: Any) -> dict[str, Any]:
    return {"code": code, "type": "text", "text": text, "required": False, **extra}


# 004 §3.1.3 新CSI调研的具体环节指标 (J.D. Power China CSI, the new model): five factors and their
# attributes. The seed shows a weight only for 服务质量 (35%); the other 65% is split evenly.
CSI_FACTORS = [
    ("initiation", "服务启动", 16.25),
    ("advisor", "服务顾问", 16.25),
    ("facility", "服务设施", 16.25),
    ("pickup", "交车", 16.25),
    ("quality", "服务质量", 35.0),
]
CSI_ATTRIBUTES = {
    "initiation": [
        "来店安排是否容易（通过电话、短信等等；包括与接待人员沟通的时间）",
        "来店安排的时间是否灵活",
        "到店接待时间（包括等待迎接的时间、与接车员沟通的时间和完成所有初始文书工作的时间）",
    ],
    "advisor": ["接车员礼貌/友好", "接车员的对应", "接车员解释详细、透彻"],
    "facility": ["车辆进出便利", "休息区干净", "休息区舒适", "休息区的设施"],
    "pickup": [
        "交车时间（包括等待交车、完成文书工作、交付车辆的时间）",
        "收费合理",
        "接车员协助交车（帮助取车、办理付款手续等等）",
    ],
    "quality": [
        "维修保养所花时间",
        "保养、维修作业的彻底性",
        "车辆交付时车辆的状态、整洁度（没有损伤、操控及位置不变）",
    ],
}


def _csi() -> dict[str, Any]:
    sections = []
    number = 0
    for code, name, _weight in CSI_FACTORS:
        items = []
        for text in CSI_ATTRIBUTES[code]:
            number += 1
            items.append(_scale(f"q{number}", text, code))
        sections.append(
            {"title": name, "description": "请对本次服务的以下方面打分。", "items": items}
        )
    sections[-1]["items"].append(_comment("comment"))
    return {
        "format": FORMAT,
        "code": "csi",
        "name": "售后服务满意度指数调研（CSI）",
        "name_en": "Customer Service Index (CSI) survey",
        "kind": "survey",
        "source": "004 §3.1.3",
        "paging": "item",
        "description": (
            "J.D. Power 新CSI模型的五个环节及其指标（004 §3.1.3）。权重：服务质量 35%（种子所示）；"
            "其余 65% 由另外四个环节平分（各 16.25%），此为假设。种子未给出评分尺度，"
            "此处假设为五级满意度（1 非常不满意 … 5 非常满意）。"
            "末尾的意见栏为新增的可选项，不计分。"
        ),
        "missing_rule": "skip",
        "factors": [{"code": c, "name": n, "weight": w} for c, n, w in CSI_FACTORS],
        "sections": sections,
    }


# 004 §3.2 XXX汽车对CSI调查的内容: the dealer's own 19 items, each with a score column (得分).
DEALER_ITEMS = [
    ("initiation", "服务顾问及时接待进店顾客"),
    ("initiation", "服务顾问灵活安排顾客预约的维修/保养时间"),
    ("initiation", "服务店提醒顾客对车辆进行例行保养"),
    ("advisor", "服务顾问对顾客微笑说“您好”"),
    ("advisor", "服务顾问的专业性和及时性"),
    ("advisor", "维修/保养前，服务顾问对要进行的服务内容进行解释"),
    ("facility", "顾客车辆进出服务店的便利程度"),
    ("facility", "服务店环境的洁净程度"),
    ("facility", "服务店休息区的舒适程度"),
    ("pickup", "维修/保养结束后的交车时间"),
    ("pickup", "服务店收费的合理性"),
    ("pickup", "维修/保养结束后，服务店的交车服务"),
    ("quality", "维修技工的技术水平"),
    ("quality", "顾客车辆维修/保养所用时间"),
    ("quality", "车辆一次性修复率"),
    ("quality", "服务店及时提供所需备件的能力"),
    ("quality", "服务店交车时车辆的状态"),
    ("pickup", "维修/保养后，服务店在三日内回访顾客"),
    ("advisor", "维修/保养前，服务顾问在车内放入方向盘套、座椅套、脚垫等六件套"),
]


def _dealer() -> dict[str, Any]:
    return {
        "format": FORMAT,
        "code": "dealer-csi-19",
        "name": "经销商CSI调查（19项）",
        "name_en": "Dealer CSI survey (19 items)",
        "kind": "survey",
        "source": "004 §3.2",
        "paging": "page",
        "description": (
            "XXX汽车的19项CSI调查内容（004 §3.2），按种子的序号排列。种子只列出调查项目和“得分”栏："
            "评分尺度假设为五级满意度；各项归入新CSI模型的五个环节并沿用其权重（服务质量 35%，"
            "其余平分），第18项（三日内回访）归入交车环节——这些归类均为假设。"
        ),
        "missing_rule": "skip",
        "factors": [{"code": c, "name": n, "weight": w} for c, n, w in CSI_FACTORS],
        "sections": [
            {
                "title": "",
                "description": "请对本次维修/保养服务的各项打分。",
                "items": [
                    _scale(f"q{n}", text, factor)
                    for n, (factor, text) in enumerate(DEALER_ITEMS, start=1)
                ],
            }
        ],
    }


def _feedback() -> dict[str, Any]:
    # 002 第三章: at completion the customer signs the tracking card and the feedback form
    # (客户意见反馈表); 第四章 asks them to check "施工质量、效果以及对我们的服务是不是满意" and to
    # give "对本次服务整体的评价" and "宝贵的意见".
    overall = [
        ("very_satisfied", "非常满意", 3),
        ("satisfied", "满意", 2),
        ("neutral", "一般", 1),
        ("dissatisfied", "不满意", 0),
    ]
    return {
        "format": FORMAT,
        "code": "feedback-form",
        "name": "客户意见反馈表",
        "name_en": "Customer feedback form",
        "kind": "feedback",
        "source": "002 第三章、第四章",
        "paging": "page",
        "description": (
            "工程结束、经客户认可后由客户填写并签字（002 第三章）。种子只提到此表而未印出表样："
            "题目取自种子的话术——施工质量与效果、对服务是否满意、技术服务员的工作方法与态度、"
            "对本次服务的整体评价和意见。整体评价的四级与施工记录表一致。"
        ),
        "missing_rule": "skip",
        "factors": [],
        "sections": [
            {
                "title": "施工与服务",
                "description": "",
                "items": [
                    _scale("quality", "您对油漆的施工质量、效果是否满意？"),
                    _scale("product", "您对我们的产品是否满意？"),
                    _scale("attitude", "您对技术服务员的工作态度是否满意？"),
                    _scale("method", "您对技术服务员的工作方法（指导、示范）是否满意？"),
                    {
                        "code": "reported",
                        "type": "yes_no",
                        "text": "每道工序后，技术服务员是否向您汇报了服务情况？",
                    },
                    {
                        "code": "overall",
                        "type": "single",
                        "text": "您对本次服务的整体评价",
                        "options": [
                            {"value": v, "label": label, "score": s} for v, label, s in overall
                        ],
                    },
                    _comment("comment", "请您给我们的产品、服务提出宝贵的意见"),
                ],
            }
        ],
    }


def _inquiry() -> dict[str, Any]:
    # 000 售后服务五步: 一、核查定货 二、安装与使用 三、主动问询满意、不满意 …
    return {
        "format": FORMAT,
        "code": "install-inquiry",
        "name": "安装后满意度问询",
        "name_en": "Post-installation inquiry",
        "kind": "inquiry",
        "source": "000 售后服务 三、主动问询满意、不满意",
        "paging": "item",
        "description": (
            "安装与使用之后，主动问询顾客满意还是不满意（000 第三步）。"
            "不满意时追问原因，供回访跟进；原因选项为新增的常见类别。"
        ),
        "missing_rule": "skip",
        "factors": [],
        "sections": [
            {
                "title": "",
                "description": "",
                "items": [
                    {
                        "code": "satisfied",
                        "type": "single",
                        "text": "您对这次的送货安装满意吗？",
                        "options": [
                            {"value": "satisfied", "label": "满意", "score": 1},
                            {"value": "not_satisfied", "label": "不满意", "score": 0},
                        ],
                    },
                    {
                        "code": "reasons",
                        "type": "multiple",
                        "text": "哪些方面让您不满意？",
                        "show_if": {"item": "satisfied", "op": "==", "value": "not_satisfied"},
                        "options": [
                            {"value": "product", "label": "产品质量", "score": None},
                            {"value": "install", "label": "安装质量", "score": None},
                            {"value": "attitude", "label": "服务态度", "score": None},
                            {"value": "time", "label": "准时守约", "score": None},
                            {"value": "other", "label": "其他", "score": None},
                        ],
                    },
                    _comment(
                        "detail",
                        "请具体说说，我们会尽快为您处理",
                        show_if={"item": "satisfied", "op": "==", "value": "not_satisfied"},
                    ),
                ],
            }
        ],
    }


def _nps() -> dict[str, Any]:
    return {
        "format": FORMAT,
        "code": "nps",
        "name": "净推荐值（NPS）",
        "name_en": "Net Promoter Score (NPS)",
        "kind": "survey",
        "source": "标准 NPS 问法（非种子内容）",
        "paging": "item",
        "description": (
            "0–10 分推荐意愿：9–10 推荐者，7–8 被动者，0–6 贬损者；NPS = 推荐者% − 贬损者%。"
        ),
        "missing_rule": "skip",
        "factors": [],
        "sections": [
            {
                "title": "",
                "description": "",
                "items": [
                    {
                        "code": "recommend",
                        "type": "nps",
                        "text": "您有多大可能向亲友推荐我们？",
                        "label_low": "完全不可能",
                        "label_high": "非常可能",
                    },
                    _comment("reason", "您给出这个分数的主要原因是什么？"),
                ],
            }
        ],
    }


def _csat() -> dict[str, Any]:
    return {
        "format": FORMAT,
        "code": "csat",
        "name": "顾客满意度（CSAT）",
        "name_en": "Customer satisfaction (CSAT)",
        "kind": "survey",
        "source": "标准 CSAT 五级问法（非种子内容）",
        "paging": "item",
        "description": (
            "五级满意度；CSAT = 选 4（满意）或 5（非常满意）的比例。3 分及以下追问改进之处。"
        ),
        "missing_rule": "skip",
        "factors": [],
        "sections": [
            {
                "title": "",
                "description": "",
                "items": [
                    _scale("overall", "您对本次服务的总体满意程度如何？"),
                    _comment(
                        "improve",
                        "我们哪些地方需要改进？",
                        show_if={"item": "overall", "op": "<=", "value": 3},
                    ),
                ],
            }
        ],
    }


def templates() -> list[dict[str, Any]]:
    """The built-in templates as content dicts (validated by the loader)."""
    return [_csi(), _dealer(), _feedback(), _inquiry(), _nps(), _csat()]


def load_builtins(apps=None) -> int:
    """Create each missing built-in template (published version 1); how many were created."""
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
