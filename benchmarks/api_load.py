"""Load on the node's public API: catalogue search and listing pages, SQLite and PostgreSQL.

    .venv/bin/python benchmarks/api_load.py [--listings 1000000] [--seconds 30]
        [--connections 32] [--databases sqlite,postgres]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
        [--data-dir DIR] [--keep]

For each database: builds an index of ``--listings`` listings straight in SQL (migrated by the
node's own migrations; rows as the projections would write them: ``listings``,
``listing_versions``, ``listing_terms`` from :func:`node.store.search_terms.weighted_terms`,
and the ``events`` a listing page reads), then starts the real application
(``create_app(config, index=False)``, a deployment record from a short-lived anvil, no chain
afterwards) in a process of its own on 127.0.0.1, and drives it from this process with an
aiohttp client over ``--connections`` keep-alive connections for ``--seconds`` seconds per
phase (after a warm-up of a tenth of that):

- search: ``GET /listings`` with a mix of Chinese queries and filters (below), first pages;
- detail: ``GET /listings/{id}`` of listings drawn uniformly.

Prints one JSON object ``{"sqlite": {...}, "postgres": {...}}``, each with, per phase
(``search_``, ``detail_``): ``rps``, ``p50_ms`` and ``p99_ms`` (what the client sees, so with
``c`` connections always busy the mean is ``c / rps``: Little's law), ``cpu_ms`` (the node
process's CPU per answer), ``kept`` (the share of answers served as kept, node.api.cache) and
``node_p99_ms`` (a bound of the node's own latency histogram that 99 % of answers were within:
the handler's time, without the queue before it); and ``node_rss_mb`` (the node's resident set
after both phases). ``--cache-mb 0`` runs the node without kept answers. Progress goes to
stderr.

The data: titles "<city>[市]<domain><kind>" from 120 cities, 40 domains (each with its
category, keywords and description sentences) and 10 kinds, drawn with a Zipf-like skew;
prices log-uniform from 100 to 1,000,000 yuan; 7 member exchanges; 10% important grade; 5%
in a second version, 4% delisted, 2% consent withdrawn, 1% suspended; 20% with 1-5 licences
(their LicenceGranted events). The query mix: a domain word (35%, e.g. 交通, matching a few
percent of listings), a city (20%), a city and a domain (15%), a four-character phrase (10%),
a query with a filter or a price sort (10%), and filters without a query (10%).
"""

from __future__ import annotations

import argparse
import array
import asyncio
import contextlib
import functools
import hashlib
import json
import os
import random
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from node.store import open_engine, schema, upgrade
from node.store.search_terms import weighted_terms
from onelist.build.compiler import repo_root
from onelist.chain.connection import connect, dev_private_keys
from onelist.chain.deployment import deploy, save_deployment
from onelist.chain.founding import load_founding
from onelist.chain.launcher import LocalChain

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
CHAIN_ID = 31337
FIRST_BLOCK = 1000
BLOCK_SECONDS = 2
START_TIME = 1_735_660_800  # 2025-01-01 00:00 Asia/Shanghai
CHUNK = 20_000
INDEFINITE = schema.INDEFINITE
ZERO = "0x" + "00" * 32

EXCHANGES = [  # code, name, province, weight
    ("SH", "上海数据交易所", 310000, 30),
    ("ZJ", "浙江大数据交易中心", 330000, 14),
    ("SD", "山东数据交易有限公司", 370000, 10),
    ("GD", "广东数据交易所", 440000, 18),
    ("GY", "贵阳大数据交易所", 520000, 8),
    ("BJ", "北京国际大数据交易所", 110000, 14),
    ("HN", "湖南大数据交易所", 430000, 6),
]

CITIES = (  # noqa: SIM905
    "北京 上海 广州 深圳 杭州 宁波 温州 南京 苏州 无锡 成都 重庆 武汉 长沙 "
    "衡阳 株洲 湘潭 岳阳 常德 郴州 西安 郑州 洛阳 济南 青岛 烟台 潍坊 合肥 "
    "芜湖 福州 厦门 泉州 南昌 赣州 昆明 贵阳 遵义 南宁 桂林 海口 三亚 天津 "
    "石家庄 唐山 保定 太原 大同 呼和浩特 包头 沈阳 大连 长春 吉林 哈尔滨 大庆 "
    "兰州 西宁 银川 乌鲁木齐 拉萨 东莞 佛山 珠海 中山 惠州 汕头 湛江 江门 肇庆 "
    "清远 常州 南通 徐州 扬州 镇江 泰州 盐城 连云港 淮安 宿迁 嘉兴 湖州 绍兴 "
    "金华 台州 丽水 衢州 舟山 黄山 安庆 蚌埠 阜阳 九江 宜春 上饶 宜昌 襄阳 "
    "荆州 十堰 黄石 孝感 绵阳 德阳 宜宾 南充 泸州 乐山 柳州 北海 曲靖 大理 "
    "丽江 临沂 济宁 淄博 威海 日照 聊城 德州"
).split()

