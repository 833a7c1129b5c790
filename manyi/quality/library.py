"""Starter content written from the seeds: standard libraries per industry and the default
mystery-shopping checklist.

The standards follow the seed's test (003 P-040): each names a measurable criterion — with a
number and a unit where there is one — so an auditor can see whether it was met. Sources:
003 P-041 (the sample standards: greeted within 30 seconds, the duty manager handles
dissatisfaction, dress code), 002 第七章 and 第三章 (the paint dealer's technical service:
appointment by phone, on time, standard greeting, no water, cigarettes or food from customers,
contact the day after purchase, return visit within a month), 004 §3.2 (the car dealer's
19-item survey: prompt reception, flexible appointments, maintenance reminders, "您好" with a
smile, explanation before work, six protective covers, return visit within three days).

One general standard is deliberately left without a criterion — the seed's own example of a
"一般标准" ("员工对顾客态度友好") — so the library shows what "not observable" looks like.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from manyi.instruments.definition import FORMAT
from manyi.org.models import Industry
from manyi.quality.models import Area

# (code, area, statement, criterion, value, unit, source)
Row = tuple[str, str, str, str, str | None, str, str]

GENERAL: list[Row] = [
    (
        "G-01",
        Area.TIMELINESS,
        "顾客进入服务区域时，在30秒内听到招呼。",
        "从进店到第一次招呼不超过30秒",
        "30",
        "秒",
        "003 P-041",
    ),
    (
        "G-02",
        Area.ANTICIPATION,
        "想法领先顾客一步：顾客开口之前，员工已主动提供所需。",
        "每位顾客至少一次主动服务（递篮、让座、倒水）",
        "1",
        "次",
        "003 P-041",
    ),
    (
        "G-03",
        Area.BODY_LANGUAGE,
        "员工边引领顾客，边与顾客交谈，面带微笑，目光接触。",
        "引领全程有交谈和微笑",
        None,
        "",
        "003 P-041",
    ),
    (
        "G-04",
        Area.CUSTOMER_FEEDBACK,
        "顾客表示不满时，当班经理亲自与顾客接触，处理不满。",
        "不满出现后10分钟内当班经理到场",
        "10",
        "分钟",
        "003 P-041",
    ),
    (
        "G-05",
        Area.APPEARANCE,
        "员工着装完全遵照员工手册中的着装规定。",
        "着装、胸卡逐项符合手册，不符合项为0",
        "0",
        "项",
        "003 P-041",
    ),
    ("G-06", Area.ATTENTIVENESS, "员工对顾客态度友好。", "", None, "", "003 P-041 一般标准"),
]

PHARMACY: list[Row] = [
    (
        "PH-01",
        Area.TIMELINESS,
        "顾客进店30秒内，店员微笑问候“您好，请问需要什么帮助？”",
        "进店到问候不超过30秒",
        "30",
        "秒",
        "003 P-041",
    ),
    (
        "PH-02",
        Area.FLOW,
        "收银台排队不超过3人，超过时立即开启第二个收银台。",
        "排队人数不超过3人",
        "3",
        "人",
        "003 P-022",
    ),
    (
        "PH-03",
        Area.GUIDANCE,
        "销售处方药时核对处方，并向顾客讲清用法用量和注意事项。",
        "每笔处方药交易都讲解用法用量",
        "100",
        "%",
        "003 P-019",
    ),
    (
        "PH-04",
        Area.ATTENTIVENESS,
        "顾客询问症状时，店员先问清症状、年龄和过敏史，再推荐药品。",
        "推荐前至少询问3个问题",
        "3",
        "个",
        "003 P-009",
    ),
    (
        "PH-05",
        Area.COMMUNICATION,
        "新品、促销和医保信息在店内醒目位置公示，店员主动告知。",
        "公示齐全，结账前主动告知一次",
        "1",
        "次",
        "003 P-010",
    ),
    (
        "PH-06",
        Area.CUSTOMER_FEEDBACK,
        "意见卡放在收银台旁，顾客意见在24小时内回复。",
        "意见回复不超过24小时",
        "24",
        "小时",
        "003 P-073",
    ),
    (
        "PH-07",
        Area.APPEARANCE,
        "店员穿白大褂、佩戴胸卡，执业药师挂牌上岗。",
        "当班人员全部着装挂牌",
        "100",
        "%",
        "003 P-041",
    ),
    (
        "PH-08",
        Area.SELLING_SKILL,
        "关联推荐与顾客需求相关，每次不超过1种，顾客拒绝后不再推荐。",
        "每次关联推荐不超过1种",
        "1",
        "种",
        "003 P-010",
    ),
    (
        "PH-09",
        Area.PROBLEM_SOLVING,
        "顾客要求退换时，店员先致歉并说明政策，当场不能解决的由店长当天答复。",
        "店长答复不超过1天",
        "1",
        "天",
        "003 P-100",
    ),
    (
        "PH-10",
        Area.ANTICIPATION,
        "慢病顾客按用药周期，提前3天电话提醒续药。",
        "续药提醒提前3天",
        "3",
        "天",
        "003 P-009",
    ),
    (
        "PH-11",
        Area.TONE_OF_VOICE,
        "用药咨询时语调平和，涉及隐私的问题放低音量、到咨询区交谈。",
        "隐私咨询全部在咨询区进行",
        "100",
        "%",
        "003 P-009",
    ),
    (
        "PH-12",
        Area.ADAPTABILITY,
        "老人、孕妇和行动不便的顾客可优先结账，并有座椅可坐。",
        "优先通道和座椅随时可用",
        None,
        "",
        "003 P-009",
    ),
]

CAR_DEALER: list[Row] = [
    (
        "CD-01",
        Area.TIMELINESS,
        "顾客车辆进店2分钟内，服务顾问上前接待。",
        "进店到接待不超过2分钟",
        "2",
        "分钟",
        "004 §3.2 第1项",
    ),
    (
        "CD-02",
        Area.ADAPTABILITY,
        "顾客可通过电话或短信预约，服务顾问灵活安排维修保养时间。",
        "预约时段至少提供2个选择",
        "2",
        "个",
        "004 §3.2 第2项",
    ),
    (
        "CD-03",
        Area.ANTICIPATION,
        "保养到期前7天提醒顾客进行例行保养。",
        "提醒提前7天",
        "7",
        "天",
        "004 §3.2 第3项",
    ),
    (
        "CD-04",
        Area.BODY_LANGUAGE,
        "服务顾问面带微笑，对每位顾客说“您好”。",
        "每位进店顾客都听到“您好”",
        "100",
        "%",
        "004 §3.2 第4项",
    ),
    (
        "CD-05",
        Area.COMMUNICATION,
        "维修保养前，服务顾问向顾客解释服务内容和预估费用。",
        "开工前解释并经顾客确认",
        None,
        "",
        "004 §3.2 第6项",
    ),
    (
        "CD-06",
        Area.ORGANISATION,
        "维修保养前，在车内放好方向盘套、座椅套、脚垫等六件套。",
        "六件套齐全",
        "6",
        "件",
        "004 §3.2 第19项",
    ),
    (
        "CD-07",
        Area.FLOW,
        "在承诺时间内交车。",
        "实际交车不晚于承诺时间",
        "0",
        "分钟",
        "004 §3.1.3 交车",
    ),
    (
        "CD-08",
        Area.GUIDANCE,
        "交车时解释维修保养完成情况和收费明细。",
        "逐项解释，顾客无疑问后签字",
        None,
        "",
        "004 §3.1.3 交车",
    ),
    (
        "CD-09",
        Area.CUSTOMER_FEEDBACK,
        "维修保养后三日内回访顾客。",
        "回访不超过3天",
        "3",
        "天",
        "004 §3.2 第18项",
    ),
    (
        "CD-10",
        Area.APPEARANCE,
        "交车时车辆内外干净，服务顾问着装整洁。",
        "车辆清洁检查项全部合格",
        "100",
        "%",
        "004 §3.1.3",
    ),
    (
        "CD-11",
        Area.PROBLEM_SOLVING,
        "顾客投诉时当场致歉并记录，24小时内给出处理方案。",
        "处理方案不超过24小时",
        "24",
        "小时",
        "004 投诉处理原则",
    ),
    (
        "CD-12",
        Area.ATTENTIVENESS,
        "接车时详细追问，弄清车辆问题和顾客需求。",
        "接车单上记录问题描述至少1条",
        "1",
        "条",
        "004 §3.1.3",
    ),
    (
        "CD-13",
        Area.SELLING_SKILL,
        "推荐附加项目时说明理由和价格，顾客拒绝后不再重复推荐。",
        "同一项目最多推荐1次",
        "1",
        "次",
        "004 §3.2",
    ),
]

PAINT_DEALER: list[Row] = [
    (
        "PT-01",
        Area.ANTICIPATION,
        "顾客购买后次日，技术服务员电话联系顾客，约定首次上门时间。",
        "购买后1天内联系",
        "1",
        "天",
        "002 第三章",
    ),
    (
        "PT-02",
        Area.TIMELINESS,
        "提前电话预约，按约定时间准时上门。",
        "迟到不超过10分钟",
        "10",
        "分钟",
        "002 第七章 三1",
    ),
    (
        "PT-03",
        Area.APPEARANCE,
        "上门时统一穿工作装、佩戴胸卡，携带统一服务用具。",
        "工作装、胸卡、用具齐全",
        "3",
        "项",
        "002 第七章 二",
    ),
    (
        "PT-04",
        Area.TONE_OF_VOICE,
        "进入服务程序前，按公司规定用语与客户、施工人员打招呼。",
        "使用规定用语",
        None,
        "",
        "002 第七章 三2",
    ),
    (
        "PT-05",
        Area.FLOW,
        "按服务卡规定的程序和内容服务，每道工序在跟踪卡上记一行。",
        "跟踪卡记录完整，每道工序1行",
        "1",
        "行",
        "002 第七章 三3",
    ),
    (
        "PT-06",
        Area.ORGANISATION,
        "不喝客户一口水、不抽客户一支烟、不吃客户任何食品。",
        "违规次数为0",
        "0",
        "次",
        "002 第七章 三4",
    ),
    (
        "PT-07",
        Area.COMMUNICATION,
        "每次服务结束，向客户通报服务内容和施工进展，协助清理现场。",
        "每次服务后通报",
        "100",
        "%",
        "002 第七章 三5",
    ),
    (
        "PT-08",
        Area.CUSTOMER_FEEDBACK,
        "完工后一个月内电话或上门回访。",
        "回访不超过30天",
        "30",
        "天",
        "002 第三章",
    ),
    (
        "PT-09",
        Area.GUIDANCE,
        "向顾客和油工讲清调配比例、干燥时间和使用方法。",
        "服务记录表上三项均有记录",
        "3",
        "项",
        "002 第三章",
    ),
    (
        "PT-10",
        Area.PROBLEM_SOLVING,
        "处理投诉时先安抚情绪，现场勘查之前不谈赔偿和责任。",
        "勘查前谈及赔偿次数为0",
        "0",
        "次",
        "002 第五章",
    ),
    (
        "PT-11",
        Area.ATTENTIVENESS,
        "门店导购在顾客进店30秒内主动招呼，并询问装修进度。",
        "进店到招呼不超过30秒",
        "30",
        "秒",
        "003 P-041",
    ),
    (
        "PT-12",
        Area.SELLING_SKILL,
        "根据房间用途推荐合适的产品，并说明用量的计算方法。",
        "推荐时说明用量",
        None,
        "",
        "002 第一章",
    ),
    (
        "PT-13",
        Area.ADAPTABILITY,
        "顾客临时改期时，24小时内重新约定上门时间。",
        "重新约定不超过24小时",
        "24",
        "小时",
        "002 第七章 三1",
    ),
]

LIBRARIES: dict[str, list[Row]] = {
    "": GENERAL,
    Industry.PHARMACY: PHARMACY,
    Industry.CAR_DEALER: CAR_DEALER,
    Industry.PAINT_DEALER: PAINT_DEALER,
}


def standard_data(row: Row, industry: str) -> dict[str, Any]:
    """The create_standard data of one library row."""
    code, area, statement, criterion, value, unit, source = row
    return {
        "code": code,
        "industry": industry,
        "area": area,
        "statement": statement,
        "criterion": criterion,
        "criterion_value": Decimal(value) if value is not None else None,
        "criterion_unit": unit,
        "source": source,
    }


# -- the default mystery-shopping checklist -------------------------------------------------------
# 003 P-015 names "评估服务表现的清单9项内容" and "确定接待顾客的流程" without listing them; these
# nine points and five steps are written from the seed's own standards (P-041, P-046).

CHECKLIST_CODE = "mystery-shopping"
CHECKLIST_FACTORS = [
    ("reception", "接待"),
    ("manner", "仪表与态度"),
    ("advice", "需求与建议"),
    ("facilities", "环境与设施"),
    ("closing", "结账与送别"),
    ("process", "服务流程"),
]
CHECKLIST_POINTS = [
    ("p1", "reception", "进店30秒内有员工招呼。"),
    ("p2", "manner", "员工着装整洁，佩戴胸卡。"),
    ("p3", "manner", "员工面带微笑，语气友好，有目光接触。"),
    ("p4", "advice", "员工主动询问需求，耐心听完。"),
    ("p5", "advice", "产品或服务介绍准确、专业。"),
    ("p6", "advice", "建议符合需求，没有强行推销。"),
    ("p7", "facilities", "店内整洁，设施完好，标识清楚。"),
    ("p8", "closing", "结账准确、快捷，主动提供票据。"),
    ("p9", "closing", "道别并欢迎再次光临。"),
]
SERVICE_STEPS = [
    ("st1", "迎接：主动招呼顾客。"),
    ("st2", "了解需求：询问并确认顾客要什么。"),
    ("st3", "介绍与建议：说明产品或服务，给出建议。"),
    ("st4", "成交：结账，交代使用方法或注意事项。"),
    ("st5", "送别：道别，欢迎再来。"),
]


def checklist_content() -> dict[str, Any]:
    """The default checklist as an instrument content dict (kind mystery_shopping): the nine
    evaluation points and the service steps, met / partly / not met, one factor per area."""
    return {
        "format": FORMAT,
        "code": CHECKLIST_CODE,
        "name": "神秘顾客检查表",
        "name_en": "Mystery shopping checklist",
        "kind": "mystery_shopping",
        "description": "评估服务表现的9项内容和接待顾客的流程（003 P-015/016）。",
        "source": "003 P-015/016",
        "paging": "page",
        "missing_rule": "skip",
        "band_basis": "index",
        "bands": [
            {"min": 90, "label": "优秀"},
            {"min": 75, "label": "良好"},
            {"min": 60, "label": "合格"},
            {"min": 0, "label": "需改进"},
        ],
        "factors": [{"code": c, "name": n, "weight": 1} for c, n in CHECKLIST_FACTORS],
        "sections": [
            {
                "title": "服务表现（9项）",
                "description": "按你作为顾客的亲身经历评判。",
                "items": [
                    {"code": c, "type": "audit", "text": t, "factor": f}
                    for c, f, t in CHECKLIST_POINTS
                ],
            },
            {
                "title": "接待流程",
                "description": "员工是否完成了每一个步骤？",
                "items": [
                    {"code": c, "type": "audit", "text": t, "factor": "process"}
                    for c, t in SERVICE_STEPS
                ],
            },
        ],
    }


AUDIT_BANDS = [
    {"min": 90, "label": "优秀"},
    {"min": 75, "label": "良好"},
    {"min": 60, "label": "合格"},
    {"min": 0, "label": "需改进"},
]
