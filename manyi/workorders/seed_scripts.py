"""The standard words (话术) every company starts with, from the paint maker's manual (002 第四章).

Quoted from the seed with the maker's name replaced by the placeholder ``{公司}``, which the
display fills with the company's name (:func:`fill_company`). ``XX``/``XXX`` stand for the
names and numbers staff say aloud, as in the manual. These are data in Chinese, not UI strings:
each company edits its own copy on the scripts pages.
"""

from __future__ import annotations

from typing import Any

COMPANY_PLACEHOLDER = "{公司}"
SOURCE = "002 第四章"

# (step, title, body, source) in the order shown within each step.
SEED: list[tuple[str, str, str, str]] = [
    # -- 第二节 二、第一次与用户联系
    (
        "first_call",
        "第一次与用户联系",
        "XXX您好！您家已购买了{公司}的漆，是吗？（是的）我是{公司}服务员，我叫XXX，"
        "您家是（今天、明天或几号）开工吧？（是）那我在（上午、下午或几点钟）左右过来，"
        "您有时间的话，最好也过来，我想把有关施工方面的程序和要求在现场讲一下。\n"
        "（1）“好，谢谢”：不用谢，再见。\n"
        "（2）“我没有时间”：那也不要紧，我会过去把施工程序、施工要求以及应注意的问题向油工"
        "交待清楚的，效果一定会做好，保证质量是我们的责任嘛，请您放心吧。"
        "（“那太感谢你了”）不用谢，再见。\n"
        "（3）“要过几天开工”：那你把我的电话记一下，我的电话是XXXXXX，要开工的时候一定要给我"
        "打个电话，我会安排时间过来的，把施工程序给你和油漆师傅讲清楚，以免出现差错，好吗？"
        "（“好的”）再见。",
        SOURCE,
    ),
    (
        "first_call",
        "电话联系的意义",
        "1. 服务人员在服务过程中必须做到让客户知道你在整个油漆施工中的每一次服务，"
        "以加深客户对{公司}品牌的印象。\n"
        "2. 一定要每次服务上门之前与客户电话联系，服务之后（如果客户不在）与客户电话汇报。\n"
        "3. 与客户电话联系，让客户感觉服务员在不厌其烦地实实在在地做服务。",
        SOURCE,
    ),
    # -- 第二节 三、第二次与用户联系；四、第三次与用户联系
    (
        "later_call",
        "第二次联系：第一次去现场，用户不在",
        "XX您好，我是{公司}的服务员XXX，因为您今天没时间来，我今天已经来了，"
        "我把今天的情况向您简要地讲一下：今天我已经把施工程序和应注意的问题向油漆师傅讲清楚了。"
        "现在正在施工，他们会按照我们的要求去做，明天（或再过几天）就要做下一道工序了"
        "（需要具体说明工序内容），我会来把关的，请放心。（谢谢）不用谢，再见。",
        SOURCE,
    ),
    (
        "later_call",
        "第二次联系：用户在现场",
        "应把现场的经过和下一道工序的安排告诉用户。"
        "（若有需要，先做一个小样，让用户提前看到我们的漆的效果，以便让客户放心。）",
        SOURCE,
    ),
    (
        "later_call",
        "第三次联系：服务前",
        "XXX您好，我是{公司}服务员XXX，现在我想到您的新房工程服务，如果您有时间的话，"
        "最好能过来一下，我们一起去看一看，有什么情况可以向我提出来。\n"
        "（1）好的，谢谢：不用谢，再见。\n"
        "（2）我没时间：那也不要紧，我会过去看的，等会我把现场的情况向您汇报，您放心好了。",
        SOURCE,
    ),
    (
        "later_call",
        "第三次联系：服务后再次联系",
        "XXX您好，我是{公司}服务员XXX，我已经去了施工现场，这几位师傅是完全按照我们要求施工的，"
        "做得比较到位，效果不错的，再过（几）天，就要做下一道工序了（需要具体说明工序内容），"
        "我会过来的，请放心好了。",
        SOURCE,
    ),
    # -- 第二节 五、最后一次与用户联系
    (
        "last_call",
        "最后一次与用户联系",
        "XXX您好，我是{公司}服务员XXX，今天我去工地看了一下，明天（或后天）就可以完工了。"
        "请您抽点时间在完工的时候到工地上去检查一下，看看施工质量、效果以及对我们的服务是不是满意，"
        "如果有什么情况，到时欢迎您提出宝贵意见。还有一事要和您讲一下，我们公司对每一用户都有一张"
        "服务跟踪卡，需要用户签字，公司根据服务跟踪卡要进行考核，以此来评定我们的服务情况，"
        "所以麻烦您啦，最好能过来一下。\n"
        "（1）好的，这么多天辛苦你了：不用客气，再见。\n"
        "（2）没有时间呀：那下次有时间再签吧，再见。",
        SOURCE,
    ),
    # -- 第一节 一、服务须知；二、第一次上门服务；三、第二、三次上门服务
    (
        "first_visit",
        "服务须知",
        "服务时必须注意公司的形象，讲求文明礼貌，见到业主、油工等要主动、热情招呼："
        "“XX师傅，您好！”“您是XX师傅吗（或XX先生）？您好！很高兴见到您。”\n"
        "服务中要用探讨的语气与油工交谈，如：“您看这样好不好？”“我想这样好不好？”“您看怎么样？”",
        SOURCE,
    ),
    (
        "first_visit",
        "主动介绍自己，了解在场的每一人",
        "“我是{公司}售后服务员XXX。”“您是油漆师傅吗？贵姓？”“您是业主吗？贵姓？”"
        "“请问他是业主吗？”（一定要搞清楚在场人员的身份）",
        SOURCE,
    ),
    (
        "first_visit",
        "找准业主",
        "出示服务跟踪卡，向业主介绍自己的服务程序。\n"
        "“我是{公司}售后服务员XXX，您是业主吗？贵姓？（喔，X先生/女士）"
        "您家将由我协助油漆师傅进行施工，这是服务跟踪卡，我会尽力协助油工师傅做好工程，请您放心。”",
        SOURCE,
    ),
    (
        "first_visit",
        "找准油工头",
        "“我是{公司}售后服务员XXX，您是油漆师傅吗？贵姓？（喔，X师傅）您以前做过{公司}的漆吗？”\n"
        "（1）回答：做过。——那您是做我们的漆的老师傅。\n"
        "（2）如果答：没有做过。——把整套施工程序讲一下，观察对方的反应，诚恳地向油工表示："
        "我一定会配合您做好这个工程的，您有什么问题可以随时找我，我的联系电话XXXXXXX，"
        "再见（下次见）。",
        SOURCE,
    ),
    (
        "first_visit",
        "第二、三次上门服务",
        "礼貌敲门，主动打招呼：“XX先生/女士，您好。”“XX师傅，您好。”"
        "巡视整个工程进展状况，示范正在施工或将要施工的工艺方法，讲解为什么要这么做，应该怎么做。"
        "（示范讲解要认真）",
        SOURCE,
    ),
    # -- 第三节 三、施工验收的方法；四、验收结束
    (
        "acceptance",
        "验收前电话联系",
        "XXX您好，我是{公司}工程验收员XXX，今天我去工地进行工程质量检查，请您抽点时间到工地，"
        "看看油漆的质量、效果以及对我们的服务是不是满意，如果有什么情况，到时欢迎您提出宝贵意见。\n"
        "（1）好的，谢谢：不用谢，再见。\n"
        "（2）我今天没时间：那也不要紧，您什么时候有空？（XX时间有空）那我XX时间过来。",
        SOURCE,
    ),
    (
        "acceptance",
        "到工地现场",
        "“我是{公司}工程验收员XXX。”“您是油漆师傅吗？贵姓？”“您是业主吗？贵姓？”"
        "“请问他是业主吗？”——搞清楚在场人员的身份。\n"
        "“您家环境真好。”“您家设计真不错。”（不要说贬义的话）\n"
        "摸摸木器漆、乳胶漆，从侧面看看木器漆、乳胶漆边角处理情况等，做出工程检查的样子。"
        "一边检查，一边向客户介绍工程验收的要点：边是否直、面是否平、收口是否精、手感是否滑。"
        "对油漆评价：可以，不错（不要说非常好）。",
        SOURCE,
    ),
    (
        "acceptance",
        "验收结束：保养常识",
        "油漆整体看来效果不错的，您在家具使用过程中，不要用过硬的东西刻划；"
        "不用较硬的布（用软布）擦灰尘；经常清洁；注意板材受潮变形、发霉。",
        SOURCE,
    ),
    (
        "acceptance",
        "验收结束：递上客户服务记录表",
        "请您给我们的产品、服务提出宝贵的意见。（满意，不用填了）"
        "这是公司工作的要求，麻烦实话实说填一下吧。（填好客户服务记录表）"
        "以后需要什么帮助请给我们来电话，再见。",
        SOURCE,
    ),
    # -- 第一节 三 2–3；第三节 三 2(3)、3、4；第二节 六
    (
        "objections",
        "油工认为这样做浪费工，挣不到钱",
        "其实，只要您习惯了我们的工艺程序，是很简单的，比一般其它油漆都要省工。同时，"
        "您通过做我们的漆提高了自己的知名度，人家自然会慕名而来找您的，接的工程多了，"
        "挣的钱自然就多了。",
        SOURCE,
    ),
    (
        "objections",
        "油漆工价低，油工不按要求施工",
        "向业主解释，协调工价，介绍油工一般的施工习惯、解释为什么需要这么做，这么做的好处。\n"
        "“这样施工确实需要花工，一般市场上做到这样效果工价是XXX。”\n"
        "（如果业主反对，给业主算出需加的工价）“需要加的工价不多的，但做出的效果大不一样，"
        "您家工程做到现在如果油漆做得不理想那真是遗憾。”（表达时要热情、耐心）",
        SOURCE,
    ),
    (
        "objections",
        "客户对工程质量提出意见",
        "“我正要给油漆师傅讲这方面的事。”\n"
        "如果能补救：先与油漆师傅耐心地讲解问题原因、解决方法。再与客户交谈："
        "“我已经与油漆师傅交谈了这个问题，明天我让咱们服务人员和师傅一起把它弄好。"
        "放心吧，一定把它弄好。”\n"
        "如果不能补救：先与油漆师傅耐心地讲解问题原因、解决方法。再与客户交谈"
        "（让客户心理平衡）：“我已经与油漆师傅谈了这个问题，这种情况不能修补，越补越难看，"
        "因为……（这种情况是没办法避免的，因为……）”",
        SOURCE,
    ),
    (
        "objections",
        "客户投诉技术服务员",
        "感谢您给我们提出宝贵意见，我们会对XX服务人员进行批评，进一步完善我们的服务的。谢谢您。",
        SOURCE,
    ),
    (
        "objections",
        "客户投诉油漆工",
        "尽可能站在油工的角度进行解释。例：油漆师傅是XXXXX想的，他可没有想到XXXXX。",
        SOURCE,
    ),
    (
        "objections",
        "站在业主和油工两边的角度",
        "让业主感觉服务完全站在业主利益角度：客户在场不与油工过于亲切，让客户感觉技术服务员真正在"
        "指导、监督油工施工。可以在电话中与业主讲：“油漆师傅原来是那样施工，后来通过服务，"
        "油漆师傅已按照我们的标准施工了。”\n"
        "让油工感觉站在油工角度：业主在场时，不说油工技术不好，应讲油工水平可以（不说很高），"
        "只是对我们的漆的施工工艺不习惯；工艺指导时，热情、多动手，避免让油工感觉指手画脚。",
        SOURCE,
    ),
    # -- 回访: 第四章 has no words for it; built from 第三章 四.4 and 第四章 第三节 四.1
    (
        "return_visit",
        "完工一个月内回访",
        "XXX您好，我是{公司}服务员XXX，您家的工程完工有一段时间了，想了解一下油漆使用得怎么样，"
        "有没有什么问题？（了解客户装修的使用、维护状况）\n"
        "提出保养建议：不要用过硬的东西刻划；不用较硬的布（用软布）擦灰尘；经常清洁；"
        "注意板材受潮变形、发霉。\n"
        "以后需要什么帮助请给我们来电话，再见。",
        "002 第三章 四、第四章 第三节",
    ),
]


def fill_company(text: str, company_name: str) -> str:
    """A script's words with ``{公司}`` replaced by the company's name, as staff read them."""
    return (text or "").replace(COMPANY_PLACEHOLDER, company_name)


def create_seed_scripts(script_model: Any, company_id: int) -> int:
    """Create the seed scripts for a company that has none; the number created (0 if it had some).

    Takes the model class so the data migration can pass its historical model.
    """
    if script_model.objects.filter(company_id=company_id).exists():
        return 0
    rows = []
    positions: dict[str, int] = {}
    for step, title, body, source in SEED:
        position = positions.get(step, 0)
        positions[step] = position + 1
        rows.append(
            script_model(
                company_id=company_id,
                step=step,
                title=title,
                body=body,
                position=position,
                source=source,
            )
        )
    script_model.objects.bulk_create(rows)
    return len(rows)


def seed_scripts(company: Any) -> int:
    """Give ``company`` (an org Unit of kind company) the standard scripts if it has none.

    Idempotent: a company that already has scripts, seeded or its own, is left alone.
    """
    from manyi.workorders.models import Script

    return create_seed_scripts(Script, company.pk)