DOMAINS = [  # phrase, category, keywords
    ("交通出行", "交通运输", ["交通", "出行", "客流", "OD", "地铁"]),
    ("公交客流", "交通运输", ["公交", "客流", "线网"]),
    ("物流运输", "交通运输", ["物流", "货运", "运输"]),
    ("港口航运", "交通运输", ["港口", "航运", "集装箱"]),
    ("船舶轨迹", "交通运输", ["船舶", "AIS", "轨迹"]),
    ("航班动态", "交通运输", ["航班", "民航", "机场"]),
    ("车联网", "交通运输", ["车联网", "车辆", "驾驶行为"]),
    ("医疗机构", "医疗卫生", ["医疗", "医院", "诊疗"]),
    ("药品流通", "医疗卫生", ["药品", "医药", "流通"]),
    ("企业信用", "金融", ["信用", "企业", "征信"]),
    ("普惠金融", "金融", ["金融", "小微", "信贷"]),
    ("保险理赔", "金融", ["保险", "理赔", "精算"]),
    ("气象观测", "气象", ["气象", "降水", "气温"]),
    ("空气质量", "生态环境", ["空气", "环境", "监测"]),
    ("水质监测", "生态环境", ["水质", "环境", "河流"]),
    ("工业用电", "能源", ["用电", "工业", "电力"]),
    ("新能源充电", "能源", ["充电", "新能源", "电动汽车"]),
    ("房地产交易", "城乡建设", ["房产", "交易", "住房"]),
    ("城市规划", "城乡建设", ["规划", "城市", "国土空间"]),
    ("人口分布", "社会民生", ["人口", "分布", "迁徙"]),
    ("就业招聘", "社会民生", ["就业", "招聘", "人才"]),
    ("教育资源", "教育", ["教育", "学校", "招生"]),
    ("农产品价格", "农业", ["农产品", "价格", "农业"]),
    ("农业遥感", "农业", ["遥感", "农业", "卫星"]),
    ("零售消费", "商贸流通", ["消费", "零售", "商圈"]),
    ("电商交易", "商贸流通", ["电商", "交易", "网购"]),
    ("海关进出口", "商贸流通", ["海关", "进出口", "贸易"]),
    ("旅游客流", "文化旅游", ["旅游", "景区", "客流"]),
    ("文化演出", "文化旅游", ["文化", "演出", "票务"]),
    ("企业工商登记", "市场监管", ["工商", "企业", "登记"]),
    ("食品安全抽检", "市场监管", ["食品", "安全", "抽检"]),
    ("专利技术", "科技", ["专利", "技术", "创新"]),
    ("卫星影像", "地理空间", ["卫星", "影像", "遥感"]),
    ("地图兴趣点", "地理空间", ["地图", "POI", "位置"]),
    ("通信信令", "通信", ["信令", "通信", "基站"]),
    ("网络安全威胁", "通信", ["网络安全", "威胁", "情报"]),
    ("政务服务", "政务", ["政务", "办件", "服务"]),
    ("公共资源交易", "政务", ["招标", "采购", "公共资源"]),
    ("司法裁判文书", "法律", ["司法", "判决", "文书"]),
    ("税务发票", "财税", ["发票", "税务", "纳税"]),
]

KINDS = [  # suffix, product form
    ("数据", "dataset"),
    ("统计数据", "dataset"),
    ("数据集", "dataset"),
    ("指数", "dataset"),
    ("分析报告", "report"),
    ("接口服务", "api"),
    ("监测数据", "dataset"),
    ("画像", "dataset"),
    ("明细数据", "sandbox"),
    ("预测模型", "model"),
]

SCENES = [
    "城市规划与交通治理",
    "商业选址与营销评估",
    "金融风控与信贷审批",
    "公共卫生应急管理",
    "学术研究与政策评估",
    "供应链优化与库存管理",
    "保险精算与产品设计",
    "产业分析与招商引资",
    "环境治理与碳排放核算",
    "社会治理与民生服务",
]
FREQUENCIES = ["每日", "每周", "每月", "每季度"]


