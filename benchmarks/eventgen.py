"""Consortium events made through the real contracts, fast enough for 100,000 in a few minutes.

    .venv/bin/python benchmarks/eventgen.py [--events 20000] [--chain anvil|ganache] [--seed 0]

prints one JSON object (events, transactions, blocks, seconds, events_per_s, events by name).
:func:`generate_events` is what the indexer benchmark and the tests call.

What it makes, on any deployment whose founding operators and regulator are development
accounts: more member exchanges and provincial regulators admitted by vote, extra operators,
a pool of providers and licensees registered by different exchanges, then rounds of

1. listings (``Listed``, each with a small Chinese catalogue) and governance proposals;
2. licence grants via the exchanges each listing admits (and on last round's new versions),
   and the members' votes;
3. revocations by providers and regulators, terminations by agreement, consent withdrawals,
   regulators' suspensions and reinstatements (listing, licence, provider, exchange), and the
   execution of passed proposals;
4. new versions and delistings.

Why it is fast (about 1,500 events/s on anvil on two cores, 100,000 in about 70 s): transactions
are signed here with explicit nonces, never estimated nor awaited one by one, and sent as
JSON-RPC batches of 500; on anvil automine is off and each batch is mined as one block (the
block gas limit is raised to hold a batch at 400,000 gas a transaction, and put back after),
because anvil's cost is per block more than per transaction. A worker thread sends, mines and
checks the receipts of one batch while the next is planned and signed; every receipt is checked
and any failure stops the run after its phase, with the decoded revert of the first. A phase
holds only transactions that depend on earlier phases, never on each other, except one sender's
own, which its nonces order. Signing uses coincurve when it is installed; without it eth-keys'
pure-Python backend signs about twenty times slower. On ganache each transaction is its own
block (about 50 events/s): fine for tests.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import itertools
import json
import math
import random
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import orjson
import requests
import rlp
from eth_abi import encode
from eth_keys import keys  # type: ignore[attr-defined]
from eth_utils import (
    event_abi_to_log_topic,
    function_abi_to_4byte_selector,
    keccak,
    to_canonical_address,
)
from eth_utils.abi import get_abi_input_types
from web3 import Web3

from onelist.build.compiler import load_artifacts
from onelist.catalogue import encode_catalogue
from onelist.chain.connection import dev_private_keys, gas_price, known_errors
from onelist.chain.deployment import CONTRACTS, Deployment
from onelist.chain.revert import decode_revert, revert_data
from onelist.codes import (
    DeliveryMode,
    Grade,
    OnwardTransfer,
    OpenClass,
    ParticipantRole,
    PersonalInfo,
    PIFlag,
    ProposalKind,
    Purpose,
    SuspensionScope,
    Territory,
    exchange_code,
)
from onelist.eip712 import DOMAIN_VERSION, POLICY_FIELDS, TYPES, VERIFIER, type_hash
from onelist.errors import OnelistError
from onelist.records import RECORD_FIELDS, TERMS_FIELDS

_coincurve: Any
try:  # libsecp256k1: signing twenty times faster than eth-keys' own backend
    import coincurve as _coincurve
except ImportError:  # pragma: no cover - the slow path still works
    _coincurve = None

__all__ = [
    "GeneratedStats",
    "GenerationError",
    "Signer",
    "abi_type",
    "generate_events",
    "record_values",
    "sign_legacy",
    "terms_values",
    "typed_digest",
]

DAY = 24 * 3600
#: Gas offered by every transaction: above what any of them uses, so none is estimated.
TX_GAS = 400_000
#: Transactions per JSON-RPC request, and on anvil per block.
BATCH = 500
#: Listings per round: a round's phases are sent one after another, each mined before the next.
MAX_LISTINGS_PER_ROUND = 2_000
#: Consortium events a listing brings on average (its grants, revocations, versions...),
#: the first guess before a round has been measured.
EVENTS_PER_LISTING = 5.0
FUNDING_WEI = 10 * 10**18

NEW_EXCHANGES = (
    ("BJ", "北京国际大数据交易所", 110000),
    ("GZ", "广州数据交易所", 440000),
    ("GY", "贵阳大数据交易所", 520000),
    ("SZ", "深圳数据交易所", 440000),
)
NEW_REGULATORS = (
    ("上海市数据局", 310000),
    ("浙江省数据局", 330000),
    ("广东省政务服务和数据管理局", 440000),
)
FEE_SCHEDULES = ((300, 200, 100), (250, 250, 100), (300, 150, 50), (200, 200, 200))
VOTING_PERIODS = (DAY, 3 * DAY, 7 * DAY)

_REGIONS = ("上海市", "杭州市", "济南市", "北京市", "广州市", "深圳市", "贵阳市", "成都市")
# title, category, keywords, description, product form, update frequency, delivery modes
_PRODUCTS: tuple[tuple[str, str, tuple[str, ...], str, str, str, DeliveryMode], ...] = (
    (
        "交通出行 OD 统计",
        "交通运输",
        ("交通", "出行", "OD"),
        "以五百米网格和十五分钟时段聚合的出行起讫点统计，乘客标识已去除，小样本单元已合并。",
        "dataset",
        "daily",
        DeliveryMode.file | DeliveryMode.api | DeliveryMode.privacy_computing,
    ),
    (
        "企业用电景气指数",
        "能源",
        ("电力", "用电量", "景气指数"),
        "规模以上工业企业分行业月度用电量指数，可用于产业景气监测与信贷风险评估。",
        "dataset",
        "monthly",
        DeliveryMode.file | DeliveryMode.api,
    ),
    (
        "气象格点实况",
        "气象",
        ("气象", "降水", "气温"),
        "一公里格点逐小时气温、降水与风速实况，覆盖全市范围，附质量控制标识。",
        "api",
        "hourly",
        DeliveryMode.api,
    ),
    (
        "商圈客流画像",
        "商业",
        ("客流", "商圈", "零售"),
        "重点商圈分时段客流规模与来源地分布，仅提供聚合统计，不含个人明细。",
        "report",
        "weekly",
        DeliveryMode.file | DeliveryMode.sandbox,
    ),
    (
        "医保药品结算价格",
        "医疗健康",
        ("医保", "药品", "价格"),
        "定点医药机构药品结算价格的区间统计，按通用名与剂型归并。",
        "dataset",
        "monthly",
        DeliveryMode.file | DeliveryMode.privacy_computing,
    ),
    (
        "港口集装箱吞吐量",
        "物流",
        ("港口", "集装箱", "航运"),
        "主要港区分航线的集装箱吞吐量与船舶在港时长日度统计。",
        "dataset",
        "daily",
        DeliveryMode.file | DeliveryMode.api,
    ),
    (
        "农产品批发价格",
        "农业",
        ("农产品", "批发市场", "价格"),
        "重点批发市场蔬菜、水果、畜禽产品的日度成交价格与成交量。",
        "api",
        "daily",
        DeliveryMode.api | DeliveryMode.file,
    ),
    (
        "新能源汽车充电负荷",
        "能源",
        ("充电桩", "新能源汽车", "负荷"),
        "公共充电设施分区域、分时段充电量与利用率，用于电网规划与选址分析。",
        "model",
        "daily",
        DeliveryMode.sandbox | DeliveryMode.privacy_computing,
    ),
)
_DELIVERY_NAMES = {
    DeliveryMode.file: "file",
    DeliveryMode.api: "api",
    DeliveryMode.sandbox: "sandbox",
    DeliveryMode.privacy_computing: "privacy_computing",
}


class GenerationError(OnelistError, RuntimeError):
    """The generator could not make its events: a transaction failed or the chain refused."""


@dataclass(frozen=True)
class GeneratedStats:
    """What :func:`generate_events` made: events counted from the receipts' logs."""

    events: int
    transactions: int
    first_block: int
    last_block: int
    seconds: float
    events_by_name: dict[str, int] = field(default_factory=dict)

    @property
    def blocks(self) -> int:
        return self.last_block - self.first_block + 1

    @property
    def events_per_s(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "transactions": self.transactions,
            "blocks": self.blocks,
            "first_block": self.first_block,
            "last_block": self.last_block,
            "seconds": round(self.seconds, 2),
            "events_per_s": round(self.events_per_s),
            "events_by_name": dict(sorted(self.events_by_name.items())),
        }


