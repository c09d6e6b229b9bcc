"""The node's only JSON-RPC client: timeouts, bounded retries with backoff (at most a second
between attempts), a one-shot probe of the head, raw logs, headers.

Why not web3.py here: the indexer needs raw ``eth_getLogs`` results at tens of thousands of logs
per second, JSON-RPC batches for block headers, and its own retry policy that tells "the chain is
unreachable" (retry, report not ready) from "the chain refused this range" (shrink the range).
Responses are parsed with orjson; logs are normalised into :class:`node.events.RawLog`.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import random
import re
from collections.abc import Callable, Sequence
from typing import Any

import aiohttp
import orjson

from node.errors import RangeTooLarge, RpcError, RpcUnavailable
from node.events import BlockHeader, RawLog
from onelist.addresses import checksum

#: Phrases with which nodes refuse a log query as too large (geth, Besu, anvil, Erigon, hosted).
_TOO_LARGE = re.compile(
    r"too many|more than \d+ results|query returned more than|response size|exceed|"
    r"limit|range is too large|block range|timeout|timed out",
    re.IGNORECASE,
)
_TOO_LARGE_CODES = {-32005, -32602}


#: EIP-55 of a log's address: the few contracts the node follows, so remembered.
_checksum: Callable[[str], str] = functools.lru_cache(maxsize=1024)(checksum)


def _int(value: str | int) -> int:
    return value if isinstance(value, int) else int(value, 16)


def _bytes(value: str) -> bytes:
    return bytes.fromhex(value[2:])


def parse_log(raw: dict[str, Any]) -> RawLog:
    """One ``eth_getLogs`` entry as a :class:`RawLog` (pure)."""
    return RawLog(
        block_number=_int(raw["blockNumber"]),
        block_hash=_bytes(raw["blockHash"]),
        tx_hash=_bytes(raw["transactionHash"]),
        log_index=_int(raw["logIndex"]),
        address=_checksum(raw["address"]),
        topics=tuple(_bytes(t) for t in raw["topics"]),
        data=_bytes(raw["data"]),
        removed=bool(raw.get("removed", False)),
    )


def parse_header(raw: dict[str, Any]) -> BlockHeader:
    return BlockHeader(
        number=_int(raw["number"]),
        hash=_bytes(raw["hash"]),
        parent_hash=_bytes(raw["parentHash"]),
        timestamp=_int(raw["timestamp"]),
    )


class RpcClient:
    """An asyncio JSON-RPC client over one aiohttp session (use ``async with``)."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 10.0,
        retries: int = 4,
        backoff: float = 0.2,
        max_backoff: float = 1.0,
    ) -> None:
        self.url = url
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.errors = 0  # failed attempts, for metrics
        self._ids = itertools.count(1)
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> RpcClient:
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.timeout),
            json_serialize=lambda v: orjson.dumps(v).decode(),
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    # ----------------------------------------------------------------- transport

    async def _post(self, payload: Any, timeout: float | None = None) -> Any:
        if self._session is None:
            raise RuntimeError("RpcClient used outside `async with`")
        # The session's timeout unless one is given (None would mean none at all to aiohttp).
        limit = self._session.timeout if timeout is None else aiohttp.ClientTimeout(total=timeout)
        async with self._session.post(self.url, json=payload, timeout=limit) as response:
            body = await response.read()
            if response.status >= 500 or response.status == 429:
                raise aiohttp.ClientResponseError(
                    response.request_info, (), status=response.status, message=body[:200].decode()
                )
            if response.status == 413:
                raise RangeTooLarge("response too large (HTTP 413)", where=self.url)
            return orjson.loads(body)

    async def _with_retries(self, payload: Any, what: str) -> Any:
        delay = self.backoff
        for attempt in range(self.retries + 1):
            try:
                return await self._post(payload)
            except (TimeoutError, aiohttp.ClientError, orjson.JSONDecodeError) as exc:
                self.errors += 1
                if isinstance(exc, TimeoutError) and what == "eth_getLogs":
                    # A slow log query is usually a too-large one: let the caller shrink it.
                    raise RangeTooLarge(f"{what} timed out after {self.timeout:.0f}s") from None
                if attempt == self.retries:
                    reason = str(exc) or type(exc).__name__
                    raise RpcUnavailable(
                        f"{what} failed after {attempt + 1} attempts: {reason}", where=self.url
                    ) from None
                # Jittered, and never longer than max_backoff: a chain that comes back is
                # asked again within max_backoff.
                await asyncio.sleep(min(self.max_backoff, delay * (0.5 + random.random())))
                delay = min(self.max_backoff, delay * 2)
        raise AssertionError("unreachable")

    @staticmethod
    def _result(reply: Any, method: str, url: str) -> Any:
        if not isinstance(reply, dict):
            raise RpcError(f"{method}: malformed reply", where=url)
        error = reply.get("error")
        if error is not None:
            code = error.get("code") if isinstance(error, dict) else None
            message = error.get("message", str(error)) if isinstance(error, dict) else str(error)
            cls = (
                RangeTooLarge
                if method == "eth_getLogs"
                and (code in _TOO_LARGE_CODES or _TOO_LARGE.search(message))
                else RpcError
            )
            raise cls(f"{method}: {message}", code=code, where=url)
        return reply.get("result")

    async def call(self, method: str, params: Sequence[Any] = ()) -> Any:
        payload = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params}
        return self._result(await self._with_retries(payload, method), method, self.url)

    async def batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        """Several calls in one HTTP request; results in the order of ``calls``."""
        if not calls:
            return []
        first = next(self._ids)
        payload = [
            {"jsonrpc": "2.0", "id": first + i, "method": m, "params": p}
            for i, (m, p) in enumerate(calls)
        ]
        for _ in range(len(calls) - 1):
            next(self._ids)
        replies = await self._with_retries(payload, calls[0][0])
        if not isinstance(replies, list):  # some nodes answer a batch with one error object
            raise RpcError(f"{calls[0][0]}: batch refused: {replies!r:.200}", where=self.url)
        by_id = {r.get("id"): r for r in replies if isinstance(r, dict)}
        return [
            self._result(by_id.get(first + i), method, self.url)
            for i, (method, _) in enumerate(calls)
        ]

    # ----------------------------------------------------------------- the calls the node makes

    async def chain_id(self) -> int:
        return _int(await self.call("eth_chainId"))

    async def head(self) -> int:
        return _int(await self.call("eth_blockNumber"))

    async def probe(self, timeout: float = 1.0) -> int:
        """The head, asked once (no retries, at most ``timeout`` seconds): whether a chain
        that was unreachable answers again, cheap enough to ask every second while it is
        down. :class:`RpcUnavailable` when it does not answer."""
        method = "eth_blockNumber"
        payload = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": []}
        try:
            reply = await self._post(payload, timeout=min(timeout, self.timeout))
        except (TimeoutError, aiohttp.ClientError, orjson.JSONDecodeError) as exc:
            self.errors += 1
            reason = str(exc) or type(exc).__name__
            raise RpcUnavailable(f"{method} failed: {reason}", where=self.url) from None
        return _int(self._result(reply, method, self.url))

    async def get_logs(self, start: int, end: int, addresses: Sequence[str]) -> list[RawLog]:
        params = [{"fromBlock": hex(start), "toBlock": hex(end), "address": list(addresses)}]
        raw = await self.call("eth_getLogs", params)
        return [parse_log(entry) for entry in raw]

    async def get_logs_raw(self, start: int, end: int, addresses: Sequence[str]) -> list[Any]:
        """The JSON entries as they came (for benchmarks comparing against raw RPC)."""
        params = [{"fromBlock": hex(start), "toBlock": hex(end), "address": list(addresses)}]
        result: list[Any] = await self.call("eth_getLogs", params)
        return result

    async def headers(self, numbers: Sequence[int]) -> list[BlockHeader]:
        """Block headers (without transactions), fetched in batches of 100."""
        out: list[BlockHeader] = []
        for i in range(0, len(numbers), 100):
            chunk = numbers[i : i + 100]
            results = await self.batch([("eth_getBlockByNumber", [hex(n), False]) for n in chunk])
            for number, result in zip(chunk, results, strict=True):
                if result is None:
                    raise RpcError(f"block {number} not found", where=self.url)
                out.append(parse_header(result))
        return out