def _zipf_weights(count: int, skew: float = 0.8) -> list[float]:
    return [1 / (rank + 1) ** skew for rank in range(count)]


_CITY_W = _zipf_weights(len(CITIES))
_DOMAIN_W = _zipf_weights(len(DOMAINS), 0.6)
_EXCHANGE_W = [weight for *_, weight in EXCHANGES]


def _hex(rng: random.Random, nbytes: int = 32) -> str:
    return "0x" + rng.randbytes(nbytes).hex()


def _listing_ids(count: int) -> list[str]:
    """The listings' ids, sorted (so rows go in in key order, as a bulk load should)."""
    return sorted(
        "0x" + hashlib.sha256(f"api-load-listing-{i}".encode()).hexdigest() for i in range(count)
    )


@dataclass(frozen=True, slots=True)
class Product:
    """What listing ``j`` (in id order) is; drawn from ``Random(j)``, so it can be drawn again."""

    title: str
    description: str
    keywords: list[str]
    category: str
    product_form: str
    price_fen: int
    home: str
    grade: int
    delivery_modes: int
    status: str
    suspended: bool
    versions: int
    licences: int
    provider: str


def product(j: int) -> Product:
    rng = random.Random(j)
    city = rng.choices(CITIES, _CITY_W)[0] + ("市" if rng.random() < 0.7 else "")
    domain, category, words = rng.choices(DOMAINS, _DOMAIN_W)[0]
    kind, form = KINDS[rng.randrange(len(KINDS))]
    title = f"{city}{domain}{kind}"
    if rng.random() < 0.1:
        title = f"{rng.choice((2023, 2024, 2025))}年{title}"
    keywords = rng.sample(words, min(len(words), rng.randint(2, 3)))
    description = _description(domain, words[0], rng.randrange(len(SCENES)), rng.randrange(4))
    status = rng.choices(("listed", "delisted", "consent_withdrawn"), (94, 4, 2))[0]
    return Product(
        title=title,
        description=description,
        keywords=keywords,
        category=category,
        product_form=form,
        price_fen=int(10 ** rng.uniform(4, 8)) // 100 * 100,
        home=rng.choices(EXCHANGES, _EXCHANGE_W)[0][0],
        grade=1 if rng.random() < 0.1 else 0,
        delivery_modes=rng.randint(1, 15),
        status=status,
        suspended=status != "delisted" and rng.random() < 0.01,
        versions=2 if rng.random() < 0.05 else 1,
        licences=rng.randint(1, 5) if rng.random() < 0.2 else 0,
        provider="0x"
        + hashlib.sha256(f"provider-{rng.randrange(20_000)}".encode()).hexdigest()[:40],
    )


@functools.cache
def _description(domain: str, word: str, scene: int, frequency: int) -> str:
    return (
        f"本数据产品汇集{domain}相关的多源数据，围绕{word}等核心指标，按{FREQUENCIES[frequency]}"
        "更新，覆盖所在城市全部行政区。原始记录在数据提供方内部完成去标识化处理，个人信息经加盐哈希"
        "后丢弃，样本量过小的统计单元与相邻单元合并，发布前经第三方机构开展合规评估与质量评估。"
        f"适用场景包括{SCENES[scene]}等。交付方式支持按月文件下载、限流接口查询和隐私计算平台"
        "联合建模，隐私计算方式下原始明细不出域。"
    )


@functools.cache
def _description_terms(description: str) -> dict[str, int]:
    return weighted_terms(None, description, None, None)


def terms_of(p: Product) -> dict[str, int]:
    """weighted_terms of the whole catalogue: the fields' terms merged by their best weight
    (the description's, the same for many listings, computed once)."""
    terms = dict(_description_terms(p.description))
    for term, weight in weighted_terms(p.title, None, p.keywords, p.category).items():
        if terms.get(term, 0) < weight:
            terms[term] = weight
    return terms


# ----------------------------------------------------------------------------- rows

_POLICY = {
    "open_class": 0,
    "personal_info": 2,
    "pi_flags": 0,
    "consent_evidence": "0x" + hashlib.sha256(b"consent").hexdigest(),
    "authorisation_id": ZERO,
    "purposes": 35,
    "max_term_days": 365,
    "territory": 0,
    "onward_transfer": 1,
    "model_training": True,
    "granting_exchanges": "0",
    "price_floor_fen": 10_000,
}