# --------------------------------------------------------------------------- pure helpers


class Signer:
    """A private key that signs 32-byte hashes: with coincurve (libsecp256k1) when it is
    installed, else with eth-keys' pure-Python backend (about twenty times slower)."""

    def __init__(self, secret: bytes) -> None:
        self.secret = secret
        self.address = str(keys.PrivateKey(secret).public_key.to_checksum_address())
        self._fast: Any = _coincurve.PrivateKey(secret) if _coincurve is not None else None

    @classmethod
    def derived(cls, seed: int, role: str, index: int) -> Signer:
        """The generator's ``index``-th account of ``role``: deterministic for a seed."""
        return cls(keccak(text=f"onelist eventgen:{seed}:{role}:{index}"))

    @property
    def fast(self) -> bool:
        """Whether this signer uses libsecp256k1."""
        return self._fast is not None

    def sign(self, digest: bytes) -> bytes:
        """65 bytes: r, s and the recovery id (0 or 1)."""
        if self._fast is not None:
            return bytes(self._fast.sign_recoverable(digest, hasher=None))
        return bytes(keys.PrivateKey(self.secret).sign_msg_hash(digest).to_bytes())

    def sign_typed(self, digest: bytes) -> bytes:
        """An EIP-712 signature as wallets give it and the contracts take it (v = 27 or 28)."""
        signature = self.sign(digest)
        return signature[:64] + bytes([signature[64] + 27])


def sign_legacy(
    signer: Signer,
    *,
    nonce: int,
    gas_price: int,
    gas: int,
    to: bytes,
    data: bytes,
    chain_id: int,
    value: int = 0,
) -> tuple[bytes, bytes]:
    """An EIP-155 legacy transaction, signed: ``(raw bytes, transaction hash)``.

    The same bytes as eth-account's ``sign_transaction``, without its validation layers, which
    cost more than the signature itself.
    """
    unsigned = rlp.encode([nonce, gas_price, gas, to, value, data, chain_id, 0, 0])
    signature = signer.sign(keccak(unsigned))
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:64], "big")
    v = signature[64] + 35 + 2 * chain_id
    raw = rlp.encode([nonce, gas_price, gas, to, value, data, v, r, s])
    return raw, keccak(raw)


# An encoder turns a value into its ABI bytes; dynamic ones go in the tail behind an offset.
_Encode = Callable[[Any], bytes]


@dataclass(frozen=True)
class _AbiType:
    encode: _Encode
    dynamic: bool
    size: int  # bytes in the head when static


def _split_top(types: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, char in enumerate(types):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(types[start:i])
            start = i + 1
    if types:
        parts.append(types[start:])
    return parts


def _word(value: int) -> bytes:
    return value.to_bytes(32, "big")


def _uint(bits: int) -> _Encode:
    def encode_uint(value: Any) -> bytes:
        number = int(value)
        if not 0 <= number < 1 << bits:
            raise ValueError(f"{value!r} is not a uint{bits}")
        return _word(number)

    return encode_uint


def _fixed_bytes(size: int) -> _Encode:
    def encode_fixed(value: Any) -> bytes:
        data = bytes(value)
        if len(data) > size:
            raise ValueError(f"{len(data)} bytes do not fit bytes{size}")
        return data.ljust(32, b"\0")

    return encode_fixed


def _address(value: Any) -> bytes:
    data = bytes.fromhex(value[2:]) if isinstance(value, str) else bytes(value)
    if len(data) != 20:
        raise ValueError(f"{value!r} is not an address")
    return bytes(12) + data


def _dynamic_bytes(value: Any) -> bytes:
    data = value.encode() if isinstance(value, str) else bytes(value)
    return _word(len(data)) + data + bytes(-len(data) % 32)


def _tuple(children: Sequence[_AbiType]) -> _AbiType:
    dynamic = any(c.dynamic for c in children)
    head_size = sum(32 if c.dynamic else c.size for c in children)

    def encode_tuple(values: Any) -> bytes:
        if len(values) != len(children):
            raise ValueError(f"{len(values)} values for a tuple of {len(children)}")
        if not dynamic:
            return b"".join(c.encode(v) for c, v in zip(children, values, strict=True))
        heads, tails, offset = [], [], head_size
        for child, value in zip(children, values, strict=True):
            data = child.encode(value)
            if child.dynamic:
                heads.append(_word(offset))
                tails.append(data)
                offset += len(data)
            else:
                heads.append(data)
        return b"".join(heads) + b"".join(tails)

    return _AbiType(encode_tuple, dynamic, 0 if dynamic else head_size)


def abi_type(typ: str) -> _AbiType | None:
    """A fast encoder for an ABI type, or None for what it does not handle (arrays, ints).

    eth-abi validates every value through layers of classes; for the static structs and byte
    strings of these contracts that costs more than signing. Tests check both agree.
    """
    if typ.startswith("(") and typ.endswith(")"):
        children = [abi_type(part) for part in _split_top(typ[1:-1])]
        if any(c is None for c in children):
            return None
        return _tuple([c for c in children if c is not None])
    if typ == "address":
        return _AbiType(_address, False, 32)
    if typ == "bool":
        return _AbiType(lambda v: _word(1 if v else 0), False, 32)
    if typ.startswith("uint") and typ[4:].isdigit():
        return _AbiType(_uint(int(typ[4:])), False, 32)
    if typ == "uint":
        return _AbiType(_uint(256), False, 32)
    if typ in ("bytes", "string"):
        return _AbiType(_dynamic_bytes, True, 0)
    if typ.startswith("bytes") and typ[5:].isdigit():
        return _AbiType(_fixed_bytes(int(typ[5:])), False, 32)
    return None


@cache
def _type_hash(primary: str) -> bytes:
    return type_hash(primary)


def _hash_struct(primary: str, message: Mapping[str, Any]) -> bytes:
    words = [_type_hash(primary)]
    for name, typ in TYPES[primary]:
        value = message[name]
        if typ in TYPES:
            words.append(_hash_struct(typ, value))
        elif typ in ("string", "bytes"):
            words.append(keccak(value.encode() if isinstance(value, str) else value))
        else:
            words.append(_static_encoder(typ)(value))
    return keccak(b"".join(words))


@cache
def _static_encoder(typ: str) -> _Encode:
    found = abi_type(typ)
    if found is None or found.dynamic:
        return lambda value: encode([typ], [value])
    return found.encode


@cache
def _domain_separator(contract: str, chain_id: int, verifying_contract: str) -> bytes:
    domain_type = (
        b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
    )
    return keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [
                keccak(domain_type),
                keccak(text=f"onelist {contract}"),
                keccak(text=DOMAIN_VERSION),
                chain_id,
                verifying_contract,
            ],
        )
    )


