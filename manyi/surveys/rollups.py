"""The results' rollup tables: kept current as responses come in, rebuilt from the raw rows.

The results page reads sums, never response rows (DESIGN "Rules that keep it fast": one grouped
aggregate over millions of rows takes seconds). Three tables share one key — company,
instrument version, month, outlet, technician, campaign, region (:class:`RollupKey`):

* :class:`SurveyRollup` — responses, the index sum, promoter/passive/detractor counts, CSAT
  answers and top-2 answers, unhappy answers; and the invitations sent and answered, by the
  month of sending (the response rate);
* :class:`SurveyFactorRollup` — per factor, the count and sum of its scores (factor means);
* :class:`SurveyItemRollup` — per item and value, the distribution of the answers; per item the
  count and sum of its scores; for free-text items one row per keyword (the themes);
* :class:`SurveyOutletItemRollup` — the same without technician, campaign and region (a tenth
  of the rows), which the page reads when no technician or campaign is chosen.

:func:`record_response` adds one response in the submitting transaction with one upsert per
table (``INSERT … ON CONFLICT … DO UPDATE SET n = n + excluded.n``, on SQLite and PostgreSQL
alike); :func:`record_sent` counts an invitation when the sweep sends it. A response's rows
are sorted by key, so two submissions that touch the same rows lock them in the same order.
:func:`rebuild` recomputes a company's rollups from the raw rows with the same arithmetic
(after a data repair; the benchmark's bulk load).

Keywords: :func:`keywords` cuts a text with jieba and keeps words of two characters or more
that are not in a small stop-word list (particles, pronouns, degree words, and the survey's own
generic words such as 满意/服务), at most :data:`MAX_KEYWORDS` per answer, each once.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from manyi.surveys.models import (
    Invitation,
    RollupKey,
    SurveyAnswer,
    SurveyFactorRollup,
    SurveyFactorScore,
    SurveyItemRollup,
    SurveyOutletItemRollup,
    SurveyResponse,
    SurveyRollup,
)

MAX_KEYWORDS = 12
VALUE_LENGTH = 40
# A small stop-word list: function words, pronouns, degree adverbs, and the words every survey
# comment uses (满意, 服务 …), which would top every theme list and say nothing.
STOP_WORDS = frozenset(
    """
    的 了 是 我 你 他 她 它 们 我们 你们 他们 她们 这 那 这个 那个 这些 那些 这样 那样 这么 那么
    就 都 也 还 又 再 才 很 太 挺 比较 非常 特别 十分 有点 有些 一点 一些 一下 一个 一次 一直
    和 与 及 或 或者 而且 但是 但 可是 不过 因为 所以 如果 虽然 然后 而 并且 还是 就是 只是
    在 有 没 没有 不 不是 不会 不能 不要 会 能 能够 可以 要 想 让 把 被 给 对 向 从 到 为 为了
    吧 吗 呢 啊 呀 哦 嗯 哈 啦 吧 么 嘛 哎 唉 个 些 点 次 下 上 里 中 后 前 时 时候 的话 之后
    什么 怎么 怎么样 为什么 哪里 哪 谁 多少 几 自己 大家 其他 其它 别的 另外 已经 曾经 正在
    希望 觉得 感觉 认为 知道 应该 需要 继续 保持 加油 谢谢 感谢 辛苦 总体 整体 总的来说 以后
    满意 不满意 很满意 非常满意 服务 问题 建议 意见 没什么 没啥 还行 还好 一般 可以 不错 挺好
    """.split()
)
_WORDLIKE = re.compile(r"[\w]")
_NUMERIC = re.compile(r"^[\d.,%]+$")


@lru_cache(maxsize=1)
def _jieba():
    import logging
    import warnings

    with warnings.catch_warnings():
        # jieba 0.42's modules carry invalid escape sequences (warned about at import).
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", SyntaxWarning)
        import jieba

    # jieba logs its dictionary loading at DEBUG/INFO to stderr; keep the logs quiet.
    jieba.setLogLevel(logging.WARNING)
    return jieba


def keywords(text: str) -> list[str]:
    """The keywords of a free-text answer, in order of appearance, each once."""
    text = (text or "").strip()
    if not text:
        return []
    words: list[str] = []
    seen: set[str] = set()
    for raw in _jieba().lcut(text[:2000]):
        word = raw.strip().lower()
        if (
            len(word) < 2
            or word in seen
            or word in STOP_WORDS
            or not _WORDLIKE.search(word)
            or _NUMERIC.match(word)
        ):
            continue
        seen.add(word)
        words.append(word[:VALUE_LENGTH])
        if len(words) >= MAX_KEYWORDS:
            break
    return words


def number_text(value: float) -> str:
    """A number as the rollup's value: "5" for 5.0, "2.5" for 2.5."""
    if value == int(value):
        return str(int(value))
    return f"{value:.6g}"