def _catalogue(p: Product) -> str:
    return json.dumps(
        {
            "category": p.category,
            "delivery_modes": [
                m
                for b, m in ((1, "file"), (2, "api"), (4, "sandbox"), (8, "privacy_computing"))
                if p.delivery_modes & b
            ],
            "description": p.description,
            "keywords": p.keywords,
            "price_fen": p.price_fen,
            "price_model": "按年订阅",
            "product_form": p.product_form,
            "title": p.title,
            "update_frequency": "monthly",
        },
        ensure_ascii=False,
        sort_keys=True,
    )


def _version_values(listing_id: str, p: Product, version: int) -> dict[str, Any]:
    rng = random.Random(f"{listing_id}:{version}")
    return {
        "version": version,
        "manifest_hash": _hex(rng),
        "fingerprint": listing_id if version == 1 else _hex(rng),
        "grade": p.grade,
        **_POLICY,
        "risk_assessment": _hex(rng) if p.grade == 1 else ZERO,
        "delivery_modes": p.delivery_modes,
        "title": p.title,
        "description": p.description,
        "keywords": json.dumps(p.keywords, ensure_ascii=False),
        "category": p.category,
        "product_form": p.product_form,
        "price_fen": p.price_fen,
        "catalogue": _catalogue(p),
        "catalogue_error": None,
    }


@dataclass
class Layout:
    """Where each listing's events fall: listing ``j`` is listed in block
    ``FIRST_BLOCK + listed[j]``; second versions and grants follow every first listing."""

    count: int
    listed: array.array[int]  # j -> position among first listings
    by_block: array.array[int]  # position -> j

    @classmethod
    def of(cls, count: int) -> Layout:
        order = list(range(count))
        random.Random(7).shuffle(order)
        listed = array.array("q", [0]) * count
        for position, j in enumerate(order):
            listed[j] = position
        return cls(count, listed, array.array("q", order))

    def block(self, position: int) -> int:
        return FIRST_BLOCK + position

    def time(self, block: int) -> int:
        return START_TIME + (block - FIRST_BLOCK) * BLOCK_SECONDS


def listing_rows(ids: Sequence[str], layout: Layout) -> Iterator[tuple[str, dict[str, Any]]]:
    """(table, row) of every listing's listings, listing_versions and listing_terms rows, in
    key order."""
    later = FIRST_BLOCK + layout.count
    for j, listing_id in enumerate(ids):
        p = product(j)
        block = layout.block(layout.listed[j])
        versions = [_version_values(listing_id, p, v) for v in range(1, p.versions + 1)]
        for values in versions:
            v = values["version"]
            vblock = block if v == 1 else later + j
            yield (
                "listing_versions",
                {
                    "listing_id": listing_id,
                    "provider": p.provider,
                    "home_exchange": p.home,
                    "actor": p.provider,
                    **values,
                    "block_number": vblock,
                    "block_time": layout.time(vblock),
                    "tx_hash": _tx(vblock, 0),
                },
            )
        current = versions[-1]
        updated = block if p.versions == 1 else later + j
        yield (
            "listings",
            {
                "listing_id": listing_id,
                "provider": p.provider,
                "home_exchange": p.home,
                "status": p.status,
                **current,
                "suspended_until": INDEFINITE if p.suspended else 0,
                "seq": p.versions + p.licences,
                "licence_count": p.licences,
                "revenue_fen": p.licences * max(p.price_fen, 10_000),
                "listed_block": block,
                "listed_at": layout.time(block),
                "updated_block": updated,
                "updated_at": layout.time(updated),
                "exclusive_licence_id": None,
            },
        )
        for v in range(1, p.versions + 1):
            for term, weight in sorted(terms_of(p).items()):
                yield (
                    "listing_terms",
                    {
                        "listing_id": listing_id,
                        "version": v,
                        "term": term,
                        "weight": weight,
                        "block": block if v == 1 else later + j,
                    },
                )


def _tx(block: int, index: int) -> str:
    return "0x" + hashlib.sha256(f"tx-{block}-{index}".encode()).hexdigest()