def typed_digest(
    primary: str, message: Mapping[str, Any], chain_id: int, verifying_contract: str
) -> bytes:
    """The EIP-712 digest of :func:`onelist.eip712.digest`, without eth-account's encoder.

    Twenty times faster, which matters when every listing and every grant carries a signature.
    """
    separator = _domain_separator(VERIFIER[primary], chain_id, verifying_contract)
    return keccak(b"\x19\x01" + separator + _hash_struct(primary, message))


def _values(fields: Sequence[tuple[str, str]], value: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(value[name] for name, _ in fields)


def record_values(record: Mapping[str, Any]) -> tuple[Any, ...]:
    """:func:`onelist.records.record_tuple` for records whose addresses are already checksummed."""
    values = dict(record)
    values["policy"] = _values(POLICY_FIELDS, record["policy"])
    return _values(RECORD_FIELDS, values)


def terms_values(terms: Mapping[str, Any]) -> tuple[Any, ...]:
    return _values(TERMS_FIELDS, terms)


# --------------------------------------------------------------------------- the world


@dataclass(eq=False)
class _Exchange:
    code: str
    index: int
    province: int
    operators: list[Signer]

    @property
    def raw(self) -> bytes:
        return exchange_code(self.code)


@dataclass(eq=False)
class _Regulator:
    account: Signer
    province: int  # 0: national


@dataclass(eq=False)
class _Listing:
    id: bytes
    number: int
    provider: Signer
    home: _Exchange
    record: dict[str, Any]
    status: str = "listed"  # listed | withdrawn | delisted
    suspended: bool = False


@dataclass(eq=False)
class _Licence:
    id: bytes
    listing: _Listing
    licensee: Signer
    granting: _Exchange
    terms: dict[str, Any]


@dataclass(eq=False)
class _Proposal:
    id: int
    kind: int
    data: bytes
    proposer: _Exchange
    required: int
    yes: int = 1  # the proposer's own


@dataclass(frozen=True, slots=True)
class _Tx:
    sender: Signer
    to: bytes
    data: bytes
    kind: str
    value: int = 0


class _Functions:
    """Calldata for the three contracts' functions (selector plus ABI), and event names."""

    def __init__(
        self, deployment: Deployment, abis: Mapping[str, Sequence[Mapping[str, Any]]]
    ) -> None:
        self.address = {name: to_canonical_address(deployment.address(name)) for name in CONTRACTS}
        self._fns: dict[tuple[str, str], tuple[bytes, _Encode]] = {}
        self.event_names: dict[str, str] = {}  # topic0 (0x-hex) -> name
        for contract in CONTRACTS:
            for entry in abis[contract]:
                if entry.get("type") == "function":
                    types = list(get_abi_input_types(entry))  # type: ignore[arg-type]
                    selector = function_abi_to_4byte_selector(entry)  # type: ignore[arg-type]
                    self._fns[(contract, entry["name"])] = (selector, self._encoder(types))
                elif entry.get("type") == "event":
                    topic = event_abi_to_log_topic(entry)  # type: ignore[arg-type]
                    self.event_names["0x" + topic.hex()] = entry["name"]

    @staticmethod
    def _encoder(types: list[str]) -> _Encode:
        fast = abi_type("(" + ",".join(types) + ")")
        if fast is not None:
            return fast.encode
        return lambda args: encode(types, args)

    def calldata(self, contract: str, fn: str, *args: Any) -> bytes:
        selector, encode_args = self._fns[(contract, fn)]
        return selector + encode_args(args)

    def tx(self, sender: Signer, contract: str, fn: str, *args: Any) -> _Tx:
        return _Tx(sender, self.address[contract], self.calldata(contract, fn, *args), fn)


# --------------------------------------------------------------------------- transport


class _Chain:
    """JSON-RPC to the chain: batches of raw transactions, mining, receipts.

    A phase's transactions are signed on the calling thread while one worker thread sends the
    previous batch, mines it (anvil) and checks its receipts, so the chain and Python work at
    the same time. Counts what the receipts show: transactions, events by name, blocks.
    """

    def __init__(
        self,
        url: str,
        chain_id: int,
        gas_price_wei: int,
        addresses: Iterable[bytes],
        event_names: Mapping[str, str],
        *,
        timeout: float = 120.0,
    ) -> None:
        self.url = url
        self.chain_id = chain_id
        self.gas_price = gas_price_wei
        self.timeout = timeout
        self.addresses = {"0x" + a.hex() for a in addresses}
        self.event_names = event_names
        self._local = threading.local()
        self._ids = itertools.count(1)
        self._id_lock = threading.Lock()
        self.nonces: dict[str, int] = {}
        self.manual_mining = False
        self.batch_size = BATCH
        self.transactions = 0
        self.events = 0
        self.events_by_name: Counter[str] = Counter()
        self.first_block: int | None = None
        self.last_block = 0
        self._failed: list[tuple[_Tx, dict[str, Any]]] = []
        self._sessions: list[requests.Session] = []

    def close(self) -> None:
        for session in self._sessions:
            session.close()

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:  # one per thread: requests sessions are not thread-safe
            session = self._local.session = requests.Session()
            self._sessions.append(session)
        return session

    def _next_ids(self, count: int) -> list[int]:
        with self._id_lock:
            return [next(self._ids) for _ in range(count)]

    def _post(self, payload: Any) -> Any:
        try:
            response = self._session().post(
                self.url,
                data=orjson.dumps(payload),
                headers={"Content-Type": "application/json"},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise GenerationError(f"no answer: {exc}", where=self.url) from None
        if response.status_code != 200:
            raise GenerationError(
                f"HTTP {response.status_code}: {response.text[:200]}", where=self.url
            )
        return orjson.loads(response.content)

    def call(self, method: str, params: Sequence[Any] = ()) -> Any:
        (request_id,) = self._next_ids(1)
        payload = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
        reply = self._post(payload)
        if reply.get("error"):
            raise GenerationError(f"{method}: {reply['error']}", where=self.url)
        return reply.get("result")

    def batch_replies(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[dict[str, Any]]:
        """Each call's reply object (with ``result`` or ``error``), in the order of ``calls``."""
        if not calls:
            return []
        ids = self._next_ids(len(calls))
        payload = [
            {"jsonrpc": "2.0", "id": i, "method": m, "params": p}
            for i, (m, p) in zip(ids, calls, strict=True)
        ]
        replies = self._post(payload)
        if not isinstance(replies, list):
            raise GenerationError(f"batch refused: {replies!r:.200}", where=self.url)
        by_id = {r.get("id"): r for r in replies if isinstance(r, dict)}
        return [by_id.get(i, {"error": "no reply"}) for i in ids]

    def batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        out = []
        for (method, _), reply in zip(calls, self.batch_replies(calls), strict=True):
            if reply.get("error"):
                raise GenerationError(f"{method}: {reply['error']}", where=self.url)
            out.append(reply.get("result"))
        return out

    # ----------------------------------------------------------------- phases

    def load_nonces(self, senders: Iterable[Signer]) -> None:
        todo = list({a.address for a in senders if a.address not in self.nonces})
        for i in range(0, len(todo), BATCH):
            chunk = todo[i : i + BATCH]
            counts = self.batch([("eth_getTransactionCount", [a, "pending"]) for a in chunk])
            for address, count in zip(chunk, counts, strict=True):
                self.nonces[address] = int(count, 16)

    def _sign(self, tx: _Tx) -> tuple[bytes, bytes]:
        address = tx.sender.address
        if address not in self.nonces:
            self.load_nonces([tx.sender])
        nonce = self.nonces[address]
        self.nonces[address] = nonce + 1
        return sign_legacy(
            tx.sender,
            nonce=nonce,
            gas_price=self.gas_price,
            gas=TX_GAS,
            to=tx.to,
            data=tx.data,
            chain_id=self.chain_id,
            value=tx.value,
        )

    def run_phase(self, txs: Iterable[_Tx]) -> tuple[int, int]:
        """Sign, send and mine ``txs``, checking every receipt: (transactions, events).

        Raises :class:`GenerationError` naming the first failure, after the whole phase.
        """
        before = (self.transactions, self.events)
        pending = iter(txs)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="eventgen") as worker:
            inflight: Future[None] | None = None
            while chunk := list(itertools.islice(pending, self.batch_size)):
                signed = [self._sign(tx) for tx in chunk]
                if inflight is not None:
                    inflight.result()
                inflight = worker.submit(self._deliver, chunk, signed)
            if inflight is not None:
                inflight.result()
        if self.manual_mining:
            self._mine_pending()
        if self._failed:
            failed, self._failed = self._failed, []
            tx, receipt = failed[0]
            raise GenerationError(
                f"{len(failed)} transactions failed; the first, {tx.kind} from "
                f"{tx.sender.address} (tx {receipt['transactionHash']}): {self._why(tx, receipt)}",
                where=self.url,
            )
        return self.transactions - before[0], self.events - before[1]

    def _deliver(self, chunk: Sequence[_Tx], signed: Sequence[tuple[bytes, bytes]]) -> None:
        """On the worker thread: send one batch, mine it, count its receipts' events."""
        calls = [("eth_sendRawTransaction", ["0x" + raw.hex()]) for raw, _ in signed]
        for tx, reply in zip(chunk, self.batch_replies(calls), strict=True):
            if reply.get("error"):
                raise GenerationError(
                    f"{tx.kind} from {tx.sender.address} refused: {reply['error']}",
                    where=self.url,
                )
        if self.manual_mining:
            self.call("evm_mine")
        receipts = self._receipts([tx_hash for _, tx_hash in signed])
        for tx, receipt in zip(chunk, receipts, strict=True):
            block = int(receipt["blockNumber"], 16)
            if self.first_block is None:
                self.first_block = block
            self.last_block = max(self.last_block, block)
            if int(receipt["status"], 16) != 1:
                self._failed.append((tx, receipt))
                continue
            for log in receipt["logs"]:
                if log["address"].lower() in self.addresses:
                    self.events += 1
                    self.events_by_name[self.event_names.get(log["topics"][0], "?")] += 1
        self.transactions += len(chunk)

    def _receipts(self, hashes: Sequence[bytes]) -> list[dict[str, Any]]:
        calls = [("eth_getTransactionReceipt", ["0x" + h.hex()]) for h in hashes]
        deadline = time.monotonic() + self.timeout
        receipts = self.batch(calls)
        while any(r is None for r in receipts):
            if time.monotonic() > deadline:
                raise GenerationError("receipts still missing after the timeout", where=self.url)
            if self.manual_mining:  # a batch larger than a block: mine the rest
                self.call("evm_mine")
            else:  # an automining node: soon, if not yet
                time.sleep(0.05)
            receipts = self.batch(calls)
        return receipts

    def _mine_pending(self) -> None:
        status = self.call("txpool_status")
        pending, queued = int(status["pending"], 16), int(status["queued"], 16)
        if pending or queued:
            raise GenerationError(
                f"{pending} transactions pending and {queued} waiting for a missing nonce "
                "after the phase",
                where=self.url,
            )

    def _why(self, tx: _Tx, receipt: Mapping[str, Any]) -> str:
        """The decoded revert of a failed transaction, replayed as a call before its block."""
        block = hex(max(int(receipt["blockNumber"], 16) - 1, 0))
        call = {"from": tx.sender.address, "to": "0x" + tx.to.hex(), "data": "0x" + tx.data.hex()}
        error = self.batch_replies([("eth_call", [call, block])])[0].get("error")
        if error is None:
            return f"reverted in its block but not when replayed (gas used {receipt['gasUsed']})"
        data = revert_data(error)
        return str(decode_revert(data, known_errors())) if data else str(error)


# --------------------------------------------------------------------------- the generator


def _catalogues() -> list[tuple[bytes, int]]:
    """Encoded catalogues, one per region and product, with the delivery modes each offers."""
    out: list[tuple[bytes, int]] = []
    for region, product in itertools.product(_REGIONS, _PRODUCTS):
        title, category, words, text, form, frequency, modes = product
        catalogue = {
            "title": f"{region}{title}",
            "description": f"{region}{text}",
            "keywords": [*words, region.removesuffix("市")],
            "category": category,
            "product_form": form,
            "update_frequency": frequency,
            "delivery_modes": [name for mode, name in _DELIVERY_NAMES.items() if mode & modes],
            "price_model": "按年订阅",
            "price_fen": 1_000_000 * (1 + len(out) % 20),
        }
        out.append((encode_catalogue(catalogue), int(modes)))
    return out


def _bits(rng: random.Random, mask: int, low: int, high: int) -> int:
    """A random non-empty subset of ``mask``'s bits, of ``low`` to ``high`` bits."""
    bits = [1 << i for i in range(mask.bit_length()) if mask >> i & 1]
    return sum(rng.sample(bits, k=min(len(bits), rng.randint(low, high))))


ZERO = b"\0" * 32
_GRANTS_PER_LISTING = ((0, 1, 2, 3, 4, 5, 6), (10, 15, 20, 20, 15, 10, 10))  # mean 3.0
_PRICE_FLOORS = (0, 100_000, 1_000_000, 5_000_000)


class _Generator:
    """Plans each phase's transactions from what earlier phases did; :class:`_Chain` runs them."""

    def __init__(
        self,
        w3: Web3,
        deployment: Deployment,
        n_events: int,
        seed: int,
        progress: bool,
        block_size: int = BATCH,
    ) -> None:
        if not 1 <= block_size <= BATCH:
            raise ValueError(f"block_size must be 1 to {BATCH}, not {block_size}")
        self.block_size = block_size
        self.w3 = w3
        self.deployment = deployment
        self.n_events = n_events
        self.seed = seed
        self.progress = progress
        self.rng = random.Random(seed)
        artifacts = load_artifacts()
        self.fns = _Functions(deployment, {name: artifacts[name].abi for name in CONTRACTS})
        self.consortium = w3.eth.contract(
            address=deployment.address("Consortium"), abi=artifacts["Consortium"].abi
        )
        url = str(getattr(w3.provider, "endpoint_uri", "") or "")
        addresses = self.fns.address.values()
        self.chain = _Chain(
            url, deployment.chain_id, 2 * gas_price(w3), addresses, self.fns.event_names
        )
        self.listing_registry = deployment.address("ListingRegistry")
        self.licence_registry = deployment.address("LicenceRegistry")
        self.catalogues = _catalogues()
        self.exchanges: list[_Exchange] = []
        self.regulators: list[_Regulator] = []
        self.providers: list[Signer] = []
        self.licensees: list[Signer] = []
        self.funder: Signer | None = None
        self.proposal_count = 0
        self.listing_count = 0
        self.grant_count = 0
        self.republished: list[_Listing] = []
        self.started = time.perf_counter()

    # ----------------------------------------------------------------- plumbing

    def phase(self, what: str, txs: Iterable[_Tx]) -> int:
        """Run one phase (planned lazily, so planning overlaps the chain's work)."""
        started = time.perf_counter()
        count, events = self.chain.run_phase(txs)
        if self.progress:
            now = time.perf_counter()
            total = self.chain.events
            print(
                f"eventgen: {what:<40} {count:>6} tx {events:>6} events "
                f"{events / max(now - started, 1e-9):>6.0f}/s | total {total:>7}/{self.n_events} "
                f"{total / (now - self.started):>6.0f}/s",
                file=sys.stderr,
                flush=True,
            )
        return events

    def now(self) -> int:
        latest = int(self.w3.eth.get_block("latest")["timestamp"])
        return max(latest, int(time.time()))

    def account(self, role: str, index: int) -> Signer:
        return Signer.derived(self.seed, role, index)

    def operator(self, exchange: _Exchange) -> Signer:
        return self.rng.choice(exchange.operators)

    def regulator_for(self, exchange: _Exchange, *, national: bool = False) -> _Regulator | None:
        able = [
            r
            for r in self.regulators
            if r.province == 0 or (not national and r.province == exchange.province)
        ]
        return self.rng.choice(able) if able else None

    def required_votes(self) -> int:
        """At least two thirds of the active members, as Governance.propose computes it."""
        return math.ceil(2 * len(self.exchanges) / 3)

    def tx(self, sender: Signer, contract: str, fn: str, *args: Any) -> _Tx:
        return self.fns.tx(sender, contract, fn, *args)

    # ----------------------------------------------------------------- the founding state

    def discover(self) -> None:
        """The members, their operators and the regulators among the development accounts."""
        if self.progress and _coincurve is None:
            print(
                "eventgen: coincurve is not installed: signing is about twenty times slower "
                "(pip install coincurve)",
                file=sys.stderr,
            )
        c = self.consortium.functions
        dev = [Signer(bytes.fromhex(k[2:])) for k in dev_private_keys()]
        by_code: dict[bytes, list[Signer]] = {}
        for account in dev:
            code, _ = c.operatorExchange(account.address).call()
            if bytes(code) != bytes(8):
                by_code.setdefault(bytes(code), []).append(account)
            active, province = c.regulator(account.address).call()
            if active:
                self.regulators.append(_Regulator(account, int(province)))
        for i in range(int(c.exchangeCount().call())):
            raw = bytes(c.exchangeCodeAt(i).call())
            index, status, province, _ = c.exchange(raw).call()
            if status == 1 and raw in by_code:
                code = raw.rstrip(b"\0").decode()
                self.exchanges.append(_Exchange(code, int(index), int(province), by_code[raw]))
        if not self.exchanges:
            raise GenerationError(
                "no active member exchange has a development account as operator; "
                "deploy with config/consortium.example.toml"
            )
        busy = {a.address for e in self.exchanges for a in e.operators}
        busy |= {r.account.address for r in self.regulators}
        self.funder = next((a for a in dev if a.address not in busy), dev[0])
        self.proposal_count = int(c.proposalCount().call())
        probe = self.account("provider", 0).address
        if c.participant(probe).call()[1] != 0:
            raise GenerationError(
                f"seed {self.seed} was used on this deployment before ({probe} is registered); "
                "pass another seed"
            )

    # ----------------------------------------------------------------- setup

    def setup(self) -> None:
        """New members and provincial regulators by vote, extra operators, the participants."""
        rng, n = self.rng, self.n_events
        existing = {e.code for e in self.exchanges}
        joining = [x for x in NEW_EXCHANGES if x[0] not in existing]
        provinces = {e.province for e in self.exchanges} | {x[2] for x in joining}
        regulators = [x for x in NEW_REGULATORS if x[1] in provinces]
        self.providers = [self.account("provider", i) for i in range(min(200, max(4, n // 250)))]
        self.licensees = [self.account("licensee", i) for i in range(min(400, max(6, n // 150)))]
        extra_ops = [self.account("operator", i) for i in range(len(self.exchanges))]
        joining_ops = [self.account("new-exchange", i) for i in range(len(joining))]
        new_regs = [self.account("regulator", i) for i in range(len(regulators))]

        # 1: fund every account that will send; the first member proposes the newcomers.
        assert self.funder is not None
        senders = [*extra_ops, *joining_ops, *new_regs, *self.providers]
        txs = [
            _Tx(self.funder, to_canonical_address(a.address), b"", "fund", FUNDING_WEI)
            for a in senders
        ]
        proposer = self.exchanges[0]
        proposals: list[tuple[_Proposal, _Exchange | _Regulator]] = []
        for (code, name, province), op in zip(joining, joining_ops, strict=True):
            data = encode(
                ["bytes8", "string", "uint32", "address"],
                [exchange_code(code), name, province, op.address],
            )
            joined = _Exchange(code, 0, province, [op])
            proposals.append((self._proposal(ProposalKind.admit_exchange, data, proposer), joined))
        for (name, province), account in zip(regulators, new_regs, strict=True):
            data = encode(["address", "uint32", "string"], [account.address, province, name])
            added = _Regulator(account, province)
            proposals.append((self._proposal(ProposalKind.add_regulator, data, proposer), added))
        txs += [self._propose_tx(p) for p, _ in proposals]
        self.phase("setup: funding, proposals", txs)

        # 2: the other founding members vote yes; each founding exchange adds an operator.
        txs = [
            self.tx(self.operator(voter), "Consortium", "vote", p.id, True)
            for p, _ in proposals
            for voter in self.exchanges[1:]
        ]
        for exchange, op in zip(self.exchanges, extra_ops, strict=True):
            txs.append(self.tx(exchange.operators[0], "Consortium", "addOperator", op.address))
        self.phase("setup: votes, operators", txs)
        for exchange, op in zip(self.exchanges, extra_ops, strict=True):
            exchange.operators.append(op)

        # 3: execute (in whatever order the chain takes them: the indexes are read back).
        txs = [
            self.tx(self.operator(proposer), "Consortium", "execute", p.id, p.data)
            for p, _ in proposals
        ]
        self.phase("setup: executions", txs)
        for _, outcome in proposals:
            if isinstance(outcome, _Exchange):
                index, *_ = self.consortium.functions.exchange(outcome.raw).call()
                outcome.index = int(index)
                self.exchanges.append(outcome)
            else:
                self.regulators.append(outcome)

        # 4: register the participants at random exchanges; some providers also license.
        both = set(rng.sample(range(len(self.providers)), k=len(self.providers) // 10))
        txs = []
        for i, account in enumerate(self.providers):
            roles = ParticipantRole.provider | (ParticipantRole.licensee if i in both else 0)
            txs.append(self._register(account, int(roles)))
        txs += [self._register(a, int(ParticipantRole.licensee)) for a in self.licensees]
        self.licensees += [self.providers[i] for i in sorted(both)]
        self.phase("setup: participants", txs)

    def _register(self, account: Signer, roles: int) -> _Tx:
        identity = keccak(text=f"统一社会信用代码:{account.address}")
        operator = self.operator(self.rng.choice(self.exchanges))
        return self.tx(
            operator, "Consortium", "registerParticipant", account.address, roles, identity
        )

    # ----------------------------------------------------------------- governance

    def _proposal(self, kind: int, data: bytes, proposer: _Exchange) -> _Proposal:
        self.proposal_count += 1
        return _Proposal(self.proposal_count, int(kind), data, proposer, self.required_votes())

    def _propose_tx(self, p: _Proposal) -> _Tx:
        return self.tx(self.operator(p.proposer), "Consortium", "propose", p.kind, p.data)

    def proposals(self) -> list[_Proposal]:
        """One or two parameter changes, proposed by one member (so their ids are in order)."""
        proposer = self.rng.choice(self.exchanges)
        out = []
        for _ in range(self.rng.randint(1, 2)):
            if self.rng.random() < 0.6:
                fees = list(self.rng.choice(FEE_SCHEDULES))
                data = encode(["uint16", "uint16", "uint16"], fees)
                out.append(self._proposal(ProposalKind.set_fee_schedule, data, proposer))
            else:
                data = encode(["uint64"], [self.rng.choice(VOTING_PERIODS)])
                out.append(self._proposal(ProposalKind.set_voting_period, data, proposer))
        return out

    def votes(self, proposals: Sequence[_Proposal]) -> list[_Tx]:
        txs = []
        for p in proposals:
            for voter in self.exchanges:
                if voter is p.proposer:
                    continue
                support = self.rng.random() < 0.85
                p.yes += support
                txs.append(self.tx(self.operator(voter), "Consortium", "vote", p.id, support))
        return txs

    def executions(self, proposals: Sequence[_Proposal]) -> list[_Tx]:
        return [
            self.tx(self.operator(p.proposer), "Consortium", "execute", p.id, p.data)
            for p in proposals
            if p.yes >= p.required
        ]

    # ----------------------------------------------------------------- listings

    def _policy(self, home: _Exchange, modes: int) -> dict[str, Any]:
        rng, n, seed = self.rng, self.listing_count, self.seed
        grade = Grade.important if rng.random() < 0.15 else Grade.general
        personal = rng.choices(
            [PersonalInfo.none, PersonalInfo.anonymised, PersonalInfo.deidentified], [5, 2, 3]
        )[0]
        open_class = rng.choices(
            [OpenClass.not_public, OpenClass.unconditional, OpenClass.conditional], [85, 10, 5]
        )[0]
        admitted = 0
        if rng.random() < 0.3:  # only some exchanges may grant: always the home one
            admitted = 1 << home.index
            for other in rng.sample(self.exchanges, k=rng.randint(1, len(self.exchanges))):
                admitted |= 1 << other.index
        cross_border = grade == Grade.general and rng.random() < 0.1
        sensitive = personal == PersonalInfo.deidentified and rng.random() < 0.2
        return {
            "grade": int(grade),
            "openClass": int(open_class),
            "personalInfo": int(personal),
            "piFlags": int(PIFlag.sensitive) if sensitive else 0,
            "consentEvidence": keccak(text=f"consent:{seed}:{n}")
            if personal != PersonalInfo.none
            else ZERO,
            "riskAssessment": keccak(text=f"risk:{seed}:{n}") if grade == Grade.important else ZERO,
            "authorisationId": keccak(text=f"authorisation:{seed}:{n}")
            if open_class == OpenClass.conditional
            else ZERO,
            "purposes": _bits(rng, (1 << len(Purpose)) - 1, 2, 6),
            "maxTermDays": rng.choice([90, 180, 365, 730]),
            "territory": int(Territory.cross_border if cross_border else Territory.mainland),
            "onwardTransfer": int(rng.choice(list(OnwardTransfer))),
            "modelTraining": rng.random() < 0.5,
            "deliveryModes": modes,
            "grantingExchanges": admitted,
            "priceFloorFen": rng.choice(_PRICE_FLOORS),
        }

    def _record(
        self, provider: Signer, number: int, version: int, policy: dict[str, Any]
    ) -> dict[str, Any]:
        dataset = f"dataset:{self.seed}:{number}:{version}".encode()
        return {
            "provider": provider.address,
            "version": version,
            "manifestHash": keccak(text=f"manifest:{self.seed}:{number}:{version}"),
            "fingerprint": hashlib.sha256(dataset).digest(),
            "policy": policy,
        }

    def _authorise(
        self, listing: _Listing, record: dict[str, Any], catalogue: bytes, deadline: int
    ) -> bytes:
        """The provider's ListingAuthorization signature for ``record`` at the listing's home."""
        message = {
            "listingId": listing.id,
            "version": record["version"],
            "homeExchange": listing.home.raw,
            "manifestHash": record["manifestHash"],
            "fingerprint": record["fingerprint"],
            "catalogueHash": keccak(catalogue),
            "policy": record["policy"],
            "deadline": deadline,
        }
        chain_id = self.deployment.chain_id
        digest = typed_digest("ListingAuthorization", message, chain_id, self.listing_registry)
        return listing.provider.sign_typed(digest)

    def listings(self, count: int, now: int, out: list[_Listing]) -> Iterator[_Tx]:
        """``count`` first versions (appended to ``out``); most at the founding members."""
        weights = [3 if i < 3 else 1 for i in range(len(self.exchanges))]
        for _ in range(count):
            self.listing_count += 1
            provider = self.rng.choice(self.providers)
            home = self.rng.choices(self.exchanges, weights)[0]
            catalogue, modes = self.rng.choice(self.catalogues)
            record = self._record(provider, self.listing_count, 1, self._policy(home, modes))
            listing = _Listing(
                bytes(record["fingerprint"]), self.listing_count, provider, home, record
            )
            deadline = now + 2 * DAY
            signature = self._authorise(listing, record, catalogue, deadline)
            args = (record_values(record), catalogue, deadline, signature)
            out.append(listing)
            yield self.tx(self.operator(home), "ListingRegistry", "list", *args)

    # ----------------------------------------------------------------- licences

    def grants(self, listings: Sequence[_Listing], now: int, out: list[_Licence]) -> Iterator[_Tx]:
        """About three licences per new listing, one or two per new version of last round."""
        for listing in listings:
            for _ in range(self.rng.choices(*_GRANTS_PER_LISTING)[0]):
                yield self._grant(listing, now, out)
        for listing in self.republished:
            for _ in range(self.rng.randint(1, 2)):
                yield self._grant(listing, now, out)

    def _grant(self, listing: _Listing, now: int, out: list[_Licence]) -> _Tx:
        """A licence within the listing's envelope, via an exchange the listing admits."""
        rng, policy = self.rng, listing.record["policy"]
        admitted = policy["grantingExchanges"]
        granting = rng.choice(
            [e for e in self.exchanges if not admitted or admitted >> e.index & 1]
        )
        licensee = rng.choice(self.licensees)
        while licensee.address == listing.provider.address:
            licensee = rng.choice(self.licensees)
        self.grant_count += 1
        start = now - rng.randint(0, 5) * DAY
        terms = {
            "listingId": listing.id,
            "version": listing.record["version"],
            "licensee": licensee.address,
            "grantingExchange": granting.raw,
            "purposes": _bits(rng, policy["purposes"], 1, 2),
            "start": start,
            "end": start + rng.randint(30, policy["maxTermDays"]) * DAY,
            "territory": rng.randint(0, policy["territory"]),
            "deliveryMode": _bits(rng, policy["deliveryModes"], 1, 1),
            "onwardTransfer": rng.randint(0, policy["onwardTransfer"]),
            "modelTraining": policy["modelTraining"] and rng.random() < 0.5,
            "priceFen": policy["priceFloorFen"] + rng.randint(1, 200) * 50_000,
            "settlementHash": keccak(text=f"settlement:{self.seed}:{self.grant_count}"),
            "deadline": now + 2 * DAY,
        }
        chain_id = self.deployment.chain_id
        licence_id = typed_digest("LicenceAcceptance", terms, chain_id, self.licence_registry)
        args = (
            terms_values(terms),
            record_values(listing.record),
            licensee.sign_typed(licence_id),
        )
        out.append(_Licence(licence_id, listing, licensee, granting, terms))
        return self.tx(self.operator(granting), "LicenceRegistry", "grant", *args)

    # ----------------------------------------------------------------- lifecycle

    def lifecycle(
        self, listings: Sequence[_Listing], licences: Sequence[_Licence], now: int
    ) -> Iterator[_Tx]:
        """Revocations, terminations, consent withdrawals, suspensions and reinstatements.

        Each licence and listing gets at most one of them, so none depends on another; the
        suspensions of providers and exchanges are always lifted again, by the same regulator.
        """
        rng = self.rng
        for licence in licences:
            roll = rng.random()
            terms = terms_values(licence.terms)
            record = record_values(licence.listing.record)
            provider = licence.listing.provider
            if roll < 0.06:
                reason, evidence = rng.choice([201, 202, 203]), keccak(licence.id + b"breach")
                revoke = (terms, record, reason, evidence)
                yield self.tx(provider, "LicenceRegistry", "revokeByProvider", *revoke)
            elif roll < 0.08:
                regulator = self.regulator_for(licence.granting)
                if regulator is not None:
                    reason, basis = rng.choice([301, 302]), keccak(licence.id + b"legal basis")
                    yield self.tx(
                        regulator.account,
                        "LicenceRegistry",
                        "revokeByRegulator",
                        terms,
                        reason,
                        basis,
                    )
            elif roll < 0.11:
                yield self._termination(licence, terms, record, now + 2 * DAY)
            elif roll < 0.14:
                scope = SuspensionScope.licence
                yield from self._suspension(scope, licence.id, licence.granting, now)
        for listing in listings:
            roll = rng.random()
            if roll < 0.04 and listing.record["policy"]["consentEvidence"] != ZERO:
                listing.status = "withdrawn"
                evidence = keccak(listing.id + b"consent withdrawn")
                withdraw = (listing.id, record_values(listing.record), evidence)
                yield self.tx(listing.provider, "ListingRegistry", "withdrawConsent", *withdraw)
            elif roll < 0.07:
                yield from self._suspension(SuspensionScope.listing, listing.id, listing.home, now)
                listing.suspended = True  # lifted or not, it takes no more grants here
        for provider in rng.sample(self.providers, k=min(2, len(self.providers))):
            subject = bytes(12) + to_canonical_address(provider.address)
            yield from self._suspension(
                SuspensionScope.provider, subject, self.exchanges[0], now, lift=True, national=True
            )
        exchange = rng.choice(self.exchanges)
        yield from self._suspension(
            SuspensionScope.exchange_granting, exchange.raw + bytes(24), exchange, now, lift=True
        )

    def _termination(
        self, licence: _Licence, terms: tuple[Any, ...], record: tuple[Any, ...], deadline: int
    ) -> _Tx:
        """Provider and licensee both sign the termination; the provider submits it."""
        message = {"licenceId": licence.id, "deadline": deadline}
        chain_id = self.deployment.chain_id
        digest = typed_digest("LicenceTermination", message, chain_id, self.licence_registry)
        provider = licence.listing.provider
        signatures = (
            provider.sign_typed(digest),
            licence.licensee.sign_typed(digest),
        )
        return self.tx(
            provider, "LicenceRegistry", "terminate", terms, record, deadline, *signatures
        )

    def _suspension(
        self,
        scope: SuspensionScope,
        subject: bytes,
        exchange: _Exchange,
        now: int,
        *,
        lift: bool = False,
        national: bool = False,
    ) -> list[_Tx]:
        """A regulator suspends ``subject``; sometimes (or if ``lift``) it lifts it again."""
        rng = self.rng
        regulator = self.regulator_for(exchange, national=national)
        if regulator is None:
            return []
        until = 0 if rng.random() < 0.5 else now + rng.choice([30, 90]) * DAY
        basis = keccak(text=f"legal basis:{scope.name}:{subject.hex()}")
        sender = regulator.account
        reason = rng.choice([101, 102, 103])
        txs = [self.tx(sender, "Consortium", "suspend", int(scope), subject, reason, basis, until)]
        if lift or rng.random() < 0.5:
            lifted = keccak(text=f"lifted:{scope.name}:{subject.hex()}")
            reason = rng.choice([111, 112])
            txs.append(
                self.tx(sender, "Consortium", "reinstate", int(scope), subject, reason, lifted)
            )
        return txs

    def versions(self, listings: Sequence[_Listing], now: int) -> Iterator[_Tx]:
        """New versions (most withdrawn listings come back with fresh evidence) and delistings."""
        rng = self.rng
        self.republished = []
        for listing in listings:
            roll = rng.random()
            if (listing.status == "withdrawn" and roll < 0.7) or roll < 0.12:
                yield self._new_version(listing, now)
                if not listing.suspended:
                    self.republished.append(listing)
            elif roll < 0.15:
                sender = listing.provider if rng.random() < 0.5 else self.operator(listing.home)
                evidence = keccak(text=f"delisted:{self.seed}:{listing.number}")
                args = (listing.id, record_values(listing.record), rng.choice([1, 2, 3]), evidence)
                listing.status = "delisted"
                yield self.tx(sender, "ListingRegistry", "delist", *args)

    def _new_version(self, listing: _Listing, now: int) -> _Tx:
        current = listing.record
        version = current["version"] + 1
        policy = dict(current["policy"])
        policy["priceFloorFen"] = self.rng.choice(_PRICE_FLOORS)
        if policy["consentEvidence"] != ZERO:
            policy["consentEvidence"] = keccak(
                text=f"consent:{self.seed}:{listing.number}:{version}"
            )
        nxt = self._record(listing.provider, listing.number, version, policy)
        same_modes = [c for c, modes in self.catalogues if modes == policy["deliveryModes"]]
        catalogue = self.rng.choice(same_modes)
        deadline = now + 2 * DAY
        signature = self._authorise(listing, nxt, catalogue, deadline)
        args = (record_values(current), record_values(nxt), catalogue, deadline, signature)
        listing.record, listing.status = nxt, "listed"
        return self.tx(
            self.operator(listing.home), "ListingRegistry", "publishVersion", listing.id, *args
        )

    # ----------------------------------------------------------------- rounds

    def round(self, number: int, count: int) -> None:
        """Four phases around ``count`` new listings; each phase is mined before the next."""
        now = self.now()
        listings: list[_Listing] = []
        licences: list[_Licence] = []
        proposals = self.proposals()
        txs = itertools.chain(self.listings(count, now, listings), map(self._propose_tx, proposals))
        self.phase(f"round {number}: listings", txs)
        txs = itertools.chain(self.grants(listings, now, licences), self.votes(proposals))
        self.phase(f"round {number}: grants, votes", txs)
        txs = itertools.chain(self.lifecycle(listings, licences, now), self.executions(proposals))
        self.phase(f"round {number}: revocations, suspensions", txs)
        self.phase(f"round {number}: versions, delistings", self.versions(listings, now))

    def run(self) -> GeneratedStats:
        anvil = str(self.w3.client_version).lower().startswith("anvil")
        gas_limit = int(self.w3.eth.get_block("latest")["gasLimit"])
        switch_interval = sys.getswitchinterval()
        try:
            # The worker thread gets the GIL back soon after the chain answers.
            sys.setswitchinterval(0.0005)
            if anvil:  # one block per batch: per-block costs dominate anvil's time otherwise
                self.chain.call("evm_setAutomine", [False])
                if gas_limit < self.block_size * TX_GAS:
                    self.chain.call("evm_setBlockGasLimit", [hex(self.block_size * TX_GAS)])
                self.chain.manual_mining = True
                self.chain.batch_size = self.block_size
            self.discover()
            self.setup()
            per_listing, number = EVENTS_PER_LISTING, 0
            while self.chain.events < self.n_events:
                remaining = self.n_events - self.chain.events
                count = max(1, min(MAX_LISTINGS_PER_ROUND, round(remaining / per_listing)))
                before = self.chain.events
                number += 1
                self.round(number, count)
                per_listing = max(1.0, (self.chain.events - before) / count)
        finally:
            sys.setswitchinterval(switch_interval)
            if anvil:
                with contextlib.suppress(GenerationError):  # the chain may be why we stopped
                    self.chain.call("evm_setBlockGasLimit", [hex(gas_limit)])
                    self.chain.call("evm_setAutomine", [True])
            self.chain.close()
        return GeneratedStats(
            events=self.chain.events,
            transactions=self.chain.transactions,
            first_block=self.chain.first_block or 0,
            last_block=self.chain.last_block,
            seconds=time.perf_counter() - self.started,
            events_by_name=dict(self.chain.events_by_name),
        )


def generate_events(
    w3: Web3,
    deployment: Deployment,
    n_events: int,
    seed: int = 0,
    progress: bool = False,
    *,
    block_size: int = BATCH,
) -> GeneratedStats:
    """Make about ``n_events`` consortium events on ``deployment`` (at least that many).

    Needs a local chain (anvil is fastest; ganache works) and a deployment whose founding
    operators and regulator are development accounts (config/consortium.example.toml). Each
    ``seed`` gives a different, reproducible set of accounts and products; a seed can be used
    once per deployment. On anvil, ``block_size`` transactions go in each block (at most 500;
    fewer make more, sparser blocks and a slower run). Raises :class:`GenerationError` if any
    transaction fails; ``progress`` prints a line per phase on stderr.
    """
    return _Generator(w3, deployment, n_events, seed, progress, block_size).run()


def main() -> None:
    from onelist.build.compiler import repo_root
    from onelist.chain.connection import connect
    from onelist.chain.deployment import deploy
    from onelist.chain.founding import load_founding
    from onelist.chain.launcher import BACKENDS, LocalChain

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--chain", choices=BACKENDS, default="anvil")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--block-size", type=int, default=BATCH, help="transactions per block")
    args = parser.parse_args()
    with LocalChain(args.chain) as chain:
        w3 = connect(chain.url, chain.chain_id, timeout=120)
        founding = load_founding(repo_root() / "config" / "consortium.example.toml")
        deployment = deploy(w3, founding, dev_private_keys()[0])
        stats = generate_events(
            w3, deployment, args.events, args.seed, progress=True, block_size=args.block_size
        )
    context = {"chain": args.chain, "seed": args.seed, "block_size": args.block_size}
    print(json.dumps({**stats.to_json(), "context": context}))


if __name__ == "__main__":
    main()