def answer_values(number: float | None, choice: str, text: str, is_na: bool) -> list[str]:
    """The values one answer row counts under: its point, its option(s), "na", or its
    keywords; [""] when it has none (an empty answer counted as zero, a comment of stop words).
    """
    if is_na:
        return ["na"]
    if number is not None:
        return [number_text(number)]
    if choice:
        # Option values never contain commas (instruments.definition._OPTION_VALUE).
        return [v[:VALUE_LENGTH] for v in dict.fromkeys(choice.split(",")) if v] or [""]
    if text:
        return keywords(text) or [""]
    return [""]


# -- keys -----------------------------------------------------------------------------------------


def key_of(response: SurveyResponse) -> tuple[Any, ...]:
    """The rollup key of a response, in :attr:`RollupKey.KEY` order (ids, 0 for none)."""
    return (
        response.company_id,
        response.version_id,
        response.month,
        response.unit_id,
        response.technician_id or 0,
        response.campaign_id or 0,
        response.region_id or 0,
    )


def _month(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date().replace(day=1)


def invitation_key(invitation: Invitation, month: dt.date, region_id: int | None) -> tuple:
    """The rollup key an invitation's sent/answered counters go under."""
    return (
        invitation.company_id,
        invitation.version_id,
        month,
        invitation.unit_id,
        invitation.technician_id or 0,
        invitation.campaign_id or 0,
        region_id or 0,
    )


# -- the upsert -----------------------------------------------------------------------------------

RESPONSE_SUMS = (
    "sent",
    "answered",
    "responses",
    "indexed",
    "index_sum",
    "promoters",
    "passives",
    "detractors",
    "csat_answered",
    "csat_top2",
    "unhappy",
)
FACTOR_SUMS = ("n", "score_sum")
ITEM_SUMS = ("n", "answers", "scored", "score_sum")


def _columns(model, names: Iterable[str]) -> list[str]:
    meta = model._meta
    return [meta.get_field(name).column for name in names]


def upsert(model, keys: Sequence[str], sums: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Add ``rows`` (key values then sums) to ``model``'s table: insert new keys, add the sums
    to existing ones. One statement per 500 rows, rows sorted by key (a fixed lock order)."""
    rows = sorted(rows, key=lambda row: tuple(row[: len(keys)]))
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    key_cols = [quote(c) for c in _columns(model, keys)]
    sum_cols = [quote(c) for c in _columns(model, sums)]
    placeholders = "(" + ", ".join(["%s"] * (len(key_cols) + len(sum_cols))) + ")"
    updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in sum_cols)
    adapt = connection.ops.adapt_datefield_value
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 500):
            batch = rows[start : start + 500]
            sql = (
                f"INSERT INTO {table} ({', '.join(key_cols + sum_cols)}) "  # noqa: S608 - names from the model
                f"VALUES {', '.join([placeholders] * len(batch))} "
                f"ON CONFLICT ({', '.join(key_cols)}) DO UPDATE SET {updates}"
            )
            params: list[Any] = []
            for row in batch:
                params.extend(adapt(v) if isinstance(v, dt.date) else v for v in row)
            cursor.execute(sql, params)


def _item_rows(key: tuple, entries: Iterable[tuple]) -> dict[tuple, list]:
    """Accumulate answer rows ``(item_id, number, choice, text, is_na, count, scored,
    score_sum)`` (``count`` equal answers at once) into item-rollup sums keyed by
    ``key + (item_id, value)``."""
    sums: dict[tuple, list] = defaultdict(lambda: [0, 0, 0, 0.0])
    for item_id, number, choice, text, is_na, count, scored, score_sum in entries:
        values = answer_values(number, choice, text, is_na)
        for position, value in enumerate(values):
            entry = sums[(*key, item_id, value)]
            entry[0] += count
            if position == 0:
                entry[1] += count
                entry[2] += scored
                entry[3] += score_sum
    return sums


def _outlet_rows(items: dict[tuple, list]) -> list[tuple]:
    """Item-rollup sums (keyed by :attr:`RollupKey.KEY` + item, value) summed over technician,
    campaign and region: rows of :class:`SurveyOutletItemRollup`."""
    out: dict[tuple, list] = defaultdict(lambda: [0, 0, 0, 0.0])
    for (company, version, month, unit, _t, _c, _r, item, value), sums in items.items():
        entry = out[(company, version, month, unit, item, value)]
        for i in range(4):
            entry[i] += sums[i]
    return [(*k, *v) for k, v in out.items()]


def record_response(
    response: SurveyResponse,
    *,
    factors: Sequence[SurveyFactorScore],
    answers: Sequence[SurveyAnswer],
) -> None:
    """Add a response just stored (with its factor and answer rows) to the rollups; called by
    ``answering._record`` inside the submitting transaction: one upsert per table."""
    for model, keys, sums, rows in rollup_rows(response, factors=factors, answers=answers):
        upsert(model, keys, sums, rows)


def rollup_rows(
    response: SurveyResponse,
    *,
    factors: Sequence[SurveyFactorScore],
    answers: Sequence[SurveyAnswer],
) -> list[tuple[Any, Sequence[str], Sequence[str], list[tuple]]]:
    """What one response adds to the rollups: (model, key fields, sum fields, rows) per table,
    each table's rows sorted by key (a fixed lock order)."""
    key = key_of(response)
    rows = []
    category = response.nps_category
    main = [
        0,
        0,
        1,
        int(response.index is not None),
        response.index or 0.0,
        int(category == "promoter"),
        int(category == "passive"),
        int(category == "detractor"),
        int(response.csat_top2 is not None),
        int(bool(response.csat_top2)),
        int(bool(response.unhappy)),
    ]
    invitation = response.invitation
    if invitation is not None:
        # The response rate counts by the month of sending; a link answered before the sweep
        # sent it counts as sent when answered (the sweep never sends an answered one).
        sent_at = invitation.sent_at
        sent_key = invitation_key(
            invitation, _month(sent_at) if sent_at else response.month, response.region_id
        )
        if sent_key == key:
            main[0], main[1] = int(sent_at is None), 1
        else:
            rows.append((*sent_key, int(sent_at is None), 1, *[0] * (len(RESPONSE_SUMS) - 2)))
    rows.append((*key, *main))
    entries = (
        (
            a.item_id,
            a.number,
            a.choice,
            a.text,
            a.is_na,
            1,
            int(a.score is not None),
            a.score or 0.0,
        )
        for a in answers
    )
    items = _item_rows(key, entries)
    tables = [
        (SurveyRollup, RollupKey.KEY, RESPONSE_SUMS, rows),
        (
            SurveyFactorRollup,
            (*RollupKey.KEY, "factor"),
            FACTOR_SUMS,
            [(*key, f.factor_id, 1, f.score) for f in factors],
        ),
        (
            SurveyItemRollup,
            (*RollupKey.KEY, "item", "value"),
            ITEM_SUMS,
            [(*k, *v) for k, v in items.items()],
        ),
        (SurveyOutletItemRollup, SurveyOutletItemRollup.KEY, ITEM_SUMS, _outlet_rows(items)),
    ]
    return [
        # Keys are unique within a table: sorting whole rows sorts by key.
        (model, keys, sums, sorted(table_rows))
        for model, keys, sums, table_rows in tables
        if table_rows
    ]


def record_sent(invitation: Invitation, sent_at: dt.datetime) -> None:
    """Count an invitation the sweep has just sent (its unit loaded: the region is its
    parent)."""
    key = invitation_key(invitation, _month(sent_at), invitation.unit.parent_id)
    upsert(
        SurveyRollup,
        RollupKey.KEY,
        RESPONSE_SUMS,
        [(*key, 1, *[0] * (len(RESPONSE_SUMS) - 1))],
    )


# -- rebuilding from the raw rows -----------------------------------------------------------------

_RESPONSE_KEY = (
    "company_id",
    "version_id",
    "month",
    "unit_id",
    "technician_id",
    "campaign_id",
    "region_id",
)


def _norm(key: Sequence[Any]) -> tuple:
    return tuple(v if v is not None else 0 for v in key)


def rebuild(company_id: int, *, batch: int = 5000) -> dict[str, int]:
    """Recompute the rollups of one company from its responses, factor and answer rows and
    invitations (the same arithmetic as :func:`record_response`); returns the row counts.

    Runs in one transaction; the grouping is SQL except for free-text answers (keywords) and
    the invitations' month of sending, which are streamed."""
    from django.db.models import Q

    with transaction.atomic():
        for model in (SurveyRollup, SurveyFactorRollup, SurveyItemRollup, SurveyOutletItemRollup):
            model.objects.filter(company_id=company_id).delete()

        responses = SurveyResponse.objects.filter(company_id=company_id)
        main: dict[tuple, list] = defaultdict(lambda: [0] * len(RESPONSE_SUMS))
        groups = responses.values(*_RESPONSE_KEY).annotate(
            n=Count("pk"),
            indexed=Count("index"),
            index_sum=Sum("index"),
            promoters=Count("pk", filter=Q(nps_category="promoter")),
            passives=Count("pk", filter=Q(nps_category="passive")),
            detractors=Count("pk", filter=Q(nps_category="detractor")),
            csat_answered=Count("csat_top2"),
            csat_top2=Count("pk", filter=Q(csat_top2=True)),
            unhappy=Count("pk", filter=Q(unhappy=True)),
        )
        for g in groups.order_by():
            entry = main[_norm([g[k] for k in _RESPONSE_KEY])]
            for i, name in enumerate(RESPONSE_SUMS[2:], start=2):
                value = g["n" if name == "responses" else name]
                entry[i] += value or 0
        invitations = (
            Invitation.objects.filter(company_id=company_id)
            .filter(Q(sent_at__isnull=False) | Q(answered_at__isnull=False))
            .values_list(
                "version_id",
                "unit_id",
                "unit__parent_id",
                "technician_id",
                "campaign_id",
                "sent_at",
                "answered_at",
            )
        )
        for (
            version_id,
            unit_id,
            region_id,
            tech,
            campaign,
            sent_at,
            answered_at,
        ) in invitations.order_by().iterator(chunk_size=batch):
            month = _month(sent_at or answered_at)
            entry = main[(company_id, version_id, month, unit_id, tech or 0, campaign or 0,
                          region_id or 0)]  # fmt: skip
            entry[0] += 1
            entry[1] += int(answered_at is not None)
        upsert(SurveyRollup, RollupKey.KEY, RESPONSE_SUMS, [(*k, *v) for k, v in main.items()])

        factor_key = [f"response__{k}" for k in _RESPONSE_KEY]
        factors = (
            SurveyFactorScore.objects.filter(company_id=company_id)
            .values(*factor_key, "factor_id")
            .annotate(n=Count("pk"), score_sum=Sum("score"))
            .order_by()
        )
        factor_rows = [
            (*_norm([g[k] for k in factor_key]), g["factor_id"], g["n"], g["score_sum"])
            for g in factors
        ]
        upsert(SurveyFactorRollup, (*RollupKey.KEY, "factor"), FACTOR_SUMS, factor_rows)

        answers = SurveyAnswer.objects.filter(company_id=company_id)
        item_sums: dict[tuple, list] = defaultdict(lambda: [0, 0, 0, 0.0])

        def merge(key: tuple, entries: Iterable[tuple]) -> None:
            for k, v in _item_rows(key, entries).items():
                entry = item_sums[k]
                for i in range(4):
                    entry[i] += v[i]

        answer_key = [f"response__{k}" for k in _RESPONSE_KEY]
        grouped = (
            answers.filter(text="")
            .values(*answer_key, "item_id", "number", "choice", "is_na")
            .annotate(n=Count("pk"), scored=Count("score"), score_sum=Sum("score"))
            .order_by()
        )
        for g in grouped:
            merge(
                _norm([g[k] for k in answer_key]),
                [
                    (g["item_id"], g["number"], g["choice"], "", g["is_na"], g["n"],
                     g["scored"], g["score_sum"] or 0.0)
                ],
            )  # fmt: skip
        texts = (
            answers.exclude(text="")
            .values_list(*answer_key, "item_id", "number", "choice", "text", "is_na", "score")
            .order_by()
        )
        width = len(answer_key)
        for row in texts.iterator(chunk_size=batch):
            item_id, number, choice, text, is_na, score = row[width:]
            merge(
                _norm(row[:width]),
                [(item_id, number, choice, text, is_na, 1, int(score is not None), score or 0.0)],
            )
        upsert(
            SurveyItemRollup,
            (*RollupKey.KEY, "item", "value"),
            ITEM_SUMS,
            [(*k, *v) for k, v in item_sums.items()],
        )
        upsert(
            SurveyOutletItemRollup,
            SurveyOutletItemRollup.KEY,
            ITEM_SUMS,
            _outlet_rows(item_sums),
        )
    return {
        "rollups": SurveyRollup.objects.filter(company_id=company_id).count(),
        "factor_rollups": SurveyFactorRollup.objects.filter(company_id=company_id).count(),
        "item_rollups": SurveyItemRollup.objects.filter(company_id=company_id).count(),
        "outlet_item_rollups": SurveyOutletItemRollup.objects.filter(company_id=company_id).count(),
    }