def event_rows(ids: Sequence[str], layout: Layout) -> Iterator[dict[str, Any]]:
    """Every listing's events in chain order: first listings, then second versions, then
    grants (block by block)."""
    count = layout.count
    for position in range(count):
        j = layout.by_block[position]
        p = product(j)
        block = layout.block(position)
        yield _event(ids[j], p, "Listed", block, 1, {"record": {"version": 1}})
    for j in range(count):
        p = product(j)
        if p.versions == 2:
            yield _event(
                ids[j],
                p,
                "VersionPublished",
                FIRST_BLOCK + count + j,
                2,
                {"record": {"version": 2}},
            )
    block = FIRST_BLOCK + 2 * count
    for j in range(count):
        p = product(j)
        for n in range(p.licences):
            block += 1
            yield _event(
                ids[j],
                p,
                "LicenceGranted",
                block,
                p.versions + n + 1,
                {
                    "version": p.versions,
                    "priceFen": max(p.price_fen, 10_000),
                    "purposes": 1,
                    "territory": 0,
                    "deliveryMode": 2,
                    "start": 0,
                    "end": 0,
                    "licensee": "0x" + "11" * 20,
                    "settlementHash": "0x" + "22" * 32,
                },
            )


_CATALOGUE_HEX = "0x02" + secrets.token_hex(730)  # the compressed catalogue Listed carries


def _event(
    listing_id: str, p: Product, name: str, block: int, seq: int, args: dict[str, Any]
) -> dict[str, Any]:
    exchange = p.home if name != "LicenceGranted" else EXCHANGES[seq % len(EXCHANGES)][0]
    full = {"listingId": listing_id, "seq": seq, "actor": p.provider, **args}
    if name in ("Listed", "VersionPublished"):
        full["catalogue"] = _CATALOGUE_HEX
        full["homeExchange"] = p.home
    return {
        "chain_id": CHAIN_ID,
        "block_number": block,
        "block_hash": "0x" + hashlib.sha256(f"block-{block}".encode()).hexdigest(),
        "block_time": START_TIME + (block - FIRST_BLOCK) * BLOCK_SECONDS,
        "tx_hash": _tx(block, 0),
        "log_index": 0,
        "contract": "LicenceRegistry" if name == "LicenceGranted" else "ListingRegistry",
        "name": name,
        "actor": p.provider,
        "acting_exchange": exchange,
        "acting_regulator": None,
        "listing_id": listing_id,
        "seq": seq,
        "args": json.dumps(full, sort_keys=True, separators=(",", ":")),
    }


# ----------------------------------------------------------------------------- loading

_SECONDARY = ("listings", "listing_versions", "listing_terms", "events")


def _indexes() -> list[Any]:
    return [index for name in _SECONDARY for index in schema.metadata.tables[name].indexes]


def _columns(table: str) -> list[str]:
    columns = [c.name for c in schema.metadata.tables[table].c]
    return [c for c in columns if not (table == "events" and c == "id")]


class _Writer:
    """Rows in batches, in one transaction: executemany on SQLite (a plain sqlite3
    connection, which begins the transaction itself), COPY on PostgreSQL."""

    def __init__(self, engine: Engine) -> None:
        self.sqlite = engine.dialect.name == "sqlite"
        self.raw: Any
        if self.sqlite:
            # Alone on the file (the engine's connections closed), without a journal: a bulk
            # load through the WAL would write every page twice.
            assert engine.url.database is not None
            engine.dispose()
            self.raw = sqlite3.connect(engine.url.database, isolation_level=None)
            self.raw.execute("PRAGMA journal_mode=OFF")
            self.raw.execute("PRAGMA synchronous=OFF")
            self.raw.execute("PRAGMA cache_size=-1000000")
            self.raw.execute("BEGIN")
        else:
            self.raw = engine.raw_connection()
        self.batches: dict[str, list[tuple[Any, ...]]] = {}
        self.rows = 0

    def add(self, table: str, row: dict[str, Any]) -> None:
        batch = self.batches.setdefault(table, [])
        batch.append(tuple(row[c] for c in _columns(table)))
        if len(batch) >= CHUNK:
            self.flush(table)

    def flush(self, table: str) -> None:
        batch = self.batches.pop(table, [])
        if not batch:
            return
        columns = _columns(table)
        names = ", ".join(f'"{c}"' for c in columns)
        cursor = self.raw.cursor()
        if self.sqlite:
            marks = ", ".join("?" * len(columns))
            cursor.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', batch)
        else:
            with cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                for row in batch:
                    copy.write_row(row)
        self.rows += len(batch)

    def close(self) -> None:
        for table in list(self.batches):
            self.flush(table)
        if self.sqlite:
            self.raw.execute("COMMIT")
            self.raw.execute("PRAGMA journal_mode=WAL")  # as the node keeps it
        else:
            self.raw.commit()
        self.raw.close()


