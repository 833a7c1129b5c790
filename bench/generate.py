"""N synthetic customers for one company, inserted fast and deterministically.

The company, its regions and outlets are created through the real actions (``create_company``,
``create_unit``), so they are exactly what a real installation has. The customers are not: at
millions of rows the per-row cost of the ORM and the audit log would take hours, so they are
streamed straight into ``customers_customer`` — ``COPY … FROM STDIN`` on PostgreSQL, large
``executemany`` batches on SQLite — with ``search_text`` computed by the app's own
``index_tokens``. The search index is rebuilt in one pass after the load, which is faster than
maintaining it row by row, with the statements of ``manyi.customers.search_index``, so it ends
up exactly as the app builds it.

Every value comes from ``random.Random(seed)`` and the row's ordinal, so two runs with the same
seed build the same data, and a larger run extends a smaller one.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction

from manyi.customers import search_index
from manyi.customers.models import Customer
from manyi.customers.search import index_tokens
from manyi.org import actions as org_actions
from manyi.org.models import Industry, Role, Staff, Unit, UnitKind

COMPANY_CODE = "BENCH"
HEAD_USERNAME = "bench_head"
DEFAULT_SEED = 20261122


# -- the data ---------------------------------------------------------------------------------

# Common surnames, weighted roughly by their share of the population (王 ≈ 7 %), so a surname
# fragment is as unselective as it is in a real archive. A few compound surnames for realism.
SURNAMES: list[tuple[str, float]] = [
    ("王", 7.1), ("李", 7.0), ("张", 6.7), ("刘", 5.4), ("陈", 4.5), ("杨", 3.1), ("黄", 2.2),
    ("赵", 2.0), ("吴", 2.0), ("周", 1.9), ("徐", 1.3), ("孙", 1.3), ("马", 1.1), ("朱", 1.1),
    ("胡", 1.0), ("郭", 1.0), ("何", 0.9), ("高", 0.9), ("林", 0.9), ("罗", 0.9), ("郑", 0.8),
    ("梁", 0.7), ("谢", 0.6), ("宋", 0.5), ("唐", 0.5), ("许", 0.5), ("韩", 0.5), ("冯", 0.4),
    ("邓", 0.4), ("曹", 0.4), ("彭", 0.4), ("曾", 0.4), ("肖", 0.4), ("田", 0.4), ("董", 0.4),
    ("袁", 0.4), ("潘", 0.3), ("于", 0.3), ("蒋", 0.3), ("蔡", 0.3), ("余", 0.3), ("杜", 0.3),
    ("叶", 0.3), ("程", 0.3), ("苏", 0.3), ("魏", 0.3), ("吕", 0.3), ("丁", 0.3), ("任", 0.3),
    ("沈", 0.3), ("姚", 0.2), ("卢", 0.2), ("姜", 0.2), ("崔", 0.2), ("钟", 0.2), ("谭", 0.2),
    ("陆", 0.2), ("汪", 0.2), ("范", 0.2), ("金", 0.2), ("石", 0.2), ("廖", 0.2), ("贾", 0.2),
    ("夏", 0.2), ("韦", 0.2), ("付", 0.2), ("方", 0.2), ("白", 0.2), ("邹", 0.2), ("孟", 0.2),
    ("熊", 0.2), ("秦", 0.2), ("邱", 0.2), ("江", 0.2), ("尹", 0.2), ("薛", 0.2), ("闫", 0.1),
    ("段", 0.1), ("雷", 0.1), ("侯", 0.1), ("龙", 0.1), ("史", 0.1), ("陶", 0.1), ("黎", 0.1),
    ("贺", 0.1), ("顾", 0.1), ("毛", 0.1), ("郝", 0.1), ("龚", 0.1), ("邵", 0.1), ("万", 0.1),
    ("钱", 0.1), ("严", 0.1), ("覃", 0.1), ("武", 0.1), ("戴", 0.1), ("莫", 0.1), ("孔", 0.1),
    ("欧阳", 0.05), ("司马", 0.02), ("诸葛", 0.01), ("上官", 0.01),
]  # fmt: skip

# Characters common in given names; a given name is one or two of them.
GIVEN_CHARS = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂华玉兰萍红建国志海文辉鹏飞宇浩然晨欣怡"
    "子梓涵轩博俊思佳雨婷嘉琪雪梅琳慧凤燕晶玲倩颖鑫彬斌波宁亮峰云龙春天成东健凯婉瑶诗梦晓"
    "小立新荣德福金宝祥武永安家和庆贵振兴光昊泽睿铭哲帆阳旭翔楠蕾薇莉媛妍洁露璐琦彤悦萱瑞"
    "芸蓉茜岚莹霖锋毅翰森淑珍桂香丹青松柏清源晖雯琴婕蓓卫民利军正方长顺海涛宏伟"
)
GIVEN_CHARS = "".join(dict.fromkeys(GIVEN_CHARS))  # unique, in order

# (province, city, districts): real places, so address words behave like real ones (a city
# word is shared by tens of thousands of customers, a district word by fewer).
PLACES: list[tuple[str, str, tuple[str, ...]]] = [
    ("北京市", "北京市", ("朝阳区", "海淀区", "东城区", "西城区", "丰台区", "通州区", "昌平区")),
    ("上海市", "上海市", ("浦东新区", "徐汇区", "静安区", "黄浦区", "长宁区", "闵行区", "宝山区")),
    ("天津市", "天津市", ("河西区", "南开区", "和平区", "河东区", "滨海新区")),
    ("重庆市", "重庆市", ("渝中区", "江北区", "南岸区", "沙坪坝区", "九龙坡区")),
    ("广东省", "广州市", ("天河区", "越秀区", "海珠区", "白云区", "番禺区")),
    ("广东省", "深圳市", ("南山区", "福田区", "罗湖区", "宝安区", "龙岗区")),
    ("广东省", "佛山市", ("禅城区", "南海区", "顺德区")),
    ("广东省", "东莞市", ("莞城街道", "南城街道", "东城街道")),
    ("浙江省", "杭州市", ("西湖区", "上城区", "拱墅区", "滨江区", "余杭区")),
    ("浙江省", "宁波市", ("海曙区", "江北区", "鄞州区")),
    ("浙江省", "温州市", ("鹿城区", "龙湾区", "瓯海区")),
    ("江苏省", "南京市", ("玄武区", "秦淮区", "鼓楼区", "建邺区", "江宁区")),
    ("江苏省", "苏州市", ("姑苏区", "吴中区", "相城区", "虎丘区")),
    ("江苏省", "无锡市", ("梁溪区", "滨湖区", "新吴区")),
    ("山东省", "济南市", ("历下区", "市中区", "槐荫区", "天桥区")),
    ("山东省", "青岛市", ("市南区", "市北区", "崂山区", "黄岛区")),
    ("福建省", "福州市", ("鼓楼区", "台江区", "仓山区")),
    ("福建省", "厦门市", ("思明区", "湖里区", "集美区")),
    ("四川省", "成都市", ("锦江区", "青羊区", "金牛区", "武侯区", "成华区")),
    ("湖北省", "武汉市", ("江岸区", "江汉区", "武昌区", "洪山区", "汉阳区")),
    ("湖南省", "长沙市", ("芙蓉区", "天心区", "岳麓区", "开福区", "雨花区")),
    ("河南省", "郑州市", ("中原区", "二七区", "金水区", "管城区")),
    ("河北省", "石家庄市", ("长安区", "桥西区", "新华区", "裕华区")),
    ("陕西省", "西安市", ("碑林区", "莲湖区", "雁塔区", "未央区", "新城区")),
    ("辽宁省", "沈阳市", ("和平区", "沈河区", "皇姑区", "铁西区")),
    ("辽宁省", "大连市", ("中山区", "西岗区", "沙河口区", "甘井子区")),
    ("吉林省", "长春市", ("南关区", "朝阳区", "绿园区")),
    ("黑龙江省", "哈尔滨市", ("道里区", "南岗区", "香坊区")),
    ("安徽省", "合肥市", ("蜀山区", "包河区", "庐阳区", "瑶海区")),
    ("江西省", "南昌市", ("东湖区", "西湖区", "青山湖区")),
    ("山西省", "太原市", ("小店区", "迎泽区", "杏花岭区")),
    ("云南省", "昆明市", ("五华区", "盘龙区", "官渡区", "西山区")),
    ("贵州省", "贵阳市", ("南明区", "云岩区", "观山湖区")),
    ("广西壮族自治区", "南宁市", ("青秀区", "兴宁区", "西乡塘区")),
    ("海南省", "海口市", ("龙华区", "美兰区", "秀英区")),
    ("甘肃省", "兰州市", ("城关区", "七里河区", "安宁区")),
    ("内蒙古自治区", "包头市", ("昆都仑区", "青山区", "东河区")),
    ("宁夏回族自治区", "银川市", ("兴庆区", "金凤区", "西夏区")),
]
# Customers cluster where the outlets are: the first cities are weighted up.
_PLACE_WEIGHTS = [6 if i < 12 else 2 for i in range(len(PLACES))]

STREETS = (
    "人民路", "解放路", "中山路", "建设路", "和平路", "新华路", "胜利路", "文化路", "长江路",
    "黄河路", "青年路", "光明路", "幸福路", "花园路", "东风路", "建国路", "延安路", "学府路",
    "科技路", "滨江路", "湖滨路", "金桥路", "世纪大道", "迎宾大道", "体育路", "公园路",
    "府前街", "西大街", "东大街", "南大街", "北大街", "朝阳路", "北京路", "南京路", "振兴路",
    "工业路", "友谊路", "团结路", "红旗路", "五一路",
)  # fmt: skip
COMMUNITIES = (
    "阳光花园", "锦绣家园", "翠苑小区", "碧桂园", "万科城", "金色家园", "幸福里", "书香门第",
    "御景湾", "名都花园", "世纪城", "翡翠城", "江南春", "紫金苑", "丽都花园", "春晓苑",
    "海棠湾", "银河湾", "新城国际", "东方明珠苑",
)  # fmt: skip

# Real mobile prefixes (all match ^1[3-9]\d{9}$).
PHONE_PREFIXES = (
    "130 131 132 133 134 135 136 137 138 139 145 147 150 151 152 153 155 156 157 158 159 "
    "166 170 173 175 176 177 178 180 181 182 183 184 185 186 187 188 189 191 193 195 198 199"
).split()
_PHONE_SPACE = len(PHONE_PREFIXES) * 10**8
# An odd multiplier not divisible by 5 or 41 is coprime with the phone space, so
# ordinal → phone is a bijection: unique phones with no set of seen numbers to keep.
_PHONE_STEP = 2_654_435_761
assert _PHONE_STEP % 2 and _PHONE_STEP % 5 and _PHONE_STEP % len(PHONE_PREFIXES)

OUTLETS: list[tuple[str, str, str, list[tuple[str, str, str]]]] = [
    # (region code, region name, industry, [(outlet code, name, address), ...])
    ("B-EAST", "华东片区", Industry.PAINT_DEALER, [
        ("B-SH1", "上海徐汇店", "上海市徐汇区漕溪北路88号"),
        ("B-HZ1", "杭州西湖店", "浙江省杭州市西湖区文三路259号"),
        ("B-NJ1", "南京新街口店", "江苏省南京市秦淮区中山南路1号"),
    ]),
    ("B-SOUTH", "华南片区", Industry.CAR_DEALER, [
        ("B-GZ1", "广州天河服务站", "广东省广州市天河区黄埔大道西100号"),
        ("B-SZ1", "深圳南山服务站", "广东省深圳市南山区深南大道9668号"),
    ]),
    ("B-NORTH", "华北片区", Industry.PHARMACY, [
        ("B-BJ1", "北京朝阳店", "北京市朝阳区建国路93号"),
        ("B-TJ1", "天津河西店", "天津市河西区友谊路20号"),
        ("B-JN1", "济南历下店", "山东省济南市历下区泉城路180号"),
    ]),
]  # fmt: skip

# The columns written, in order; test_bench checks they cover every column of the model, so a
# new NOT NULL column breaks the test instead of the benchmark.
COLUMNS = (
    "company_id",
    "home_outlet_id",
    "name",
    "phone",
    "province",
    "city",
    "district",
    "address_detail",
    "age_band",
    "income_band",
    "education",
    "social_class",
    "relationship_level",
    "contact_consent",
    "contact_consent_at",
    "survey_consent",
    "survey_consent_at",
    "notes",
    "search_text",
    "version",
    "created_at",
    "updated_at",
    "erased_at",
)

_full_address = Customer.full_address.fget
_AGE = ("u25", "25_34", "35_44", "45_59", "60p", "")
_INCOME = ("low", "lower_middle", "middle", "upper_middle", "high", "")
_EDUCATION = ("secondary", "vocational", "bachelor", "postgraduate", "")
_CLASS = ("working", "middle", "upper_middle", "upper", "")
_LEVELS = ("basic", "passive", "responsible", "proactive", "partner")
_LEVEL_WEIGHTS = (40, 25, 20, 10, 5)
# Customers were created one every 45 s from this instant (2,000,000 span about three years),
# oldest first, as ids grow.
_EPOCH = dt.datetime(2023, 11, 1, tzinfo=dt.UTC)
_CREATED_STEP = dt.timedelta(seconds=45)


@dataclass
class BenchOrg:
    """The benchmark company: its department head (company-wide scope) and its outlets."""

    company: Unit
    head: Any
    outlets: list[Unit]


@dataclass
class GenerateResult:
    """What one call of :func:`generate` did."""

    org: BenchOrg
    inserted: int
    total: int
    seconds: float
    # Of which: rebuilding the search index (and ANALYZE on PostgreSQL) after the rows.
    index_seconds: float = 0.0

    @property
    def rows_per_second(self) -> float:
        return self.inserted / self.seconds if self.seconds else 0.0


# -- the organisation -------------------------------------------------------------------------


def ensure_org() -> BenchOrg:
    """The benchmark company, created through the org actions on first use."""
    company = Unit.objects.filter(kind=UnitKind.COMPANY, code=COMPANY_CODE).first()
    if company is not None:
        head = get_user_model().objects.select_related("staff__unit").get(username=HEAD_USERNAME)
        outlets = list(Unit.objects.filter(company=company, kind=UnitKind.OUTLET).order_by("pk"))
        return BenchOrg(company, head, outlets)
    with transaction.atomic():
        company = org_actions.create_company(name="基准测试公司", code=COMPANY_CODE)
        # The first head is created directly, as in conftest: someone must hold the right to
        # create the units. No password: this login is never used to sign in.
        head = get_user_model().objects.create_user(HEAD_USERNAME)
        Staff.objects.create(
            user=head, company=company, unit=company, role=Role.DEPARTMENT_HEAD, name="基准"
        )
        outlets = []
        for region_code, region_name, industry, specs in OUTLETS:
            region = org_actions.create_unit(
                actor=head,
                parent=company,
                kind=UnitKind.REGION,
                code=region_code,
                name=region_name,
            )
            for code, name, address in specs:
                outlets.append(
                    org_actions.create_unit(
                        actor=head,
                        parent=region,
                        kind=UnitKind.OUTLET,
                        code=code,
                        name=name,
                        industry=industry,
                        address=address,
                    )
                )
    return BenchOrg(company, head, outlets)


# -- the rows ---------------------------------------------------------------------------------


def phone_for(ordinal: int, seed: int = DEFAULT_SEED) -> str:
    """The unique mobile number of the ``ordinal``-th customer (a bijection of the ordinal)."""
    k = (ordinal * _PHONE_STEP + seed) % _PHONE_SPACE
    return f"{PHONE_PREFIXES[k // 10**8]}{k % 10**8:08d}"


def place_word(place: str) -> str:
    """A place as people type it: 朝阳区 → 朝阳, 石家庄市 → 石家庄, 浦东新区 → 浦东."""
    for suffix in ("新区", "街道", "市", "区", "县"):
        if place.endswith(suffix) and len(place) - len(suffix) >= 2:
            return place[: -len(suffix)]
    return place


def customer_rows(
    start: int, count: int, *, company_id: int, outlet_ids: Sequence[int], seed: int
) -> Iterator[tuple[Any, ...]]:
    """Rows ``start`` … ``start + count - 1`` in :data:`COLUMNS` order."""
    surnames = [s for s, _w in SURNAMES]
    surname_cum = list(itertools.accumulate(w for _s, w in SURNAMES))
    place_cum = list(itertools.accumulate(_PLACE_WEIGHTS))
    level_cum = list(itertools.accumulate(_LEVEL_WEIGHTS))
    adapt_dt = connection.ops.adapt_datetimefield_value
    for ordinal in range(start, start + count):
        # One generator per row, seeded by (seed, ordinal): any slice of the data is
        # reproducible on its own, so a bigger run extends a smaller one row for row.
        rng = random.Random(seed * 100_003 + ordinal)
        choices, choice, random_ = rng.choices, rng.choice, rng.random
        surname = choices(surnames, cum_weights=surname_cum)[0]
        given = choice(GIVEN_CHARS) + (choice(GIVEN_CHARS) if random_() < 0.75 else "")
        name = surname + given
        phone = phone_for(ordinal, seed)
        province, city, districts = choices(PLACES, cum_weights=place_cum)[0]
        district = choice(districts)
        detail = f"{choice(STREETS)}{rng.randint(1, 999)}号"
        if random_() < 0.6:
            # A residential compound with building, unit and flat (room numbers like 1502
            # sometimes equal a phone tail, as in real archives).
            detail += (
                f"{choice(COMMUNITIES)}{rng.randint(1, 30)}栋{rng.randint(1, 4)}单元"
                f"{rng.randint(1, 33)}{rng.randint(1, 4):02d}室"
            )
        # The model's own full_address (a municipality is named once), on a plain object: a
        # Customer instance per row costs 10 µs, a quarter of the whole row (measured).
        full_address = _full_address(
            SimpleNamespace(province=province, city=city, district=district, address_detail=detail)
        )
        created = _EPOCH + ordinal * _CREATED_STEP
        created_db = adapt_dt(created)
        contact = random_() < 0.6
        survey = contact and random_() < 0.7
        yield (
            company_id,
            outlet_ids[ordinal % len(outlet_ids)],
            name,
            phone,
            province,
            city,
            district,
            detail,
            choice(_AGE),
            choice(_INCOME),
            choice(_EDUCATION),
            choice(_CLASS),
            choices(_LEVELS, cum_weights=level_cum)[0],
            contact,
            created_db if contact else None,
            survey,
            created_db if survey else None,
            "",
            index_tokens(name, phone, full_address),
            1,
            created_db,
            created_db,
            None,  # erased_at: nobody's personal data erased
        )


# -- loading ----------------------------------------------------------------------------------


def _progress(label: str) -> Callable[[int], None]:
    started = time.perf_counter()

    def report(done: int) -> None:
        rate = done / max(time.perf_counter() - started, 1e-9)
        print(f"  {label}: {done:,} rows ({rate:,.0f}/s)", file=sys.stderr, flush=True)

    return report


def _counted(
    rows: Iterable[tuple[Any, ...]], every: int, report: Callable[[int], None] | None
) -> Iterator[tuple[Any, ...]]:
    """The rows unchanged, reporting the count every ``every`` rows (a 2M load takes minutes)."""
    for done, row in enumerate(rows, start=1):
        yield row
        if report and done % every == 0:
            report(done)


def _load_postgresql(rows: Iterable[tuple[Any, ...]]) -> float:
    # A GIN index maintained row by row costs more than the whole COPY; building it once
    # afterwards (with enough memory to sort in one go) is several times faster.
    with connection.cursor() as cursor:
        # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED, and PostgreSQL refuses to
        # drop or create an index on a table with deferred checks pending: check them at the
        # end of each statement instead (the COPY), then defer again as Django expects.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        search_index.drop_index(connection)
        raw = cursor.cursor  # the psycopg cursor: COPY needs its API, not the DB-API one
        columns = ", ".join(COLUMNS)
        with raw.copy(f"COPY customers_customer ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        indexing = time.perf_counter()
        cursor.execute("SET maintenance_work_mem = '1GB'")
        search_index.create_index(connection)
        cursor.execute("RESET maintenance_work_mem")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    return time.perf_counter() - indexing


def _analyze_postgresql() -> float:
    # Fresh statistics, as autovacuum would have them on a live archive; without them the
    # planner guesses and the measure says nothing about production. After the load's commit:
    # in the transaction that created the index, ANALYZE ignores a statistics target set on it.
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_customer")
    return time.perf_counter() - started


def _load_sqlite(rows: Iterable[tuple[Any, ...]]) -> float:
    # The FTS5 triggers would index row by row; dropping the index and building it in one pass
    # afterwards is faster, and is the app's own create_index (table, triggers, rebuild).
    placeholders = ", ".join(["%s"] * len(COLUMNS))
    insert = f"INSERT INTO customers_customer ({', '.join(COLUMNS)}) VALUES ({placeholders})"
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (cache_size,) = cursor.fetchone()
        # The (company, phone) unique index is filled in random order: a large page cache
        # keeps it in memory instead of re-reading pages (restored below).
        cursor.execute("PRAGMA cache_size = -1048576")
        try:
            search_index.drop_index(connection)
            iterator = iter(rows)
            while batch := list(itertools.islice(iterator, 20_000)):
                cursor.executemany(insert, batch)
            indexing = time.perf_counter()
            search_index.create_index(connection)
        finally:
            cursor.execute(f"PRAGMA cache_size = {int(cache_size)}")
    return time.perf_counter() - indexing


def generate(
    count: int,
    *,
    seed: int = DEFAULT_SEED,
    progress: bool = False,
) -> GenerateResult:
    """Make sure the benchmark company has ``count`` customers; insert the missing ones.

    Existing bench customers are kept (rows are numbered, so the next ones continue the same
    sequence: use the same ``seed``, or phones may collide); the whole load is one transaction,
    so a failed run leaves nothing half-indexed.
    """
    org = ensure_org()
    existing = Customer.objects.filter(company=org.company).count()
    missing = max(count - existing, 0)
    started = time.perf_counter()
    index_seconds = 0.0
    if missing:
        rows = customer_rows(
            existing,
            missing,
            company_id=org.company.pk,
            outlet_ids=[o.pk for o in org.outlets],
            seed=seed,
        )
        rows = _counted(rows, 200_000, _progress("customers") if progress else None)
        with transaction.atomic():
            if connection.vendor == "postgresql":
                index_seconds = _load_postgresql(rows)
            elif connection.vendor == "sqlite":
                index_seconds = _load_sqlite(rows)
            else:  # pragma: no cover - the app supports these two
                raise ValueError(f"bench loads SQLite or PostgreSQL, not {connection.vendor}")
        if connection.vendor == "postgresql":
            index_seconds += _analyze_postgresql()
    seconds = time.perf_counter() - started
    return GenerateResult(
        org=org,
        inserted=missing,
        total=existing + missing,
        seconds=seconds,
        index_seconds=index_seconds,
    )
