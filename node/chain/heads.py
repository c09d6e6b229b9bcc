"""New-head notifications over a websocket (``eth_subscribe("newHeads")``) where the RPC has one.

The indexer polls the head on a timer in any case; a subscription only wakes it as soon as a block
arrives, so a node on Besu or anvil sees a new listing within milliseconds instead of at the next
poll. When the endpoint has no websocket, or the connection drops, the node falls back to polling
and retries the subscription with backoff; a failed subscription is never an error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import aiohttp
import orjson

log = logging.getLogger("onelist.node.heads")


async def follow_heads(url: str, wake: asyncio.Event, stop: asyncio.Event) -> None:
    """Set ``wake`` at every new head announced at ``url`` until ``stop`` is set."""
    backoff = 1.0
    warned = False
    while not stop.is_set():
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.ws_connect(
                    url, heartbeat=30, timeout=aiohttp.ClientWSTimeout(ws_close=5)
                ) as ws,
            ):
                await ws.send_str(
                    orjson.dumps(
                        {
                            "jsonrpc": "2.0",
                            "id": 1,
                            "method": "eth_subscribe",
                            "params": ["newHeads"],
                        }
                    ).decode()
                )
                log.info("subscribed to new heads at %s", url)
                backoff, warned = 1.0, False
                async for message in ws:
                    if stop.is_set():
                        return
                    if message.type != aiohttp.WSMsgType.TEXT:
                        break
                    reply = orjson.loads(message.data)
                    if reply.get("method") == "eth_subscription":
                        wake.set()
                    elif "error" in reply:
                        log.info("no head subscription at %s (%s); polling", url, reply["error"])
                        return
        except (aiohttp.ClientError, OSError, TimeoutError, orjson.JSONDecodeError) as exc:
            if not warned:
                log.info("head subscription at %s unavailable (%s); polling meanwhile", url, exc)
                warned = True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=backoff)
        backoff = min(30.0, backoff * 2)