def load(engine: Engine, count: int) -> dict[str, Any]:
    """Fill a migrated, empty index with ``count`` listings; returns sizes and seconds."""
    started = time.perf_counter()
    with engine.begin() as connection:
        for index in _indexes():
            connection.execute(text(f'DROP INDEX "{index.name}"'))
        connection.execute(
            schema.exchanges.insert(),
            [
                {
                    "code": code,
                    "idx": idx,
                    "name": name,
                    "province": province,
                    "status": "active",
                    "first_operator": "0x" + "00" * 20,
                    "proposal_id": 0,
                    "granting_suspended_until": 0,
                    "admitted_block": 0,
                }
                for idx, (code, name, province, _) in enumerate(EXCHANGES)
            ],
        )
    ids = _listing_ids(count)
    layout = Layout.of(count)
    writer = _Writer(engine)
    last = time.perf_counter()
    for n, (table, row) in enumerate(listing_rows(ids, layout)):
        writer.add(table, row)
        if time.perf_counter() - last > 10:
            _log(f"  {writer.rows:,} rows ({n:,} generated)")
            last = time.perf_counter()
    for row in event_rows(ids, layout):
        writer.add("events", row)
    writer.close()
    loaded = time.perf_counter()
    _log(f"  {writer.rows:,} rows in {loaded - started:.0f} s; building indexes")
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SET maintenance_work_mem = '1GB'"))
        for index in _indexes():
            index.create(connection)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    with engine.connect() as connection:
        terms = connection.execute(text("SELECT count(*) FROM listing_terms")).scalar_one()
        events = connection.execute(text("SELECT count(*) FROM events")).scalar_one()
    return {
        "rows": writer.rows,
        "listing_terms": terms,
        "events": events,
        "load_seconds": round(time.perf_counter() - started, 1),
    }


# ----------------------------------------------------------------------------- the node


_NODE_CHILD = """
import asyncio, json, sys
from pathlib import Path
from aiohttp import web
from node.api.app import create_app
from node.api.server import NodeRunner, run_event_loop
from node.config import NodeConfig

args = json.loads(sys.argv[1])
config = NodeConfig(
    organisation="SH", rpc_url="http://127.0.0.1:9", deployment=Path(args["deployment"]),
    database_url=args["database_url"], rpc_timeout=0.5, rpc_retries=0,
    **({} if args["cache_mb"] is None else {"kept_answers_mb": args["cache_mb"]}),
)

async def main():
    runner = NodeRunner(create_app(config, index=False), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", args["port"])
    await site.start()
    print("ready", flush=True)
    await asyncio.Event().wait()

run_event_loop(main())
"""


@contextlib.contextmanager
def node(
    deployment: Path, database_url: str, cache_mb: float | None = None
) -> Iterator[tuple[str, int]]:
    """The node's application in a process of its own: (base URL, pid)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _NODE_CHILD,
            json.dumps(
                {
                    "deployment": str(deployment),
                    "database_url": database_url,
                    "port": port,
                    "cache_mb": cache_mb,
                }
            ),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=repo_root(),
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        if line.strip() != "ready":
            raise RuntimeError(f"the node did not start: {line!r}")
        yield f"http://127.0.0.1:{port}", child.pid
    finally:
        child.terminate()
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:
            child.kill()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def short_deployment(folder: Path) -> Path:
    """A deployment record made on a short-lived anvil (the node checks its ABIs at start)."""
    path = folder / "deployment.json"
    with LocalChain("anvil") as chain:
        w3 = connect(chain.url, chain.chain_id)
        founding = load_founding(repo_root() / "config" / "consortium.example.toml")
        save_deployment(deploy(w3, founding, dev_private_keys()[0]), path)
    return path


# ----------------------------------------------------------------------------- load


def search_urls(count: int, seed: int = 11) -> list[str]:
    """The search mix (see the module's docstring), as URLs."""
    rng = random.Random(seed)
    domain_words = sorted({w for _, _, words in DOMAINS for w in words if len(w) >= 2})
    phrases = [phrase for phrase, _, _ in DOMAINS if len(phrase) == 4]
    categories = sorted({category for _, category, _ in DOMAINS})
    urls = []
    for _ in range(count):
        roll = rng.random()
        params: dict[str, str] = {}
        if roll < 0.35:
            params["q"] = rng.choice(domain_words)
        elif roll < 0.55:
            params["q"] = rng.choice(CITIES)
        elif roll < 0.70:
            params["q"] = f"{rng.choice(CITIES)} {rng.choice(domain_words)}"
        elif roll < 0.80:
            params["q"] = rng.choice(phrases)
        elif roll < 0.90:
            params["q"] = rng.choice(domain_words)
            extra = rng.random()
            if extra < 0.4:
                params["exchange"] = rng.choice(EXCHANGES)[0]
            elif extra < 0.7:
                params["sort"] = rng.choice(("price_asc", "price_desc", "newest"))
            else:
                params["price_max"] = str(rng.choice((100_000, 1_000_000, 10_000_000)))
        else:
            choice = rng.random()
            if choice < 0.3:
                params["category"] = rng.choice(categories)
            elif choice < 0.5:
                params["exchange"] = rng.choice(EXCHANGES)[0]
                params["grade"] = "important"
            elif choice < 0.7:
                params["delivery_mode"] = "privacy_computing"
                params["sort"] = "price_asc"
            else:
                params["status"] = "listed"
                params["sort"] = rng.choice(("newest", "price_desc"))
        urls.append("/listings?" + "&".join(f"{k}={quote(v)}" for k, v in params.items()))
    return urls


@dataclass
class Phase:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int  # answered in the measured part
    cpu_ms: float = 0.0  # the node's CPU per answer (user + system)
    kept_share: float = 0.0  # answers served as kept (node.api.cache)
    node_p99_ms: float = 0.0  # the node's own p99, a bound of its latency histogram


async def drive(
    base: str,
    urls: Sequence[str],
    seconds: float,
    connections: int,
    measuring: Callable[[], None] | None = None,
) -> Phase:
    """``connections`` clients, each sending the next request as soon as its answer is read;
    ``measuring()`` is called between the warm-up and the measured part."""
    latencies: list[float] = []
    errors = 0
    answered = 0
    rng = random.Random(3)
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(base, connector=connector) as session:

        async def client(deadline: float, record: bool) -> None:
            nonlocal errors, answered
            while time.perf_counter() < deadline:
                url = urls[rng.randrange(len(urls))]
                started = time.perf_counter()
                async with session.get(url) as response:
                    await response.read()
                    ok = response.status == 200
                if record:
                    answered += 1
                    latencies.append(time.perf_counter() - started)
                    errors += not ok

        warm = time.perf_counter() + max(1.0, seconds / 10)
        await asyncio.gather(*(client(warm, False) for _ in range(connections)))
        if measuring is not None:
            measuring()
        started = time.perf_counter()
        await asyncio.gather(*(client(started + seconds, True) for _ in range(connections)))
        elapsed = time.perf_counter() - started
    latencies.sort()

    def percentile(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 2)

    return Phase(
        round(len(latencies) / elapsed, 1),
        percentile(0.50),
        percentile(0.99),
        errors,
        answered,
    )


def cpu_seconds(pid: int) -> float:
    """The process's user + system CPU time so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def node_metrics(base: str) -> dict[str, float]:
    """The node's /metrics samples by name and labels (the counters this benchmark reads)."""
    import urllib.request

    with urllib.request.urlopen(f"{base}/metrics", timeout=10) as response:
        text = response.read().decode()
    found = {}
    for line in text.splitlines():
        if line.startswith(("onelist_catalogue_answers_", "onelist_http_request_seconds_bucket")):
            name, _, value = line.rpartition(" ")
            found[name] = float(value)
    return found


def _handled(metrics: dict[str, float], route: str) -> dict[float, float]:
    """Answers of ``route`` by upper bound of the node's latency buckets (seconds, cumulative)."""
    counts: dict[float, float] = {}
    for name, value in metrics.items():
        if f'route="{route}"' in name and 'status="200"' in name:
            bound = name.split('le="')[1].split('"')[0]
            key = float("inf") if bound == "+Inf" else float(bound)
            counts[key] = counts.get(key, 0.0) + value
    return counts


def phase(
    base: str, pid: int, urls: Sequence[str], seconds: float, connections: int, route: str
) -> Phase:
    """A phase, with the node's CPU per answer, the share of answers served as kept and the
    node's own p99 (from its latency histogram: the bucket bound that 99 % of the answers were
    within, from the handler's start to its end, queueing before it excluded); all over the
    measured part, after the warm-up."""
    cpu_at_start: list[float] = []
    before: dict[str, float] = {}

    def measuring() -> None:
        cpu_at_start.append(cpu_seconds(pid))
        before.update(node_metrics(base))

    result = asyncio.run(drive(base, urls, seconds, connections, measuring))
    cpu = cpu_seconds(pid) - cpu_at_start[0]
    after = node_metrics(base)

    def delta(name: str) -> float:
        return after.get(name, 0.0) - before.get(name, 0.0)

    hits = delta("onelist_catalogue_answers_hits")
    answered = hits + delta("onelist_catalogue_answers_misses")
    result.cpu_ms = round(cpu * 1000 / max(1.0, result.requests), 3)
    result.kept_share = round(hits / answered, 3) if answered else 0.0
    first, last = _handled(before, route), _handled(after, route)
    counts = sorted((bound, last[bound] - first.get(bound, 0.0)) for bound in last)
    total = counts[-1][1] if counts else 0.0
    result.node_p99_ms = next(
        (round(bound * 1000, 1) for bound, n in counts if total and n >= 0.99 * total),
        float("nan"),
    )
    return result


def measure(
    deployment: Path,
    database_url: str,
    count: int,
    seconds: float,
    connections: int,
    cache_mb: float | None,
) -> dict[str, Any]:
    ids = _listing_ids(count)
    detail_urls = [f"/listings/{ids[random.Random(i).randrange(count)]}" for i in range(20_000)]
    with node(deployment, database_url, cache_mb) as (base, pid):
        search = phase(base, pid, search_urls(5000), seconds, connections, "/listings")
        _log(f"  search: {search}")
        detail = phase(base, pid, detail_urls, seconds, connections, "/listings/{listing_id}")
        _log(f"  detail: {detail}")
        rss = rss_mb(pid)
    if search.errors or detail.errors:
        _log(f"  non-200 answers: search {search.errors}, detail {detail.errors}")
    return {
        "search_rps": search.rps,
        "search_p50_ms": search.p50_ms,
        "search_p99_ms": search.p99_ms,
        "search_cpu_ms": search.cpu_ms,
        "search_kept": search.kept_share,
        "search_node_p99_ms": search.node_p99_ms,
        "detail_rps": detail.rps,
        "detail_p50_ms": detail.p50_ms,
        "detail_p99_ms": detail.p99_ms,
        "detail_cpu_ms": detail.cpu_ms,
        "detail_kept": detail.kept_share,
        "detail_node_p99_ms": detail.node_p99_ms,
        "node_rss_mb": rss,
    }


# ----------------------------------------------------------------------------- databases


def _log(message: str) -> None:
    print(f"api_load: {message}", file=sys.stderr, flush=True)


def _existing(url: str, count: int) -> bool:
    """An index this benchmark already filled with ``count`` listings."""
    try:
        engine = create_engine(url)
        with engine.connect() as connection:
            n = connection.execute(text("SELECT count(*) FROM listings")).scalar_one()
        engine.dispose()
    except Exception:
        return False
    return bool(n == count)


def prepare(url: str, count: int) -> dict[str, Any]:
    if _existing(url, count):
        _log(f"  reusing the index at {make_url(url).render_as_string()}")
        return {}
    engine = open_engine(url)
    try:
        upgrade(engine)
        return load(engine, count)
    finally:
        engine.dispose()


@contextlib.contextmanager
def postgres_database(server: str, name: str, keep: bool) -> Iterator[str]:
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        ).first()
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        if not keep:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listings", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument(
        "--cache-mb",
        type=float,
        help="the node's kept catalogue answers in MiB (default: the node's; 0: none)",
    )
    parser.add_argument(
        "--data-dir", type=Path, help="where the SQLite index goes (default: a temporary folder)"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the indexes (and reuse them next time)"
    )
    args = parser.parse_args(argv)
    databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    folder = args.data_dir or Path(tempfile.mkdtemp(prefix="api-load-"))
    folder.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {}
    context: dict[str, Any] = {
        "listings": args.listings,
        "seconds": args.seconds,
        "connections": args.connections,
    }
    try:
        deployment = short_deployment(folder)
        for database in databases:
            _log(f"{database}: {args.listings:,} listings")
            if database == "sqlite":
                url = f"sqlite:///{folder / f'api-load-{args.listings}.db'}"
                context["sqlite_load"] = prepare(url, args.listings)
                results["sqlite"] = measure(
                    deployment, url, args.listings, args.seconds, args.connections, args.cache_mb
                )
            elif database == "postgres":
                name = f"onelist_api_load_{args.listings}"
                with postgres_database(args.postgres, name, args.keep) as url:
                    context["postgres_load"] = prepare(url, args.listings)
                    results["postgres"] = measure(
                        deployment,
                        url,
                        args.listings,
                        args.seconds,
                        args.connections,
                        args.cache_mb,
                    )
            else:
                parser.error(f"unknown database {database!r}")
    finally:
        if not args.keep and args.data_dir is None:
            shutil.rmtree(folder, ignore_errors=True)
    _log(json.dumps(context, ensure_ascii=False))
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
